package rqspin.conformance.lock;

import rqspin.conformance.Traces;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.spec.Manifest;
import rqspin.spec.Simulation;
import rqspin.spec.TlcResult;

/**
 * Spec to Java, beyond the error traces: random behaviours of the passing
 * rqspinlock models, from TLC's simulation (invariants only), are replayed
 * on the Java twin, which must follow every one and report no violation.
 * ci: three models (v6.15, v6.19, qspinlock), a few behaviours each; full:
 * every passing model, 50 behaviours each.
 */
class SimulationReplayTest {
    static final List<String> CI = List.of("rq_v615_queue3", "rq_v619_safety", "rq_qspinlock_safety");

    @TestFactory
    Stream<DynamicTest> theJavaTwinFollowsEverySimulatedBehaviour() throws Exception {
        Manifest manifest = Conformance.manifest();
        List<Manifest.Model> models = Conformance.rqModels(m -> !Conformance.violation(m)
                && (Conformance.full() || CI.contains(m.name())));
        int count = Conformance.scale(6, 50);
        LockTwin twin = new LockTwin();
        return models.stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> {
            List<List<TlcResult.State>> bs = Simulation.behaviours(manifest, m, count, 80, 7,
                    Conformance.work("simulate").resolve(m.name()));
            assertFalse(bs.isEmpty());
            long t0 = System.nanoTime();
            int events = 0;
            for (List<TlcResult.State> b : bs) {
                Twin.Replay r = twin.replay(manifest, m, b, null);
                assertTrue(r.followed(), m.name() + ": " + r.mismatch() + "\n" + String.join("\n", r.log()));
                assertNull(r.violation(), m.name() + ": " + r.violation());
                events += b.size() - 1;
            }
            Conformance.figures("replay-simulated", m, bs.size(), events, (System.nanoTime() - t0) / 1e9);
        }));
    }

    /** The same replay stops where a behaviour is changed: another action than the spec's at its first step. */
    @Test
    void aChangedBehaviourIsNotFollowed() throws Exception {
        Manifest manifest = Conformance.manifest();
        Manifest.Model m = Conformance.model("rq_v619_tas_virt");
        List<TlcResult.State> b = new java.util.ArrayList<>(Traces.of(manifest, m).states());
        TlcResult.State s = b.get(1);
        b.set(1, new TlcResult.State(s.number(), "fastpath_cmpxchg", s.location(), s.vars()));
        Twin.Replay r = new LockTwin().replay(manifest, m, b, null);
        assertFalse(r.followed());
        assertTrue(r.mismatch().startsWith("step 2 "), r.mismatch());
    }
}
