package rqspin.conformance.lock;

import rqspin.conformance.Traces;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.lock.MutantLocks;
import rqspin.spec.Manifest;

/**
 * Spec to Java: every trace the runner writes for an rqspinlock model (each
 * finding, each seeded spec mutant's violation) is replayed on the Java
 * twin through its step gates. A finding's trace must be followed to its
 * end, and the Java side's checks must report the property TLC reports; a
 * spec mutant's trace must not be followed (the correct Java twin cannot
 * take the mutant's step). ci: the ci models; full: every model.
 */
class ReplayTest {

    @TestFactory
    Stream<DynamicTest> everyViolationOfTheManifestReplaysAsItMust() throws Exception {
        Manifest manifest = Conformance.manifest();
        List<Manifest.Model> models = Conformance.rqModels(m -> Conformance.violation(m)
                && (Conformance.full() || m.size().equals("ci")));
        assertTrue(models.size() >= 27, "rq models with a violation: " + models.size());
        LockTwin twin = new LockTwin();
        return models.stream().map(m -> DynamicTest.dynamicTest(m.name() + " (" + m.expected() + ")", () -> {
            Traces tr = Traces.of(manifest, m);
            long t0 = System.nanoTime();
            Twin.Replay r = twin.replay(manifest, m, tr.states(), tr.loop());
            Conformance.figures(Conformance.specMutant(m) ? "replay-mutant" : "replay-finding", m, 1,
                    tr.states().size() - 1, (System.nanoTime() - t0) / 1e9);
            if (Conformance.specMutant(m)) {
                assertFalse(r.followed(), m.name() + ": the Java twin followed a spec mutant's trace");
                assertNotNull(r.mismatch());
            } else {
                assertTrue(r.followed(), m.name() + ": " + r.mismatch() + "\n" + String.join("\n", r.log()));
                assertNotNull(r.violation(), m.name() + ": followed, but the Java side reports no violation\n"
                        + String.join("\n", r.log()));
                assertTrue(r.violation().contains(m.expected().property() + ":"),
                        m.name() + ": the Java side reports " + r.violation() + ", TLC " + m.expected());
            }
        }));
    }

    /** The replay can fail on the Java side too: a finding's trace on a seeded mutant of the Java twin. */
    @Test
    void aFindingTraceDoesNotReplayOnAJavaMutant() throws Exception {
        Manifest manifest = Conformance.manifest();
        Manifest.Model m = Conformance.model("rq_v615_cascade_edeadlk");
        Traces tr = Traces.of(manifest, m);
        LockTwin mutant = new LockTwin((machine, name, sc) ->
                MutantLocks.create(machine, sc.version(), name, "NO_ABORT_CASCADE"));
        Twin.Replay r = mutant.replay(manifest, m, tr.states(), tr.loop());
        assertFalse(r.followed());
        assertTrue(r.mismatch().contains("abort_signal_next"), r.mismatch());
        Twin.Replay real = new LockTwin().replay(manifest, m, tr.states(), tr.loop());
        assertTrue(real.followed(), real.mismatch());
        assertNull(real.mismatch());
    }
}
