package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace checker on traces whose answer is known: behaviours that TLC
 * itself simulated from {@code rq_v619_safety} must be accepted, and the
 * same traces with one observed value changed must be rejected exactly at
 * that event, with the spec state before it. This shows the checker can
 * fail, and that it fails where the run left the spec.
 */
class TraceValidationTest {
    static Manifest manifest;
    static Manifest.Model model;
    static List<List<TraceValidation.Event>> simulated;

    @TempDir
    static Path tmp;

    private static final Pattern CTX = Pattern.compile("^ctx\\[(\\w+)\\]\\.(\\w+)\\..*");

    @BeforeAll
    static void simulate() throws Exception {
        manifest = ProjectModelsTest.manifest();
        model = manifest.select(List.of("rq_v619_safety")).get(0);
        List<List<TlcResult.State>> b = Simulation.behaviours(manifest, model, 8, 40, 11, tmp.resolve("sim"));
        assertTrue(b.size() >= 4, "TLC simulated " + b.size() + " behaviours");
        simulated = new ArrayList<>();
        for (List<TlcResult.State> states : b) {
            simulated.add(events(states));
        }
    }

    /** A TLC trace as events: the process is the context whose record changed. */
    static List<TraceValidation.Event> events(List<TlcResult.State> states) {
        List<TraceValidation.Event> ev = new ArrayList<>();
        for (int k = 1; k < states.size(); k++) {
            TlcResult.State s = states.get(k);
            List<String> params = null;
            for (TlaValue.Change ch : TlaValue.diff("ctx", TlaValue.parse(states.get(k - 1).vars().get("ctx")),
                    TlaValue.parse(s.vars().get("ctx")))) {
                Matcher m = CTX.matcher(ch.path());
                if (m.matches()) {
                    params = List.of(m.group(1), "\"" + m.group(2) + "\"");
                    break;
                }
            }
            assertTrue(params != null, "no context changed at state " + s.number() + " (" + s.action() + ")");
            Map<String, String> o = new LinkedHashMap<>();
            for (String v : List.of("lock", "node", "count", "rqh")) {
                o.put(v, s.vars().get(v));
            }
            ev.add(new TraceValidation.Event(s.action(), params, o));
        }
        return ev;
    }

    @Test
    void everySimulatedBehaviourIsAccepted() throws Exception {
        List<TraceValidation.Outcome> out = TraceValidation.validate(manifest, model, List.of(), Map.of(), simulated,
                tmp.resolve("ok"));
        assertEquals(simulated.size(), out.size());
        for (int t = 0; t < out.size(); t++) {
            assertTrue(out.get(t).accepted(), "trace " + (t + 1) + ": " + out.get(t));
            assertEquals(simulated.get(t).size(), out.get(t).taken());
        }
    }

    @Test
    void aChangedObservationIsRejectedAtItsEvent() throws Exception {
        List<List<TraceValidation.Event>> traces = new ArrayList<>(simulated);
        List<TraceValidation.Event> first = new ArrayList<>(traces.get(0));
        int k = first.size() / 2;
        TraceValidation.Event e = first.get(k);
        Map<String, String> o = new LinkedHashMap<>(e.observed());
        o.put("count", o.get("count").replaceFirst(":> 0", ":> 3").replaceFirst(":> 1", ":> 3"));
        first.set(k, new TraceValidation.Event(e.action(), e.params(), o));
        traces.set(0, first);
        List<TraceValidation.Outcome> out = TraceValidation.validate(manifest, model, List.of(), Map.of(), traces,
                tmp.resolve("bad"));
        assertFalse(out.get(0).accepted());
        assertEquals(k, out.get(0).taken(), "rejected at event " + (k + 1));
        assertEquals(first.get(k - 1).observed().get("count").replaceAll("\\s+", " "),
                TlaValue.parse(out.get(0).stateBefore()).toString().replaceAll(".*count \\|-> (\\([^)]*\\)).*", "$1"));
        for (int t = 1; t < out.size(); t++) {
            assertTrue(out.get(t).accepted(), "trace " + (t + 1));
        }
    }

    @Test
    void aWrongActionNameIsRejectedAtItsEvent() throws Exception {
        List<TraceValidation.Event> tr = new ArrayList<>(simulated.get(0));
        TraceValidation.Event e = tr.get(0);
        String other = e.action().equals("grab_held_lock_entry") ? "fastpath_cmpxchg" : "grab_held_lock_entry";
        tr.set(0, new TraceValidation.Event(other, e.params(), e.observed()));
        List<TraceValidation.Outcome> out = TraceValidation.validate(manifest, model, List.of(), Map.of(),
                List.of(tr), tmp.resolve("name"));
        assertEquals(0, out.get(0).taken());
        assertTrue(out.get(0).stateBefore().contains("ctx"), out.get(0).stateBefore());
    }

    @Test
    void anActionTheSpecDoesNotHaveIsAnError() {
        List<TraceValidation.Event> tr = List.of(new TraceValidation.Event("no_such_step", List.of("c1", "\"task\""),
                Map.of()));
        Exception x = assertThrows(java.io.IOException.class, () -> TraceValidation.validate(manifest, model,
                List.of(), Map.of(), List.of(tr), tmp.resolve("unknown")));
        assertTrue(x.getMessage().contains("no_such_step"), x.getMessage());
    }
}
