package rqspin.conformance.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.spec.Manifest;
import rqspin.spec.TraceValidation;

/**
 * Java to spec: seeded random schedules of the Java local storage, in the
 * closed world of each manifest model, with lock failures and need_resched
 * drawn from the seed where the model allows them, recorded step by step
 * with the state each step reached, are checked by TLC against the spec
 * (TraceLocalStorage: the spec's next-state relation constrained to the
 * recorded events, the whole trace consumed). ci: one model per protocol
 * with lock failures (ls_final_f1, ls_v3_f1) and the model with all six
 * candidate fixes (ls_fix_all), 12 runs each; full: every
 * localstorage model of ci size but the spec mutants, 40 runs each
 * (hundreds per protocol). Each model has seeds of its own (1000 apart):
 * models that share a world (the findings of one scenario, constants and
 * code) would otherwise repeat the same runs.
 */
class RandomValidationTest {
    static final List<String> CI = List.of("ls_final_f1", "ls_v3_f1", "ls_fix_all");

    @TestFactory
    Stream<DynamicTest> everyRandomRunIsABehaviourOfTheSpec() throws Exception {
        Manifest manifest = Conformance.manifest();
        List<Manifest.Model> models = Conformance.lsModels(m -> !Conformance.specMutant(m)
                && (Conformance.full() ? m.size().equals("ci") && Conformance.javaTwinHasEveryFixOf(m) : CI.contains(m.name())));
        int runs = Conformance.scale(12, 40);
        StorageTwin twin = new StorageTwin();
        return models.stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> {
            long t0 = System.nanoTime();
            List<Twin.Recorded> rec = twin.randomRuns(manifest, m, runs, 1000L * (1 + models.indexOf(m)));
            double javaSecs = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            List<TraceValidation.Outcome> out = validate(manifest, m, rec, "random");
            double secs = (System.nanoTime() - t0) / 1e9;
            int events = 0;
            for (int i = 0; i < out.size(); i++) {
                events += rec.get(i).events().size();
                int k = i;
                assertTrue(out.get(i).accepted(), () -> rejection(rec, out, k));
            }
            assertEquals(runs, out.size());
            assertTrue(events > runs * 5, "events: " + events);
            Conformance.figures("validate-random", m, runs, events, secs + javaSecs);
        }));
    }

    static List<TraceValidation.Outcome> validate(Manifest manifest, Manifest.Model m, List<Twin.Recorded> rec,
                                                  String what) throws Exception {
        List<List<TraceValidation.Event>> traces = new ArrayList<>();
        for (Twin.Recorded r : rec) {
            traces.add(r.events());
        }
        Twin.Recorded first = rec.get(0);
        return TraceValidation.validate(manifest, m, first.extraConstants(), first.definitions(), traces,
                Conformance.work(what).resolve(m.name()));
    }

    /** A rejected run in kernel terms: the event the spec cannot take, the Java step, the spec state before. */
    static String rejection(List<Twin.Recorded> rec, List<TraceValidation.Outcome> out, int i) {
        Twin.Recorded r = rec.get(i);
        TraceValidation.Outcome o = out.get(i);
        return r.name() + ": the spec takes " + o.taken() + " of " + o.length() + " steps; it cannot take "
                + (o.taken() < r.events().size() ? r.events().get(o.taken()) : "-") + "\n  Java step: "
                + (o.taken() < r.javaSteps().size() ? r.javaSteps().get(o.taken()) : "-")
                + "\n  spec state before: " + o.stateBefore() + "\n  run:\n    "
                + String.join("\n    ", r.javaSteps());
    }
}
