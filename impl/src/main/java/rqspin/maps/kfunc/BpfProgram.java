package rqspin.maps.kfunc;

import java.util.ArrayList;
import java.util.List;
import rqspin.lock.Cpu;
import rqspin.lock.RqSpinLock;

/**
 * One run of a BPF program that uses the rqspinlock kfuncs
 * (kernel/bpf/rqspinlock.c, 97eb35f3ad42): {@code bpf_res_spin_lock},
 * {@code bpf_res_spin_unlock}, {@code bpf_res_spin_lock_irqsave},
 * {@code bpf_res_spin_unlock_irqrestore}, and the irq kfuncs
 * {@code bpf_local_irq_save} / {@code bpf_local_irq_restore} they interact
 * with.
 *
 * <p>The BPF verifier checks these calls when the program is loaded, on
 * every path; here they are checked when made, on the path taken: a call the
 * verifier would reject throws a {@link VerifierRejection} before anything
 * changes. The state is what the verifier tracks (kernel/bpf/verifier.c,
 * {@code process_spin_lock} and the irq flag checks, 0de2046137f9 and
 * ea21771c077c): the locks held, in the order taken, each with the form
 * that took it; and the irq flags saved, in order, each with the kfunc class
 * that saved it. The rules:
 * <ul>
 * <li>a lock already held by the program cannot be taken again, in either
 *     form (AA);</li>
 * <li>unlocks are in the reverse order of locks (the FIFO property of
 *     ea21771c077c: rqspinlock's held-lock table is a stack), only of held
 *     locks, and in the form that took them ({@code _irqrestore} for
 *     {@code _irqsave});</li>
 * <li>an {@code _irqsave} writes a flag slot that holds nothing; the
 *     matching restore reads the slot the same class of kfunc wrote, and
 *     only the most recently saved one;</li>
 * <li>no other kfunc (here: {@code bpf_local_irq_save/restore}) inside a
 *     lock region;</li>
 * <li>no lock held and no irq flag saved at exit ({@link #exit}).</li>
 * </ul>
 * A lock attempt that fails at run time (-EDEADLK, -ETIMEDOUT) holds nothing
 * and, for {@code _irqsave}, leaves the flag slot empty, as the kfunc
 * restores the irq state itself; the verifier knows that on the failure
 * branch the program holds neither.
 *
 * <p>What the verifier sees is one program: a lock held by the context this
 * program interrupted (an NMI program on the same CPU) is not its state, and
 * taking it again is for rqspinlock to detect at run time (AA,
 * {@code -EDEADLK}). Checks the selftests make on pointer types and offsets
 * ({@code res_spin_lock_arg}, {@code _bad_off}, {@code _var_off},
 * {@code _no_lock_map}, {@code _no_lock_kptr}) have no Java counterpart: a
 * {@code RqSpinLock} argument is a lock by type.
 *
 * <p>Confined to the thread of the program's CPU.
 */
public final class BpfProgram {

    private static final class Held {
        final RqSpinLock lock;
        final boolean irq;

        Held(RqSpinLock lock, boolean irq) {
            this.lock = lock;
            this.irq = irq;
        }
    }

    private final Cpu cpu;
    private final FailureInjector<KfuncSite> failures;
    private final KfuncMutation mutation;
    private final List<Held> locks = new ArrayList<>();
    private final List<IrqFlag> irqFlags = new ArrayList<>();

    /** A program run on {@code cpu} (in its current context), whose lock attempts go to the real lock. */
    public BpfProgram(Cpu cpu) {
        this(cpu, new FailureInjector<>(KfuncSite.class));
    }

    /** A program run on {@code cpu} whose lock attempts ask {@code failures} first. */
    public BpfProgram(Cpu cpu, FailureInjector<KfuncSite> failures) {
        this(cpu, failures, KfuncMutation.NONE);
    }

    /** A program with a seeded bug in its checks: for tests in this package only. */
    BpfProgram(Cpu cpu, FailureInjector<KfuncSite> failures, KfuncMutation mutation) {
        if (cpu == null || failures == null || mutation == null) {
            throw new IllegalArgumentException("cpu, failures and mutation must not be null");
        }
        this.cpu = cpu;
        this.failures = failures;
        this.mutation = mutation;
    }

    /**
     * {@code bpf_res_spin_lock}.
     *
     * @return 0 (the lock is held), or {@link MapErrno#EDEADLK} / {@link MapErrno#ETIMEDOUT} (it is not)
     * @throws VerifierRejection {@code AA_DEADLOCK} if the program holds {@code lock}
     */
    public int resSpinLock(RqSpinLock lock) {
        checkAA(lock);
        int ret = ResSpinLock.lockAt(failures, KfuncSite.bpf_res_spin_lock, cpu, lock);
        if (ret == 0) {
            locks.add(new Held(lock, false));
        }
        return ret;
    }

    /**
     * {@code bpf_res_spin_lock_irqsave}: saves the irq state into {@code flags}, then attempts the lock; on
     * failure restores the irq state and leaves {@code flags} empty.
     *
     * @return 0 (the lock is held, {@code flags} saved), or {@link MapErrno#EDEADLK} / {@link MapErrno#ETIMEDOUT}
     * @throws VerifierRejection {@code AA_DEADLOCK} if the program holds {@code lock}, {@code IRQ_FLAG_IN_USE} if
     *         {@code flags} holds saved state
     */
    public int resSpinLockIrqsave(RqSpinLock lock, IrqFlag flags) {
        requireFlag(flags);
        checkAA(lock);
        if (flags.isSaved()) {
            throw new VerifierRejection(VerifierRejection.Kind.IRQ_FLAG_IN_USE,
                    "bpf_res_spin_lock_irqsave: irq flag " + flags + " holds saved state already");
        }
        int ret = ResSpinLock.lockAt(failures, KfuncSite.bpf_res_spin_lock_irqsave, cpu, lock);
        if (ret == 0) {
            flags.saver = IrqFlag.Saver.RES_LOCK;
            irqFlags.add(flags);
            locks.add(new Held(lock, true));
        }
        return ret;
    }

    /**
     * {@code bpf_res_spin_unlock}.
     *
     * @throws VerifierRejection {@code UNLOCK_WITHOUT_LOCK}, {@code DIFFERENT_LOCK} or {@code OUT_OF_ORDER}
     */
    public void resSpinUnlock(RqSpinLock lock) {
        checkUnlock("bpf_res_spin_unlock", lock, false);
        removeHeld(lock);
        lock.unlock(cpu);
    }

    /**
     * {@code bpf_res_spin_unlock_irqrestore}: releases the lock, then restores the irq state from {@code flags}.
     *
     * @throws VerifierRejection {@code UNLOCK_WITHOUT_LOCK}, {@code DIFFERENT_LOCK}, {@code OUT_OF_ORDER} (the
     *         lock), then {@code IRQ_FLAG_NOT_SAVED}, {@code IRQ_FLAG_WRONG_CLASS}, {@code IRQ_RESTORE_OUT_OF_ORDER}
     *         (the flag)
     */
    public void resSpinUnlockIrqrestore(RqSpinLock lock, IrqFlag flags) {
        requireFlag(flags);
        checkUnlock("bpf_res_spin_unlock_irqrestore", lock, true);
        checkRestore("bpf_res_spin_unlock_irqrestore", flags, IrqFlag.Saver.RES_LOCK);
        removeHeld(lock);
        irqFlags.remove(flags);
        flags.saver = null;
        lock.unlock(cpu);
    }

    /**
     * {@code bpf_local_irq_save}.
     *
     * @throws VerifierRejection {@code FUNCTION_CALL_IN_LOCK} inside a lock region, {@code IRQ_FLAG_IN_USE}
     */
    public void localIrqSave(IrqFlag flags) {
        requireFlag(flags);
        checkNoLock("bpf_local_irq_save");
        if (flags.isSaved()) {
            throw new VerifierRejection(VerifierRejection.Kind.IRQ_FLAG_IN_USE,
                    "bpf_local_irq_save: irq flag " + flags + " holds saved state already");
        }
        flags.saver = IrqFlag.Saver.LOCAL_IRQ;
        irqFlags.add(flags);
    }

    /**
     * {@code bpf_local_irq_restore}.
     *
     * @throws VerifierRejection {@code FUNCTION_CALL_IN_LOCK} inside a lock region, {@code IRQ_FLAG_NOT_SAVED},
     *         {@code IRQ_FLAG_WRONG_CLASS}, {@code IRQ_RESTORE_OUT_OF_ORDER}
     */
    public void localIrqRestore(IrqFlag flags) {
        requireFlag(flags);
        checkNoLock("bpf_local_irq_restore");
        checkRestore("bpf_local_irq_restore", flags, IrqFlag.Saver.LOCAL_IRQ);
        irqFlags.remove(flags);
        flags.saver = null;
    }

    /**
     * {@code BPF_EXIT} of the main program: the verifier rejects an exit that holds a lock or saved irq state.
     *
     * @throws VerifierRejection {@code LOCK_HELD_AT_EXIT} or {@code IRQ_FLAG_HELD_AT_EXIT}
     */
    public void exit() {
        if (mutation == KfuncMutation.NO_EXIT_CHECK) {
            return;
        }
        if (!locks.isEmpty()) {
            throw new VerifierRejection(VerifierRejection.Kind.LOCK_HELD_AT_EXIT,
                    "program exit on " + cpu + " holding " + heldLocks());
        }
        if (!irqFlags.isEmpty()) {
            throw new VerifierRejection(VerifierRejection.Kind.IRQ_FLAG_HELD_AT_EXIT,
                    "program exit on " + cpu + " with irq state saved in " + irqFlags);
        }
    }

    /** The locks held, oldest first. */
    public List<RqSpinLock> heldLocks() {
        List<RqSpinLock> l = new ArrayList<>();
        for (Held h : locks) {
            l.add(h.lock);
        }
        return l;
    }

    /** The irq flags holding saved state, oldest first. */
    public List<IrqFlag> savedIrqFlags() {
        return new ArrayList<>(irqFlags);
    }

    /** The failure injector of this program's lock attempts. */
    public FailureInjector<KfuncSite> failures() {
        return failures;
    }

    private void checkAA(RqSpinLock lock) {
        if (lock == null) {
            throw new IllegalArgumentException("lock must not be null");
        }
        for (Held h : locks) {
            if (h.lock == lock && mutation != KfuncMutation.NO_AA_CHECK) {
                throw new VerifierRejection(VerifierRejection.Kind.AA_DEADLOCK,
                        "acquiring " + lock + " again: AA deadlock detected");
            }
        }
    }

    private void checkUnlock(String fn, RqSpinLock lock, boolean irq) {
        if (lock == null) {
            throw new IllegalArgumentException("lock must not be null");
        }
        if (locks.isEmpty()) {
            throw new VerifierRejection(VerifierRejection.Kind.UNLOCK_WITHOUT_LOCK,
                    fn + "(" + lock + ") without taking a lock");
        }
        boolean held = false;
        for (Held h : locks) {
            held |= h.lock == lock && h.irq == irq;
        }
        if (!held && mutation != KfuncMutation.NO_DIFFERENT_LOCK_CHECK) {
            throw new VerifierRejection(VerifierRejection.Kind.DIFFERENT_LOCK,
                    fn + "(" + lock + "): unlock of different lock");
        }
        if (locks.get(locks.size() - 1).lock != lock && mutation != KfuncMutation.NO_FIFO_CHECK) {
            throw new VerifierRejection(VerifierRejection.Kind.OUT_OF_ORDER,
                    fn + "(" + lock + ") cannot be out of order: the most recent lock is "
                            + locks.get(locks.size() - 1).lock);
        }
    }

    private void checkRestore(String fn, IrqFlag flags, IrqFlag.Saver saver) {
        if (!flags.isSaved() || !irqFlags.contains(flags)) {
            throw new VerifierRejection(VerifierRejection.Kind.IRQ_FLAG_NOT_SAVED,
                    fn + ": irq flag " + flags + " holds no saved state");
        }
        if (flags.saver != saver) {
            throw new VerifierRejection(VerifierRejection.Kind.IRQ_FLAG_WRONG_CLASS,
                    fn + ": irq flag " + flags + " was saved by the other kfunc class");
        }
        if (irqFlags.get(irqFlags.size() - 1) != flags && mutation != KfuncMutation.NO_IRQ_ORDER_CHECK) {
            throw new VerifierRejection(VerifierRejection.Kind.IRQ_RESTORE_OUT_OF_ORDER,
                    fn + "(" + flags + "): cannot restore irq state out of order");
        }
    }

    /** Drops the most recent entry of {@code lock} (the top one, unless a seeded bug let an unlock skip the check). */
    private void removeHeld(RqSpinLock lock) {
        for (int i = locks.size() - 1; i >= 0; i--) {
            if (locks.get(i).lock == lock) {
                locks.remove(i);
                return;
            }
        }
    }

    private void checkNoLock(String fn) {
        if (!locks.isEmpty()) {
            throw new VerifierRejection(VerifierRejection.Kind.FUNCTION_CALL_IN_LOCK,
                    fn + " while holding " + heldLocks() + ": function calls are not allowed");
        }
    }

    private static void requireFlag(IrqFlag flags) {
        if (flags == null) {
            throw new IllegalArgumentException("flags must not be null");
        }
    }
}
