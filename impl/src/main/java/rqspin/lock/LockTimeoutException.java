package rqspin.lock;

/** The attempt returned {@code -ETIMEDOUT}: a deadline passed, or (V6_19) the queue was cancelled. */
public final class LockTimeoutException extends LockFailedException {
    private static final long serialVersionUID = 1L;

    LockTimeoutException(Object lock, FailureReason reason, int cpu, Context context) {
        super(lock, reason, Errno.ETIMEDOUT, cpu, context);
    }
}
