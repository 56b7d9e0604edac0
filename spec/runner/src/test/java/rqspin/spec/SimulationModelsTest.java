package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spec/run-models --simulate} and the simulation manifest
 * {@code spec/simulation.json}: every ci model there (the seeded mutants)
 * gives its expected verdict within its own budget, with a trace; the
 * runner counts behaviours and states; the manifest's {@code simulate}
 * field is checked strictly; a simulation-only model does not run
 * exhaustively; a temporal property is refused.
 */
class SimulationModelsTest {
    static final Path SPEC = ProjectModelsTest.SPEC;

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyCiSimulationModelGivesItsExpectedVerdictWithinItsBudget() throws Exception {
        Manifest m = Manifest.load(SPEC.resolve("simulation.json"));
        List<Manifest.Model> chosen = m.select(List.of("ci"));
        assertFalse(chosen.isEmpty(), "a seeded mutant must stay in the CI budget");
        Path traces = SPEC.resolve("target").resolve("traces");
        return chosen.stream().map(model -> DynamicTest.dynamicTest(model.name(), () -> {
            assertTrue(model.simulate() != null, model.name() + " has a budget");
            SimulationRun.Outcome o = SimulationRun.run(m, model, SimulationRun.budget(model, null, null, null),
                    traces.resolve(model.name() + ".log"), null);
            if (!o.result().verdict().matches(model.expected())) {
                fail(model.name() + ": TLC says " + o.result().verdict() + ", the manifest expects " + model.expected());
            }
            assertTrue(o.stats().behaviours() >= 1 && o.stats().states() >= 1, o.stats().line());
            if (model.expected().kind() != Verdict.Kind.PASS) {
                assertFalse(o.result().trace().isEmpty());
                TraceWriter.write(traces, model, o.result());
            }
        }));
    }

    @Test
    void behavioursAndStatesAreCountedAndASeedRepeatsItsTrace() throws Exception {
        Manifest m = Manifest.load(ModelRunnerTest.TLA.resolve("models.json"));
        Manifest.Model model = m.select(List.of("counter_invariant")).get(0);
        SimulationRun.Budget b = new SimulationRun.Budget(20, 5, 7);
        SimulationRun.Outcome a = SimulationRun.run(m, model, b, tmp.resolve("a.log"), null);
        SimulationRun.Outcome c = SimulationRun.run(m, model, b, tmp.resolve("c.log"), null);
        assertEquals(new Verdict(Verdict.Kind.SAFETY, "Small"), a.result().verdict());
        assertTrue(a.stats().behaviours() >= 1, a.stats().line());
        assertTrue(a.stats().states() >= a.result().trace().size() - 1, a.stats().line());
        assertEquals(a.result().trace(), c.result().trace(), "the same seed, the same behaviours");
        assertFalse(Files.readString(tmp.resolve("a.log")).contains(SimulationRun.MARK), "count lines stay out of the log");
        // an action property is checked in simulation too
        SimulationRun.Outcome act = SimulationRun.run(m, m.select(List.of("counter_action")).get(0), b,
                tmp.resolve("act.log"), null);
        assertEquals(new Verdict(Verdict.Kind.SAFETY, "YNeverMoves"), act.result().verdict());
        // a model that passes runs until its budget ends
        SimulationRun.Outcome safe = SimulationRun.run(m, m.select(List.of("counter_safe")).get(0),
                new SimulationRun.Budget(20, 1, 1), tmp.resolve("safe.log"), null);
        assertEquals(Verdict.pass(), safe.result().verdict(), safe.result().errors().toString());
        assertTrue(safe.stats().behaviours() > 1, safe.stats().line());
    }

    @Test
    void theSimulateFieldIsCheckedStrictly() throws Exception {
        ModelRunnerTest t = new ModelRunnerTest();
        t.tmp = tmp;
        String good = "\"simulate\": {\"depth\": 10, \"seconds\": 2, \"seed\": 3}, \"expected\": {\"verdict\": \"pass\"}";
        Path ok = t.copyWithManifest(s -> s.replace("\"expected\": {\"verdict\": \"pass\"}\n    },\n    {\n      \"name\": \"counter_lasso\"",
                good + "\n    },\n    {\n      \"name\": \"counter_lasso\""));
        Manifest.Model safe = Manifest.load(ok).select(List.of("counter_safe")).get(0);
        assertEquals(new Manifest.Simulate(10, 2, 3), safe.simulate());
        // simulation-only: not run exhaustively
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", ok.toString(), "counter_safe"),
                "model counter_safe is simulation-only");
        for (String bad : List.of("\"simulate\": 5,", "\"simulate\": {\"depth\": 10, \"seconds\": 2},",
                "\"simulate\": {\"depth\": 0, \"seconds\": 2, \"seed\": 1},",
                "\"simulate\": {\"depth\": 10, \"seconds\": 2, \"seed\": 1, \"workers\": 2},",
                "\"simulate\": {\"depth\": 10, \"seconds\": \"2\", \"seed\": 1},")) {
            Path dir = tmp.resolve("bad" + Math.abs(bad.hashCode()));
            Files.createDirectories(dir);
            Path f = dir.resolve("models.json");
            Files.writeString(f, Files.readString(ok).replace(good.substring(0, good.indexOf("},") + 2), bad));
            ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", f.toString(), "--list"),
                    "model counter_safe: ");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theJsonOfASimulationFollowsTheSchema() throws Exception {
        ModelRunnerTest.Run r = ModelRunnerTest.run("--manifest", ModelRunnerTest.TLA.resolve("models.json").toString(),
                "--traces", tmp.resolve("traces").toString(), "--simulate", "--budget", "3", "--depth", "20",
                "--json", "counter_invariant");
        assertEquals(0, r.code(), r.err());
        java.util.Map<String, Object> out = (java.util.Map<String, Object>) Json.parse(r.out());
        assertEquals(List.of(), SchemaCheck.check(VerdictReportTest.schema("verdicts.schema.json"), out));
        java.util.Map<String, Object> model = ((List<java.util.Map<String, Object>>) out.get("models")).get(0);
        java.util.Map<String, Object> sim = (java.util.Map<String, Object>) model.get("simulation");
        assertEquals(20L, sim.get("depth"));
        assertTrue((Long) sim.get("behaviours") >= 1, sim.toString());
        assertTrue(model.get("trace") != null, "a violation found by simulation has its trace files");
    }

    @Test
    void badSimulationOptionsAreOneLine() {
        String manifest = ModelRunnerTest.TLA.resolve("models.json").toString();
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--seed", "3",
                "counter_safe"), "--seed goes only with --simulate");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--simulate",
                "--budget", "0", "counter_safe"), "--budget takes 1 to 86400");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--simulate",
                "--distributed", "2", "counter_safe"), "--simulate cannot go with --distributed");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--simulate",
                "counter_stutter"), "lists a temporal property");
    }
}
