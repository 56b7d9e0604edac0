package rqspin.lock;

/**
 * What a waiting loop does between two reads ({@code cpu_relax()}). This is
 * the only JVM call of the lock that Java PathFinder cannot run
 * ({@code Thread.onSpinWait} is missing from its model of the JDK), so it is
 * chosen per {@link Machine}: harnesses run under JPF select {@link #YIELD}.
 */
public enum SpinHint {
    /** {@link Thread#onSpinWait()}: PAUSE on x86, the kernel's {@code cpu_relax()}. The default. */
    ON_SPIN_WAIT,
    /** {@link Thread#yield()}: for Java PathFinder, and for oversubscribed machines. */
    YIELD,
    /** Nothing: a bare re-read. */
    NONE;

    void relax() {
        switch (this) {
            case ON_SPIN_WAIT:
                Thread.onSpinWait();
                break;
            case YIELD:
                Thread.yield();
                break;
            default:
                break;
        }
    }
}
