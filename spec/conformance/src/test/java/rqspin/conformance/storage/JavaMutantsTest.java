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
import rqspin.storage.check.Mutation;

/**
 * Drift is caught: seeded mutants of the Java local storage
 * (rqspin.storage.check.Mutation) run random schedules until four runs
 * reach the point a mutant changes (a line of the run's log); trace
 * validation rejects at least one of them, each rejected one at the step
 * the mutant changes, while the real Java twin on the same seeds, in the
 * same TLC run, is accepted. ci: map_free clearing local_storage after a
 * failed local_storage->lock (the drift the issue names) and map_free
 * uncharging without the owner pin; full: every mutant that makes sense in
 * the spec's scenarios (UPDATE_NO_RECHECK does not: no scenario has two
 * updates of one owner and map).
 */
class JavaMutantsTest {
    /** mutation, model whose world it runs in, a pattern found in the log of a run that reaches it, the step it breaks. */
    static final List<String[]> MUTANTS = List.of(
            new String[] {"MAP_FREE_CLEARS_LOCAL_STORAGE", "ls_final_f1", "mf\\s+NofailLockStorage\\(x1\\)\\s+local_storage->lock ls1: lock attempt fails",
                "NofailLockStorage"},
            new String[] {"NO_OWNER_PIN", "ls_final_f0", "mf\\s+NofailLockStorage", "NofailLockStorage"},
            new String[] {"NOFAIL_NO_CMPXCHG", "ls_final_f0", "NofailSetState", "NofailSetState"},
            new String[] {"DESTROY_CLEARS_SMAP", "ls_final_f1", "ds\\s+NofailLockBucket\\(x1\\)\\s+b->lock m1\\[1\\]: lock attempt fails",
                "NofailLockBucket"},
            new String[] {"RCU_NO_GRACE_PERIOD", "ls_final_f0", "NofailSetState", "NofailSetState"},
            new String[] {"TASKS_TRACE_AS_RCU", "ls_fix_sleepable", "mf\\s+NofailSetState", "NofailSetState"},
            new String[] {"DESTROY_NO_WAIT", "ls_fix_hang", "ls1\\.refcnt 2 -> 1", "DestroyDecAndTest"},
            new String[] {"INSERT_CACHE_UNCHECKED", "ls_final_ops_f0", "lk1\\s+LookupInsertCache", "LookupInsertCache"});

    @TestFactory
    Stream<DynamicTest> validationRejectsEachMutantWhereItDrifts() {
        return MUTANTS.subList(0, Conformance.scale(2, MUTANTS.size())).stream().map(mu -> DynamicTest.dynamicTest(
                mu[0] + " in " + mu[1] + ": rejected at " + mu[3], () -> check(mu[0], mu[1], mu[2], mu[3])));
    }

    private static void check(String mutation, String model, String reaches, String step) throws Exception {
        Manifest manifest = Conformance.manifest();
        Manifest.Model m = Conformance.model(model);
        StorageScenario sc = new StorageTwin().scenario(manifest, m);
        StorageWorld.Variant mutant = new StorageWorld.Variant(Mutation.valueOf(mutation), List.of());
        List<Twin.Recorded> runs = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (long seed = 1; seed < 3000 && seeds.size() < 4; seed++) {
            Twin.Recorded r = RandomRuns.run(sc, seed, mutant);
            if (r.javaSteps().stream().anyMatch(l -> java.util.regex.Pattern.compile(reaches).matcher(l).find())) {
                runs.add(r);
                seeds.add(seed);
            }
        }
        assertEquals(4, runs.size(), "runs of " + mutation + " that reach \"" + reaches + "\"");
        for (long seed : seeds) {
            runs.add(RandomRuns.run(sc, seed, StorageWorld.Variant.REAL));
        }
        List<TraceValidation.Outcome> out = RandomValidationTest.validate(manifest, m, runs, "mutant-" + mutation);
        int rejected = 0;
        for (int i = 0; i < 4; i++) {
            TraceValidation.Outcome o = out.get(i);
            if (!o.accepted()) {
                rejected++;
                assertEquals(step, runs.get(i).events().get(o.taken()).action(),
                        RandomValidationTest.rejection(runs, out, i));
                if (rejected == 1) {
                    System.out.println("JAVA-MUTANT-LS " + mutation + " in " + model + ", seed " + seeds.get(i)
                            + ": rejected at event " + (o.taken() + 1) + " of " + o.length() + ": "
                            + runs.get(i).javaSteps().get(o.taken()));
                }
            }
        }
        assertTrue(rejected >= 1, mutation + ": none of the 4 runs was rejected");
        for (int i = 4; i < 8; i++) {
            int k = i;
            assertTrue(out.get(i).accepted(), () -> "the real Java twin, seed " + seeds.get(k - 4) + ": "
                    + RandomValidationTest.rejection(runs, out, k));
        }
    }
}
