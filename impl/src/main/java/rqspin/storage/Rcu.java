package rqspin.storage;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import rqspin.lock.Cpu;

/**
 * A small RCU for the CPUs of one {@link Kernel}: read-side sections,
 * deferred callbacks ({@code call_rcu}, {@code call_rcu_tasks_trace},
 * {@code kfree_rcu}), {@code synchronize_rcu} and {@code rcu_barrier}.
 *
 * <h2>Grace periods</h2>
 * Each CPU has a counter {@code ctr[cpu]} that its thread increments when it
 * enters its outermost read-side section and again when it leaves it: odd
 * means inside. A callback (and a {@code synchronize_rcu}) takes a snapshot
 * of the counters of the CPUs that are inside at that moment; its grace
 * period has ended once each of them has moved on, i.e. every reader that
 * started before has left. Readers that start later are not waited for.
 *
 * <h2>Who runs callbacks</h2>
 * Callbacks are invoked in the order they were queued, as the kernel's
 * segmented callback lists do: a callback runs once its own grace period and
 * those of the callbacks before it have ended. It runs on the calling thread
 * of whichever CPU sees that first: at {@code call_rcu} if no CPU was inside
 * a section, in the {@link #readUnlock} of the last reader it waited for, or
 * inside {@link #synchronize} / {@link #barrier}. One thread at a time invokes
 * callbacks; the others go on (the runner picks their callbacks up). So runs
 * are deterministic given the interleaving, and a grace period ends as early
 * as the kernel allows it to end (e.g. during map_free's
 * {@code cond_resched_rcu}): poisoning then shows every access that relied on
 * a longer one.
 *
 * <h2>Flavours</h2>
 * One kind of grace period serves both {@code call_rcu} and
 * {@code call_rcu_tasks_trace} (every reader counts for both): the flavour is
 * kept for messages only, as in the spec, and a tasks-trace grace period
 * implies an RCU one as in the kernel.
 *
 * <p>Fields: {@code ctr[]} is written by each CPU's own thread, read by all;
 * {@code nesting[]} is confined to each CPU's thread; {@code pending} and
 * {@code seq} are guarded by this object's monitor; {@code runner} (0 or 1)
 * lets one thread at a time invoke callbacks, which run outside the monitor;
 * {@code doneSeq} (written by the runner) is the number of the last callback
 * invoked.
 */
public final class Rcu {
    /** The kind of grace period asked for (for messages). */
    public enum Flavor {
        /** {@code call_rcu} / {@code kfree_rcu}: vanilla RCU. */
        RCU("call_rcu"),
        /** {@code call_rcu_tasks_trace}: sleepable BPF programs' RCU. */
        TASKS_TRACE("call_rcu_tasks_trace");

        private final String kernelName;

        Flavor(String kernelName) {
            this.kernelName = kernelName;
        }

        /** The kernel function. */
        public String kernelName() {
            return kernelName;
        }
    }

    private static final class Callback {
        final int seq;
        /** ctr value of each CPU that was inside a section at call time; -1 for the others. */
        final int[] snap;
        final Consumer<Cpu> fn;

        Callback(int seq, int[] snap, Consumer<Cpu> fn) {
            this.seq = seq;
            this.snap = snap;
            this.fn = fn;
        }
    }

    private final Kernel kernel;
    private final AtomicInteger[] ctr;
    private final int[] nesting;
    private final ArrayDeque<Callback> pending = new ArrayDeque<>();
    private int seq;
    /** Callbacks queued and not yet invoked: lets readUnlock skip everything when 0. */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** 1 while a thread invokes callbacks. */
    private final AtomicInteger runner = new AtomicInteger();
    /** Number of the last callback invoked (they are invoked in order). */
    private volatile int doneSeq;

    Rcu(Kernel kernel, int nrCpus) {
        this.kernel = kernel;
        this.ctr = new AtomicInteger[nrCpus];
        for (int i = 0; i < nrCpus; i++) {
            ctr[i] = new AtomicInteger();
        }
        this.nesting = new int[nrCpus];
    }

    /** {@code rcu_read_lock}: sections nest; only the outermost is seen by grace periods. */
    public void readLock(Cpu cpu) {
        int id = kernel.checkCpu(cpu).id();
        if (nesting[id]++ == 0) {
            ctr[id].getAndIncrement();
        }
    }

    /**
     * {@code rcu_read_unlock}; leaving the outermost section may end grace
     * periods, whose callbacks then run here.
     *
     * @throws IllegalStateException if the CPU is not inside a section
     */
    public void readUnlock(Cpu cpu) {
        int id = kernel.checkCpu(cpu).id();
        if (nesting[id] == 0) {
            throw new IllegalStateException("rcu_read_unlock on cpu" + id + " outside a read-side section");
        }
        if (--nesting[id] == 0) {
            ctr[id].getAndIncrement();
            runReady(cpu);
        }
    }

    /** Whether the CPU is inside a read-side section ({@code rcu_read_lock_held}). */
    public boolean isReader(Cpu cpu) {
        return nesting[kernel.checkCpu(cpu).id()] > 0;
    }

    /**
     * {@code call_rcu(head, fn)} / {@code call_rcu_tasks_trace}: {@code fn}
     * runs once every CPU that is now inside a read-side section has left it,
     * on the CPU that sees the grace period end (passed to it).
     */
    public void call(Cpu cpu, Flavor flavor, Consumer<Cpu> fn) {
        kernel.checkCpu(cpu);
        if (flavor == null || fn == null) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "flavor and callback must not be null");
        }
        if (kernel.mutation == Mutation.RCU_NO_GRACE_PERIOD) {
            fn.accept(cpu);
            return;
        }
        int[] snap = snapshot();
        synchronized (this) {
            pending.add(new Callback(++seq, snap, fn));
        }
        outstanding.getAndIncrement();
        runReady(cpu);
    }

    /**
     * {@code synchronize_rcu}: returns once every read-side section that was
     * running at the call has ended (invoking ready callbacks meanwhile).
     *
     * @throws IllegalStateException inside a read-side section (it would wait for itself)
     */
    public void synchronize(Cpu cpu) {
        if (isReader(cpu)) {
            throw new IllegalStateException("synchronize_rcu on cpu" + cpu.id() + " inside a read-side section");
        }
        int[] snap = snapshot();
        while (!ended(snap)) {
            runReady(cpu);
            Thread.yield();
        }
        runReady(cpu);
    }

    /**
     * {@code rcu_barrier} (and {@code rcu_barrier_tasks_trace}): returns once
     * every callback queued before the call has been invoked.
     *
     * @throws IllegalStateException inside a read-side section
     */
    public void barrier(Cpu cpu) {
        if (isReader(cpu)) {
            throw new IllegalStateException("rcu_barrier on cpu" + cpu.id() + " inside a read-side section");
        }
        int target;
        synchronized (this) {
            target = seq;
        }
        for (;;) {
            runReady(cpu);
            if (doneSeq >= target) {
                return;
            }
            Thread.yield();
        }
    }

    /** Number of callbacks queued and not yet invoked. */
    public int pendingCallbacks() {
        return outstanding.get();
    }

    private int[] snapshot() {
        int[] snap = new int[ctr.length];
        for (int i = 0; i < ctr.length; i++) {
            int c = ctr[i].get();
            snap[i] = (c & 1) != 0 ? c : -1;
        }
        return snap;
    }

    private boolean ended(int[] snap) {
        for (int i = 0; i < snap.length; i++) {
            if (snap[i] >= 0 && ctr[i].get() == snap[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Invokes, on this thread, the callbacks at the head of the queue whose
     * grace periods have ended, unless another thread is doing so.
     */
    private void runReady(Cpu cpu) {
        while (outstanding.get() != 0) {
            if (!runner.compareAndSet(0, 1)) {
                return;
            }
            Callback c;
            synchronized (this) {
                c = pending.peekFirst();
                if (c != null && ended(c.snap)) {
                    pending.pollFirst();
                } else {
                    c = null;
                }
            }
            if (c == null) {
                runner.set(0);
                return;
            }
            try {
                c.fn.accept(cpu);
            } finally {
                doneSeq = c.seq;
                outstanding.getAndAdd(-1);
                runner.set(0);
            }
        }
    }
}
