package rqspin.conformance.storage;

import rqspin.conformance.Traces;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.spec.Manifest;

/**
 * Spec to Java: every trace the runner writes for a localstorage model (each
 * finding, each seeded spec mutant's violation) is replayed on the Java
 * twin through its step gates. A finding's trace must be followed to its
 * end, and the Java side's checks must report the property TLC reports; a
 * spec mutant's trace must not be followed (the correct Java twin cannot
 * take the mutant's step or reach its state). ci: the ci models; full:
 * every model.
 */
class ReplayTest {

    @TestFactory
    Stream<DynamicTest> everyViolationOfTheManifestReplaysAsItMust() throws Exception {
        Manifest manifest = Conformance.manifest();
        List<Manifest.Model> models = Conformance.lsModels(m -> Conformance.violation(m)
                && (Conformance.full() || m.size().equals("ci")));
        assertTrue(models.size() >= 25, "ls models with a violation: " + models.size());
        StorageTwin twin = new StorageTwin();
        return models.stream().map(m -> DynamicTest.dynamicTest(m.name() + " (" + m.expected() + ")", () -> {
            Traces tr = Traces.of(manifest, m);
            long t0 = System.nanoTime();
            Twin.Replay r = twin.replay(manifest, m, tr.states(), tr.loop());
            Conformance.figures(Conformance.specMutant(m) ? "replay-mutant" : "replay-finding", m, 1,
                    tr.states().size() - 1, (System.nanoTime() - t0) / 1e9);
            if (Conformance.specMutant(m)) {
                assertFalse(r.followed(), m.name() + ": the Java twin followed a spec mutant's trace\n"
                        + String.join("\n", r.log()));
                assertNotNull(r.mismatch());
                System.out.println("MUTANT-LS " + m.name() + ": " + r.mismatch());
            } else {
                assertTrue(r.followed(), m.name() + ": " + r.mismatch() + "\n" + String.join("\n", r.log()));
                assertNotNull(r.violation(), m.name() + ": followed, but the Java side reports no violation\n"
                        + String.join("\n", r.log()));
                assertTrue(r.violation().contains(m.expected().property() + ":"),
                        m.name() + ": the Java side reports " + r.violation() + ", TLC " + m.expected());
                System.out.println("FINDING-LS " + m.name() + ": " + r.violation());
            }
        }));
    }
}
