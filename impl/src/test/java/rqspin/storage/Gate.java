package rqspin.storage;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import rqspin.lock.Cpu;
import rqspin.storage.check.Step;
import rqspin.storage.check.Tracer;

/**
 * Test tracer: holds a CPU at the n-th time it reaches a step, until the
 * test opens the gate, and records every step as a line of the trace
 * ("cpu0 nofail:lock_bucket x1"), so a failing scenario prints what
 * happened in kernel terms.
 */
final class Gate implements Tracer {
    private final List<Hold> holds = new CopyOnWriteArrayList<>();
    private final List<String> trace = new CopyOnWriteArrayList<>();
    /** How often each (cpu, step) was reached. */
    private final java.util.Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();

    /** A hold point. */
    static final class Hold {
        final int cpu;
        final Step step;
        final int nth;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);

        Hold(int cpu, Step step, int nth) {
            this.cpu = cpu;
            this.step = step;
            this.nth = nth;
        }

        /** Waits until the CPU is held here. */
        void awaitReached() {
            await(reached, "cpu" + cpu + " never reached " + step + " #" + nth);
        }

        /** Lets the CPU go on. */
        void open() {
            open.countDown();
        }

        boolean wasReached() {
            return reached.getCount() == 0;
        }
    }

    /** Holds {@code cpu} the {@code nth} time (counting from the start) it reaches {@code step}. */
    Hold holdAt(int cpu, Step step, int nth) {
        Hold h = new Hold(cpu, step, nth);
        holds.add(h);
        return h;
    }

    @Override
    public void at(Cpu cpu, Step step, Object subject) {
        trace.add("cpu" + cpu.id() + " " + step + (subject != null ? " " + subject : ""));
        int n = seen.merge(cpu.id() + " " + step.name(), 1, Integer::sum);
        for (Hold h : holds) {
            if (h.cpu == cpu.id() && h.step == step && n == h.nth) {
                h.reached.countDown();
                await(h.open, "gate at " + step + " never opened");
            }
        }
    }

    /** The trace so far, one step a line. */
    String trace() {
        return String.join("\n", trace);
    }

    List<String> lines() {
        return trace;
    }

    static void await(CountDownLatch l, String what) {
        try {
            if (!l.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("timeout: " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
