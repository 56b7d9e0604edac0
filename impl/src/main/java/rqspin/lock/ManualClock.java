package rqspin.lock;

/**
 * A clock that every CPU reads alike and that moves only through
 * {@link #advance(long)}. Written by whoever drives the scenario (a test or a
 * harness thread), read by every waiting CPU.
 */
public final class ManualClock implements Clock {
    /** Current time in ns; written by {@link #advance}, read by waiters. */
    private volatile long now;

    /** Creates a clock at time 0. */
    public ManualClock() {
    }

    @Override
    public long nanoTime(Cpu cpu) {
        return now;
    }

    /**
     * Moves time forward.
     *
     * @throws IllegalArgumentException if {@code nanos < 0} (time is monotonic)
     */
    public synchronized void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time cannot go back: " + nanos);
        }
        now = now + nanos;
    }

    /** The current time. */
    public long now() {
        return now;
    }

    @Override
    public String toString() {
        return "manual clock at " + now + " ns";
    }
}
