package rqspin.conformance.freelist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import rqspin.conformance.Twin;
import rqspin.maps.freelist.Mutation;
import rqspin.spec.Manifest;
import rqspin.spec.TraceValidation;

/**
 * Trace validation of percpu_freelist: recorded runs of the Java twin
 * (seeded schedules, an NMI at a seeded point, injected lock failures) are
 * behaviours of spec/freelist/PcpuFreelist.tla under the constants of the
 * manifest model of their scenario (TLC, TracePcpuFreelist.tla); and the
 * check can fail: runs of the twin's seeded mutants that reach the code a
 * mutant changes are rejected, at the step it changes, in the same TLC run
 * that accepts the real twin on the same seeds.
 */
class FreelistValidationTest {
    static final Path SPEC = Path.of(System.getProperty("rqspin.spec.dir", "..")).toAbsolutePath().normalize();

    static Manifest.Model model(Manifest manifest, String name) throws Exception {
        return manifest.select(List.of(name)).get(0);
    }

    static Path work(String what) {
        return Path.of("target", "conformance-tests", "freelist", what).toAbsolutePath();
    }

    /** Runs of the real twin on seeds from 1 on, dropped runs skipped, until {@code n} are recorded. */
    static List<Twin.Recorded> realRuns(FreelistScenario sc, int n, double pInject) {
        List<Twin.Recorded> runs = new ArrayList<>();
        for (long seed = 1; runs.size() < n && seed < 10 * n + 50; seed++) {
            Twin.Recorded r = FreelistRecorder.run(sc, seed, pInject, Mutation.NONE);
            if (r != null) {
                runs.add(r);
            }
        }
        assertEquals(n, runs.size(), "recorded runs of " + sc.model());
        return runs;
    }

    static List<TraceValidation.Outcome> validate(Manifest manifest, String model, List<Twin.Recorded> runs,
                                                  String what) throws Exception {
        List<List<TraceValidation.Event>> traces = new ArrayList<>();
        runs.forEach(r -> traces.add(r.events()));
        return TraceValidation.validate(manifest, model(manifest, model), List.of(), java.util.Map.of(), traces,
                work(what).resolve(model));
    }

    static String rejection(Twin.Recorded r, TraceValidation.Outcome o) {
        return r.name() + ": the spec takes " + o.taken() + " of " + o.length() + " steps; it cannot take "
                + (o.taken() < r.javaSteps().size() ? r.javaSteps().get(o.taken()) : "?") + "\n  spec state before: "
                + o.stateBefore() + "\n  run:\n    " + String.join("\n    ", r.javaSteps());
    }

    static boolean logHas(Twin.Recorded r, String regex) {
        Pattern p = Pattern.compile(regex);
        return r.javaSteps().stream().anyMatch(l -> p.matcher(l).find());
    }

    @Test
    void recordedRunsOfTheTwinAreBehavioursOfTheSpec() throws Exception {
        Manifest manifest = Manifest.load(SPEC.resolve("models.json"));
        for (FreelistScenario sc : List.of(FreelistScenario.SAFETY_SMALL, FreelistScenario.SAFETY)) {
            Manifest.Model m = model(manifest, sc.model());
            assertEquals(List.of(), sc.cfgProblems(java.nio.file.Files.readString(manifest.dir().resolve(m.config()))));
            List<Twin.Recorded> runs = realRuns(sc, 10, 0.25);
            // the runs cover what the spec's lock contract has: injected timeouts and the NMI's AA
            assertTrue(runs.stream().anyMatch(r -> logHas(r, "= -ETIMEDOUT \\(injected\\)")), "an injected failure");
            assertTrue(runs.stream().anyMatch(r -> logHas(r, "= -EDEADLK")), "an AA of the NMI (-EDEADLK)");
            assertTrue(runs.stream().anyMatch(r -> logHas(r, "cpu0 nmi StartOp")), "an NMI");
            List<TraceValidation.Outcome> out = validate(manifest, sc.model(), runs, "real");
            int events = 0;
            for (int i = 0; i < runs.size(); i++) {
                assertTrue(out.get(i).accepted(), rejection(runs.get(i), out.get(i)));
                events += out.get(i).length();
            }
            System.out.println("FIGURES-FL validate " + sc.model() + " " + runs.size() + " runs " + events
                    + " events: all accepted");
        }
    }

    @Test
    void aScenarioThatDriftedFromItsModelsCfgIsFound() throws Exception {
        Manifest manifest = Manifest.load(SPEC.resolve("models.json"));
        String cfg = java.nio.file.Files.readString(manifest.dir().resolve(model(manifest, "fl_safety").config()));
        FreelistScenario s = FreelistScenario.SAFETY;
        assertEquals(List.of(), s.cfgProblems(cfg));
        FreelistScenario drifted = new FreelistScenario(s.model(), s.nrCpus(), 3, s.maxFail(), s.populateDef(),
                s.populate(), s.handsDef(), s.hands(), "S_All", s.scripts());
        assertEquals(2, drifted.cfgProblems(cfg).size(), drifted.cfgProblems(cfg).toString());
    }

    /** mutation, a line of the run's log that shows the run reaches the mutated code, the step it is rejected at. */
    static final List<String[]> MUTANTS = List.of(
            new String[] {"PUSH_DROPS_ON_FAILURE", "___pcpu_freelist_push head\\d = -E", "StartOp"},
            new String[] {"POP_UNLINKS_BEFORE_LOCK", "___pcpu_freelist_pop_lock head\\d = -E", "___pcpu_freelist_pop_read"},
            new String[] {"POP_GIVES_UP", "___pcpu_freelist_pop_lock head\\d = -E", "StartOp"},
            new String[] {"POP_DROPS_ELEMENT", "___pcpu_freelist_pop_take head\\d.*\\]\\]$", "___pcpu_freelist_pop_take"});

    @Test
    void runsOfTheTwinsSeededMutantsAreRejectedWhereTheyDrift() throws Exception {
        Manifest manifest = Manifest.load(SPEC.resolve("models.json"));
        FreelistScenario sc = FreelistScenario.SAFETY;
        List<Twin.Recorded> runs = new ArrayList<>();
        List<String[]> of = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (String[] mu : MUTANTS) {
            int found = 0;
            for (long seed = 1; seed < 400 && found < 3; seed++) {
                Twin.Recorded r = FreelistRecorder.run(sc, seed, 0.5, Mutation.valueOf(mu[0]));
                if (r != null && logHas(r, mu[1])) {
                    runs.add(r);
                    of.add(mu);
                    seeds.add(seed);
                    found++;
                }
            }
            assertTrue(found > 0, mu[0] + ": no run reaches \"" + mu[1] + "\"");
        }
        int mutantRuns = runs.size();
        for (long seed : seeds) {
            Twin.Recorded r = FreelistRecorder.run(sc, seed, 0.5, Mutation.NONE);
            if (r != null) {
                runs.add(r);
            }
        }
        List<TraceValidation.Outcome> out = validate(manifest, sc.model(), runs, "mutants");
        for (String[] mu : MUTANTS) {
            int rejected = 0;
            for (int i = 0; i < mutantRuns; i++) {
                if (of.get(i) != mu || out.get(i).accepted()) {
                    continue;
                }
                TraceValidation.Outcome o = out.get(i);
                assertEquals(mu[2], runs.get(i).events().get(o.taken()).action(), rejection(runs.get(i), o));
                if (rejected++ == 0) {
                    System.out.println("JAVA-MUTANT-FL " + mu[0] + ": " + runs.get(i).name() + " rejected at event "
                            + (o.taken() + 1) + " of " + o.length() + ": " + runs.get(i).javaSteps().get(o.taken()));
                }
            }
            assertTrue(rejected > 0, mu[0] + ": no run rejected");
            System.out.println("JAVA-MUTANT-FL " + mu[0] + ": " + rejected + " of "
                    + of.stream().filter(x -> x == mu).count() + " runs rejected");
        }
        for (int i = mutantRuns; i < runs.size(); i++) {
            assertTrue(out.get(i).accepted(), rejection(runs.get(i), out.get(i)));
        }
        assertFalse(runs.size() == mutantRuns, "the real twin ran on the mutants' seeds");
    }
}
