package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.conformance.Twin;
import rqspin.conformance.lock.Recorder;
import rqspin.spec.Manifest;
import rqspin.spec.TraceValidation;

/**
 * Java to spec for a sample of Lincheck's stress run of the lock
 * (lincheck's MutualExclusionTest: three threads, each a CPU, increment and
 * read a counter under the lock): each invocation's machine gets a
 * serializing {@link Recorder} (its lock "L" recorded as the spec's A), and
 * TLC checks every recorded execution against the spec of the counter's
 * version. The recorder serializes the steps and changes nothing the
 * stress test checks (its outcome is still checked for linearizability).
 * ci: 8 invocations per version, the concurrent executions; full: 60, and
 * the sequential executions of Lincheck's own check.
 */
class LincheckSampleTest {

    @ParameterizedTest
    @EnumSource(Version.class)
    void aSampleOfTheStressRunIsABehaviourOfTheSpec(Version v) throws Exception {
        boolean full = "full".equals(System.getProperty("rqspin.conformance", "ci"));
        List<Recorder> recs = Collections.synchronizedList(new ArrayList<>());
        MutualExclusionTest.recorders = () -> {
            Recorder r = new Recorder(List.of("A", "B")).alias("L", "A");
            recs.add(r);
            return r;
        };
        try {
            new StressOptions().iterations(1).invocationsPerIteration(full ? 60 : 8).threads(3).actorsPerThread(3)
                    .actorsBefore(0).actorsAfter(0)
                    .check(v == Version.V6_15 ? MutualExclusionTest.CounterV615.class
                            : MutualExclusionTest.CounterV619.class);
        } finally {
            MutualExclusionTest.recorders = null;
        }
        Map<String, List<Twin.Recorded>> byScripts = new LinkedHashMap<>();
        int n = 0;
        for (Recorder r : List.copyOf(recs)) {
            if (r.size() == 0) {
                continue; // an instance Lincheck made and never ran
            }
            assertNull(r.unusable());
            Twin.Recorded rec = r.recorded("lincheck " + v + " #" + (++n));
            long cpus = rec.events().stream().map(e -> e.params().get(0)).distinct().count();
            if (cpus == 1 && !full) {
                continue; // an instance of Lincheck's sequential check: one thread (validated in full)
            }
            byScripts.computeIfAbsent(rec.definitions().toString(), k -> new ArrayList<>()).add(rec);
        }
        assertTrue(n >= (full ? 60 : 8), "recorded executions: " + n);
        Manifest manifest = Manifest.load(RecordedLockTestsTest.SPEC.resolve("models.json"));
        Manifest.Model base = manifest.select(List.of(v == Version.V6_15 ? "rq_v615_full_safety"
                : "rq_v619_full_safety")).get(0);
        int group = 0;
        for (List<Twin.Recorded> same : byScripts.values()) {
            List<List<TraceValidation.Event>> traces = new ArrayList<>();
            same.forEach(r -> traces.add(r.events()));
            Twin.Recorded first = same.get(0);
            long t0 = System.nanoTime();
            List<TraceValidation.Outcome> out = TraceValidation.validate(manifest, base, first.extraConstants(),
                    first.definitions(), traces, Path.of("target", "conformance-tests", "lincheck",
                            v + "-" + (++group)).toAbsolutePath());
            System.out.printf(java.util.Locale.ROOT, "FIGURES lincheck group%d %s %d %d %.2f%n", group, v, traces.size(),
                    traces.stream().mapToInt(List::size).sum(), (System.nanoTime() - t0) / 1e9);
            for (int i = 0; i < out.size(); i++) {
                TraceValidation.Outcome o = out.get(i);
                Twin.Recorded r = same.get(i);
                assertTrue(o.accepted(), () -> r.name() + ": the spec takes " + o.taken() + " of " + o.length()
                        + " steps; it cannot take " + r.events().get(o.taken()) + "\n  Java step: "
                        + r.javaSteps().get(o.taken()) + "\n  spec state before: " + o.stateBefore());
            }
        }
    }
}
