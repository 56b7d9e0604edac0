package rqspin.maps.kfunc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * Each verifier check of {@link BpfProgram} catches the seeded bug that
 * leaves it out: the selftest case of ResSpinLockFailTest that relies on the
 * check is rejected with its kind by the real program, and not by the
 * mutant. Each case runs on a fresh machine (a mutant may leave a lock held).
 */
class ResSpinLockFailMutantsTest {

    /** Whether {@code body} ends in a VerifierRejection of {@code kind}, on a program with {@code mutation}. */
    private static boolean rejected(KfuncMutation mutation, VerifierRejection.Kind kind,
            Consumer<Object[]> body) {
        Machine m = Machine.builder(1).build();
        Thread[] t = new Thread[1];
        boolean[] result = new boolean[1];
        t[0] = new Thread(() -> {
            Cpu cpu = m.attach();
            BpfProgram p = new BpfProgram(cpu, new FailureInjector<>(KfuncSite.class), mutation);
            RqSpinLock a = new RqSpinLock(m, Version.V6_19, "lockA");
            RqSpinLock b = new RqSpinLock(m, Version.V6_19, "lockB");
            try {
                body.accept(new Object[] {p, a, b});
            } catch (VerifierRejection r) {
                result[0] = r.kind() == kind;
            } catch (RuntimeException e) {
                result[0] = false; // e.g. the lock's own misuse check
            }
        });
        t[0].start();
        try {
            t[0].join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return result[0];
    }

    private static void caught(KfuncMutation mutation, VerifierRejection.Kind kind, Consumer<Object[]> body) {
        assertTrue(rejected(KfuncMutation.NONE, kind, body), "the real checks reject it with " + kind);
        assertFalse(rejected(mutation, kind, body), mutation + " is not caught");
    }

    @Test
    void noAaCheckIsCaughtByResSpinLockAA() {
        caught(KfuncMutation.NO_AA_CHECK, VerifierRejection.Kind.AA_DEADLOCK, x -> {
            BpfProgram p = (BpfProgram) x[0];
            RqSpinLock a = (RqSpinLock) x[1];
            assertEquals(0, p.resSpinLock(a));
            p.resSpinLock(a); // the mutant: the lock's AA check answers -EDEADLK at run time instead
        });
    }

    @Test
    void noFifoCheckIsCaughtByResSpinLockOooUnlock() {
        caught(KfuncMutation.NO_FIFO_CHECK, VerifierRejection.Kind.OUT_OF_ORDER, x -> {
            BpfProgram p = (BpfProgram) x[0];
            p.resSpinLock((RqSpinLock) x[1]);
            p.resSpinLock((RqSpinLock) x[2]);
            p.resSpinUnlock((RqSpinLock) x[1]);
        });
    }

    @Test
    void noDifferentLockCheckIsCaughtByResSpinLockMismatch() {
        caught(KfuncMutation.NO_DIFFERENT_LOCK_CHECK, VerifierRejection.Kind.DIFFERENT_LOCK, x -> {
            BpfProgram p = (BpfProgram) x[0];
            p.resSpinLock((RqSpinLock) x[1]);
            p.resSpinUnlock((RqSpinLock) x[2]);
        });
        caught(KfuncMutation.NO_DIFFERENT_LOCK_CHECK, VerifierRejection.Kind.DIFFERENT_LOCK, x -> {
            BpfProgram p = (BpfProgram) x[0];
            p.resSpinLockIrqsave((RqSpinLock) x[1], new IrqFlag("f1"));
            p.resSpinUnlock((RqSpinLock) x[1]);
        });
    }

    @Test
    void noIrqOrderCheckIsCaughtByIrqOooLockCondInv() {
        caught(KfuncMutation.NO_IRQ_ORDER_CHECK, VerifierRejection.Kind.IRQ_RESTORE_OUT_OF_ORDER, x -> {
            BpfProgram p = (BpfProgram) x[0];
            IrqFlag f1 = new IrqFlag("flags1");
            IrqFlag f2 = new IrqFlag("flags2");
            p.resSpinLockIrqsave((RqSpinLock) x[1], f1);
            p.resSpinLockIrqsave((RqSpinLock) x[2], f2);
            p.resSpinUnlockIrqrestore((RqSpinLock) x[2], f1);
        });
    }

    @Test
    void noExitCheckIsCaught() {
        caught(KfuncMutation.NO_EXIT_CHECK, VerifierRejection.Kind.LOCK_HELD_AT_EXIT, x -> {
            BpfProgram p = (BpfProgram) x[0];
            p.resSpinLock((RqSpinLock) x[1]);
            p.exit();
        });
    }
}
