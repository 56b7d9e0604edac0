package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The deterministic checks of {@link RqSpinLockTest} can fail: the same
 * scenarios on seeded mutants give the outcomes those tests reject.
 */
class RqSpinLockMutantsTest {

    private static Cpu attach(Machine m) {
        return m.attach();
    }

    /** AA in an NMI without the AA check: the NMI waits as pending waiter and times out instead of EDEADLK. */
    @Test
    void aaInNmiWithoutTheAaCheckTimesOut() throws LockFailedException {
        Machine m = RqSpinLockTest.logicalMachine(1);
        Cpu cpu = attach(m);
        try {
            RqSpinLock a = new RqSpinLock(m, Version.V6_19, "A", Mutation.NO_AA_CHECK);
            a.lock(cpu);
            LockFailedException e = assertThrows(LockFailedException.class,
                    () -> cpu.runNested(Context.NMI, () -> a.lock(cpu)));
            assertEquals(FailureReason.TIMEOUT, e.reason()); // RqSpinLockTest expects AA / EDEADLK
            a.unlock(cpu);
        } finally {
            m.detach(cpu);
        }
    }

    /** A failing pending waiter that keeps its bit leaves the word (0,1,1): RqSpinLockTest expects (0,0,1). */
    @Test
    void aFailingPendingWaiterKeepingItsBitLeavesTheWordBroken() throws LockFailedException {
        Machine m = RqSpinLockTest.logicalMachine(1);
        Cpu cpu = attach(m);
        try {
            RqSpinLock a = new RqSpinLock(m, Version.V6_19, "A", Mutation.KEEP_PENDING_ON_FAILURE);
            a.lock(cpu);
            assertThrows(DeadlockException.class, () -> cpu.runNested(Context.NMI, () -> a.lock(cpu)));
            assertEquals(LockWord.LOCKED_VAL | LockWord.PENDING_VAL, a.lockWord());
            assertEquals(List.of(a.id()), cpu.heldLockIds());
        } finally {
            m.detach(cpu);
        }
    }

    /** Without the AA check, lock 30 of 30 nested is not detected: the re-take times out (RqSpinLockTest expects AA). */
    @Test
    void theTableCheckWithoutAaMissesLock30() throws LockFailedException {
        Machine m = RqSpinLockTest.logicalMachine(1);
        Cpu cpu = attach(m);
        try {
            RqSpinLock[] locks = new RqSpinLock[30];
            for (int i = 0; i < locks.length; i++) {
                locks[i] = new RqSpinLock(m, Version.V6_19, "L" + (i + 1), Mutation.NO_AA_CHECK);
                locks[i].lock(cpu);
            }
            assertThrows(LockTimeoutException.class, () -> locks[29].lock(cpu));
            for (int i = locks.length - 1; i >= 0; i--) {
                locks[i].unlock(cpu);
            }
        } finally {
            m.detach(cpu);
        }
    }
}
