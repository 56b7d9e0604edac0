package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A machine built with {@code misuseRecord(false)} (the verifier's mode): the
 * algorithm is the same (the held-lock table, AA and ABBA detection, the
 * failures), only the per-context record of held locks is gone, so the
 * misuse that record rejects is trusted not to happen, as the kernel trusts
 * a verified program. The tests show both halves: detection still works,
 * and the misuse checks that need the record are off (if the option were
 * ignored, {@link #anOutOfOrderUnlockIsTrustedAndReleasesTheLockItNames}
 * would fail; if it were always off, RqSpinLockTest's misuse tests would).
 */
class MisuseRecordModeTest {
    private Machine machine;
    private Cpu cpu;

    private void attach(Machine m) {
        machine = m;
        cpu = m.attach(0);
    }

    @AfterEach
    void detach() {
        if (cpu != null && machine.isAttached()) {
            machine.detach(cpu);
        }
    }

    private static Machine.Builder trusting(int cpus) {
        return RqSpinLockTest.logicalBuilder(cpus).misuseRecord(false);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void lockAndUnlockKeepTheHeldLockTableAsWithTheRecord(Version v) throws LockFailedException {
        attach(trusting(1).build());
        RqSpinLock a = new RqSpinLock(machine, v, "A");
        RqSpinLock b = new RqSpinLock(machine, v, "B");
        a.lock(cpu);
        b.lock(cpu);
        assertEquals(List.of(a.id(), b.id()), cpu.heldLockIds());
        b.unlock(cpu);
        a.unlock(cpu);
        assertEquals(0, a.lockWord());
        assertEquals(0, b.lockWord());
        assertEquals(0, cpu.heldCount());
        assertTrue(machine.toString().contains("no misuse record"), machine.toString());
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aaInAnNmiIsStillDetected(Version v) throws LockFailedException {
        attach(trusting(1).build());
        RqSpinLock a = new RqSpinLock(machine, v, "A");
        a.lock(cpu);
        DeadlockException e = assertThrows(DeadlockException.class,
                () -> cpu.runNested(Context.NMI, () -> a.lock(cpu)));
        assertEquals(FailureReason.AA, e.reason());
        assertEquals(List.of(a.id()), cpu.heldLockIds());
        a.unlock(cpu);
        assertEquals(0, a.lockWord());
    }

    @Test
    void anOutOfOrderUnlockIsTrustedAndReleasesTheLockItNames() throws LockFailedException {
        attach(trusting(1).build());
        RqSpinLock a = new RqSpinLock(machine, Version.V7_2, "A");
        RqSpinLock b = new RqSpinLock(machine, Version.V7_2, "B");
        a.lock(cpu);
        b.lock(cpu);
        a.unlock(cpu); // the verifier would have refused this program; nothing checks it here
        assertFalse(a.isLocked());
        assertTrue(b.isLocked());
        // The table pops its top entry, as res_spin_unlock does: B's entry went, A's stays (the corruption a
        // verified program cannot cause).
        assertEquals(List.of(a.id()), cpu.heldLockIds());
        b.unlock(cpu);
        assertFalse(b.isLocked());
        assertEquals(0, cpu.heldCount());
    }

    @Test
    void aContextExitHoldingALockIsNotCheckedWithoutTheRecord() throws LockFailedException {
        attach(trusting(1).build());
        RqSpinLock a = new RqSpinLock(machine, Version.V7_2, "A");
        cpu.runNested(Context.HARDIRQ, () -> a.lock(cpu));
        assertTrue(a.isLocked());
        a.unlock(cpu);
        assertEquals(0, cpu.heldCount());
    }

    @Test
    void theCpuChecksStay() throws Exception {
        attach(trusting(2).build());
        RqSpinLock a = new RqSpinLock(machine, Version.V7_2, "A");
        assertEquals(LockMisuseException.Kind.NOT_THIS_CPU,
                RqSpinLockTest.misuseOnAnotherThread(() -> a.lock(cpu)).kind());
        Machine other = trusting(1).build();
        Cpu foreign = other.cpu(0);
        LockMisuseException e = assertThrows(LockMisuseException.class, () -> a.unlock(foreign));
        assertEquals(LockMisuseException.Kind.NOT_THIS_CPU, e.kind()); // nobody runs that CPU
        assertFalse(a.isLocked());
    }

    @Test
    void withTheRecordTheSameProgramsAreRejected() throws LockFailedException {
        attach(RqSpinLockTest.logicalBuilder(1).build());
        RqSpinLock a = new RqSpinLock(machine, Version.V7_2, "A");
        RqSpinLock b = new RqSpinLock(machine, Version.V7_2, "B");
        a.lock(cpu);
        b.lock(cpu);
        assertEquals(LockMisuseException.Kind.OUT_OF_ORDER,
                assertThrows(LockMisuseException.class, () -> a.unlock(cpu)).kind());
        b.unlock(cpu);
        a.unlock(cpu);
        assertEquals(0, cpu.heldCount());
    }
}
