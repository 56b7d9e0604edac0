package rqspin.lock;

import static rqspin.lock.LockWord.LOCKED_MASK;
import static rqspin.lock.LockWord.LOCKED_PENDING_MASK;
import static rqspin.lock.LockWord.LOCKED_VAL;
import static rqspin.lock.LockWord.MAX_NODES;
import static rqspin.lock.LockWord.PENDING_MASK;
import static rqspin.lock.LockWord.PENDING_VAL;
import static rqspin.lock.LockWord.TAIL_MASK;

/**
 * The resilient queued spin lock ({@code rqspinlock_t}, kernel/bpf/rqspinlock.c):
 * a qspinlock whose lock attempt fails with {@code -EDEADLK} or
 * {@code -ETIMEDOUT} (here: a {@link LockFailedException}) instead of hanging.
 * The algorithm version ({@link Version}: V6_15, V6_17, V6_19, V7_0, V7_2)
 * is fixed at construction; every difference is a feature of
 * {@link Version} (the spec's names), marked below with the version it
 * starts from ({@code [V6_19]}: V6_19 and later) or ends at
 * ({@code [..V6_17]}: V6_17 and earlier).
 *
 * <pre>{@code
 * Machine m = Machine.of(2);
 * RqSpinLock lock = new RqSpinLock(m, Version.V6_19);
 * Cpu cpu = m.attach();              // this thread now runs as cpu0
 * try {
 *     lock.lock(cpu);                // res_spin_lock
 *     try { ... } finally { lock.unlock(cpu); }   // res_spin_unlock
 * } catch (LockFailedException e) {  // -EDEADLK or -ETIMEDOUT: the lock is not held
 *     ...
 * }
 * }</pre>
 *
 * <h2>State</h2>
 * <ul>
 * <li>The lock word, one {@code AtomicInteger} laid out as in {@link LockWord}:
 *     (tail, pending, locked), with the operations of qspinlock.h on it,
 *     inherited from {@link QueuedLockWord} (shared with {@link QSpinLock},
 *     as the kernel shares the header).</li>
 * <li>Per CPU ({@link Cpu}): four MCS nodes {@code rqnodes[]}, node 0's
 *     {@code count} being the slow-path nesting depth, and the held-lock
 *     table {@code rqspinlock_held_locks} ({@link HeldLocks}, 31 slots).</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li>Mutual exclusion: at most one CPU context has returned normally from
 *     {@link #lock} without having called {@link #unlock} since.</li>
 * <li>At most one pending waiter: only a CPU that sets the pending bit from 0
 *     while no tail is set waits as the pending waiter; a failing pending
 *     waiter clears the bit, pops its table entry and never touches the
 *     locked byte or the tail.</li>
 * <li>Only the queue head and the pending waiter measure time; non-head
 *     waiters wait on their node without a clock.</li>
 * <li>Queue departure is FIFO: a leaving waiter either resets the tail (it is
 *     the last) or waits for its successor to link and writes
 *     RES_TIMEOUT_VAL (2) into the successor's node; no predecessor's
 *     {@code next} is rewritten. A waiter keeps its node index until it has
 *     finished signalling.</li>
 * <li>A failed attempt leaves the lock word valid and the CPU's table and
 *     node count as before the attempt (except the V6_19 TAS fallback, which
 *     leaks an entry exactly as the kernel version it models did; fixed in
 *     V7_0).</li>
 * <li>The table is LIFO: unlock pops the top entry, so unlocks must be in
 *     reverse order of locks; {@link #unlock} rejects anything else with a
 *     {@link LockMisuseException} before changing state.</li>
 * </ul>
 *
 * <h2>Protocol (kernel function: Java method)</h2>
 * <ul>
 * <li>{@code res_spin_lock}: {@link #lock}: [V6_19] push the table entry,
 *     CAS 0 to (0,0,1); [..V6_17] push only after the CAS succeeded; else
 *     {@link #slowPath}.</li>
 * <li>{@code resilient_queued_spin_lock_slowpath}: {@link #slowPath}: wait
 *     briefly for a pending-to-locked handover; if the word shows no pending
 *     bit and no tail, set pending and wait for the owner as the pending
 *     waiter (timeout T); otherwise {@link #queue}: take the next MCS node,
 *     publish it as the tail, wait to become head, then wait for owner and
 *     pending waiter (timeout 2T) and claim the lock.</li>
 * <li>{@code check_timeout} / {@code RES_CHECK_TIMEOUT}: {@link #checkTimeout}
 *     (every {@code checkPeriod}-th iteration, 65,536 in the kernel).</li>
 * <li>{@code check_deadlock_AA} / {@code check_deadlock_ABBA} /
 *     {@code check_deadlock}: {@link #checkDeadlockAA},
 *     {@link #checkDeadlockABBA}, {@link #checkDeadlock}.</li>
 * <li>{@code grab_held_lock_entry} / {@code release_held_lock_entry}:
 *     {@link HeldLocks#grab} / {@link HeldLocks#release}.</li>
 * <li>{@code queued_spin_trylock}, {@code queued_fetch_set_pending_acquire},
 *     {@code clear_pending}, {@code clear_pending_set_locked},
 *     {@code set_locked}, {@code xchg_tail}: methods of the same names in
 *     Java style, inherited from {@link QueuedLockWord};
 *     {@code try_cmpxchg_tail} (rqspinlock.c): {@link #tryCmpxchgTail}.</li>
 * <li>{@code resilient_tas_spin_lock}: {@link #tasSpinLock}.</li>
 * <li>{@code res_spin_unlock}: {@link #unlock}.</li>
 * <li>{@code trace_contention_begin} / {@code trace_contention_end}: the
 *     {@link ContentionHook} of the CPU.</li>
 * </ul>
 *
 * <h2>Steps: the spec's actions</h2>
 * Every access of this class to shared state is a {@link Step}, named after
 * the action of the TLA+ spec (spec/rqspinlock/RqSpinLock.tla) that models
 * it: the enum is the table of which spec action is which kernel step. The
 * code announces each step to the machine's {@link StepGate} (if one is
 * installed) with the spec's granularity:
 * <ul>
 * <li>{@code before} each step's accesses and {@code took} after them; a
 *     step that the kernel skips but the spec keeps as a step that changes
 *     nothing but its program counter ({@code pending_wait_owner} when the
 *     fetch_or saw the owner gone, {@code claim_cmpxchg} when the tail read
 *     is not this CPU's) is announced without an access;</li>
 * <li>updates of per-CPU data the spec merges into one step (its
 *     abstraction A2) are in that step: {@code grab_mcs_node} includes
 *     {@code count++}, the no-node check, the node's init and ([V6_15]) the
 *     table entry; {@code count--} is merged into the step that leaves the
 *     queue where the spec's {@code MergeCountDec} holds ([V6_15] with a
 *     node for each context) and is {@code release_node} otherwise; the
 *     pop of {@link #unlock} is one step (in [V6_15] the slot is cleared by
 *     {@code res_spin_unlock_pop} and the count goes down with the release,
 *     in the kernel's order);</li>
 * <li>waits: each iteration is one gate; the iteration that finds the
 *     condition true takes the step that ends the wait; one that finds it
 *     false is {@code waiting} (no step), unless its {@code check_timeout}
 *     call decided something: {@code check_timeout_arm} ([V6_19] the first
 *     call's AA check failed), {@code check_deadlock} (a check failed, or
 *     the first clean check of the wait: later clean ones change nothing the
 *     spec sees), {@code check_timeout_expired}.</li>
 * </ul>
 *
 * <p>On a machine without a step gate the same code runs: each announcement
 * is a test of the null gate and nothing more (one code for both, so that
 * what Java PathFinder and the conformance runs check is what runs).
 *
 * <h2>Memory accesses</h2>
 * Every shared access goes through {@code AtomicInteger} get, lazySet (a
 * release store), compareAndSet and getAndAdd, or through volatile fields
 * (the MCS nodes): all inside what Java PathFinder models. The kernel's byte
 * and halfword stores to the locked byte, the pending byte and the tail
 * become atomic adds or CAS loops on the whole word with the same effect
 * (each is applied only when the bits it changes are known, e.g. the
 * unlocking owner knows the locked byte is 1).
 */
public final class RqSpinLock extends QueuedLockWord {
    /** _Q_PENDING_LOOPS of the generic code: one extra read while a pending-to-locked handover is in progress. */
    private static final int PENDING_LOOPS = 1;
    /** The contexts of the spec (task, IRQ, NMI): with a node for each, the spec merges count-- (MergeCountDec). */
    private static final int SPEC_CONTEXTS = 3;

    private final Machine machine;
    private final Version version;
    /** The features of the version ({@link Version}), read once. */
    private final boolean earlyEntry;
    private final boolean aaEarly;
    private final boolean nmiFallbackAlways;
    private final boolean nmiFallbackNested;
    private final boolean fallbackSpins;
    private final boolean headHandsOver;
    private final boolean tasPushesEntry;
    private final boolean deadlockResetsTail;
    /** Non-zero id stored in held-lock tables (the kernel stores the lock's address). */
    final int id;
    private final String name;
    private final Mutation mutation;
    /** T, 2T and 4T in ns. */
    private final long timeout;
    /** _Q_MAX_NODES of the machine. */
    private final int maxNodes;
    /** The machine's step gate, or null. */
    private final StepGate gate;
    /** Whether count-- is part of the step that leaves the queue path (the spec's MergeCountDec), not release_node. */
    private final boolean mergeCountDec;
    /** The machine keeps the per-context record of held locks ({@link Machine.Builder#misuseRecord}). */
    private final boolean misuseRecord;

    /**
     * A free lock on {@code machine}'s CPUs.
     *
     * @throws IllegalArgumentException if an argument is null
     */
    public RqSpinLock(Machine machine, Version version) {
        this(machine, version, null, Mutation.NONE);
    }

    /**
     * A free lock with a name for messages (e.g. "A").
     *
     * @throws IllegalArgumentException if machine or version is null
     */
    public RqSpinLock(Machine machine, Version version, String name) {
        this(machine, version, name, Mutation.NONE);
    }

    /** A lock with a seeded bug: for tests in this package only. */
    RqSpinLock(Machine machine, Version version, String name, Mutation mutation) {
        if (machine == null || version == null || mutation == null) {
            throw new IllegalArgumentException("machine, version and mutation must not be null");
        }
        this.machine = machine;
        this.version = version;
        this.earlyEntry = version.earlyEntry();
        this.aaEarly = version.aaEarly();
        this.nmiFallbackAlways = version.nmiFallbackAlways();
        this.nmiFallbackNested = version.nmiFallbackNested();
        this.fallbackSpins = version.fallbackSpins();
        this.headHandsOver = version.headHandsOver();
        this.tasPushesEntry = version.tasPushesEntry();
        this.deadlockResetsTail = version.deadlockResetsTail();
        this.id = machine.nextLockId();
        this.name = name != null ? name : "lock#" + id;
        this.mutation = mutation;
        this.timeout = machine.timeoutNanos;
        this.maxNodes = machine.maxNodes;
        this.gate = machine.gate;
        this.mergeCountDec = !nmiFallbackNested && maxNodes >= SPEC_CONTEXTS;
        this.misuseRecord = machine.misuseRecord;
        if (machine.abbaScanStepwise && !earlyEntry) {
            // The spec allows the stepwise scan only where the unlock pops in one step (V6_19 on): before, the
            // slot store and the cnt-- of res_spin_unlock are two steps the spec merges (its A2).
            throw new IllegalArgumentException("a stepwise ABBA scan needs V6_19 or later, not " + version);
        }
    }

    /** The algorithm version. */
    public Version version() {
        return version;
    }

    /** The machine whose CPUs may use this lock. */
    public Machine machine() {
        return machine;
    }

    /** The id recorded in held-lock tables. */
    public int id() {
        return id;
    }

    /** The name given at construction (or {@code lock#id}). */
    public String name() {
        return name;
    }

    /** A snapshot of the lock word; see {@link LockWord#describe}. */
    public int lockWord() {
        return word.get();
    }

    /** Whether the locked byte is set now. */
    public boolean isLocked() {
        return (word.get() & LOCKED_MASK) != 0;
    }

    @Override
    public String toString() {
        return name;
    }

    // ------------------------------------------------------------------
    // The step gate

    private void before(Cpu cpu) {
        if (gate != null) {
            gate.before(cpu);
        }
    }

    private void took(Cpu cpu, Step step) {
        if (gate != null) {
            gate.took(cpu, step, this);
        }
    }

    /** One iteration of a wait without a clock found its condition false. */
    private void waiting(Cpu cpu, Step until) {
        if (gate != null) {
            gate.waiting(cpu, until, this, false, false);
        }
    }

    /** The step just taken decided that the attempt fails for {@code r}. */
    private void failing(Cpu cpu, FailureReason r) {
        if (gate != null) {
            gate.failing(cpu, this, r);
        }
    }

    /**
     * Ends one iteration of a timed wait whose condition was false: announces
     * what its check_timeout call decided ({@code ts.step}), or that it waits
     * on. Returns whether the wait goes on ({@code ret} is null).
     */
    private boolean timedWaitGoesOn(Cpu cpu, TimeoutState ts, FailureReason ret, Step until) {
        if (ts.announced) { // a stepwise ABBA scan announced its steps (and its verdict) itself
            ts.announced = false;
            return ret == null;
        }
        if (gate != null) {
            if (ts.step != null) {
                gate.took(cpu, ts.step, this);
                if (ret != null) {
                    gate.failing(cpu, this, ret);
                }
            } else {
                gate.waiting(cpu, until, this, true, ts.checked);
            }
        }
        return ret == null;
    }

    // ------------------------------------------------------------------
    // res_spin_lock / res_spin_unlock

    /**
     * {@code res_spin_lock}: acquires the lock for the current context of
     * {@code cpu}, or fails.
     *
     * @throws DeadlockException ({@code -EDEADLK}) on an AA or ABBA deadlock, when no MCS node is left, or
     *         (..V6_17) when the queue ahead was cancelled; the lock is not held
     * @throws LockTimeoutException ({@code -ETIMEDOUT}) when a deadline passed, or (V6_19..) when the queue ahead was
     *         cancelled; the lock is not held
     * @throws LockMisuseException if the calling thread does not run {@code cpu} or the CPU is of another machine;
     *         nothing changed
     */
    public void lock(Cpu cpu) throws LockFailedException {
        checkCpu(cpu);
        FailureReason r = machine.tasOnly ? tasSpinLock(cpu, true) : resSpinLock(cpu);
        if (gate != null) {
            gate.returned(cpu, this, r == null ? 0 : r.errno(version).kernelReturn());
        }
        if (r != null) {
            throw failure(cpu, r);
        }
        if (misuseRecord) {
            cpu.pushOwned(this);
        }
    }

    /** {@code res_spin_lock} with queued spinlocks: null on success, else the reason of the failure. */
    private FailureReason resSpinLock(Cpu cpu) {
        HeldLocks held = cpu.held;
        if (earlyEntry) {
            before(cpu);
            held.grab(id);
            took(cpu, Step.grab_held_lock_entry);
        }
        before(cpu);
        int val = fastpathCmpxchg();
        took(cpu, Step.fastpath_cmpxchg);
        if (val == 0) {
            if (!earlyEntry) {
                before(cpu);
                held.grab(id);
                took(cpu, Step.grab_held_lock_entry);
            }
            return null;
        }
        return slowPath(cpu, val);
    }

    /**
     * {@code atomic_try_cmpxchg_acquire(&lock->val, &val, _Q_LOCKED_VAL)}
     * from val = 0: returns 0 when it succeeded, else the value that made it
     * fail, as the kernel's cmpxchg returns it. A failed compareAndSet
     * returns no value, so the word is read after it; if that read sees 0
     * (the owner left in between), the cmpxchg is tried again, so that the
     * value returned is always one a failed cmpxchg could have seen.
     */
    private int fastpathCmpxchg() {
        for (;;) {
            if (word.compareAndSet(0, LOCKED_VAL)) {
                return 0;
            }
            int val = word.get();
            if (val != 0) {
                return val;
            }
        }
    }

    /**
     * {@code res_spin_unlock}: releases the lock held by the current context
     * of {@code cpu} and pops the top entry of its held-lock table ([..V6_17]
     * clear the slot, release, count--; [V6_19] release, then pop).
     *
     * @throws LockMisuseException if the current context does not hold this lock ({@code NOT_HELD}), holds it but
     *         took another lock after it ({@code OUT_OF_ORDER}) (these two only on a machine that keeps the misuse
     *         record, {@link Machine.Builder#misuseRecord}; without it the caller is trusted, as the kernel trusts
     *         a verified program), the thread does not run {@code cpu} ({@code NOT_THIS_CPU}) or the CPU is of
     *         another machine ({@code FOREIGN_CPU}); nothing changed
     */
    public void unlock(Cpu cpu) {
        checkCpu(cpu);
        if (misuseRecord) {
            if (!cpu.ownsTop(this)) {
                throw cpu.unlockMisuse(this);
            }
            cpu.popOwned();
        }
        releaseWordAndEntry(cpu);
    }

    private void releaseWordAndEntry(Cpu cpu) {
        HeldLocks held = cpu.held;
        if (earlyEntry) {
            before(cpu);
            word.getAndAdd(-LOCKED_VAL);
            took(cpu, Step.res_spin_unlock_release);
            before(cpu);
            held.release();
            took(cpu, Step.res_spin_unlock_pop);
        } else {
            // [..V6_17] WRITE_ONCE(locks[cnt - 1], NULL); smp_store_release(&lock->locked, 0); this_cpu_dec(cnt).
            // The spec's pop is the slot store (a remote scan skips a CPU whose top slot is NULL, and an entry
            // pushed above it sees the NULL as no lock); the count goes down with the release.
            before(cpu);
            held.clearTop();
            took(cpu, Step.res_spin_unlock_pop);
            before(cpu);
            word.getAndAdd(-LOCKED_VAL);
            held.decrement();
            took(cpu, Step.res_spin_unlock_release);
        }
    }

    private void checkCpu(Cpu cpu) {
        if (cpu == null) {
            throw new LockMisuseException(LockMisuseException.Kind.NOT_THIS_CPU, "cpu must not be null");
        }
        cpu.checkOwner();
        if (cpu.machine() != machine) {
            throw new LockMisuseException(LockMisuseException.Kind.FOREIGN_CPU,
                    cpu + " belongs to another machine than " + name);
        }
    }

    private LockFailedException failure(Cpu cpu, FailureReason r) {
        if (r.errno(version) == Errno.EDEADLK) {
            return new DeadlockException(this, r, cpu.id(), cpu.currentContext());
        }
        return new LockTimeoutException(this, r, cpu.id(), cpu.currentContext());
    }

    // ------------------------------------------------------------------
    // resilient_queued_spin_lock_slowpath

    /**
     * {@code resilient_queued_spin_lock_slowpath}: the pending path, or the
     * queue. Returns null on success (the table entry stays pushed), or the
     * reason of the failure (the entry is popped).
     */
    private FailureReason slowPath(Cpu cpu, int val) {
        if (machine.virtTasFallback) {
            return tasSpinLock(cpu, tasPushesEntry); // resilient_virt_spin_lock
        }
        TimeoutState ts = new TimeoutState(); // RES_INIT_TIMEOUT: spin = 0
        FailureReason ret = null;

        // (0,1,0) -> (0,0,1): wait a bounded time for an in-progress pending-to-locked handover.
        if (val == PENDING_VAL) {
            before(cpu);
            int cnt = PENDING_LOOPS;
            for (;;) {
                val = word.get();
                if (val != PENDING_VAL || cnt-- == 0) {
                    break;
                }
                relax();
            }
            took(cpu, Step.pending_reread);
        }
        // Any contention (pending or tail): queue.
        if ((val & ~LOCKED_MASK) != 0) {
            return queue(cpu, ts);
        }
        // (0,0,*) -> (0,1,*): become the pending waiter.
        before(cpu);
        val = queuedFetchSetPending(cpu, gate, machine.x86SetPending);
        if ((val & ~LOCKED_MASK) != 0) {
            if ((val & PENDING_MASK) == 0) {
                before(cpu);
                clearPending(); // undo, only if we set it
                took(cpu, Step.clear_pending);
            }
            return queue(cpu, ts);
        }
        if (!earlyEntry) {
            before(cpu);
            cpu.held.grab(id); // [..V6_17] the entry is pushed only now
            took(cpu, Step.grab_held_lock_entry);
        }
        // (0,1,1) -> (*,1,0): wait for the owner, with timeout T.
        if ((val & LOCKED_MASK) != 0) {
            ts.reset(timeout);
            for (;;) {
                before(cpu);
                if ((word.get() & LOCKED_MASK) == 0) {
                    took(cpu, Step.pending_wait_owner);
                    break;
                }
                ret = checkTimeoutAmortised(cpu, ts, ret, LOCKED_MASK);
                if (!timedWaitGoesOn(cpu, ts, ret, Step.pending_wait_owner)) {
                    break;
                }
                relax();
            }
        } else {
            // The fetch_or saw the owner gone: the kernel skips the wait, the spec's step reads nothing new.
            before(cpu);
            took(cpu, Step.pending_wait_owner);
        }
        if (ret != null) {
            // (*,1,*) -> (*,0,*): the failing pending waiter clears its bit and pops its entry.
            before(cpu);
            if (mutation != Mutation.KEEP_PENDING_ON_FAILURE) {
                clearPending();
            }
            took(cpu, Step.clear_pending);
            before(cpu);
            cpu.held.release();
            took(cpu, Step.release_held_lock_entry);
            return ret;
        }
        // (0,1,0) -> (0,0,1)
        before(cpu);
        clearPendingSetLocked();
        took(cpu, Step.clear_pending_set_locked);
        return null;
    }

    /** The MCS queue part of the slow path (label {@code queue:} in the kernel). */
    private FailureReason queue(Cpu cpu, TimeoutState ts) {
        FailureReason ret = null;
        McsNode node0 = cpu.rqNodes[0];
        before(cpu);
        if (aaEarly) {
            // [V6_19] 087849cca31d: do not queue behind ourselves (e.g. an NMI that interrupted a waiter).
            if (checkDeadlockAA(cpu)) {
                took(cpu, Step.check_deadlock_AA_queue);
                failing(cpu, FailureReason.AA);
                before(cpu);
                cpu.held.release();
                took(cpu, Step.release_held_lock_entry);
                return FailureReason.AA;
            }
        } else {
            cpu.held.grab(id);
        }
        int idx = node0.count++;
        int tail = LockWord.encodeTail(cpu.id(), idx);
        // No node: nesting too deep, or [V6_17] an NMI (0d80e7f951be), or [V6_19] an NMI that interrupted a
        // slow path on this CPU (81d5a6a43859).
        boolean noNode = idx >= maxNodes || (nmiFallbackAlways && cpu.inNmi())
                || (nmiFallbackNested && idx > 0 && cpu.inNmi());
        McsNode node = null;
        if (!noNode) {
            // The kernel inits the node after trace_contention_begin: only this CPU uses node idx until
            // xchg_tail publishes it, so the init belongs to this step (and is done when a hook runs).
            node = cpu.rqNodes[idx];
            node.locked = 0;
            node.next = null;
        }
        took(cpu, Step.grab_mcs_node);

        contentionBegin(cpu, node0);

        if (noNode) {
            if (!fallbackSpins) { // [V6_19] 30dc2f7025fe: one trylock
                before(cpu);
                if (trylock()) {
                    return release(cpu, node0, Step.queued_spin_trylock);
                }
                return errReleaseNode(cpu, node0, Step.queued_spin_trylock, FailureReason.NO_NODE, true);
            }
            ts.reset(timeout);
            for (;;) {
                before(cpu);
                if (trylock()) {
                    return release(cpu, node0, Step.queued_spin_trylock);
                }
                ret = checkTimeoutAmortised(cpu, ts, ret, ~0);
                if (!timedWaitGoesOn(cpu, ts, ret, Step.queued_spin_trylock)) {
                    return errReleaseNode(cpu, node0, null, ret, false);
                }
                relax();
            }
        }

        // The node was a cold cache line: one more trylock.
        before(cpu);
        if (trylock()) {
            return release(cpu, node0, Step.queued_spin_trylock);
        }
        took(cpu, Step.queued_spin_trylock);
        // p,*,* -> n,*,*: publish our tail.
        before(cpu);
        int old = xchgTail(tail);
        took(cpu, Step.xchg_tail);
        McsNode next = null;
        boolean cancelled = false;
        if ((old & TAIL_MASK) != 0) {
            McsNode prev = decodeTail(old);
            before(cpu);
            prev.next = node; // link behind the previous tail
            took(cpu, Step.link_prev);
            int s;
            for (;;) { // arch_mcs_spin_lock_contended: no clock here
                before(cpu);
                s = node.locked;
                if (s != 0) {
                    if (s != McsNode.ABORTED) {
                        next = node.next; // the kernel's optimistic READ_ONCE(node->next)
                    }
                    took(cpu, Step.arch_mcs_spin_lock_contended);
                    if (s == McsNode.ABORTED) {
                        failing(cpu, FailureReason.QUEUE_ABORTED);
                    }
                    break;
                }
                waiting(cpu, Step.arch_mcs_spin_lock_contended);
                relax();
            }
            if (s == McsNode.ABORTED) {
                ret = FailureReason.QUEUE_ABORTED;
                cancelled = true;
            }
        }

        int val = 0;
        if (!cancelled) {
            // Head: *,x,y -> *,0,0, waiting for owner and pending waiter with timeout 2T.
            ts.reset(2 * timeout);
            int waitMask = mutation == Mutation.HEAD_IGNORES_PENDING ? LOCKED_MASK : LOCKED_PENDING_MASK;
            for (;;) {
                before(cpu);
                val = word.get();
                if ((val & waitMask) == 0) {
                    took(cpu, Step.head_wait_owner_pending);
                    break;
                }
                ret = checkTimeoutAmortised(cpu, ts, ret, LOCKED_PENDING_MASK);
                if (!timedWaitGoesOn(cpu, ts, ret, Step.head_wait_owner_pending)) {
                    break;
                }
                relax();
            }
            // [V6_19] 7bd6e5ce5be6: a head that detected a deadlock hands the head role to its successor.
            if (headHandsOver && ret != null && ret.errno(version) == Errno.EDEADLK
                    && mutation != Mutation.NO_HEAD_HANDOVER) {
                if (deadlockResetsTail) {
                    // [V7_2] 7a3c0289c3c8 (modeled after kkdwivedi/linux dac585f6c185): with no successor linked,
                    // try to reset the tail first; if we were the tail, leave signalling nobody. The kernel tests
                    // its local next (read after the MCS wait); here node->next is read again in this step (the
                    // spec's A10: a later link would only make the kernel's cmpxchg fail first).
                    before(cpu);
                    McsNode linked = node.next;
                    if (linked == null) {
                        if (tryCmpxchgTail(tail, 0)) {
                            return errReleaseNode(cpu, node0, Step.try_cmpxchg_tail, ret, false);
                        }
                        took(cpu, Step.try_cmpxchg_tail);
                        waitForNext(cpu, node, null, 1, Step.arch_mcs_spin_unlock_contended);
                    } else {
                        linked.locked = 1; // arch_mcs_spin_unlock_contended(&next->locked) at once
                    }
                    return errReleaseNode(cpu, node0, Step.arch_mcs_spin_unlock_contended, ret, false);
                }
                waitForNext(cpu, node, next, 1, Step.arch_mcs_spin_unlock_contended); // unbounded without a successor
                return errReleaseNode(cpu, node0, Step.arch_mcs_spin_unlock_contended, ret, false);
            }
        }

        // waitq_timeout: leave in FIFO order, cancelling the successor.
        if (ret != null) {
            before(cpu);
            if (tryCmpxchgTail(tail, 0)) {
                return errReleaseNode(cpu, node0, Step.try_cmpxchg_tail, ret, false);
            }
            took(cpu, Step.try_cmpxchg_tail);
            waitForNext(cpu, node, null, mutation == Mutation.NO_ABORT_CASCADE ? -1 : McsNode.ABORTED,
                    Step.abort_signal_next);
            return errReleaseNode(cpu, node0, Step.abort_signal_next, ret, false);
        }

        // Claim: n,0,0 -> 0,0,1 if we are the last; else *,*,0 -> *,*,1 and pass the head role on.
        before(cpu);
        if ((val & TAIL_MASK) == tail && word.compareAndSet(val, LOCKED_VAL)) {
            return release(cpu, node0, Step.claim_cmpxchg);
        }
        // (The kernel does not try the cmpxchg when the tail it read is not its own: the spec's step then fails.)
        took(cpu, Step.claim_cmpxchg);
        before(cpu);
        setLocked();
        took(cpu, Step.set_locked);
        waitForNext(cpu, node, next, 1, Step.arch_mcs_spin_unlock_contended); // arch_mcs_spin_unlock_contended
        return release(cpu, node0, Step.arch_mcs_spin_unlock_contended);
    }

    /**
     * Waits for the successor to link ({@code smp_cond_load_relaxed(&node->next, VAL)},
     * unless {@code next} was seen already) and writes {@code value} into its
     * {@code locked} (-1: the NO_ABORT_CASCADE mutant writes nothing): the
     * accesses of {@code step}, which the caller announces when it leaves.
     */
    private void waitForNext(Cpu cpu, McsNode node, McsNode next, int value, Step step) {
        for (;;) {
            before(cpu);
            if (next == null) {
                next = node.next;
            }
            if (next != null) {
                break;
            }
            waiting(cpu, step); // no clock: unbounded if nobody ever queues behind us (see README)
            relax();
        }
        if (value >= 0) {
            next.locked = value;
        }
    }

    /**
     * Label {@code release:} — the attempt succeeded; {@code step}, whose
     * accesses were just made, leaves the queue path: trace_contention_end(0),
     * give back the node.
     */
    private FailureReason release(Cpu cpu, McsNode node0, Step step) {
        Throwable hookFailure = leaveNode(cpu, node0, step, 0, null);
        if (hookFailure != null) {
            releaseWordAndEntry(cpu); // the hook failed: undo the acquisition
            throw sneaky(hookFailure);
        }
        return null;
    }

    /**
     * Labels {@code err_release_node:} and {@code err_release_entry:}: as
     * {@link #release}, then pop the table entry. {@code step} null: the step
     * that decided the failure was announced already, and count-- is a step
     * of its own; {@code decides}: {@code step} itself decides the failure.
     */
    private FailureReason errReleaseNode(Cpu cpu, McsNode node0, Step step, FailureReason r, boolean decides) {
        Throwable hookFailure = leaveNode(cpu, node0, step, r.errno(version).kernelReturn(), decides ? r : null);
        before(cpu);
        cpu.held.release();
        took(cpu, Step.release_held_lock_entry);
        if (hookFailure != null) {
            throw sneaky(hookFailure);
        }
        return r;
    }

    /**
     * Announces {@code step} (if not null; {@code decided}: it decided the
     * attempt's failure) and gives back the node
     * ({@code __this_cpu_dec(rqnodes[0].mcs.count)}): inside that step where
     * the spec merges it (then before trace_contention_end, whose hook sees
     * the node given back), else as the step {@code release_node} after the
     * hook. Returns what the hook threw, or null.
     */
    private Throwable leaveNode(Cpu cpu, McsNode node0, Step step, int ret, FailureReason decided) {
        if (step != null && mergeCountDec) {
            node0.count--;
            took(cpu, step);
            if (decided != null) {
                failing(cpu, decided);
            }
            return contentionEnd(cpu, ret);
        }
        if (step != null) {
            took(cpu, step);
            if (decided != null) {
                failing(cpu, decided);
            }
        }
        Throwable hookFailure = contentionEnd(cpu, ret);
        before(cpu);
        node0.count--;
        took(cpu, Step.release_node);
        return hookFailure;
    }

    private McsNode decodeTail(int tail) {
        return machine.cpus()[LockWord.tailCpu(tail)].rqNodes[LockWord.tailIdx(tail)];
    }

    // ------------------------------------------------------------------
    // resilient_tas_spin_lock

    /**
     * {@code resilient_tas_spin_lock}: {@code res_spin_lock} itself without
     * queued spinlocks, or the slow path when {@code virt_spin_lock_key} is
     * on: a test-and-set loop with timeout 4T (1 s at the default T).
     * {@code grab}: the entry is pushed here. Without queued spinlocks it is
     * always pushed first (by the function itself until V7_0, from V7_0 by
     * the {@code res_spin_lock} macro just before: the same step). In a
     * guest, V6_15 and V6_17 push only here (the attempt's only entry);
     * V6_19 pushes here too although {@link #lock} pushed one already, so one
     * of them is never popped; from V7_0 (82f3b142c99c) only the caller
     * pushes. On failure the function pops one entry in every version.
     */
    private FailureReason tasSpinLock(Cpu cpu, boolean grab) {
        TimeoutState ts = new TimeoutState();
        if (grab) {
            before(cpu);
            cpu.held.grab(id);
            took(cpu, Step.grab_held_lock_entry);
        }
        ts.reset(4 * timeout);
        FailureReason ret = null;
        for (;;) {
            before(cpu);
            int val = word.get();
            if (val == 0 && word.compareAndSet(0, LOCKED_VAL)) {
                took(cpu, Step.tas_cmpxchg);
                return null;
            }
            ret = checkTimeoutAmortised(cpu, ts, ret, ~0);
            if (!timedWaitGoesOn(cpu, ts, ret, Step.tas_cmpxchg)) {
                break;
            }
            relax();
        }
        before(cpu);
        cpu.held.release();
        took(cpu, Step.release_held_lock_entry);
        return ret;
    }

    // ------------------------------------------------------------------
    // Timeouts and deadlock checks

    /**
     * {@code RES_CHECK_TIMEOUT}: run {@code check_timeout} on every
     * checkPeriod-th call; the result is sticky. Sets {@code ts.step} to the
     * step the call took, or null.
     */
    private FailureReason checkTimeoutAmortised(Cpu cpu, TimeoutState ts, FailureReason ret, int mask) {
        ts.step = null;
        if (ts.spin == 0) {
            ret = checkTimeout(cpu, ts, mask);
        }
        ts.spin = (ts.spin + 1) & machine.checkMask;
        return ret;
    }

    /**
     * {@code check_timeout}: the first call of a waiting period arms the
     * deadline ([V6_19] after an AA check); later calls fail once the time
     * is past the deadline, and run the deadlock checks when more than the
     * check interval (1 ms) passed since the last ones ([V6_15] AA and ABBA,
     * [V6_19] ABBA). The step it took goes to {@code ts.step}: arming is
     * none unless its AA check fails; a clean deadlock check is one only the
     * first time in the wait.
     */
    private FailureReason checkTimeout(Cpu cpu, TimeoutState ts, int mask) {
        long prev = ts.cur;
        if (ts.end == 0) {
            if (aaEarly && checkDeadlockAA(cpu)) {
                ts.step = Step.check_timeout_arm;
                return FailureReason.AA;
            }
            long now = machine.clock.nanoTime(cpu);
            ts.cur = now;
            ts.end = now + ts.duration;
            return null;
        }
        long time = machine.clock.nanoTime(cpu);
        if (time > ts.end && mutation != Mutation.NO_TIMEOUT) {
            ts.step = Step.check_timeout_expired;
            return FailureReason.TIMEOUT;
        }
        if (prev + machine.deadlockCheckIntervalNanos < time) {
            ts.cur = time;
            if (machine.abbaScanStepwise && gate != null) {
                if (!aaEarly && checkDeadlockAA(cpu)) { // [..V6_17] check_deadlock's AA comes first
                    ts.step = Step.check_deadlock;
                    return FailureReason.AA;
                }
                FailureReason r = checkDeadlockABBAStepwise(cpu, mask); // announces its own steps
                ts.announced = true;
                if (r == null) {
                    ts.checked = true;
                }
                return r;
            }
            FailureReason r = aaEarly ? checkDeadlockABBA(cpu, mask) : checkDeadlock(cpu, mask);
            if (r != null || !ts.checked) {
                ts.step = Step.check_deadlock;
            }
            if (r == null) {
                ts.checked = true;
            }
            return r;
        }
        return null;
    }

    /**
     * {@code check_deadlock_ABBA} with a step gate that sees each read
     * (the machine's {@code abbaScanStepwise}, the spec's {@code AbbaScan =
     * "stepwise"}): the wait iteration's step is {@code check_deadlock}, the
     * start of the scan; then, per CPU in order, {@code abba_read_cnt},
     * {@code abba_is_lock_released}, {@code abba_read_top} and one
     * {@code abba_read_entry} per entry read. The step that decides -EDEADLK
     * is announced as failing. The reads and the verdict are those of
     * {@link #checkDeadlockABBA}.
     */
    private FailureReason checkDeadlockABBAStepwise(Cpu cpu, int mask) {
        took(cpu, Step.check_deadlock);
        if (mutation == Mutation.NO_ABBA_CHECK) {
            return null;
        }
        HeldLocks mine = cpu.held;
        for (Cpu other : machine.cpus()) {
            HeldLocks theirs = other.held;
            before(cpu);
            int realCnt = theirs.count();
            took(cpu, Step.abba_read_cnt);
            int cnt = Math.min(theirs.nrHeld, realCnt);
            before(cpu);
            boolean released = (word.get() & mask) == 0; // is_lock_released
            took(cpu, Step.abba_is_lock_released);
            if (released) {
                return null;
            }
            if (other == cpu || realCnt < 2 || realCnt > theirs.nrHeld) {
                continue;
            }
            before(cpu);
            int remoteLock = theirs.lockAt(cnt - 1);
            took(cpu, Step.abba_read_top);
            if (remoteLock == 0) {
                continue;
            }
            for (int i = 0; i < cnt - 1; i++) {
                before(cpu);
                if (theirs.lockAt(i) != id) {
                    took(cpu, Step.abba_read_entry);
                    continue;
                }
                int myCnt = Math.min(mine.nrHeld, mine.count()); // our own table: plain per-CPU reads
                boolean deadlock = false;
                for (int j = 0; j < myCnt - 1; j++) {
                    deadlock |= mine.lockAt(j) == remoteLock;
                }
                took(cpu, Step.abba_read_entry);
                if (deadlock) {
                    failing(cpu, FailureReason.ABBA);
                    return FailureReason.ABBA;
                }
                return null;
            }
        }
        return null;
    }

    /** {@code check_deadlock} [..V6_17]: AA, then ABBA. */
    private FailureReason checkDeadlock(Cpu cpu, int mask) {
        if (checkDeadlockAA(cpu)) {
            return FailureReason.AA;
        }
        return checkDeadlockABBA(cpu, mask);
    }

    /**
     * {@code check_deadlock_AA}: is this lock among this CPU's table entries
     * below the top one (the top being the attempt itself)? Only the
     * recorded slots (31) are looked at.
     */
    private boolean checkDeadlockAA(Cpu cpu) {
        if (mutation == Mutation.NO_AA_CHECK) {
            return false;
        }
        HeldLocks h = cpu.held;
        int cnt = Math.min(h.nrHeld, h.count());
        for (int i = 0; i < cnt - 1; i++) {
            if (h.lockAt(i) == id) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code check_deadlock_ABBA}: find a remote CPU that holds this lock
     * (below its top entry); if its top entry (what it waits for) is held
     * here, it is an ABBA deadlock. The first remote holder found decides.
     * Stops as soon as the lock word shows the awaited bits clear.
     */
    private FailureReason checkDeadlockABBA(Cpu cpu, int mask) {
        if (mutation == Mutation.NO_ABBA_CHECK) {
            return null;
        }
        HeldLocks mine = cpu.held;
        int myCnt = Math.min(mine.nrHeld, mine.count());
        for (Cpu other : machine.cpus()) {
            HeldLocks theirs = other.held;
            int realCnt = theirs.count();
            int cnt = Math.min(theirs.nrHeld, realCnt);
            if ((word.get() & mask) == 0) { // is_lock_released
                return null;
            }
            if (other == cpu || realCnt < 2 || realCnt > theirs.nrHeld) {
                continue;
            }
            int remoteLock = theirs.lockAt(cnt - 1);
            if (remoteLock == 0) {
                continue;
            }
            for (int i = 0; i < cnt - 1; i++) {
                if (theirs.lockAt(i) != id) {
                    continue;
                }
                for (int j = 0; j < myCnt - 1; j++) {
                    if (mine.lockAt(j) == remoteLock) {
                        return FailureReason.ABBA;
                    }
                }
                return null;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------
    // Lock word operations: those of qspinlock.h are inherited from QueuedLockWord

    /** {@code try_cmpxchg_tail}: n,*,* -> newTail,*,* if the tail is still {@code tail}. */
    private boolean tryCmpxchgTail(int tail, int newTail) {
        for (;;) {
            int old = word.get();
            if ((old & TAIL_MASK) != tail) {
                return false;
            }
            if (word.compareAndSet(old, (old & LOCKED_PENDING_MASK) | newTail)) {
                return true;
            }
        }
    }

    private void relax() {
        machine.spinHint.relax();
    }

    // ------------------------------------------------------------------
    // Tracepoints

    private void contentionBegin(Cpu cpu, McsNode node0) {
        ContentionHook hook = cpu.hookToRun();
        if (hook == null) {
            return;
        }
        cpu.setHookActive(true);
        try {
            hook.contentionBegin(cpu, this);
        } catch (RuntimeException | Error e) {
            node0.count--; // undo: nothing queued yet
            cpu.held.release();
            throw e;
        } finally {
            cpu.setHookActive(false);
        }
    }

    private Throwable contentionEnd(Cpu cpu, int ret) {
        ContentionHook hook = cpu.hookToRun();
        if (hook == null) {
            return null;
        }
        cpu.setHookActive(true);
        try {
            hook.contentionEnd(cpu, this, ret);
            return null;
        } catch (RuntimeException | Error e) {
            return e;
        } finally {
            cpu.setHookActive(false);
        }
    }

    private static RuntimeException sneaky(Throwable t) {
        if (t instanceof Error) {
            throw (Error) t;
        }
        return (RuntimeException) t;
    }
}
