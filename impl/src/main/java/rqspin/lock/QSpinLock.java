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
 * <p>The lock word and the operations of qspinlock.h ({@code queued_spin_trylock},
 * {@code queued_fetch_set_pending_acquire}, {@code clear_pending},
 * {@code clear_pending_set_locked}, {@code set_locked}, {@code xchg_tail})
 * are inherited from {@link QueuedLockWord}, shared with {@link RqSpinLock}.
 */
public final class QSpinLock extends QueuedLockWord {
    private static final int PENDING_LOOPS = 1;

    private final Machine machine;
    private final String name;

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
    }

    /** A snapshot of the lock word. */
    public int lockWord() {
        return word.get();
    }

    @Override
    public String toString() {
        return name;
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
        if (!word.compareAndSet(0, LOCKED_VAL)) {
            slowPath(cpu, word.get());
        }
    }

    /** {@code queued_spin_unlock}: release store of 0 into the locked byte. */
    public void unlock() {
        word.getAndAdd(-LOCKED_VAL);
    }

    /** {@code queued_spin_lock_slowpath}. */
    private void slowPath(Cpu cpu, int val) {
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
        if ((val & ~LOCKED_MASK) == 0) {
            val = fetchSetPending();
            if ((val & ~LOCKED_MASK) == 0) {
                // Pending waiter: wait for the owner, then take the lock.
                if ((val & LOCKED_MASK) != 0) {
                    while ((word.get() & LOCKED_MASK) != 0) {
                        relax();
                    }
                }
                clearPendingSetLocked();
                return;
            }
            if ((val & PENDING_MASK) == 0) {
                clearPending(); // undo, only if we set it
            }
        }
        queue(cpu);
    }

    private void queue(Cpu cpu) {
        McsNode node0 = cpu.qNodes[0];
        int idx = node0.count++;
        int tail = LockWord.encodeTail(cpu.id(), idx);
        try {
            if (idx >= MAX_NODES) {
                while (!trylock()) {
                    relax();
                }
                return;
            }
            McsNode node = cpu.qNodes[idx];
            node.locked = 0;
            node.next = null;
            if (trylock()) {
                return;
            }
            int old = xchgTail(tail);
            McsNode next = null;
            if ((old & TAIL_MASK) != 0) {
                McsNode prev = machine.cpus()[LockWord.tailCpu(old)].qNodes[LockWord.tailIdx(old)];
                prev.next = node;
                while (node.locked == 0) {
                    relax();
                }
                next = node.next;
            }
            int val;
            while (((val = word.get()) & LOCKED_PENDING_MASK) != 0) {
                relax();
            }
            if ((val & TAIL_MASK) == tail && word.compareAndSet(val, LOCKED_VAL)) {
                return;
            }
            setLocked();
            if (next == null) {
                while ((next = node.next) == null) {
                    relax();
                }
            }
            next.locked = 1;
        } finally {
            node0.count--;
        }
    }

    private void relax() {
        machine.spinHint.relax();
    }
}
