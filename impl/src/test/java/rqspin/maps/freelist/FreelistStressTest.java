package rqspin.maps.freelist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.lock.Clock;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.SpinHint;
import rqspin.lock.Version;
import rqspin.maps.freelist.PcpuFreelist.Node;
import rqspin.maps.freelist.PcpuFreelist.PopResult;

/**
 * "Returns an error and loses nothing": random lock failures at every site
 * and NMIs on the same CPU, and the audit finds every node in exactly one
 * place; then each seeded mutant, which the same run (or, for the
 * deterministic ones, the same check on one step) catches.
 */
class FreelistStressTest {
    @Test
    void randomFailuresAndNmisLoseNothingAndDuplicateNothing() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            FreelistStress.Report r = FreelistStress.run(Mutation.NONE, seed, 2, 6, 2_000, 0.2, 0.02);
            assertTrue(r.clean(), "seed " + seed + ": " + r);
            assertTrue(r.failures() > 100, "failures were injected: " + r);
            assertTrue(r.nmis() > 10, "NMIs arrived: " + r);
            assertTrue(r.nulls() > 0 && r.pops() > r.nulls(), r.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mutation.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void theStressRunCatchesEachMutant(Mutation mutation) throws Exception {
        FreelistStress.Report r = FreelistStress.run(mutation, 1, 2, 6, 2_000, 0.2, 0.0);
        assertFalse(r.clean(), mutation + " was not caught: " + r);
    }

    private static Machine oneCpu() {
        return Machine.builder(1).clock(Clock.logical(1_000)).timeoutNanos(1_000_000L).checkPeriod(1)
                .spinHint(SpinHint.NONE).build();
    }

    @Test
    void aPushThatDropsItsNodeOnAFailedAttemptIsCaughtByTheAudit() {
        PcpuFreelist fl = new PcpuFreelist(oneCpu(), Version.V6_15, Mutation.PUSH_DROPS_ON_FAILURE);
        Node x = fl.newNodes(1).get(0);
        fl.failures().failAt(LockSite.PUSH_LOCAL, 1, Errno.ETIMEDOUT);
        Cpu cpu = fl.lock(0).machine().attach();
        try {
            fl.push(cpu, x);
        } finally {
            cpu.detach();
        }
        assertEquals(List.of("node1 is lost: in no list and held by no caller (lists [[]])"), fl.audit(List.of()));
    }

    @Test
    void aPopThatDropsANodeIsCaughtByTheAudit() {
        PcpuFreelist fl = new PcpuFreelist(oneCpu(), Version.V6_15, Mutation.POP_DROPS_ELEMENT);
        fl.populate(2);
        Cpu cpu = fl.lock(0).machine().attach();
        Node got;
        try {
            got = fl.pop(cpu);
        } finally {
            cpu.detach();
        }
        assertEquals(2, got.id());
        assertEquals(List.of("node1 is lost: in no list and held by no caller (lists [[]])"), fl.audit(List.of(got)));
    }

    @Test
    void aPopThatDoesNotUndoItsUnlinkWhenTheLockFailsIsCaughtByTheAudit() {
        PcpuFreelist fl = new PcpuFreelist(oneCpu(), Version.V6_15, Mutation.POP_UNLINKS_BEFORE_LOCK);
        fl.populate(1);
        fl.failures().failAt(LockSite.POP, 1, Errno.EDEADLK);
        Cpu cpu = fl.lock(0).machine().attach();
        try {
            assertEquals(null, fl.pop(cpu));
        } finally {
            cpu.detach();
        }
        assertEquals(List.of("node1 is lost: in no list and held by no caller (lists [[]])"), fl.audit(List.of()));
    }

    @Test
    void aPopThatGivesUpAtItsFirstFailureIsUnjustified() {
        Machine m = Machine.builder(2).clock(Clock.logical(1_000)).timeoutNanos(1_000_000L).checkPeriod(1)
                .spinHint(SpinHint.NONE).build();
        PcpuFreelist kernel = new PcpuFreelist(m, Version.V6_15);
        PcpuFreelist mutant = new PcpuFreelist(m, Version.V6_15, Mutation.POP_GIVES_UP);
        for (PcpuFreelist fl : List.of(kernel, mutant)) {
            fl.populate(2);
            fl.failures().failAt(LockSite.POP, 1, Errno.ETIMEDOUT);
        }
        Cpu cpu = m.attach(0);
        try {
            PopResult k = kernel.popTraced(cpu);
            assertEquals(2, k.node().id(), "the kernel skips head0 and takes from head1");
            PopResult r = mutant.popTraced(cpu);
            assertEquals(null, r.node());
            assertFalse(r.justified(), "head1 was never looked at: " + r);
        } finally {
            cpu.detach();
        }
    }
}
