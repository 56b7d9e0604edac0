package rqspin.conformance.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.lock.MutantLocks;
import rqspin.spec.Manifest;
import rqspin.spec.TraceValidation;

/**
 * Drift is caught: seeded mutants of the Java twin (rqspin.lock.Mutation)
 * run random schedules until four runs take the step a mutant breaks; trace
 * validation rejects at least one of them (a bug shows only when its
 * condition arises: a head that ignores the pending bit does no harm while
 * nobody is pending), each rejected one at that step, while the real Java
 * twin on the same seeds, in the same TLC run, is accepted. ci: the two
 * mutants of the lock's design (no abort cascade, pending bit kept on
 * failure); full: four.
 */
class JavaMutantsTest {
    /** mutation, model whose world it runs in, the step it breaks. */
    static final List<String[]> MUTANTS = List.of(
            new String[] {"NO_ABORT_CASCADE", "rq_v615_queue3", "abort_signal_next"},
            new String[] {"KEEP_PENDING_ON_FAILURE", "rq_v619_aa_detected", "clear_pending"},
            new String[] {"HEAD_IGNORES_PENDING", "rq_v615_queue3", "head_wait_owner_pending"},
            new String[] {"NO_HEAD_HANDOVER", "rq_v619_handover_hang", "try_cmpxchg_tail"});

    @TestFactory
    Stream<DynamicTest> validationRejectsEachMutantWhereItDrifts() {
        return MUTANTS.subList(0, Conformance.scale(2, MUTANTS.size())).stream().map(mu -> DynamicTest.dynamicTest(
                mu[0] + " in " + mu[1] + ": rejected at " + mu[2], () -> check(mu[0], mu[1], mu[2])));
    }

    private static void check(String mutation, String model, String step) throws Exception {
        Manifest manifest = Conformance.manifest();
        Manifest.Model m = Conformance.model(model);
        LockWorld.LockFactory mutant = (machine, name, sc) -> MutantLocks.create(machine, sc.version(), name, mutation);
        LockScenario sc = new LockTwin().scenario(manifest, m);
        List<Twin.Recorded> runs = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (long seed = 1; seed < 5000 && seeds.size() < 4; seed++) {
            Twin.Recorded r = RandomRuns.run(sc, seed, mutant);
            if (r.events().stream().anyMatch(e -> e.action().equals(step))) {
                runs.add(r);
                seeds.add(seed);
            }
        }
        assertEquals(4, runs.size(), "runs of " + mutation + " that take " + step);
        for (long seed : seeds) {
            runs.add(RandomRuns.run(sc, seed, LockWorld.REAL));
        }
        List<TraceValidation.Outcome> out = RandomValidationTest.validate(manifest, m, runs, "mutant-" + mutation);
        int rejected = 0;
        for (int i = 0; i < 4; i++) {
            TraceValidation.Outcome o = out.get(i);
            if (!o.accepted()) {
                rejected++;
                assertEquals(step, runs.get(i).events().get(o.taken()).action(),
                        RandomValidationTest.rejection(runs, out, i));
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
