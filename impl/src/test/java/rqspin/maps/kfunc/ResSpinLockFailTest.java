package rqspin.maps.kfunc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * The verifier's rules for the rqspinlock kfuncs, one test per case of the
 * kernel selftests tools/testing/selftests/bpf/progs/res_spin_lock_fail.c
 * and the res_spin_lock cases of progs/irq.c (60ba5b3ed727), named after
 * them. Each rejected call changes nothing: the locks held, the lock words
 * and the saved irq flags are as before it. The selftests' type and offset
 * cases (res_spin_lock_arg, _bad_off, _var_off, _no_lock_map, _no_lock_kptr)
 * have no counterpart: a Java RqSpinLock argument is a lock by type.
 */
class ResSpinLockFailTest {
    private final Machine machine = Machine.of(2);
    private final Cpu cpu = machine.attach();
    /** The lock in the array map's value ({@code elem->lock}). */
    private final RqSpinLock elemLock = new RqSpinLock(machine, Version.V6_15, "elem->lock");
    /** The global {@code res_lock} / {@code lockA}. */
    private final RqSpinLock resLock = new RqSpinLock(machine, Version.V6_15, "res_lock");
    private final RqSpinLock lockB = new RqSpinLock(machine, Version.V6_15, "lockB");

    @AfterEach
    void detach() {
        cpu.detach();
    }

    /** Asserts that {@code call} is rejected with {@code kind} and changes nothing. */
    private void rejected(BpfProgram p, VerifierRejection.Kind kind, Runnable call) {
        List<RqSpinLock> held = p.heldLocks();
        List<IrqFlag> flags = p.savedIrqFlags();
        int[] words = {elemLock.lockWord(), resLock.lockWord(), lockB.lockWord()};
        List<Integer> table = cpu.heldLockIds();
        VerifierRejection r = assertThrows(VerifierRejection.class, call::run);
        assertEquals(kind, r.kind(), r.getMessage());
        assertEquals(held, p.heldLocks());
        assertEquals(flags, p.savedIrqFlags());
        assertEquals(words[0], elemLock.lockWord());
        assertEquals(words[1], resLock.lockWord());
        assertEquals(words[2], lockB.lockWord());
        assertEquals(table, cpu.heldLockIds());
    }

    /** Releases what the program holds, newest first, the way it was taken. */
    private static void cleanup(BpfProgram p, IrqFlag... flags) {
        List<RqSpinLock> held = p.heldLocks();
        for (int i = held.size() - 1; i >= 0; i--) {
            RqSpinLock l = held.get(i);
            boolean done = false;
            for (IrqFlag f : flags) {
                if (!done && p.savedIrqFlags().size() > 0 && p.savedIrqFlags().get(p.savedIrqFlags().size() - 1) == f) {
                    try {
                        p.resSpinUnlockIrqrestore(l, f);
                        done = true;
                    } catch (VerifierRejection e) {
                        // a plain lock: below
                    }
                }
            }
            if (!done) {
                p.resSpinUnlock(l);
            }
        }
        p.exit();
    }

    @Test
    void res_spin_lock_AA() {
        BpfProgram p = new BpfProgram(cpu);
        p.resSpinLock(elemLock);
        rejected(p, VerifierRejection.Kind.AA_DEADLOCK, () -> p.resSpinLock(elemLock));
        cleanup(p);
    }

    @Test
    void res_spin_lock_cond_AA() {
        BpfProgram p = new BpfProgram(cpu);
        assertEquals(0, p.resSpinLock(elemLock));
        rejected(p, VerifierRejection.Kind.AA_DEADLOCK, () -> p.resSpinLock(elemLock));
        // the irqsave form is AA too
        rejected(p, VerifierRejection.Kind.AA_DEADLOCK, () -> p.resSpinLockIrqsave(elemLock, new IrqFlag("f")));
        cleanup(p);
    }

    @Test
    void res_spin_lock_mismatch_1() {
        BpfProgram p = new BpfProgram(cpu);
        assertEquals(0, p.resSpinLock(elemLock));
        rejected(p, VerifierRejection.Kind.DIFFERENT_LOCK, () -> p.resSpinUnlock(resLock));
        cleanup(p);
    }

    @Test
    void res_spin_lock_mismatch_2() {
        BpfProgram p = new BpfProgram(cpu);
        assertEquals(0, p.resSpinLock(resLock));
        rejected(p, VerifierRejection.Kind.DIFFERENT_LOCK, () -> p.resSpinUnlock(elemLock));
        cleanup(p);
    }

    @Test
    void res_spin_lock_irq_mismatch_1() {
        BpfProgram p = new BpfProgram(cpu);
        IrqFlag f1 = new IrqFlag("f1");
        p.localIrqSave(f1);
        assertEquals(0, p.resSpinLock(resLock));
        rejected(p, VerifierRejection.Kind.DIFFERENT_LOCK, () -> p.resSpinUnlockIrqrestore(resLock, f1));
        p.resSpinUnlock(resLock);
        p.localIrqRestore(f1);
        p.exit();
    }

    @Test
    void res_spin_lock_irq_mismatch_2() {
        BpfProgram p = new BpfProgram(cpu);
        IrqFlag f1 = new IrqFlag("f1");
        assertEquals(0, p.resSpinLockIrqsave(resLock, f1));
        rejected(p, VerifierRejection.Kind.DIFFERENT_LOCK, () -> p.resSpinUnlock(resLock));
        p.resSpinUnlockIrqrestore(resLock, f1);
        p.exit();
    }

    /** Accepted: both branches (the second lock succeeding, and failing) release in order. */
    @Test
    void res_spin_lock_ooo() {
        for (boolean secondFails : new boolean[] {false, true}) {
            FailureInjector<KfuncSite> f = new FailureInjector<>(KfuncSite.class);
            BpfProgram p = new BpfProgram(cpu, f);
            assertEquals(0, p.resSpinLock(resLock));
            if (secondFails) {
                f.failAt(KfuncSite.bpf_res_spin_lock, Errno.ETIMEDOUT);
            }
            if (p.resSpinLock(elemLock) != 0) {
                assertTrue(secondFails);
                assertFalse(elemLock.isLocked());
                p.resSpinUnlock(resLock);
                p.exit();
                continue;
            }
            p.resSpinUnlock(elemLock);
            p.resSpinUnlock(resLock);
            p.exit();
        }
        assertEquals(List.of(), cpu.heldLockIds().stream().filter(x -> x != 0).toList());
    }

    /** Accepted: a failed irqsave leaves its flag empty, so no unreleased irq flag on that branch. */
    @Test
    void res_spin_lock_ooo_irq() {
        for (boolean secondFails : new boolean[] {false, true}) {
            FailureInjector<KfuncSite> f = new FailureInjector<>(KfuncSite.class);
            BpfProgram p = new BpfProgram(cpu, f);
            IrqFlag f1 = new IrqFlag("f1");
            IrqFlag f2 = new IrqFlag("f2");
            assertEquals(0, p.resSpinLockIrqsave(resLock, f1));
            if (secondFails) {
                f.failAt(KfuncSite.bpf_res_spin_lock_irqsave, Errno.EDEADLK);
            }
            if (p.resSpinLockIrqsave(elemLock, f2) != 0) {
                assertTrue(secondFails);
                assertFalse(f2.isSaved());
                p.resSpinUnlockIrqrestore(resLock, f1);
                p.exit();
                continue;
            }
            p.resSpinUnlockIrqrestore(elemLock, f2);
            p.resSpinUnlockIrqrestore(resLock, f1);
            p.exit();
        }
    }

    @Test
    void res_spin_lock_ooo_unlock() {
        BpfProgram p = new BpfProgram(cpu);
        assertEquals(0, p.resSpinLock(resLock)); // lock1
        assertEquals(0, p.resSpinLock(lockB)); // lock2
        rejected(p, VerifierRejection.Kind.OUT_OF_ORDER, () -> p.resSpinUnlock(resLock));
        cleanup(p);
    }

    @Test
    void irq_ooo_lock_cond_inv() {
        BpfProgram p = new BpfProgram(cpu);
        IrqFlag f1 = new IrqFlag("flags1");
        IrqFlag f2 = new IrqFlag("flags2");
        assertEquals(0, p.resSpinLockIrqsave(resLock, f1));
        assertEquals(0, p.resSpinLockIrqsave(lockB, f2));
        rejected(p, VerifierRejection.Kind.IRQ_RESTORE_OUT_OF_ORDER, () -> p.resSpinUnlockIrqrestore(lockB, f1));
        p.resSpinUnlockIrqrestore(lockB, f2);
        p.resSpinUnlockIrqrestore(resLock, f1);
        p.exit();
    }

    @Test
    void irq_wrong_kfunc_class_1() {
        BpfProgram p = new BpfProgram(cpu);
        IrqFlag f1 = new IrqFlag("flags1");
        assertEquals(0, p.resSpinLockIrqsave(resLock, f1));
        rejected(p, VerifierRejection.Kind.FUNCTION_CALL_IN_LOCK, () -> p.localIrqRestore(f1));
        p.resSpinUnlockIrqrestore(resLock, f1);
        p.exit();
    }

    @Test
    void irq_wrong_kfunc_class_2() {
        BpfProgram p = new BpfProgram(cpu);
        IrqFlag f1 = new IrqFlag("flags1");
        IrqFlag f2 = new IrqFlag("flags2");
        p.localIrqSave(f1);
        assertEquals(0, p.resSpinLockIrqsave(resLock, f2));
        rejected(p, VerifierRejection.Kind.FUNCTION_CALL_IN_LOCK, () -> p.localIrqRestore(f2));
        p.resSpinUnlockIrqrestore(resLock, f2);
        // outside the lock, the class of the flag is checked
        IrqFlag f3 = new IrqFlag("flags3");
        assertEquals(0, p.resSpinLockIrqsave(resLock, f3));
        p.resSpinUnlockIrqrestore(resLock, f3);
        p.localIrqRestore(f1);
        p.exit();
    }

    // ------------------------------------------------------------------ the other rules

    @Test
    void unlockWithoutALockAndOfAFailedLock() {
        BpfProgram p = new BpfProgram(cpu, new FailureInjector<>(KfuncSite.class)
                .failAt(KfuncSite.bpf_res_spin_lock, Errno.EDEADLK));
        rejected(p, VerifierRejection.Kind.UNLOCK_WITHOUT_LOCK, () -> p.resSpinUnlock(resLock));
        assertEquals(MapErrno.EDEADLK, p.resSpinLock(resLock));
        rejected(p, VerifierRejection.Kind.UNLOCK_WITHOUT_LOCK, () -> p.resSpinUnlock(resLock));
        p.exit();
    }

    @Test
    void exitHoldingALockOrASavedIrqFlagIsRejected() {
        BpfProgram p = new BpfProgram(cpu);
        p.resSpinLock(resLock);
        rejected(p, VerifierRejection.Kind.LOCK_HELD_AT_EXIT, p::exit);
        p.resSpinUnlock(resLock);
        IrqFlag f = new IrqFlag("f");
        p.localIrqSave(f);
        rejected(p, VerifierRejection.Kind.IRQ_FLAG_HELD_AT_EXIT, p::exit);
        p.localIrqRestore(f);
        p.exit();
    }

    @Test
    void irqFlagSlotsMustBeEmptyToSaveAndSavedByTheSameClassToRestore() {
        BpfProgram p = new BpfProgram(cpu);
        IrqFlag f = new IrqFlag("f");
        p.localIrqSave(f);
        rejected(p, VerifierRejection.Kind.IRQ_FLAG_IN_USE, () -> p.localIrqSave(f));
        rejected(p, VerifierRejection.Kind.IRQ_FLAG_IN_USE, () -> p.resSpinLockIrqsave(resLock, f));
        p.localIrqRestore(f);
        rejected(p, VerifierRejection.Kind.IRQ_FLAG_NOT_SAVED, () -> p.localIrqRestore(f));
        IrqFlag g = new IrqFlag("g");
        p.resSpinLockIrqsave(resLock, g);
        p.resSpinLock(lockB);
        rejected(p, VerifierRejection.Kind.OUT_OF_ORDER, () -> p.resSpinUnlockIrqrestore(resLock, g));
        p.resSpinUnlock(lockB);
        p.resSpinUnlockIrqrestore(resLock, g);
        p.exit();
    }

    /**
     * What the verifier cannot see: an NMI program on the same CPU takes the lock the interrupted program
     * holds. Its own state holds nothing, so the call is allowed, and rqspinlock returns -EDEADLK at run time.
     */
    @Test
    void anNmiProgramTakingTheInterruptedProgramsLockGetsEdeadlkAtRunTime() {
        BpfProgram task = new BpfProgram(cpu);
        assertEquals(0, task.resSpinLock(resLock));
        int[] ret = new int[1];
        cpu.runNested(Context.NMI, () -> {
            BpfProgram nmi = new BpfProgram(cpu);
            ret[0] = nmi.resSpinLock(resLock);
            nmi.exit();
        });
        assertEquals(MapErrno.EDEADLK, ret[0]);
        assertEquals(List.of(resLock), task.heldLocks());
        task.resSpinUnlock(resLock);
        task.exit();
        assertFalse(resLock.isLocked());
    }
}
