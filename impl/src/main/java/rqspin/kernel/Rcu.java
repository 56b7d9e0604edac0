package rqspin.kernel;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;

/**
 * A small RCU for the CPUs of one {@link Machine}, in two flavours: vanilla
 * RCU ({@code rcu_read_lock}, {@code call_rcu}, {@code kfree_rcu},
 * {@code synchronize_rcu}) and RCU Tasks Trace ({@code rcu_read_lock_trace},
 * {@code call_rcu_tasks_trace}), with {@code rcu_barrier} and
 * {@code rcu_barrier_tasks_trace} as one {@link #barrier}.
 *
 * <h2>Readers</h2>
 * A non-sleepable BPF program, map_free's bucket walk and
 * {@code bpf_sk_storage_free} are vanilla readers ({@link #readLock}). A
 * sleepable BPF program holds only {@code rcu_read_lock_trace}
 * ({@link #readLockTrace}): under {@code CONFIG_PREEMPT_RCU} it can be
 * preempted anywhere, and a vanilla grace period does not wait for it. The
 * two kinds of section are independent: each nests on its own, and a CPU may
 * be inside both.
 *
 * <h2>Grace periods</h2>
 * Each CPU has a counter per kind of section, {@code vanilla.ctr[cpu]} and
 * {@code trace.ctr[cpu]} (a {@code Readers} each), that its thread increments when it
 * enters its outermost section of that kind and again when it leaves it: odd
 * means inside. A callback (and a {@code synchronize_rcu}) takes a snapshot
 * of the counters of the CPUs that are inside at that moment; its grace
 * period has ended once each of them has moved on, i.e. every reader that
 * started before has left. Readers that start later are not waited for.
 * <ul>
 * <li>{@link Flavor#RCU} ({@code call_rcu}) and {@link #synchronize}
 *     ({@code synchronize_rcu}) snapshot {@code vanilla} only: they wait for
 *     vanilla readers, never for a Tasks Trace reader.</li>
 * <li>{@link Flavor#TASKS_TRACE} ({@code call_rcu_tasks_trace}) snapshots
 *     both: a Tasks Trace grace period implies a vanilla one
 *     ({@code rcu_trace_implies_rcu_gp()}), so it waits for both kinds of
 *     reader.</li>
 * </ul>
 *
 * <h2>Who runs callbacks</h2>
 * Each flavour has its own queue, as the kernel has its own callback lists
 * per flavour: within a flavour callbacks are invoked in the order they were
 * queued (a callback runs once its own grace period and those of the
 * callbacks before it in its queue have ended), and a pending Tasks Trace
 * callback never delays a later vanilla one (nor the other way round). When
 * the heads of both queues are ready, the one queued first runs first. A
 * callback runs on the calling thread of whichever CPU sees its grace period
 * end first: at {@code call} if no CPU it must wait for was inside, in the
 * {@link #readUnlock} / {@link #readUnlockTrace} of the last reader it waited
 * for, or inside {@link #synchronize} / {@link #barrier}. One thread at a time
 * invokes callbacks; the others go on (the runner picks their callbacks up).
 * So runs are deterministic given the interleaving, and a grace period ends
 * as early as the kernel allows it to end (e.g. during map_free's
 * {@code cond_resched_rcu}, even while a sleepable program is still
 * walking): poisoning then shows every access that relied on a longer one.
 *
 * <p>Deferred mode ({@link #setDeferred}, for the conformance tools): no
 * callback runs by itself; a scheduler sees the pending callbacks with the
 * CPUs each still waits for ({@link #pendingForAudit}) and invokes one whose
 * grace period has ended, in any order ({@link #invoke}), as the spec's
 * callback step does. {@link #startSynchronize} / {@link #ended} and
 * {@link #startBarrier} / {@link #done} split the two waits so that a caller
 * can wait at a step of its own.
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li>In each {@code Readers}, {@code ctr[i]} is odd iff
 *     {@code nesting[i] > 0}.</li>
 * <li>Every callback in a queue has a snapshot taken when it was queued
 *     ({@code traceSnap} only for {@link Flavor#TASKS_TRACE}); it is invoked
 *     once, after that snapshot's grace period, after every earlier callback
 *     of its queue (in deferred mode: in the order the scheduler picks);
 *     {@code invoked} is set once it has run.</li>
 * <li>{@code outstanding} is the number of callbacks queued and not yet
 *     invoked, over both queues.</li>
 * </ul>
 *
 * <p>Fields, and who writes them: in {@code vanilla} and {@code trace},
 * {@code ctr[]} is written by each CPU's own thread and read by all, and
 * {@code nesting[]} is confined to each CPU's thread;
 * {@code pending[]}, {@code seq[]} and {@code order} are guarded by this
 * object's monitor; {@code runner} (0 or 1) lets one thread at a time invoke
 * callbacks, which run outside the monitor; {@code outstanding} is incremented
 * by {@code call} and decremented by the runner (or {@link #invoke}).
 */
public final class Rcu {
    /**
     * Seeded bugs of the RCU, to show that a check of the local storage can
     * fail; each is kept with the test that catches it (selected through the
     * storage's own {@code Mutation} values of the same names).
     */
    public enum Mutation {
        /** The RCU as the kernel has it. */
        NONE,
        /** Callbacks run at {@code call_rcu} time, without waiting for a grace period. */
        NO_GRACE_PERIOD,
        /** {@code call_rcu_tasks_trace} waits for vanilla readers only, as {@code call_rcu} does. */
        TASKS_TRACE_AS_RCU
    }

    /** The kind of grace period asked for. */
    public enum Flavor {
        /** {@code call_rcu} / {@code kfree_rcu}: vanilla RCU; waits for {@code rcu_read_lock} readers only. */
        RCU("call_rcu"),
        /**
         * {@code call_rcu_tasks_trace}: sleepable BPF programs' RCU; waits for
         * {@code rcu_read_lock_trace} readers and (implied vanilla grace
         * period) for {@code rcu_read_lock} readers.
         */
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
        final Flavor flavor;
        /** Number in its flavour's queue (from 1). */
        final int seq;
        /** Queue order over both flavours: breaks ties when both heads are ready. */
        final long order;
        /** {@code vanilla.snapshot()} at call time. */
        final int[] snap;
        /** {@code trace.snapshot()} at call time ({@link Flavor#TASKS_TRACE}); null for {@link Flavor#RCU}. */
        final int[] traceSnap;
        final Consumer<Cpu> fn;
        /** What the callback frees (for the audit and a scheduler that picks callbacks), or null. */
        final Object subject;
        /** Set once the callback has been invoked. */
        volatile boolean invoked;

        Callback(Flavor flavor, int seq, long order, int[] snap, int[] traceSnap, Consumer<Cpu> fn, Object subject) {
            this.flavor = flavor;
            this.seq = seq;
            this.order = order;
            this.snap = snap;
            this.traceSnap = traceSnap;
            this.fn = fn;
            this.subject = subject;
        }
    }

    /**
     * A grace period asked for by {@link #startSynchronize}: it has ended
     * ({@link #ended}) once every vanilla reader inside at the call has left.
     */
    public static final class GracePeriod {
        private final int[] snap;

        private GracePeriod(int[] snap) {
            this.snap = snap;
        }
    }

    /**
     * An {@code rcu_barrier} (and {@code rcu_barrier_tasks_trace}) asked for
     * by {@link #startBarrier}: done ({@link #done}) once every callback
     * queued before it has been invoked.
     */
    public static final class Barrier {
        private final java.util.List<Callback> waitFor;

        private Barrier(java.util.List<Callback> waitFor) {
            this.waitFor = waitFor;
        }
    }

    /**
     * A pending callback as the audit and a scheduler see it: what it frees
     * ({@link #subject}, the object passed to
     * {@link #call(Cpu, Flavor, Object, Consumer)}, or null), its
     * {@link #flavor}, the CPUs it still waits for ({@link #waitsFor}: inside
     * a read-side section, of a kind it waits for, since before it was
     * queued) and whether its grace period has ended ({@link #ended}). Not a
     * record: Java PathFinder runs this package.
     */
    public static final class Pending {
        private final Object subject;
        private final Flavor flavor;
        private final java.util.Set<Integer> waitsFor;

        Pending(Object subject, Flavor flavor, java.util.Set<Integer> waitsFor) {
            this.subject = subject;
            this.flavor = flavor;
            this.waitsFor = java.util.Collections.unmodifiableSet(waitsFor);
        }

        public Object subject() {
            return subject;
        }

        public Flavor flavor() {
            return flavor;
        }

        public java.util.Set<Integer> waitsFor() {
            return waitsFor;
        }

        public boolean ended() {
            return waitsFor.isEmpty();
        }

        @Override
        public String toString() {
            return flavor.kernelName() + "(" + subject + ", waits for cpus " + waitsFor + ")";
        }
    }

    /**
     * One kind of read-side section on every CPU: {@code ctr[cpu]} (odd means
     * inside, written by the CPU's own thread, read by all) and
     * {@code nesting[cpu]} (confined to the CPU's thread).
     */
    private static final class Readers {
        /** The kernel's unlock and the kind of section, for the misuse message. */
        final String unlockName;
        final String sectionName;
        final AtomicInteger[] ctr;
        final int[] nesting;

        Readers(String unlockName, String sectionName, int nrCpus) {
            this.unlockName = unlockName;
            this.sectionName = sectionName;
            this.ctr = new AtomicInteger[nrCpus];
            for (int i = 0; i < nrCpus; i++) {
                ctr[i] = new AtomicInteger();
            }
            this.nesting = new int[nrCpus];
        }

        void enter(int id) {
            if (nesting[id]++ == 0) {
                ctr[id].getAndIncrement();
            }
        }

        /**
         * Leaves a section; true when it was the outermost one.
         *
         * @throws IllegalStateException if the CPU is not inside a section of this kind
         */
        boolean exit(int id) {
            if (nesting[id] == 0) {
                throw new IllegalStateException(unlockName + " on cpu" + id + " outside " + sectionName);
            }
            if (--nesting[id] == 0) {
                ctr[id].getAndIncrement();
                return true;
            }
            return false;
        }

        boolean inside(int id) {
            return nesting[id] > 0;
        }

        /** The counter of each CPU that is inside now; -1 for the others. */
        int[] snapshot() {
            int[] snap = new int[ctr.length];
            for (int i = 0; i < ctr.length; i++) {
                int c = ctr[i].get();
                snap[i] = (c & 1) != 0 ? c : -1;
            }
            return snap;
        }

        /** The CPUs of {@code snap} that have not left the section they were in. */
        void stillInside(int[] snap, java.util.Set<Integer> out) {
            for (int i = 0; i < snap.length; i++) {
                if (snap[i] >= 0 && ctr[i].get() == snap[i]) {
                    out.add(i);
                }
            }
        }

        /** Whether CPU {@code id} is inside a section, read from its counter (any thread may ask). */
        boolean insideNow(int id) {
            return (ctr[id].get() & 1) != 0;
        }

        /** Whether every CPU of {@code snap} has left the section it was in. */
        boolean ended(int[] snap) {
            for (int i = 0; i < snap.length; i++) {
                if (snap[i] >= 0 && ctr[i].get() == snap[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final int NR_FLAVORS = Flavor.values().length;

    private final Machine machine;
    private final Mutation mutation;
    /** {@code rcu_read_lock} sections. */
    private final Readers vanilla;
    /** {@code rcu_read_lock_trace} sections. */
    private final Readers trace;
    /** One queue per flavour, indexed by {@link Flavor#ordinal()}. */
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Callback>[] pending = new ArrayDeque[NR_FLAVORS];
    /** Callbacks queued so far, per flavour. */
    private final int[] seq = new int[NR_FLAVORS];
    /** Callbacks queued so far, both flavours. */
    private long order;
    /** Callbacks queued and not yet invoked: lets readUnlock skip everything when 0. */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** 1 while a thread invokes callbacks. */
    private final AtomicInteger runner = new AtomicInteger();
    /** The callback being invoked (out of its queue, not yet over), for the audit; null if none. */
    private volatile Callback running;
    /**
     * Deferred: no callback runs by itself; a scheduler lists them
     * ({@link #pendingForAudit}) and invokes the ones it picks ({@link #invoke}).
     */
    private volatile boolean deferred;

    /** The RCU of {@code machine}'s CPUs. */
    public Rcu(Machine machine) {
        this(machine, Mutation.NONE);
    }

    /**
     * The RCU of {@code machine}'s CPUs, with a seeded bug (tests only).
     *
     * @throws IllegalArgumentException if an argument is null
     */
    public Rcu(Machine machine, Mutation mutation) {
        if (machine == null || mutation == null) {
            throw new IllegalArgumentException("machine and mutation must not be null");
        }
        this.machine = machine;
        this.mutation = mutation;
        int nrCpus = machine.nrCpus();
        this.vanilla = new Readers("rcu_read_unlock", "a read-side section", nrCpus);
        this.trace = new Readers("rcu_read_unlock_trace", "a Tasks Trace read-side section", nrCpus);
        for (int f = 0; f < NR_FLAVORS; f++) {
            pending[f] = new ArrayDeque<>();
        }
    }

    // ------------------------------------------------------------------ readers

    /** {@code rcu_read_lock}: sections nest; only the outermost is seen by grace periods. */
    public void readLock(Cpu cpu) {
        vanilla.enter(checkCpu(cpu).id());
    }

    /**
     * {@code rcu_read_unlock}; leaving the outermost section may end grace
     * periods, whose callbacks then run here.
     *
     * @throws IllegalStateException if the CPU is not inside a section
     */
    public void readUnlock(Cpu cpu) {
        if (vanilla.exit(checkCpu(cpu).id())) {
            runReady(cpu);
        }
    }

    /** Whether the CPU is inside a vanilla read-side section ({@code rcu_read_lock_held}). */
    public boolean isReader(Cpu cpu) {
        return vanilla.inside(checkCpu(cpu).id());
    }

    /**
     * {@code rcu_read_lock_trace}: a Tasks Trace read-side section, as a
     * sleepable BPF program holds it ({@code __bpf_prog_enter_sleepable}).
     * Sections nest; only the outermost is seen by grace periods. Only
     * {@link Flavor#TASKS_TRACE} callbacks wait for it.
     */
    public void readLockTrace(Cpu cpu) {
        trace.enter(checkCpu(cpu).id());
    }

    /**
     * {@code rcu_read_unlock_trace}; leaving the outermost section may end
     * Tasks Trace grace periods, whose callbacks then run here.
     *
     * @throws IllegalStateException if the CPU is not inside a Tasks Trace section
     */
    public void readUnlockTrace(Cpu cpu) {
        if (trace.exit(checkCpu(cpu).id())) {
            runReady(cpu);
        }
    }

    /** Whether the CPU is inside a Tasks Trace read-side section ({@code rcu_read_lock_trace_held}). */
    public boolean isTraceReader(Cpu cpu) {
        return trace.inside(checkCpu(cpu).id());
    }

    // ------------------------------------------------------------------ grace periods

    /**
     * {@code call_rcu(head, fn)} ({@link Flavor#RCU}): {@code fn} runs once
     * every CPU that is now inside a vanilla read-side section has left it;
     * Tasks Trace readers are not waited for. {@code call_rcu_tasks_trace}
     * ({@link Flavor#TASKS_TRACE}): {@code fn} runs once every CPU that is now
     * inside a read-side section of either kind has left it. {@code fn} runs
     * on the CPU that sees the grace period end (passed to it).
     */
    public void call(Cpu cpu, Flavor flavor, Consumer<Cpu> fn) {
        call(cpu, flavor, null, fn);
    }

    /**
     * {@link #call(Cpu, Flavor, Consumer)} for a callback that frees
     * {@code subject}: the audit ({@link #pendingForAudit}) and a scheduler
     * ({@link #invoke}) know it by that object.
     */
    public void call(Cpu cpu, Flavor flavor, Object subject, Consumer<Cpu> fn) {
        checkCpu(cpu);
        if (flavor == null || fn == null) {
            throw new IllegalArgumentException("flavor and callback must not be null");
        }
        if (mutation == Mutation.NO_GRACE_PERIOD) {
            fn.accept(cpu);
            return;
        }
        int[] snap = vanilla.snapshot();
        boolean waitsForTrace = flavor == Flavor.TASKS_TRACE && mutation != Mutation.TASKS_TRACE_AS_RCU;
        int[] traceSnap = waitsForTrace ? trace.snapshot() : null;
        int f = flavor.ordinal();
        synchronized (this) {
            pending[f].add(new Callback(flavor, ++seq[f], ++order, snap, traceSnap, fn, subject));
        }
        outstanding.getAndIncrement();
        runReady(cpu);
    }

    /**
     * {@code synchronize_rcu}: returns once every vanilla read-side section
     * that was running at the call has ended (invoking ready callbacks
     * meanwhile). Tasks Trace readers are not waited for.
     *
     * @throws IllegalStateException inside a vanilla read-side section (it would wait for itself)
     */
    public void synchronize(Cpu cpu) {
        GracePeriod gp = startSynchronize(cpu);
        while (!ended(gp)) {
            runReady(cpu);
            Thread.yield();
        }
        runReady(cpu);
    }

    /**
     * The start of {@code synchronize_rcu}: the grace period it waits for
     * (every vanilla reader inside now); {@link #synchronize} is this and a
     * wait for {@link #ended}. For code that waits at a step of its own.
     *
     * @throws IllegalStateException inside a vanilla read-side section (it would wait for itself)
     */
    public GracePeriod startSynchronize(Cpu cpu) {
        if (isReader(cpu)) {
            throw new IllegalStateException("synchronize_rcu on cpu" + cpu.id() + " inside a read-side section");
        }
        return new GracePeriod(vanilla.snapshot());
    }

    /** Whether the grace period {@code gp} has ended: every reader it waits for has left. */
    public boolean ended(GracePeriod gp) {
        return vanilla.ended(gp.snap);
    }

    /**
     * {@code rcu_barrier_tasks_trace} and {@code rcu_barrier}: returns once
     * every callback of either flavour queued before the call has been
     * invoked.
     *
     * @throws IllegalStateException inside a read-side section of either kind (it could wait for itself)
     */
    public void barrier(Cpu cpu) {
        Barrier b = startBarrier(cpu);
        for (;;) {
            runReady(cpu);
            if (done(b)) {
                return;
            }
            Thread.yield();
        }
    }

    /**
     * The start of {@link #barrier}: the callbacks it waits for (those
     * pending now, of both flavours).
     *
     * @throws IllegalStateException inside a read-side section of either kind (it could wait for itself)
     */
    public Barrier startBarrier(Cpu cpu) {
        if (isReader(cpu) || isTraceReader(cpu)) {
            throw new IllegalStateException("rcu_barrier on cpu" + cpu.id() + " inside a read-side section");
        }
        java.util.List<Callback> w = new java.util.ArrayList<>();
        synchronized (this) {
            for (ArrayDeque<Callback> q : pending) {
                w.addAll(q);
            }
        }
        return new Barrier(w);
    }

    /** Whether every callback the barrier {@code b} waits for has been invoked. */
    public boolean done(Barrier b) {
        for (Callback c : b.waitFor) {
            if (!c.invoked) {
                return false;
            }
        }
        return true;
    }

    /** Invokes, on this thread, the callbacks whose grace periods have ended (unless deferred). */
    public void poll(Cpu cpu) {
        runReady(checkCpu(cpu));
    }

    // ------------------------------------------------------------------ a scheduler's view (conformance)

    /**
     * Deferred mode (off by default): no callback runs by itself; a
     * scheduler lists the pending callbacks ({@link #pendingForAudit}) and
     * invokes the ones it chooses ({@link #invoke}), in any order once their
     * grace periods have ended, as the spec's callback steps run.
     */
    public void setDeferred(boolean on) {
        deferred = on;
    }

    /**
     * The pending callbacks, in the order they were queued (any thread); a
     * callback being invoked counts as pending until it is over.
     */
    public java.util.List<Pending> pendingForAudit() {
        java.util.List<Callback> all = new java.util.ArrayList<>();
        synchronized (this) {
            for (ArrayDeque<Callback> q : pending) {
                all.addAll(q);
            }
        }
        Callback r = running;
        if (r != null && !all.contains(r)) {
            all.add(r);
        }
        all.sort((a, b) -> Long.compare(a.order, b.order));
        java.util.List<Pending> out = new java.util.ArrayList<>();
        for (Callback c : all) {
            java.util.Set<Integer> w = new java.util.TreeSet<>();
            vanilla.stillInside(c.snap, w);
            if (c.traceSnap != null) {
                trace.stillInside(c.traceSnap, w);
            }
            out.add(new Pending(c.subject, c.flavor, w));
        }
        return out;
    }

    /**
     * Invokes now, on {@code cpu}'s thread, the pending callback that frees
     * {@code subject} (the first queued, if several), whatever its place in
     * its queue. Returns false (and invokes nothing) if there is none or its
     * grace period has not ended.
     */
    public boolean invoke(Object subject, Cpu cpu) {
        checkCpu(cpu);
        Callback c = null;
        synchronized (this) {
            for (ArrayDeque<Callback> q : pending) {
                for (Callback x : q) {
                    if (x.subject == subject && (c == null || x.order < c.order)) {
                        c = x;
                    }
                }
            }
            if (c == null || !ended(c)) {
                return false;
            }
            pending[c.flavor.ordinal()].remove(c);
        }
        running = c;
        try {
            c.fn.accept(cpu);
        } finally {
            running = null;
            c.invoked = true;
            outstanding.getAndAdd(-1);
        }
        return true;
    }

    /** Whether CPU {@code id} is inside a vanilla read-side section now (any thread may ask). */
    public boolean readerForAudit(int id) {
        return vanilla.insideNow(id);
    }

    /** Whether CPU {@code id} is inside a Tasks Trace read-side section now (any thread may ask). */
    public boolean traceReaderForAudit(int id) {
        return trace.insideNow(id);
    }

    /**
     * A CPU of this machine.
     *
     * @throws IllegalArgumentException if {@code cpu} is null or of another machine
     */
    private Cpu checkCpu(Cpu cpu) {
        if (cpu == null || cpu.machine() != machine) {
            throw new IllegalArgumentException(cpu == null ? "cpu must not be null" : cpu + " belongs to another machine");
        }
        return cpu;
    }

    /** Number of callbacks (both flavours) queued and not yet invoked. */
    public int pendingCallbacks() {
        return outstanding.get();
    }

    /** Whether the grace period of {@code c} has ended (for its flavour). */
    private boolean ended(Callback c) {
        return vanilla.ended(c.snap) && (c.traceSnap == null || trace.ended(c.traceSnap));
    }

    /** The ready head queued first, removed from its queue, or null. Under the monitor. */
    private Callback pollReady() {
        int best = -1;
        for (int f = 0; f < NR_FLAVORS; f++) {
            Callback c = pending[f].peekFirst();
            if (c != null && (best < 0 || c.order < pending[best].peekFirst().order) && ended(c)) {
                best = f;
            }
        }
        return best < 0 ? null : pending[best].pollFirst();
    }

    /**
     * Invokes, on this thread, the callbacks at the heads of the queues whose
     * grace periods have ended, unless another thread is doing so.
     */
    private void runReady(Cpu cpu) {
        if (deferred) {
            return;
        }
        while (outstanding.get() != 0) {
            if (!runner.compareAndSet(0, 1)) {
                return;
            }
            Callback c;
            synchronized (this) {
                c = pollReady();
            }
            if (c == null) {
                runner.set(0);
                return;
            }
            running = c;
            try {
                c.fn.accept(cpu);
            } finally {
                running = null;
                c.invoked = true;
                outstanding.getAndAdd(-1);
                runner.set(0);
            }
        }
    }
}
