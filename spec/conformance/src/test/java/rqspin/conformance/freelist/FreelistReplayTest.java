package rqspin.conformance.freelist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rqspin.conformance.freelist.FreelistRecorder.Forced;
import rqspin.maps.freelist.Mutation;
import rqspin.spec.Manifest;
import rqspin.spec.TlaValue;
import rqspin.spec.Tlc;
import rqspin.spec.TlcResult;
import rqspin.spec.TraceValidation;

/**
 * Spec to Java: TLC's trace of a freelist finding (PopEmptyWasTrue) is
 * played on the Java twin step by step (the acting context and action of
 * each step, an injected failure exactly where the spec's budget shrinks,
 * the NMI arriving where the trace starts it); after every step the twin's
 * lists, the attempt's result, and at each StartOp the hand and the last
 * pop's result must equal the spec's; at the end the twin's own pop must
 * have returned NULL while its lists held a node after every step of that
 * pop. A seeded mutant of the twin that drops a failed pop's node
 * (POP_UNLINKS_BEFORE_LOCK) cannot follow the trace of fl_empty_lockfail.
 * fl_empty_race runs only with -Drqspin.conformance=full (its TLC run takes
 * several seconds).
 */
class FreelistReplayTest {
    static final Map<String, FreelistScenario> SCENARIOS = Map.of(
            "fl_empty_lockfail", FreelistScenario.EMPTY_LOCKFAIL, "fl_empty_race", FreelistScenario.EMPTY_RACE);

    static boolean full() {
        return "full".equals(System.getProperty("rqspin.conformance", "ci"));
    }

    /** The steps of a TLC trace as steps for the twin: who acted (whose ctx changed), what, and an injected failure. */
    static List<Forced> steps(List<TlcResult.State> trace, int nrCpus) {
        List<Forced> out = new ArrayList<>();
        for (int i = 1; i < trace.size(); i++) {
            TlaValue before = TlaValue.parse(trace.get(i - 1).vars().get("ctx"));
            TlaValue after = TlaValue.parse(trace.get(i).vars().get("ctx"));
            Forced f = null;
            for (int c = 0; c < nrCpus; c++) {
                for (String x : List.of("task", "nmi")) {
                    if (!before.at(String.valueOf(c), x).toString().equals(after.at(String.valueOf(c), x).toString())) {
                        long fb = TlaValue.parse(trace.get(i - 1).vars().get("failsLeft")).num(-1);
                        long fa = TlaValue.parse(trace.get(i).vars().get("failsLeft")).num(-1);
                        f = new Forced(c, x, trace.get(i).action(), fa < fb);
                    }
                }
            }
            assertNotNull(f, "step " + i + " of the trace (" + trace.get(i).action() + ") changes no context");
            out.add(f);
        }
        return out;
    }

    private static final Map<String, TlcResult> TRACES = new java.util.concurrent.ConcurrentHashMap<>();

    /** TLC's deterministic counterexample of {@code model}, run once per test class. */
    static synchronized TlcResult trace(String model) throws Exception {
        TlcResult done = TRACES.get(model);
        if (done != null) {
            return done;
        }
        Manifest manifest = Manifest.load(FreelistValidationTest.SPEC.resolve("models.json"));
        Manifest.Model m = manifest.select(List.of(model)).get(0);
        assertEquals(List.of(), SCENARIOS.get(model).cfgProblems(
                java.nio.file.Files.readString(manifest.dir().resolve(m.config()))));
        TlcResult r = Tlc.run(manifest, m, "1", FreelistValidationTest.work("replay").resolve(model + ".log"), null,
                true);
        assertEquals(m.expected(), r.verdict(), model + ": TLC's verdict");
        TRACES.put(model, r);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"fl_empty_lockfail", "fl_empty_race"})
    void theTraceOfAFindingIsFollowedByTheTwinAndShowsTheNullPop(String model) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(!model.equals("fl_empty_race") || full(),
                "fl_empty_race: with -Drqspin.conformance=full only");
        FreelistScenario sc = SCENARIOS.get(model);
        TlcResult r = trace(model);
        List<Forced> steps = steps(r.trace(), sc.nrCpus());
        FreelistRecorder.Replay rep = FreelistRecorder.replay(sc, steps, Mutation.NONE);
        String run = "\n  " + String.join("\n  ", rep.log());
        assertNull(rep.mismatch(), run);
        assertEquals(steps.size(), rep.events().size(), run);
        for (int i = 0; i < steps.size(); i++) {
            TraceValidation.Event e = rep.events().get(i);
            Map<String, String> spec = r.trace().get(i + 1).vars();
            String where = model + " step " + (i + 1) + " " + steps.get(i) + ": " + rep.log().get(i);
            assertEquals(TlaValue.parse(spec.get("head")).toJson(), TlaValue.parse(e.observed().get("head")).toJson(),
                    where + ": the lists");
            TlaValue ctx = TlaValue.parse(spec.get("ctx")).at(e.params().get(0), steps.get(i).ctx());
            if (e.observed().containsKey("err")) {
                assertEquals(ctx.get("err").toString(), e.observed().get("err"), where + ": the attempt's result");
            }
            if (e.action().equals("StartOp")) {
                assertEquals(ctx.get("hand").toJson(), TlaValue.parse(e.observed().get("hand")).toJson(), where);
                assertEquals(ctx.at("last", "ret").toString(), e.observed().get("ret"), where);
            }
        }
        // the twin's side of the finding: the context of the last step returned NULL from a pop during which
        // its lists held a node after every step
        Forced last = steps.get(steps.size() - 1);
        TraceValidation.Event next = rep.waiting().stream()
                .filter(w -> w.params().get(0).equals(String.valueOf(last.cpu()))
                        && w.params().get(1).equals("\"" + last.ctx() + "\""))
                .findFirst().orElseThrow();
        assertEquals("StartOp", next.action(), "the pop has returned");
        assertEquals("0", next.observed().get("ret"), "the twin's pop returned NULL" + run);
        int start = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).cpu() == last.cpu() && steps.get(i).ctx().equals(last.ctx())
                    && steps.get(i).action().equals("StartOp")) {
                start = i;
            }
        }
        assertTrue(start >= 0, "the pop's StartOp");
        for (int i = start; i < steps.size(); i++) {
            String head = rep.events().get(i).observed().get("head");
            assertTrue(head.matches(".*<<\\d.*"), "the twin's lists were empty after step " + (i + 1) + run);
        }
        System.out.println("REPLAY-FL " + model + ": " + steps.size() + " steps followed; cpu" + last.cpu() + " "
                + last.ctx() + "'s pop returned NULL while the lists held a node after each of its steps");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POP_UNLINKS_BEFORE_LOCK"})
    void aMutantOfTheTwinCannotFollowTheTrace(String mutation) throws Exception {
        FreelistScenario sc = FreelistScenario.EMPTY_LOCKFAIL;
        TlcResult r = trace(sc.model());
        List<Forced> steps = steps(r.trace(), sc.nrCpus());
        FreelistRecorder.Replay rep = FreelistRecorder.replay(sc, steps, Mutation.valueOf(mutation));
        int differs = -1;
        for (int i = 0; i < rep.events().size() && differs < 0; i++) {
            String spec = TlaValue.parse(r.trace().get(i + 1).vars().get("head")).toJson().toString();
            if (!spec.equals(TlaValue.parse(rep.events().get(i).observed().get("head")).toJson().toString())) {
                differs = i;
            }
        }
        assertTrue(differs >= 0 || rep.mismatch() != null, mutation + " followed the trace:\n  "
                + String.join("\n  ", rep.log()));
        System.out.println("REPLAY-FL " + mutation + " on " + sc.model() + ": "
                + (differs >= 0 ? "the lists differ after step " + (differs + 1) + ": " + rep.log().get(differs)
                        : rep.mismatch()));
    }
}
