package rqspin.lock;

/**
 * The time source of {@code check_timeout} (the kernel's
 * {@code ktime_get_mono_fast_ns}). It is read only by waiting loops, never on
 * the fast path, so its cost does not matter there.
 *
 * <ul>
 * <li>{@link #system()}: {@link System#nanoTime()}, the default.</li>
 * <li>{@link #logical(long)}: every read by a CPU advances that CPU's own time
 *     by a fixed tick. Runs are deterministic whatever the interleaving, a wait
 *     of duration D ends after D/tick checks, and the state space of a model
 *     checker stays finite. For Lincheck and deterministic tests.</li>
 * <li>{@link ManualClock}: time moves only when the test (or a harness thread)
 *     says so, the same for every CPU. Spinning waiters then re-read unchanged
 *     state, which JPF's state matching cuts off.</li>
 * </ul>
 */
public interface Clock {

    /**
     * The current time in nanoseconds, as seen by {@code cpu} (the CPU running
     * the waiting loop; only {@link #logical(long)} uses it).
     */
    long nanoTime(Cpu cpu);

    /** The monotonic clock of the JVM. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }

    /**
     * A per-CPU logical clock: each read by a CPU advances that CPU's time by
     * {@code tickNanos}.
     *
     * @throws IllegalArgumentException if {@code tickNanos <= 0}
     */
    static Clock logical(long tickNanos) {
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("tick must be positive, got " + tickNanos);
        }
        return new LogicalClock(tickNanos);
    }

    /** {@link System#nanoTime()}. */
    final class SystemClock implements Clock {
        static final SystemClock INSTANCE = new SystemClock();

        private SystemClock() {
        }

        @Override
        public long nanoTime(Cpu cpu) {
            return System.nanoTime();
        }

        @Override
        public String toString() {
            return "system clock";
        }
    }

    /** Per-CPU logical time; the counter lives in the CPU and is written only by its thread. */
    final class LogicalClock implements Clock {
        private final long tick;

        LogicalClock(long tick) {
            this.tick = tick;
        }

        @Override
        public long nanoTime(Cpu cpu) {
            return cpu.advanceLogicalTime(tick);
        }

        @Override
        public String toString() {
            return "logical clock (tick " + tick + " ns per read)";
        }
    }
}
