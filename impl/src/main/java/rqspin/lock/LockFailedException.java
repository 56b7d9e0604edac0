package rqspin.lock;

/**
 * A lock attempt failed: the lock is NOT held, and the held-lock table and the
 * lock word are as if the attempt had not been made (the caller must not
 * unlock). This is the Java form of {@code res_spin_lock} returning
 * {@code -EDEADLK} or {@code -ETIMEDOUT}.
 *
 * <p>It is a checked exception on purpose: the kernel's BPF verifier forces a
 * program to test the return value of {@code bpf_res_spin_lock}, and javac
 * forces a caller of {@link RqSpinLock#lock} to handle or declare this
 * exception; a result object could be dropped silently. Failures are the
 * exceptional path, so the cost of throwing is paid only there; the
 * exception carries no stack trace (it reports an outcome, not a bug in the
 * caller), which keeps AA detection well under a microsecond.
 */
public abstract class LockFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Object lock;
    private final FailureReason reason;
    private final Errno errno;
    private final int cpu;
    private final Context context;

    LockFailedException(Object lock, FailureReason reason, Errno errno, int cpu, Context context) {
        super((String) null);
        this.lock = lock;
        this.reason = reason;
        this.errno = errno;
        this.cpu = cpu;
        this.context = context;
    }

    /** No stack trace: the exception reports an outcome, and filling one in would dominate AA detection time. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    /** The lock whose attempt failed. */
    public Object lock() {
        return lock;
    }

    /** The kernel error: {@link Errno#EDEADLK} or {@link Errno#ETIMEDOUT}. */
    public Errno errno() {
        return errno;
    }

    /** Which check ended the attempt. */
    public FailureReason reason() {
        return reason;
    }

    /** The CPU that made the attempt. */
    public int cpu() {
        return cpu;
    }

    /** The context the attempt was made in. */
    public Context context() {
        return context;
    }

    @Override
    public String getMessage() {
        return "res_spin_lock(" + lock + ") on cpu" + cpu + " in " + context + " returned -" + errno + ": "
                + reason.description();
    }
}
