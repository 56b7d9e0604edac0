package rqspin.conformance.storage;

import rqspin.conformance.Traces;
import rqspin.spec.Tla;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.spec.Manifest;
import rqspin.spec.Simulation;
import rqspin.spec.TlcResult;

/**
 * Spec to Java, beyond the error traces: random behaviours of the passing
 * localstorage models, from TLC's simulation (invariants only), are
 * replayed on the Java twin, which must follow every one and report no
 * violation of the model's properties. A passing model need not check
 * memory safety (ls_final_f1 leaves P5 out), and the spec goes on after a
 * use after free, a double free or a second bpf_obj_free_fields (its ghosts
 * record them), while the Java twin stops there (its sanitizer throws): such
 * a behaviour is replayed up to that step, and the Java twin must report
 * the same violation at it. ci: one model per protocol with lock failures
 * (ls_final_f2, ls_v3_f1) and the model with all six candidate fixes
 * (ls_fix_all), a few behaviours each; full: every passing model
 * of ci size, 40 behaviours each.
 */
class SimulationReplayTest {
    static final List<String> CI = List.of("ls_final_f2", "ls_v3_f1", "ls_fix_all");

    @TestFactory
    Stream<DynamicTest> theJavaTwinFollowsEverySimulatedBehaviour() throws Exception {
        Manifest manifest = Conformance.manifest();
        List<Manifest.Model> models = Conformance.lsModels(m -> !Conformance.violation(m)
                && (Conformance.full() ? m.size().equals("ci") && Conformance.javaTwinHasEveryFixOf(m) : CI.contains(m.name())));
        int count = Conformance.scale(8, 40);
        StorageTwin twin = new StorageTwin();
        return models.stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> {
            List<List<TlcResult.State>> bs = Simulation.behaviours(manifest, m, count, 80, 7,
                    Conformance.work("simulate").resolve(m.name()));
            assertFalse(bs.isEmpty());
            long t0 = System.nanoTime();
            int events = 0;
            int truncated = 0;
            StorageScenario sc = twin.scenario(manifest, m);
            Set<String> checked = StorageTwin.checkedProperties(manifest, m);
            for (List<TlcResult.State> full : bs) {
                String ghost = null;
                List<TlcResult.State> b = full;
                for (int k = 1; k < full.size() && ghost == null; k++) {
                    ghost = memoryViolation(full.get(k).vars());
                    if (ghost != null) {
                        b = full.subList(0, k + 1);
                    }
                }
                Set<String> props = new java.util.TreeSet<>(checked);
                if (ghost != null) {
                    props.add(ghost);
                }
                Twin.Replay r = Replayer.replay(sc, b, null, StorageWorld.Variant.REAL, props);
                assertTrue(r.followed(), m.name() + ": " + r.mismatch() + "\n" + String.join("\n", r.log()));
                if (ghost == null) {
                    assertNull(r.violation(), m.name() + ": " + r.violation());
                } else {
                    assertTrue(r.violation() != null && r.violation().contains(ghost + ":"), m.name()
                            + ": the spec's behaviour shows " + ghost + " at its last step, the Java twin "
                            + r.violation() + "\n" + String.join("\n", r.log()));
                    truncated++;
                }
                events += b.size() - 1;
            }
            System.out.println("SIMULATED-LS " + m.name() + ": " + bs.size() + " behaviours, " + truncated
                    + " replayed up to the memory-safety violation the spec's ghosts record");
            Conformance.figures("replay-simulated", m, bs.size(), events, (System.nanoTime() - t0) / 1e9);
        }));
    }

    /**
     * The memory-safety property a state's ghosts show violated (P5: a freed
     * object was used; P1: freed twice; P3: fields freed twice), or null.
     */
    static String memoryViolation(java.util.Map<String, String> vars) {
        if (!Tla.parse(vars.get("usedAfterFree")).equals(Tla.set(List.of()))) {
            return "P5_NoUseAfterFree";
        }
        for (String var : List.of("sel", "lsv")) {
            for (Tla r : Tla.parse(vars.get(var)).asMap().values()) {
                if (Integer.parseInt(r.get("frees").atom()) > 1) {
                    return "P1_NoDoubleFree";
                }
                if (var.equals("sel") && Integer.parseInt(r.get("fields").atom()) > 1) {
                    return "P3_FreeFieldsOnce";
                }
            }
        }
        return null;
    }

    /** The same replay stops where a behaviour is changed: another action than the spec's at its second step. */
    @Test
    void aChangedBehaviourIsNotFollowed() throws Exception {
        Manifest manifest = Conformance.manifest();
        Manifest.Model m = Conformance.model("ls_final_f1_uaf");
        List<TlcResult.State> b = new java.util.ArrayList<>(Traces.of(manifest, m).states());
        TlcResult.State s = b.get(2);
        b.set(2, new TlcResult.State(s.number(), "MapFreeWalk", s.location(), s.vars()));
        Twin.Replay r = new StorageTwin().replay(manifest, m, b, null);
        assertFalse(r.followed());
        assertTrue(r.mismatch().startsWith("step 3 "), r.mismatch());
    }

    /**
     * The candidate fixes only the spec has are exactly those the manifest's
     * models use and the Java twin's Fix lacks: the full runs skip no model
     * for a fix the Java twin has, and no spec-only fix goes unlisted.
     */
    /**
     * The scenarios only the spec has are exactly those with a late program,
     * the twin refuses each of their models with that reason, and a model of
     * every other scenario is kept.
     */
    @org.junit.jupiter.api.Test
    void theSpecOnlyScenariosAreListedExactly() throws Exception {
        Manifest manifest = Conformance.manifest();
        Manifest.Model any = Conformance.model("ls_final_f0");
        java.nio.file.Path specDir = manifest.dir().resolve(any.module()).getParent();
        org.junit.jupiter.api.Assertions.assertEquals(new java.util.TreeSet<>(Conformance.SCENARIOS_ONLY_IN_THE_SPEC),
                StorageScenario.scenariosWithLatePrograms(specDir, manifest.dir().resolve(any.config())));
        int refused = 0;
        for (Manifest.Model m : Conformance.allLsModels()) {
            if (Conformance.SCENARIOS_ONLY_IN_THE_SPEC.contains(Conformance.scenario(m))) {
                java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                        () -> StorageScenario.of(manifest, m), m.name());
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("late programs"), e.getMessage());
                org.junit.jupiter.api.Assertions.assertFalse(Conformance.lsModels(x -> true).contains(m), m.name());
                refused++;
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(refused >= 4, "the dying models: " + refused);
        org.junit.jupiter.api.Assertions.assertTrue(Conformance.lsModels(x -> true).contains(any));
    }

    @org.junit.jupiter.api.Test
    void theSpecOnlyFixesAreListedExactly() throws Exception {
        java.util.Set<String> used = new java.util.TreeSet<>();
        StorageTwin twin = new StorageTwin();
        for (Manifest.Model m : Conformance.lsModels(x -> true)) {
            used.addAll(StorageScenario.fixesTheJavaTwinLacks(twin.scenario(Conformance.manifest(), m).substitutions()));
        }
        org.junit.jupiter.api.Assertions.assertEquals(new java.util.TreeSet<>(Conformance.FIXES_ONLY_IN_THE_SPEC), used);
        org.junit.jupiter.api.Assertions.assertEquals(List.of("NofailSetsBit <- FixWhatever"),
                StorageScenario.fixesTheJavaTwinLacks(List.of("NofailSetsBit <- FixWhatever",
                        "NofailSetsBit <- FixNoMapBitAfterFailure", "Scripts <- MC_Scripts")));
        // the six candidate fixes of MCLocalStorage.tla, all in the Java twin: ls_fix_all uses each
        List<String> all = twin.scenario(Conformance.manifest(), Conformance.model("ls_fix_all")).substitutions();
        org.junit.jupiter.api.Assertions.assertEquals(6, all.size(), all.toString());
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), StorageScenario.fixesTheJavaTwinLacks(all));
        org.junit.jupiter.api.Assertions.assertEquals(6,
                twin.scenario(Conformance.manifest(), Conformance.model("ls_fix_all")).fixes().size());
    }
}
