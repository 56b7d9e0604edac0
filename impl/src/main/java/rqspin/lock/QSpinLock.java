package rqspin.lock;

import static rqspin.lock.LockWord.LOCKED_MASK;
import static rqspin.lock.LockWord.LOCKED_PENDING_MASK;
import static rqspin.lock.LockWord.LOCKED_VAL;
import static rqspin.lock.LockWord.MAX_NODES;
import static rqspin.lock.LockWord.PENDING_MASK;
import static rqspin.lock.LockWord.PENDING_VAL;
import static rqspin.lock.LockWord.TAIL_MASK;

/**
 * The queued spin lock ({@code qspinlock}, kernel/locking/qspinlock.c)
 * without paravirt hooks: the same lock word, pending bit and MCS queue as
 * {@link RqSpinLock}, but no held-lock table, no timeouts and no deadlock
 * checks. It is the baseline rqspinlock was measured against, and the lock
 * that hangs where {@link RqSpinLock} fails (AA, ABBA, stuck owner).
 *
 * <p>Invariants: mutual exclusion; at most one pending waiter; the queue is
 * FIFO and every waiter leaves it only by acquiring the lock. Protocol:
 * {@code queued_spin_lock} = {@link #lock} (CAS 0 to (0,0,1), else
 * {@code queued_spin_lock_slowpath}); {@code queued_spin_unlock} =
 * {@link #unlock}. With more than four nested slow paths on a CPU there is
 * no node, and the CPU spins on trylock. It uses each CPU's
 * {@code qnodes[]}, separate from rqspinlock's {@code rqnodes[]}, as in the
 * kernel.
 *
 * <p>No misuse checks either: like the kernel's, {@link #unlock} trusts its
 * caller. Only the CPU argument of {@link #lock} is checked (its thread).
 *
 * <p>Its steps are those of {@link RqSpinLock} that qspinlock has, under the
 * same {@link Step} names (the spec's {@code Resilient = FALSE}), announced
 * the same way to the machine's {@link StepGate}; {@code count--} is merged
 * into the step that leaves the queue (the spec's {@code MergeCountDec})
 * when the machine has a node for each of the spec's three contexts.
 *
 * <p>The lock word and the operations of qspinlock.h ({@code queued_spin_trylock},
 * {@code queued_fetch_set_pending_acquire}, {@code clear_pending},
 * {@code clear_pending_set_locked}, {@code set_locked}, {@code xchg_tail})
 * are inherited from {@link QueuedLockWord}, shared with {@link RqSpinLock}.
 */
public final class QSpinLock extends QueuedLockWord {
    private static final int PENDING_LOOPS = 1;

    private final Machine machine;
    private final String name;
    /** _Q_MAX_NODES of the machine. */
    private final int maxNodes;
    /** The machine's step gate, or null. */
    private final StepGate gate;
    /** count-- is part of the step that leaves the queue (the spec's MergeCountDec), not release_node. */
    private final boolean mergeCountDec;

    /** A free lock on {@code machine}'s CPUs. */
    public QSpinLock(Machine machine) {
        this(machine, null);
    }

    /** A free lock with a name for messages. */
    public QSpinLock(Machine machine, String name) {
        if (machine == null) {
            throw new IllegalArgumentException("machine must not be null");
        }
        this.machine = machine;
        this.name = name != null ? name : "qlock#" + machine.nextLockId();
        this.maxNodes = machine.maxNodes;
        this.gate = machine.gate;
        this.mergeCountDec = maxNodes >= 3;
    }

    /** A snapshot of the lock word. */
    public int lockWord() {
        return word.get();
    }

    /** The name given at construction (or {@code qlock#n}). */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

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

    private void waiting(Cpu cpu, Step until) {
        if (gate != null) {
            gate.waiting(cpu, until, this, false, false);
        }
    }

    /**
     * {@code queued_spin_lock}: acquires the lock, waiting as long as it takes.
     *
     * @throws LockMisuseException if the calling thread does not run {@code cpu}, or the CPU is of another machine
     */
    public void lock(Cpu cpu) {
        if (cpu == null) {
            throw new LockMisuseException(LockMisuseException.Kind.NOT_THIS_CPU, "cpu must not be null");
        }
        cpu.checkOwner();
        if (cpu.machine() != machine) {
            throw new LockMisuseException(LockMisuseException.Kind.FOREIGN_CPU,
                    cpu + " belongs to another machine than " + name);
        }
        before(cpu);
        int val = fastpathCmpxchg();
        took(cpu, Step.fastpath_cmpxchg);
        if (val != 0) {
            slowPath(cpu, val);
        }
        if (gate != null) {
            gate.returned(cpu, this, 0);
        }
    }

    /** The fast path's cmpxchg from 0: 0 on success, else the (non-zero) value that made it fail. */
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
     * {@code queued_spin_unlock}: release store of 0 into the locked byte.
     * (Under a {@link StepGate} the calling thread must be a CPU of the machine.)
     */
    public void unlock() {
        if (gate == null) {
            word.getAndAdd(-LOCKED_VAL);
            return;
        }
        Cpu cpu = machine.current();
        gate.before(cpu);
        word.getAndAdd(-LOCKED_VAL);
        gate.took(cpu, Step.res_spin_unlock_release, this);
    }

    /** {@code queued_spin_lock_slowpath}. */
    private void slowPath(Cpu cpu, int val) {
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
        if ((val & ~LOCKED_MASK) == 0) {
            before(cpu);
            val = queuedFetchSetPending(cpu, gate, machine.x86SetPending);
            if ((val & ~LOCKED_MASK) == 0) {
                // Pending waiter: wait for the owner, then take the lock.
                if ((val & LOCKED_MASK) != 0) {
                    for (;;) {
                        before(cpu);
                        if ((word.get() & LOCKED_MASK) == 0) {
                            break;
                        }
                        waiting(cpu, Step.pending_wait_owner);
                        relax();
                    }
                } else {
                    before(cpu); // the fetch_or saw the owner gone: no wait, the spec's step reads nothing new
                }
                took(cpu, Step.pending_wait_owner);
                before(cpu);
                clearPendingSetLocked();
                took(cpu, Step.clear_pending_set_locked);
                return;
            }
            if ((val & PENDING_MASK) == 0) {
                before(cpu);
                clearPending(); // undo, only if we set it
                took(cpu, Step.clear_pending);
            }
        }
        queue(cpu);
    }

    private void queue(Cpu cpu) {
        McsNode node0 = cpu.qNodes[0];
        before(cpu);
        int idx = node0.count++;
        int tail = LockWord.encodeTail(cpu.id(), idx);
        McsNode node = null;
        if (idx < maxNodes) {
            node = cpu.qNodes[idx];
            node.locked = 0;
            node.next = null;
        }
        took(cpu, Step.grab_mcs_node);
        if (node == null) {
            for (;;) { // no node: spin on trylock
                before(cpu);
                if (trylock()) {
                    leave(cpu, node0, Step.queued_spin_trylock);
                    return;
                }
                waiting(cpu, Step.queued_spin_trylock);
                relax();
            }
        }
        before(cpu);
        if (trylock()) {
            leave(cpu, node0, Step.queued_spin_trylock);
            return;
        }
        took(cpu, Step.queued_spin_trylock);
        before(cpu);
        int old = xchgTail(tail);
        took(cpu, Step.xchg_tail);
        McsNode next = null;
        if ((old & TAIL_MASK) != 0) {
            McsNode prev = machine.cpus()[LockWord.tailCpu(old)].qNodes[LockWord.tailIdx(old)];
            before(cpu);
            prev.next = node;
            took(cpu, Step.link_prev);
            for (;;) {
                before(cpu);
                if (node.locked != 0) {
                    next = node.next;
                    took(cpu, Step.arch_mcs_spin_lock_contended);
                    break;
                }
                waiting(cpu, Step.arch_mcs_spin_lock_contended);
                relax();
            }
        }
        int val;
        for (;;) {
            before(cpu);
            if (((val = word.get()) & LOCKED_PENDING_MASK) == 0) {
                took(cpu, Step.head_wait_owner_pending);
                break;
            }
            waiting(cpu, Step.head_wait_owner_pending);
            relax();
        }
        before(cpu);
        if ((val & TAIL_MASK) == tail && word.compareAndSet(val, LOCKED_VAL)) {
            leave(cpu, node0, Step.claim_cmpxchg);
            return;
        }
        took(cpu, Step.claim_cmpxchg);
        before(cpu);
        setLocked();
        took(cpu, Step.set_locked);
        for (;;) {
            before(cpu);
            if (next == null) {
                next = node.next;
            }
            if (next != null) {
                break;
            }
            waiting(cpu, Step.arch_mcs_spin_unlock_contended);
            relax();
        }
        next.locked = 1;
        leave(cpu, node0, Step.arch_mcs_spin_unlock_contended);
    }

    /** {@code step} (its accesses made) leaves the queue; release the node: merged into it, or release_node. */
    private void leave(Cpu cpu, McsNode node0, Step step) {
        if (mergeCountDec) {
            node0.count--;
            took(cpu, step);
            return;
        }
        took(cpu, step);
        before(cpu);
        node0.count--;
        took(cpu, Step.release_node);
    }

    private void relax() {
        machine.spinHint.relax();
    }
}
