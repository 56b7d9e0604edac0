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
 * The algorithm version ({@link Version#V6_15} or {@link Version#V6_19}) is
 * fixed at construction; every difference between the two is marked
 * {@code [V6_15]} / {@code [V6_19]} below and listed in {@link Version}.
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
 *     leaks an entry exactly as the kernel version it models did).</li>
 * <li>The table is LIFO: unlock pops the top entry, so unlocks must be in
 *     reverse order of locks; {@link #unlock} rejects anything else with a
 *     {@link LockMisuseException} before changing state.</li>
 * </ul>
 *
 * <h2>Protocol (kernel function: Java method)</h2>
 * <ul>
 * <li>{@code res_spin_lock}: {@link #lock}: [V6_19] push the table entry,
 *     CAS 0 to (0,0,1); [V6_15] push only after the CAS succeeded; else
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
 * <h2>Steps of the TLA+ spec (spec/rqspinlock/RqSpinLock.tla, action: Java)</h2>
 * <table>
 * <caption>Each spec action and where this class does it</caption>
 * <tr><td>{@code grab_held_lock_entry}</td><td>{@link HeldLocks#grab}, from {@link #lock} ([V6_19]) or the
 *     slow path ([V6_15])</td></tr>
 * <tr><td>{@code fastpath_cmpxchg}</td><td>the CAS 0 to (0,0,1) in {@link #lock}</td></tr>
 * <tr><td>{@code pending_reread}</td><td>the bounded re-read of (0,1,0) at the start of {@link #slowPath}</td></tr>
 * <tr><td>{@code queued_fetch_set_pending_acquire}, {@code clear_pending}, {@code clear_pending_set_locked}</td>
 *     <td>{@link #fetchSetPending}, {@link #clearPending}, {@link #clearPendingSetLocked}</td></tr>
 * <tr><td>{@code pending_wait_owner}</td><td>the pending waiter's loop in {@link #slowPath}</td></tr>
 * <tr><td>{@code check_deadlock_AA_queue}</td><td>the [V6_19] AA check at the top of {@link #queue}</td></tr>
 * <tr><td>{@code grab_mcs_node}</td><td>{@code idx = node0.count++} in {@link #queue}</td></tr>
 * <tr><td>{@code queued_spin_trylock}</td><td>{@link #trylock} (cold node, or no node)</td></tr>
 * <tr><td>{@code xchg_tail}, {@code link_prev}</td><td>{@link #xchgTail}, {@code prev.next = node}</td></tr>
 * <tr><td>{@code arch_mcs_spin_lock_contended}</td><td>the non-head wait on {@code node.locked}</td></tr>
 * <tr><td>{@code head_wait_owner_pending}</td><td>the head's loop waiting for (*,0,0)</td></tr>
 * <tr><td>{@code claim_cmpxchg}, {@code set_locked}</td><td>the claim CAS, {@link #setLocked}</td></tr>
 * <tr><td>{@code arch_mcs_spin_unlock_contended}</td><td>{@code next.locked = 1} (claim, or [V6_19] handover)</td></tr>
 * <tr><td>{@code try_cmpxchg_tail}, {@code abort_signal_next}</td><td>{@link #tryCmpxchgTail},
 *     {@code next.locked = RES_TIMEOUT_VAL}</td></tr>
 * <tr><td>{@code release_node}, {@code release_held_lock_entry}</td><td>{@link #release} /
 *     {@link #errReleaseNode} ({@code count--}), {@link HeldLocks#release}</td></tr>
 * <tr><td>{@code tas_cmpxchg}</td><td>{@link #tasSpinLock}</td></tr>
 * <tr><td>{@code check_timeout_arm}, {@code check_timeout_expired}, {@code check_deadlock}</td>
 *     <td>{@link #checkTimeout} (first call of a period; deadline passed; interval passed:
 *     {@link #checkDeadlock} / {@link #checkDeadlockABBA})</td></tr>
 * <tr><td>{@code res_spin_unlock_release}, {@code res_spin_unlock_pop}</td><td>the two halves of
 *     {@link #unlock}, in the version's order</td></tr>
 * </table>
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

    private final Machine machine;
    private final Version version;
    private final boolean v619;
    /** Non-zero id stored in held-lock tables (the kernel stores the lock's address). */
    final int id;
    private final String name;
    private final Mutation mutation;
    /** T, 2T and 4T in ns. */
    private final long timeout;

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
        this.v619 = version == Version.V6_19;
        this.id = machine.nextLockId();
        this.name = name != null ? name : "lock#" + id;
        this.mutation = mutation;
        this.timeout = machine.timeoutNanos;
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
    // res_spin_lock / res_spin_unlock

    /**
     * {@code res_spin_lock}: acquires the lock for the current context of
     * {@code cpu}, or fails.
     *
     * @throws DeadlockException ({@code -EDEADLK}) on an AA or ABBA deadlock, when no MCS node is left, or (V6_15)
     *         when the queue ahead was cancelled; the lock is not held
     * @throws LockTimeoutException ({@code -ETIMEDOUT}) when a deadline passed, or (V6_19) when the queue ahead was
     *         cancelled; the lock is not held
     * @throws LockMisuseException if the calling thread does not run {@code cpu} or the CPU is of another machine;
     *         nothing changed
     */
    public void lock(Cpu cpu) throws LockFailedException {
        checkCpu(cpu);
        HeldLocks held = cpu.held;
        if (v619) {
            held.grab(id);
        }
        if (word.compareAndSet(0, LOCKED_VAL)) {
            if (!v619) {
                held.grab(id);
            }
        } else {
            FailureReason r = slowPath(cpu, word.get());
            if (r != null) {
                throw failure(cpu, r);
            }
        }
        cpu.pushOwned(this);
    }

    /**
     * {@code res_spin_unlock}: releases the lock held by the current context
     * of {@code cpu} and pops the top entry of its held-lock table ([V6_15]
     * pop then release; [V6_19] release then pop).
     *
     * @throws LockMisuseException if the current context does not hold this lock ({@code NOT_HELD}), holds it but
     *         took another lock after it ({@code OUT_OF_ORDER}), the thread does not run {@code cpu}
     *         ({@code NOT_THIS_CPU}) or the CPU is of another machine ({@code FOREIGN_CPU}); nothing changed
     */
    public void unlock(Cpu cpu) {
        checkCpu(cpu);
        if (!cpu.ownsTop(this)) {
            throw cpu.unlockMisuse(this);
        }
        cpu.popOwned();
        releaseWordAndEntry(cpu.held);
    }

    private void releaseWordAndEntry(HeldLocks held) {
        if (v619) {
            word.getAndAdd(-LOCKED_VAL);
            held.release();
        } else {
            held.clearTop();
            word.getAndAdd(-LOCKED_VAL);
            held.decrement();
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
            return tasSpinLock(cpu); // resilient_virt_spin_lock
        }
        TimeoutState ts = new TimeoutState(); // RES_INIT_TIMEOUT: spin = 0
        FailureReason ret = null;

        // (0,1,0) -> (0,0,1): wait a bounded time for an in-progress pending-to-locked handover.
        if (val == PENDING_VAL) {
            int cnt = PENDING_LOOPS;
            for (;;) {
                val = word.get();
                if (val != PENDING_VAL || cnt-- == 0) {
                    break;
                }
                relax();
            }
        }
        // Any contention (pending or tail): queue.
        if ((val & ~LOCKED_MASK) != 0) {
            return queue(cpu, ts);
        }
        // (0,0,*) -> (0,1,*): become the pending waiter.
        val = fetchSetPending();
        if ((val & ~LOCKED_MASK) != 0) {
            if ((val & PENDING_MASK) == 0) {
                clearPending(); // undo, only if we set it
            }
            return queue(cpu, ts);
        }
        if (!v619) {
            cpu.held.grab(id); // [V6_15] the entry is pushed only now
        }
        // (0,1,1) -> (*,1,0): wait for the owner, with timeout T.
        if ((val & LOCKED_MASK) != 0) {
            ts.reset(timeout);
            while ((word.get() & LOCKED_MASK) != 0) {
                if ((ret = checkTimeoutAmortised(cpu, ts, ret, LOCKED_MASK)) != null) {
                    break;
                }
                relax();
            }
        }
        if (ret != null) {
            // (*,1,*) -> (*,0,*): the failing pending waiter clears its bit and pops its entry.
            if (mutation != Mutation.KEEP_PENDING_ON_FAILURE) {
                clearPending();
            }
            cpu.held.release();
            return ret;
        }
        // (0,1,0) -> (0,0,1)
        clearPendingSetLocked();
        return null;
    }

    /** The MCS queue part of the slow path (label {@code queue:} in the kernel). */
    private FailureReason queue(Cpu cpu, TimeoutState ts) {
        FailureReason ret = null;
        if (v619) {
            // [V6_19] 087849cca31d: do not queue behind ourselves (e.g. an NMI that interrupted a waiter).
            if (checkDeadlockAA(cpu)) {
                cpu.held.release();
                return FailureReason.AA;
            }
        } else {
            cpu.held.grab(id);
        }
        McsNode node0 = cpu.rqNodes[0];
        int idx = node0.count++;
        int tail = LockWord.encodeTail(cpu.id(), idx);

        contentionBegin(cpu, node0);

        // No node: nesting too deep, or [V6_19] an NMI that interrupted a slow path on this CPU.
        if (idx >= MAX_NODES || (v619 && idx > 0 && cpu.inNmi())) {
            if (v619) {
                if (trylock()) {
                    return release(cpu, node0);
                }
                return errReleaseNode(cpu, node0, FailureReason.NO_NODE);
            }
            ts.reset(timeout);
            while (!trylock()) {
                if ((ret = checkTimeoutAmortised(cpu, ts, ret, ~0)) != null) {
                    return errReleaseNode(cpu, node0, ret);
                }
                relax();
            }
            return release(cpu, node0);
        }

        McsNode node = cpu.rqNodes[idx];
        node.locked = 0;
        node.next = null;
        // The node was a cold cache line: one more trylock.
        if (trylock()) {
            return release(cpu, node0);
        }
        // p,*,* -> n,*,*: publish our tail.
        int old = xchgTail(tail);
        McsNode next = null;
        boolean cancelled = false;
        if ((old & TAIL_MASK) != 0) {
            McsNode prev = decodeTail(old);
            prev.next = node; // link behind the previous tail
            int s;
            while ((s = node.locked) == 0) { // arch_mcs_spin_lock_contended: no clock here
                relax();
            }
            if (s == McsNode.ABORTED) {
                ret = FailureReason.QUEUE_ABORTED;
                cancelled = true;
            } else {
                next = node.next;
            }
        }

        int val = 0;
        if (!cancelled) {
            // Head: *,x,y -> *,0,0, waiting for owner and pending waiter with timeout 2T.
            ts.reset(2 * timeout);
            int waitMask = mutation == Mutation.HEAD_IGNORES_PENDING ? LOCKED_MASK : LOCKED_PENDING_MASK;
            for (;;) {
                val = word.get();
                if ((val & waitMask) == 0) {
                    break;
                }
                if ((ret = checkTimeoutAmortised(cpu, ts, ret, LOCKED_PENDING_MASK)) != null) {
                    break;
                }
                relax();
            }
            // [V6_19] 7bd6e5ce5be6: a head that detected a deadlock hands the head role to its successor.
            if (v619 && ret != null && ret.errno(version) == Errno.EDEADLK
                    && mutation != Mutation.NO_HEAD_HANDOVER) {
                if (next == null) {
                    next = waitForNext(node); // unbounded if nobody ever queues behind us (finding rq_v619_handover_hang: spec/rqspinlock/README.md)
                }
                next.locked = 1;
                return errReleaseNode(cpu, node0, ret);
            }
        }

        // waitq_timeout: leave in FIFO order, cancelling the successor.
        if (ret != null) {
            if (!tryCmpxchgTail(tail, 0)) {
                next = waitForNext(node);
                if (mutation != Mutation.NO_ABORT_CASCADE) {
                    next.locked = McsNode.ABORTED;
                }
            }
            return errReleaseNode(cpu, node0, ret);
        }

        // Claim: n,0,0 -> 0,0,1 if we are the last; else *,*,0 -> *,*,1 and pass the head role on.
        if ((val & TAIL_MASK) == tail && word.compareAndSet(val, LOCKED_VAL)) {
            return release(cpu, node0);
        }
        setLocked();
        if (next == null) {
            next = waitForNext(node);
        }
        next.locked = 1; // arch_mcs_spin_unlock_contended
        return release(cpu, node0);
    }

    /** Label {@code release:} — trace_contention_end(0), give back the node. */
    private FailureReason release(Cpu cpu, McsNode node0) {
        Throwable hookFailure = contentionEnd(cpu, 0);
        node0.count--;
        if (hookFailure != null) {
            releaseWordAndEntry(cpu.held); // the hook failed: undo the acquisition
            throw sneaky(hookFailure);
        }
        return null;
    }

    /** Labels {@code err_release_node:} and {@code err_release_entry:}. */
    private FailureReason errReleaseNode(Cpu cpu, McsNode node0, FailureReason r) {
        Throwable hookFailure = contentionEnd(cpu, r.errno(version).kernelReturn());
        node0.count--;
        cpu.held.release();
        if (hookFailure != null) {
            throw sneaky(hookFailure);
        }
        return r;
    }

    private McsNode waitForNext(McsNode node) {
        McsNode n;
        while ((n = node.next) == null) { // smp_cond_load_relaxed(&node->next, VAL)
            relax();
        }
        return n;
    }

    private McsNode decodeTail(int tail) {
        return machine.cpus()[LockWord.tailCpu(tail)].rqNodes[LockWord.tailIdx(tail)];
    }

    // ------------------------------------------------------------------
    // resilient_tas_spin_lock

    /**
     * {@code resilient_tas_spin_lock}, reached from the slow path when
     * {@code virt_spin_lock_key} is on: a test-and-set loop with timeout 4T
     * (1 s at the default T). It pushes a table entry in both versions: in
     * V6_15 that is the attempt's only entry; in V6_19 {@link #lock} pushed
     * one already, so a second one is pushed and one of them is never popped
     * (fixed upstream later by 82f3b142c99c).
     */
    private FailureReason tasSpinLock(Cpu cpu) {
        TimeoutState ts = new TimeoutState();
        cpu.held.grab(id);
        ts.reset(4 * timeout);
        FailureReason ret = null;
        for (;;) {
            int val = word.get();
            if (val == 0 && word.compareAndSet(0, LOCKED_VAL)) {
                return null;
            }
            if ((ret = checkTimeoutAmortised(cpu, ts, ret, ~0)) != null) {
                cpu.held.release();
                return ret;
            }
            relax();
        }
    }

    // ------------------------------------------------------------------
    // Timeouts and deadlock checks

    /** {@code RES_CHECK_TIMEOUT}: run {@code check_timeout} on every checkPeriod-th call; the result is sticky. */
    private FailureReason checkTimeoutAmortised(Cpu cpu, TimeoutState ts, FailureReason ret, int mask) {
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
     * [V6_19] ABBA).
     */
    private FailureReason checkTimeout(Cpu cpu, TimeoutState ts, int mask) {
        long prev = ts.cur;
        if (ts.end == 0) {
            if (v619 && checkDeadlockAA(cpu)) {
                return FailureReason.AA;
            }
            long now = machine.clock.nanoTime(cpu);
            ts.cur = now;
            ts.end = now + ts.duration;
            return null;
        }
        long time = machine.clock.nanoTime(cpu);
        if (time > ts.end && mutation != Mutation.NO_TIMEOUT) {
            return FailureReason.TIMEOUT;
        }
        if (prev + machine.deadlockCheckIntervalNanos < time) {
            ts.cur = time;
            return v619 ? checkDeadlockABBA(cpu, mask) : checkDeadlock(cpu, mask);
        }
        return null;
    }

    /** {@code check_deadlock} [V6_15]: AA, then ABBA. */
    private FailureReason checkDeadlock(Cpu cpu, int mask) {
        if (checkDeadlockAA(cpu)) {
            return FailureReason.AA;
        }
        return checkDeadlockABBA(cpu, mask);
    }

    /**
     * {@code check_deadlock_AA}: is this lock among this CPU's table entries
     * below the top one (the top being the attempt itself)? Only the first 31
     * entries are looked at.
     */
    private boolean checkDeadlockAA(Cpu cpu) {
        if (mutation == Mutation.NO_AA_CHECK) {
            return false;
        }
        HeldLocks h = cpu.held;
        int cnt = Math.min(HeldLocks.NR_HELD, h.count());
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
        int myCnt = Math.min(HeldLocks.NR_HELD, mine.count());
        for (Cpu other : machine.cpus()) {
            HeldLocks theirs = other.held;
            int realCnt = theirs.count();
            int cnt = Math.min(HeldLocks.NR_HELD, realCnt);
            if ((word.get() & mask) == 0) { // is_lock_released
                return null;
            }
            if (other == cpu || realCnt < 2 || realCnt > HeldLocks.NR_HELD) {
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
