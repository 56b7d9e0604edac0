package rqspin.lock;

/**
 * Which check ended a failed attempt, in kernel terms. The errno follows from
 * the reason (and, for a cancelled waiter, from the version).
 */
public enum FailureReason {
    /** {@code check_deadlock_AA}: this CPU already holds (or is attempting, in an outer context) the lock. */
    AA("AA deadlock: the lock is in this CPU's held-lock table"),
    /** {@code check_deadlock_ABBA}: a remote CPU holds this lock and waits for one held here. */
    ABBA("ABBA deadlock: a remote CPU holds this lock and waits for one this CPU holds"),
    /** No MCS node: the nesting was too deep (or from V6_19: an NMI interrupted a waiter) and the trylock failed. */
    NO_NODE("no MCS node for this nesting level and the trylock failed"),
    /** {@code check_timeout}: the waiting period's deadline passed. */
    TIMEOUT("timeout: the deadline of the waiting period passed"),
    /** The predecessor wrote RES_TIMEOUT_VAL into this waiter's node: the queue was cancelled. */
    QUEUE_ABORTED("cancelled: the queue ahead of this waiter was destroyed (abort cascade)");

    private final String description;

    FailureReason(String description) {
        this.description = description;
    }

    /** A one-line description in kernel terms. */
    public String description() {
        return description;
    }

    /** The errno the kernel returns for this reason in the given version. */
    public Errno errno(Version version) {
        switch (this) {
            case TIMEOUT:
                return Errno.ETIMEDOUT;
            case QUEUE_ABORTED:
                return version.cascadeTimedOut() ? Errno.ETIMEDOUT : Errno.EDEADLK;
            default:
                return Errno.EDEADLK;
        }
    }
}
