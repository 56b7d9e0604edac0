package rqspin.lock;

/** The attempt returned {@code -EDEADLK}: an AA or ABBA deadlock, no MCS node, or (V6_15) a cancelled queue. */
public final class DeadlockException extends LockFailedException {
    private static final long serialVersionUID = 1L;

    DeadlockException(Object lock, FailureReason reason, int cpu, Context context) {
        super(lock, reason, Errno.EDEADLK, cpu, context);
    }
}
