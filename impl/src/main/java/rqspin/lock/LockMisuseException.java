package rqspin.lock;

/**
 * The lock API was used in a way the kernel forbids (its BPF verifier rejects
 * such programs). Thrown before anything is changed: the lock word, the
 * held-lock table and the CPU's state are exactly as before the call.
 */
public final class LockMisuseException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Kind {
        /** Unlock of a lock the current context does not hold. */
        NOT_HELD,
        /** Unlock of a held lock that is not the most recently taken one (the verifier's "cannot be out of order"). */
        OUT_OF_ORDER,
        /** The calling thread is not the thread attached to the given CPU (or to any CPU). */
        NOT_THIS_CPU,
        /** The CPU belongs to another {@link Machine} than the lock. */
        FOREIGN_CPU,
        /** A nested context ended while still holding a lock it took (the verifier rejects a program exit with a lock held). */
        HELD_AT_CONTEXT_EXIT,
        /** Detach of a CPU that still holds locks or runs a nested context. */
        BUSY
    }

    private final Kind kind;

    LockMisuseException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** What was wrong. */
    public Kind kind() {
        return kind;
    }
}
