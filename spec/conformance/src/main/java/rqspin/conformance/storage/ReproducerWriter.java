package rqspin.conformance.storage;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import rqspin.storage.Fix;
import rqspin.storage.Protocol;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;

/**
 * Writes the reproducer of a finding of the local storage: a JUnit test, in
 * package rqspin.conformance.storage.repro, whose {@link Reproducer} is
 * TLC's trace as a schedule of the Java twin, step by step, each step with a
 * comment saying what it did there (from a run of the Java twin), and whose
 * tests assert that the merged code shows the property TLC reports, and,
 * where the spec checks a candidate fix for it (ls_fix_*), that the same
 * schedule on the fixed code does not. Deterministic: the same trace gives
 * the same text.
 */
final class ReproducerWriter {
    private ReproducerWriter() {}

    static final String PACKAGE_DIR = "rqspin/conformance/storage/repro/";

    /** The spec's candidate fix of each finding it has one for (the ls_fix_* model that checks it). */
    static final Map<String, Fix> FIXED_BY = Map.of(
            "ls_final_f1_hang", Fix.UNPIN_MAY_REACH_ZERO,
            "ls_final_f1_uaf", Fix.NO_MAP_BIT_AFTER_FAILURE,
            "ls_final_sleepable_uaf", Fix.FREE_AFTER_TASKS_TRACE,
            "ls_final_f2_unpublished", Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP,
            "ls_final_c10", Fix.WARN_DESTROY_STORAGE_FAILURE,
            "ls_final_linger_f2_silent", Fix.WARN_EVERY_LEAK);

    /** The fix model that checks each fix. */
    static final Map<Fix, String> FIX_MODEL = Map.of(
            Fix.UNPIN_MAY_REACH_ZERO, "ls_fix_hang",
            Fix.NO_MAP_BIT_AFTER_FAILURE, "ls_fix_restart",
            Fix.FREE_AFTER_TASKS_TRACE, "ls_fix_sleepable",
            Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP, "ls_fix_unpublished",
            Fix.WARN_DESTROY_STORAGE_FAILURE, "ls_fix_warn_destroy",
            Fix.WARN_EVERY_LEAK, "ls_fix_warn_every");

    /** The test's class name: ls_final_f1_uaf is LsFinalF1UafTest. */
    static String className(String model) {
        StringBuilder b = new StringBuilder();
        for (String part : model.split("_")) {
            b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return b.append("Test").toString();
    }

    /** The path of the reproducer under a test source root. */
    static String path(String model) {
        return PACKAGE_DIR + className(model) + ".java";
    }

    /** One step of the schedule: the builder call, in the source. */
    private record Call(String text) {}

    /**
     * The source of the reproducer of {@code model}'s {@code trace}.
     *
     * @throws IllegalStateException if the Java twin does not follow the trace
     */
    static String source(StorageScenario sc, Manifest.Model model, List<TlcResult.State> trace, TlcResult.Loop loop) {
        List<Replayer.SpecStep> steps = Replayer.steps(sc, trace);
        List<Call> calls = new ArrayList<>();
        List<String> notes;
        try (StorageWorld w = new StorageWorld(sc, StorageWorld.Variant.REAL)) {
            for (Replayer.SpecStep st : steps) {
                var before = trace.get(st.number() - 2).vars();
                var after = trace.get(st.number() - 1).vars();
                String miss = Replayer.take(w, st, before, after);
                if (miss != null) {
                    throw new IllegalStateException(model.name() + ": the Java twin does not follow " + st + ": " + miss);
                }
                if (st.callback()) {
                    calls.add(new Call(".callback(\"" + st.obj() + "\")"));
                } else if (Tla.parse(after.get("fails")).elems().size() > Tla.parse(before.get("fails")).elems().size()) {
                    calls.add(new Call(".fails(\"" + st.proc() + "\", \"" + st.action() + "\")"));
                } else if (st.action().equals("MapFreeNext") && sc.protocol() == Protocol.FINAL
                        && Tla.parse(after.get("pc")).get(st.proc()).atom().equals("\"map_free:cond_resched_rcu\"")) {
                    calls.add(new Call(".resched(\"" + st.proc() + "\")"));
                } else {
                    calls.add(new Call(".step(\"" + st.proc() + "\", \"" + st.action() + "\")"));
                }
            }
            notes = w.notes();
        }
        String cls = className(model.name());
        String property = model.expected().property();
        Fix fix = FIXED_BY.get(model.name());
        StringBuilder b = new StringBuilder();
        b.append("package rqspin.conformance.storage.repro;\n\n");
        if (fix != null) {
            b.append("import static org.junit.jupiter.api.Assertions.assertFalse;\n");
        }
        b.append("import static org.junit.jupiter.api.Assertions.assertTrue;\n\n");
        b.append("import org.junit.jupiter.api.Test;\n");
        b.append("import rqspin.conformance.storage.Reproducer;\n");
        if (fix != null || !sc.fixes().isEmpty()) {
            b.append("import rqspin.storage.Fix;\n");
        }
        b.append("\n/**\n");
        for (String line : wrap(model.name() + ": " + model.purpose(), 76)) {
            b.append(" * ").append(line).append('\n');
        }
        b.append(" *\n");
        for (String line : wrap("<p>Generated by {@code spec/conform reproduce " + model.name() + "} from TLC's "
                + "counterexample (one worker); do not edit: ReproducersTest makes it again and fails if it differs. "
                + "The schedule is TLC's counterexample, step by step, as the Java twin takes it on the gated CPUs "
                + "(each process on a CPU of its own); each comment says what the step did there. " + world(sc), 76)) {
            b.append(" * ").append(line).append('\n');
        }
        b.append(" */\n");
        b.append("class ").append(cls).append(" {\n");
        b.append("    static final Reproducer SCHEDULE = Reproducer.of(\"").append(model.name()).append("\", \"")
                .append(sc.protocol() == Protocol.V3 ? "v3" : "final").append("\")\n");
        if (sc.preemptRcu()) {
            b.append("            .preemptRcu()\n");
        }
        if (sc.refcountTwoStep()) {
            b.append("            .refcountTwoStep()\n");
        }
        if (sc.nBuckets() != 1) {
            List<String> kb = new ArrayList<>();
            sc.bucketOf().forEach((k, v) -> kb.add("\"" + k + "\", \"" + v + "\""));
            b.append("            .buckets(").append(sc.nBuckets()).append(", ").append(String.join(", ", kb)).append(")\n");
        }
        for (Fix f : sc.fixes()) {
            b.append("            .with(Fix.").append(f.name()).append(")\n");
        }
        for (String x : sc.initLinked()) {
            String o = sc.selemOwner().get(x);
            b.append("            .initially(\"").append(x).append("\", \"").append(o).append("\", \"")
                    .append(sc.selemMap().get(x)).append("\", \"").append(sc.initStorage().get(o)).append("\")\n");
        }
        for (StorageScenario.Proc p : sc.procs().values()) {
            b.append("            ").append(switch (p.kind()) {
                case "map_free" -> ".mapFree(\"" + p.id() + "\", \"" + p.map() + "\")";
                case "destroy" -> ".destroy(\"" + p.id() + "\", \"" + p.owner() + "\")";
                case "update" -> ".update(\"" + p.id() + "\", \"" + p.owner() + "\", \"" + p.map() + "\", \"" + p.selem()
                        + "\", " + (p.storage() == null ? "null" : "\"" + p.storage() + "\"") + ")";
                case "delete" -> ".delete(\"" + p.id() + "\", \"" + p.owner() + "\", \"" + p.map() + "\")";
                case "lookup" -> ".lookup(\"" + p.id() + "\", \"" + p.owner() + "\", \"" + p.map() + "\")";
                default -> ".sleepableLookup(\"" + p.id() + "\", \"" + p.owner() + "\", \"" + p.map() + "\")";
            }).append("\n");
        }
        List<String> lines = new ArrayList<>();
        for (Call c : calls) {
            lines.add("            " + c.text());
        }
        if (loop != null) {
            lines.add("            .thenNothingMoves()");
        }
        for (int k = 0; k < lines.size(); k++) {
            StringBuilder line = new StringBuilder(lines.get(k));
            if (k == lines.size() - 1) {
                line.append(';');
            }
            while (line.length() < 62) {
                line.append(' ');
            }
            line.append(" // ").append(k < notes.size() ? notes.get(k) : "no process can take a step any more");
            b.append(line).append('\n');
        }
        b.append('\n');
        String shows = sc.protocol() == Protocol.V3 ? "theV3PatchShows" : "theMergedCodeShows";
        b.append("    /** ").append(sc.protocol() == Protocol.V3 ? "The v3 patch" : "The merged code")
                .append(" shows it: ").append(property).append(". */\n");
        b.append("    @Test\n");
        b.append("    void ").append(shows).append(property.replace("_", "")).append("() {\n");
        b.append("        Reproducer.Result r = SCHEDULE.run();\n");
        b.append("        assertTrue(r.followed() && r.shows(\"").append(property).append("\"), r.toString());\n");
        b.append("    }\n");
        if (fix != null) {
            b.append("\n    /** With the candidate fix the spec checks in ").append(FIX_MODEL.get(fix))
                    .append(", the same schedule does not show it. */\n");
            b.append("    @Test\n");
            b.append("    void withFix").append(camel(fix.name())).append("ItDoesNotShow").append(property.replace("_", ""))
                    .append("() {\n");
            b.append("        Reproducer.Result r = SCHEDULE.run(Fix.").append(fix.name()).append(");\n");
            b.append("        assertFalse(r.shows(\"").append(property).append("\"), r.toString());\n");
            b.append("    }\n");
        } else {
            b.append("\n    // The spec checks no candidate fix of this finding (ls_fix_*). Where it has one, the same schedule\n");
            b.append("    // must not show the violation there: assertFalse(SCHEDULE.run(Fix...).shows(\"").append(property)
                    .append("\")).\n");
        }
        b.append("}\n");
        return b.toString();
    }

    private static String camel(String enumName) {
        StringBuilder b = new StringBuilder();
        for (String part : enumName.toLowerCase(Locale.ROOT).split("_")) {
            b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return b.toString();
    }

    private static String world(StorageScenario sc) {
        StringBuilder b = new StringBuilder("The world: the ");
        b.append(sc.protocol() == Protocol.V3 ? "v3 protocol (bpf_selem_unlink_lockless)"
                : "final protocol (bpf_selem_unlink_nofail, the merged code)");
        if (!sc.fixes().isEmpty()) {
            b.append(" with ").append(sc.fixes());
        }
        b.append(". At start:");
        if (sc.initLinked().isEmpty()) {
            b.append(" nothing is linked.");
        }
        for (String x : sc.initLinked()) {
            String o = sc.selemOwner().get(x);
            b.append(' ').append(o).append(" has ").append(x).append(" in ").append(sc.selemMap().get(x)).append(" (")
                    .append(sc.initStorage().get(o)).append(").");
        }
        b.append(" Processes:");
        for (int c = 0; c < sc.nrProcs(); c++) {
            b.append(c == 0 ? " " : ", ").append(sc.proc(c)).append(" on CPU").append(c);
        }
        return b.append('.').toString();
    }

    private static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() == 0 ? "" : " ").append(word);
        }
        if (line.length() > 0) {
            out.add(line.toString());
        }
        return out;
    }
}
