package rqspin.conformance.lock;

import rqspin.lock.Clock;
import rqspin.lock.Cpu;

/**
 * The clock of a gated run: time moves only when the scheduler says so, and
 * separately for each context of each CPU (the CPU's nesting depth), so that
 * the scheduler decides, wait by wait, when a deadlock check runs and when a
 * deadline passes, as the spec's timeout rule lets it (time is not modeled;
 * a timeout is a choice). Written by the CPU threads in
 * {@link GatedScheduler#before} (under the scheduler's monitor), read by the
 * same thread in {@code check_timeout}.
 */
final class GateClock implements Clock {
    /** now[cpu][depth - 1]: the time the context at that depth reads. */
    private final long[][] now;

    GateClock(int cpus) {
        now = new long[cpus][8];
    }

    @Override
    public long nanoTime(Cpu cpu) {
        return now[cpu.id()][cpu.nestingDepth() - 1];
    }

    /** Moves the time of the context at {@code depth} of {@code cpu} forward. */
    void advance(int cpu, int depth, long nanos) {
        now[cpu][depth - 1] += nanos;
    }

    @Override
    public String toString() {
        return "gate clock (time per context, moved by the scheduler)";
    }
}
