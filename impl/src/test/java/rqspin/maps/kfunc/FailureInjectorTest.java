package rqspin.maps.kfunc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/** The rules of the failure injector, and ResSpinLock.lockAt's use of them. */
class FailureInjectorTest {

    @Test
    void rulesBySiteByCountForOneCpuAndAtRandom() {
        FailureInjector<KfuncSite> f = new FailureInjector<>(KfuncSite.class);
        f.failNth(3, Errno.ETIMEDOUT);
        f.failAt(KfuncSite.bpf_res_spin_lock_irqsave, 2, Errno.EDEADLK);
        f.failNextOn(1, Errno.EDEADLK);
        assertNull(f.decide(KfuncSite.bpf_res_spin_lock, 0)); // 1
        assertNull(f.decide(KfuncSite.bpf_res_spin_lock_irqsave, 0)); // 2, first at that site
        assertEquals(Errno.ETIMEDOUT, f.decide(KfuncSite.bpf_res_spin_lock, 0)); // 3
        assertEquals(Errno.EDEADLK, f.decide(KfuncSite.bpf_res_spin_lock_irqsave, 0)); // second at that site
        assertEquals(Errno.EDEADLK, f.decide(KfuncSite.bpf_res_spin_lock, 1)); // cpu1's next attempt
        assertNull(f.decide(KfuncSite.bpf_res_spin_lock, 1), "the one-shot rule is spent");
        assertEquals(6, f.attempts());
        assertEquals(3, f.failures().size());
        assertTrue(f.failures().stream().allMatch(FailureInjector.Failure::injected));
        f.clearRules();
        assertNull(f.decide(KfuncSite.bpf_res_spin_lock, 0));
    }

    @Test
    void randomRulesAreReproducibleFromTheirSeed() {
        List<Errno> a = new ArrayList<>();
        List<Errno> b = new ArrayList<>();
        for (List<Errno> out : List.of(a, b)) {
            FailureInjector<KfuncSite> f = new FailureInjector<>(KfuncSite.class);
            f.failRandomly(9, 0.3, KfuncSite.bpf_res_spin_lock);
            for (int i = 0; i < 200; i++) {
                out.add(f.decide(i % 2 == 0 ? KfuncSite.bpf_res_spin_lock : KfuncSite.bpf_res_spin_lock_irqsave, 0));
            }
        }
        assertEquals(a, b);
        assertTrue(a.contains(Errno.EDEADLK) && a.contains(Errno.ETIMEDOUT));
        for (int i = 1; i < a.size(); i += 2) {
            assertNull(a.get(i), "the irqsave site is not among the rule's sites");
        }
    }

    @Test
    void badRulesAreRefused() {
        FailureInjector<KfuncSite> f = new FailureInjector<>(KfuncSite.class);
        assertThrows(IllegalArgumentException.class, () -> f.failNth(0, Errno.EDEADLK));
        assertThrows(IllegalArgumentException.class, () -> f.failAt(null, Errno.EDEADLK));
        assertThrows(IllegalArgumentException.class, () -> f.failAt(KfuncSite.bpf_res_spin_lock, null));
        assertThrows(IllegalArgumentException.class, () -> f.failRandomly(1, 1.5));
        assertThrows(IllegalArgumentException.class, () -> f.failNextOn(-1, Errno.EDEADLK));
        assertThrows(IllegalArgumentException.class, () -> new FailureInjector<KfuncSite>(null));
        assertNull(f.decide(KfuncSite.bpf_res_spin_lock, 0), "no rule was added");
    }

    @Test
    void lockAtLeavesTheLockUntouchedOnAnInjectedFailureAndRecordsARealOne() {
        Machine m = Machine.builder(1).build();
        Cpu cpu = m.attach();
        try {
            RqSpinLock l = new RqSpinLock(m, Version.V6_19, "l");
            FailureInjector<KfuncSite> f = new FailureInjector<>(KfuncSite.class);
            f.failNth(1, Errno.ETIMEDOUT);
            assertEquals(MapErrno.ETIMEDOUT, ResSpinLock.lockAt(f, KfuncSite.bpf_res_spin_lock, cpu, l));
            assertFalse(l.isLocked());
            assertEquals(0, ResSpinLock.lockAt(f, KfuncSite.bpf_res_spin_lock, cpu, l));
            assertEquals(MapErrno.EDEADLK, ResSpinLock.lockAt(f, KfuncSite.bpf_res_spin_lock, cpu, l)); // AA
            assertFalse(f.failures().get(1).injected());
            l.unlock(cpu);
        } finally {
            cpu.detach();
        }
    }
}
