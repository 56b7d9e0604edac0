package rqspin.lock;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A clock that every CPU reads alike and that moves only through
 * {@link #advance(long)}: written by whoever drives a scenario (a test or a
 * harness thread), read by every waiting CPU. It also records which CPUs
 * have read it at least once, so that a scenario can wait until a waiter
 * has armed its deadline ({@code check_timeout}'s first call) before it
 * moves time.
 *
 * <p>Spinning waiters re-read unchanged state, which Java PathFinder's state
 * matching cuts off: with this clock a harness explores every interleaving
 * in a finite state space.
 */
public final class ManualClock implements Clock {
    /** Current time in ns; written by {@link #advance}, read by waiters. */
    private volatile long now;
    /** reads[c] becomes 1 at CPU c's first read; written only by CPU c. Null if reads are not recorded. */
    private final AtomicInteger[] reads;

    /** A clock at time 0 that does not record which CPUs read it ({@link #hasRead} is unavailable). */
    public ManualClock() {
        reads = null;
    }

    /**
     * A clock at time 0 for a machine of up to {@code nrCpus} CPUs, recording
     * which of them have read it.
     *
     * @throws IllegalArgumentException if {@code nrCpus < 1}
     */
    public ManualClock(int nrCpus) {
        if (nrCpus < 1) {
            throw new IllegalArgumentException("nrCpus must be positive, got " + nrCpus);
        }
        reads = new AtomicInteger[nrCpus];
        for (int i = 0; i < nrCpus; i++) {
            reads[i] = new AtomicInteger();
        }
    }

    @Override
    public long nanoTime(Cpu cpu) {
        if (reads != null) {
            AtomicInteger r = reads[cpu.id()];
            if (r.get() == 0) {
                r.lazySet(1);
            }
        }
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

    /**
     * Whether CPU {@code cpu} has read this clock (armed a deadline) yet.
     *
     * @throws IllegalArgumentException if there is no such CPU
     * @throws IllegalStateException if the clock was made without a CPU count
     */
    public boolean hasRead(int cpu) {
        if (reads == null) {
            throw new IllegalStateException("this clock does not record reads: use new ManualClock(nrCpus)");
        }
        if (cpu < 0 || cpu >= reads.length) {
            throw new IllegalArgumentException("no cpu" + cpu);
        }
        return reads[cpu].get() != 0;
    }

    @Override
    public String toString() {
        return "manual clock at " + now + " ns";
    }
}
