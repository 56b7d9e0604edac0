package rqspin.lock;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of CPUs and the settings every lock on them shares: the clock,
 * the timeout T, the deadlock-check interval and amortisation, the spin hint,
 * whether the slow path is replaced by the test-and-set fallback, the sizes
 * of the per-CPU tables (held-lock slots, MCS nodes), and the
 * {@link StepGate} that sees every {@link Step} of the locks (none by default).
 *
 * <p>This is the Java stand-in for the kernel's per-CPU variables: the CPU
 * table is what lets a lock's tail name another CPU's MCS node and lets an
 * ABBA scan read every CPU's held-lock table ({@code for_each_possible_cpu}).
 * A thread becomes a CPU by {@link #attach()}; from then on it passes its
 * {@link Cpu} to every lock call, and only it may do so.
 *
 * <p>Immutable after construction except for the CPUs' attachment, which is
 * changed under this object's monitor.
 */
public final class Machine {
    /** RES_DEF_TIMEOUT: 250 ms, the budget of one critical section. */
    public static final long DEFAULT_TIMEOUT_NANOS = 250_000_000L;
    /** NSEC_PER_MSEC: minimum time between two deadlock checks of one waiting period. */
    public static final long DEFAULT_DEADLOCK_CHECK_INTERVAL_NANOS = 1_000_000L;
    /** The kernel's 16-bit spin counter: {@code check_timeout} runs on every 65,536th loop iteration. */
    public static final int DEFAULT_CHECK_PERIOD = 1 << 16;

    private final Cpu[] cpus;
    final Clock clock;
    /** T: pending waiter and trylock fallback wait T, the queue head 2T, the TAS fallback 4T (1 s at the default). */
    final long timeoutNanos;
    final long deadlockCheckIntervalNanos;
    /** checkPeriod - 1: {@code check_timeout} runs when {@code (spin & checkMask) == 0}. */
    final int checkMask;
    final SpinHint spinHint;
    /** x86 guest with {@code virt_spin_lock_key}: the slow path is {@code resilient_tas_spin_lock}. */
    final boolean virtTasFallback;
    /** No queued spinlocks ({@code CONFIG_QUEUED_SPINLOCKS=n}): {@code res_spin_lock} is {@code resilient_tas_spin_lock}. */
    final boolean tasOnly;
    /** RES_NR_HELD: slots of each CPU's held-lock table (31 in the kernel). */
    final int nrHeld;
    /** _Q_MAX_NODES: MCS nodes a CPU may use (4 in the kernel); beyond them the no-node fallback. */
    final int maxNodes;
    /**
     * x86's {@code queued_fetch_set_pending_acquire} (arch/x86/include/asm/qspinlock.h): a bit-test-and-set
     * of the pending bit, then a separate read of the word (the spec's {@code SetPending = "x86"}); otherwise
     * one atomic fetch-or (the generic code).
     */
    final boolean x86SetPending;
    /**
     * {@code check_deadlock_ABBA} announces each of its reads as a step of its own (the spec's
     * {@code AbbaScan = "stepwise"}); otherwise the scan is part of the {@code check_deadlock} step.
     */
    final boolean abbaScanStepwise;
    /** Sees (and may schedule) every step of the locks on this machine; null: none. */
    final StepGate gate;
    /**
     * Each CPU keeps the per-context record of the locks it holds, so that unlock, context exit and detach reject
     * misuse ({@link LockMisuseException}); off, the callers are trusted as the kernel trusts a program the BPF
     * verifier accepted ({@link Builder#misuseRecord}).
     */
    final boolean misuseRecord;
    private final AtomicInteger lockIds = new AtomicInteger();

    private Machine(Builder b) {
        this.clock = b.clock;
        this.timeoutNanos = b.timeoutNanos;
        this.deadlockCheckIntervalNanos = b.deadlockCheckIntervalNanos;
        this.checkMask = b.checkPeriod - 1;
        this.spinHint = b.spinHint;
        this.virtTasFallback = b.virtTasFallback;
        this.tasOnly = b.tasOnly;
        this.nrHeld = b.nrHeld;
        this.maxNodes = b.maxNodes;
        this.x86SetPending = b.x86SetPending;
        this.abbaScanStepwise = b.abbaScanStepwise;
        this.gate = b.gate;
        this.misuseRecord = b.misuseRecord;
        this.cpus = new Cpu[b.nrCpus];
        for (int i = 0; i < cpus.length; i++) {
            cpus[i] = new Cpu(this, i);
        }
    }

    /** A machine of {@code nrCpus} CPUs with the kernel's defaults (system clock, 250 ms). */
    public static Machine of(int nrCpus) {
        return builder(nrCpus).build();
    }

    /**
     * A builder for a machine of {@code nrCpus} CPUs.
     *
     * @throws IllegalArgumentException unless {@code 1 <= nrCpus <= LockWord.MAX_CPUS}
     */
    public static Builder builder(int nrCpus) {
        return new Builder(nrCpus);
    }

    /** Number of CPUs. */
    public int nrCpus() {
        return cpus.length;
    }

    /**
     * CPU number {@code id}.
     *
     * @throws IllegalArgumentException if there is no such CPU
     */
    public Cpu cpu(int id) {
        if (id < 0 || id >= cpus.length) {
            throw new IllegalArgumentException("no cpu" + id + " on a machine of " + cpus.length + " CPUs");
        }
        return cpus[id];
    }

    /** The clock of this machine. */
    public Clock clock() {
        return clock;
    }

    /** T in nanoseconds. */
    public long timeoutNanos() {
        return timeoutNanos;
    }

    /**
     * Attaches the calling thread to the lowest-numbered free CPU.
     *
     * @throws IllegalStateException if the thread already runs as a CPU of this machine, or no CPU is free
     */
    public synchronized Cpu attach() {
        Thread me = Thread.currentThread();
        requireNotAttached(me);
        for (Cpu c : cpus) {
            if (c.owner == null) {
                c.owner = me;
                return c;
            }
        }
        throw new IllegalStateException("all " + cpus.length + " CPUs are attached to other threads");
    }

    /**
     * Attaches the calling thread to CPU {@code id}.
     *
     * @throws IllegalArgumentException if there is no such CPU
     * @throws IllegalStateException if the thread already runs as a CPU, or the CPU is attached to another thread
     */
    public synchronized Cpu attach(int id) {
        Cpu c = cpu(id);
        Thread me = Thread.currentThread();
        requireNotAttached(me);
        if (c.owner != null) {
            throw new IllegalStateException("cpu" + id + " is attached to thread " + c.owner.getName());
        }
        c.owner = me;
        return c;
    }

    /**
     * The CPU the calling thread is attached to.
     *
     * @throws LockMisuseException ({@code NOT_THIS_CPU}) if the thread is not a CPU of this machine
     */
    public Cpu current() {
        Thread me = Thread.currentThread();
        for (Cpu c : cpus) {
            if (c.owner == me) {
                return c;
            }
        }
        throw new LockMisuseException(LockMisuseException.Kind.NOT_THIS_CPU,
                "thread " + me.getName() + " is not attached to a CPU of this machine");
    }

    /** Whether the calling thread is attached to a CPU of this machine. */
    public boolean isAttached() {
        Thread me = Thread.currentThread();
        for (Cpu c : cpus) {
            if (c.owner == me) {
                return true;
            }
        }
        return false;
    }

    synchronized void detach(Cpu c) {
        c.owner = null;
    }

    private void requireNotAttached(Thread me) {
        for (Cpu c : cpus) {
            if (c.owner == me) {
                throw new IllegalStateException("thread " + me.getName() + " already runs as cpu" + c.id());
            }
        }
    }

    /** The CPU table, for tail decoding and ABBA scans. */
    Cpu[] cpus() {
        return cpus;
    }

    int nextLockId() {
        return lockIds.getAndIncrement() + 1;
    }

    @Override
    public String toString() {
        return "Machine[" + cpus.length + " CPUs, " + clock + ", T=" + timeoutNanos + " ns"
                + (virtTasFallback ? ", TAS fallback" : "") + (tasOnly ? ", TAS only" : "")
                + (nrHeld != HeldLocks.NR_HELD ? ", " + nrHeld + " held-lock slots" : "")
                + (maxNodes != LockWord.MAX_NODES ? ", " + maxNodes + " MCS nodes" : "")
                + (gate != null ? ", step gate " + gate : "") + (misuseRecord ? "" : ", no misuse record") + "]";
    }

    /** Settings of a {@link Machine}; every setter checks its argument and throws {@link IllegalArgumentException}. */
    public static final class Builder {
        private final int nrCpus;
        private Clock clock = Clock.system();
        private long timeoutNanos = DEFAULT_TIMEOUT_NANOS;
        private long deadlockCheckIntervalNanos = DEFAULT_DEADLOCK_CHECK_INTERVAL_NANOS;
        private int checkPeriod = DEFAULT_CHECK_PERIOD;
        private SpinHint spinHint = SpinHint.ON_SPIN_WAIT;
        private boolean virtTasFallback;
        private boolean tasOnly;
        private int nrHeld = HeldLocks.NR_HELD;
        private int maxNodes = LockWord.MAX_NODES;
        private boolean x86SetPending;
        private boolean abbaScanStepwise;
        private StepGate gate;
        private boolean misuseRecord = true;

        private Builder(int nrCpus) {
            if (nrCpus < 1 || nrCpus > LockWord.MAX_CPUS) {
                throw new IllegalArgumentException(
                        "nrCpus must be in 1.." + LockWord.MAX_CPUS + " (the tail's CPU field), got " + nrCpus);
            }
            this.nrCpus = nrCpus;
        }

        /** The time source (default {@link Clock#system()}). */
        public Builder clock(Clock clock) {
            if (clock == null) {
                throw new IllegalArgumentException("clock must not be null");
            }
            this.clock = clock;
            return this;
        }

        /** T, the timeout of one critical section (default 250 ms). */
        public Builder timeoutNanos(long nanos) {
            if (nanos <= 0 || nanos > Long.MAX_VALUE / 8) {
                throw new IllegalArgumentException("timeout must be in 1.." + Long.MAX_VALUE / 8 + " ns, got " + nanos);
            }
            this.timeoutNanos = nanos;
            return this;
        }

        /** Minimum time between two deadlock checks of a waiting period (default 1 ms). */
        public Builder deadlockCheckIntervalNanos(long nanos) {
            if (nanos < 0) {
                throw new IllegalArgumentException("deadlock check interval must be >= 0, got " + nanos);
            }
            this.deadlockCheckIntervalNanos = nanos;
            return this;
        }

        /**
         * Run {@code check_timeout} on every {@code period}-th loop iteration
         * (default 65,536 as in the kernel; 1 checks on every iteration, as the
         * arm64 variant of 6.15 did).
         */
        public Builder checkPeriod(int period) {
            if (period < 1 || period > (1 << 16) || Integer.bitCount(period) != 1) {
                throw new IllegalArgumentException("check period must be a power of two in 1..65536, got " + period);
            }
            this.checkPeriod = period;
            return this;
        }

        /** What waiting loops do between reads (default {@link SpinHint#ON_SPIN_WAIT}). */
        public Builder spinHint(SpinHint hint) {
            if (hint == null) {
                throw new IllegalArgumentException("spin hint must not be null");
            }
            this.spinHint = hint;
            return this;
        }

        /**
         * Replace the queued slow path by the test-and-set loop, as an x86
         * guest does when {@code virt_spin_lock_key} is on (default off).
         */
        public Builder virtTasFallback(boolean on) {
            this.virtTasFallback = on;
            return this;
        }

        /**
         * An architecture without queued spinlocks ({@code CONFIG_QUEUED_SPINLOCKS=n}):
         * {@code res_spin_lock} is {@code resilient_tas_spin_lock} alone (default off).
         * Only {@link RqSpinLock} is affected.
         */
        public Builder queuedSpinlocks(boolean on) {
            this.tasOnly = !on;
            return this;
        }

        /**
         * RES_NR_HELD, the slots of each CPU's held-lock table (default 31, the
         * kernel's); a smaller table reaches the overflow behaviour with fewer locks.
         */
        public Builder heldLockSlots(int n) {
            if (n < 1 || n > HeldLocks.NR_HELD) {
                throw new IllegalArgumentException("held-lock slots must be in 1.." + HeldLocks.NR_HELD + ", got " + n);
            }
            this.nrHeld = n;
            return this;
        }

        /**
         * _Q_MAX_NODES, the MCS nodes a CPU may use (default 4, the kernel's);
         * with fewer, nesting reaches the no-node fallback sooner.
         */
        public Builder mcsNodes(int n) {
            if (n < 1 || n > LockWord.MAX_NODES) {
                throw new IllegalArgumentException("MCS nodes must be in 1.." + LockWord.MAX_NODES + ", got " + n);
            }
            this.maxNodes = n;
            return this;
        }

        /**
         * Set the pending bit as x86 does (default off: the generic fetch-or):
         * {@code lock btsl} of the pending bit, then a separate read of the rest
         * of the word, two steps ({@code queued_fetch_set_pending_acquire},
         * {@code queued_fetch_set_pending_read}) between which other CPUs move.
         */
        public Builder x86SetPending(boolean on) {
            this.x86SetPending = on;
            return this;
        }

        /**
         * Announce every read of {@code check_deadlock_ABBA} as a step of its
         * own ({@code abba_read_cnt}, {@code abba_is_lock_released},
         * {@code abba_read_top}, {@code abba_read_entry}) instead of one
         * {@code check_deadlock} step (default off). Only a step gate sees a
         * difference: the reads are the same.
         */
        public Builder abbaScanStepwise(boolean on) {
            this.abbaScanStepwise = on;
            return this;
        }

        /**
         * The {@link StepGate} that sees every step of the locks on the machine
         * (default none: null). For checkers and schedulers, see {@link Step}.
         */
        public Builder stepGate(StepGate gate) {
            this.gate = gate;
            return this;
        }

        /**
         * Keep, per CPU, the record of which context holds which lock (default on). With it,
         * {@link RqSpinLock#unlock} rejects an unlock of a lock the current context does not hold or did not take
         * last ({@code NOT_HELD}, {@code OUT_OF_ORDER}), {@link Cpu#runNested} a body that returns holding a lock
         * ({@code HELD_AT_CONTEXT_EXIT}) and {@link Cpu#detach} a CPU that holds one ({@code BUSY}), each before
         * anything changes. The kernel has no such record: the BPF verifier rejects these programs before they run
         * (0de2046137f9: the lock and unlock must pair up, in order, in one program). Off, the callers are trusted
         * in the same way and the fast path does none of that bookkeeping; a program that breaks the rules then
         * corrupts the lock as it would in the kernel. The checks that the calling thread runs the CPU and that
         * the CPU belongs to the lock's machine ({@code NOT_THIS_CPU}, {@code FOREIGN_CPU}) stay in both modes:
         * they protect this model's per-CPU data, which the kernel's per-CPU accessors protect by construction.
         */
        public Builder misuseRecord(boolean on) {
            this.misuseRecord = on;
            return this;
        }

        /** The machine. */
        public Machine build() {
            return new Machine(this);
        }
    }
}
