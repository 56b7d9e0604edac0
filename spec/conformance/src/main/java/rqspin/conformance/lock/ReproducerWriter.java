package rqspin.conformance.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rqspin.conformance.lock.GatedScheduler.Kind;
import rqspin.conformance.lock.GatedScheduler.Outcome;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.conformance.lock.LockScenario.Op;
import rqspin.lock.Version;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;

/**
 * Writes the reproducer of a finding: a JUnit test, in package
 * rqspin.conformance.lock.repro, whose {@link Reproducer} is TLC's trace as
 * a schedule of the Java twin, step by step, each step with a comment
 * saying what it did (from a replay on the Java twin), and whose test
 * asserts that the version of the finding shows the property TLC reports.
 * Deterministic: the same trace gives the same text.
 */
final class ReproducerWriter {
    private ReproducerWriter() {}

    static final String PACKAGE_DIR = "rqspin/conformance/lock/repro/";

    /**
     * A version of the spec in which a finding is fixed, and the commit that
     * fixed it: the findings table of spec/rqspinlock/README.md, where a
     * finding's verdict turns to "holds" in a later version. The reproducer of
     * such a finding also asserts that the same schedule does not show the
     * property there (the fixed code either takes another way, and the
     * schedule stops, or takes it without the violation).
     */
    record Fix(Version version, String commit) {}

    static final java.util.Map<String, List<Fix>> FIXES = java.util.Map.ofEntries(
            java.util.Map.entry("rq_v615_nmi_hang", List.of(new Fix(Version.V6_17, "0d80e7f951be"))),
            java.util.Map.entry("rq_v615_cascade_edeadlk",
                    List.of(new Fix(Version.V6_19, "\"Adjust return value for queue destruction\""))),
            java.util.Map.entry("rq_v615_missed_aa", List.of(new Fix(Version.V6_19, "beb7021a6003"))),
            java.util.Map.entry("rq_v619_tas_virt", List.of(new Fix(Version.V7_0, "82f3b142c99c"))),
            java.util.Map.entry("rq_v619_handover_hang", List.of(new Fix(Version.V7_2, "7a3c0289c3c8"))),
            java.util.Map.entry("rq_v619_handover_hang_real", List.of(new Fix(Version.V7_2, "7a3c0289c3c8"))),
            java.util.Map.entry("rq_v619_full_liveness", List.of(new Fix(Version.V7_2, "7a3c0289c3c8"))));

    /** The test's class name: rq_v619_tas_virt is RqV619TasVirtTest. */
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

    /**
     * The source of the reproducer of {@code model}'s {@code trace}.
     *
     * @throws IllegalStateException if the Java twin does not follow the trace
     */
    static String source(LockScenario sc, Manifest.Model model, List<TlcResult.State> trace, TlcResult.Loop loop) {
        List<Replayer.SpecStep> steps = Replayer.steps(sc, trace);
        List<String> notes;
        try (LockWorld w = new LockWorld(sc, LockWorld.REAL)) {
            for (Replayer.SpecStep st : steps) {
                Outcome o = Replayer.take(w, st);
                if (o.kind() != Kind.TOOK || !o.step().name().equals(st.action()) || o.ctx() != st.ctx()) {
                    throw new IllegalStateException(model.name() + ": the Java twin does not follow step "
                            + st.number() + " (" + st.action() + "): no reproducer");
                }
            }
            notes = w.notes();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        String cls = className(model.name());
        String property = model.expected().property();
        String version = sc.resilient() ? sc.version().name() : "V6_19";
        List<Fix> fixes = FIXES.getOrDefault(model.name(), List.of());
        for (Fix f : fixes) {
            Reproducer.Result onFixed = schedule(sc, steps, loop != null).run(f.version());
            if (onFixed.shows(property)) {
                throw new IllegalStateException(model.name() + ": the schedule still shows " + property + " on "
                        + f.version() + ", which FIXES says fixes it: " + onFixed);
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("package rqspin.conformance.lock.repro;\n\n");
        if (!fixes.isEmpty()) {
            b.append("import static org.junit.jupiter.api.Assertions.assertFalse;\n");
        }
        b.append("import static org.junit.jupiter.api.Assertions.assertTrue;\n\n");
        b.append("import org.junit.jupiter.api.Test;\n");
        b.append("import rqspin.conformance.lock.Reproducer;\n");
        b.append("import rqspin.lock.Version;\n\n");
        b.append("/**\n");
        for (String line : wrap(model.name() + ": " + model.purpose(), 76)) {
            b.append(" * ").append(line).append('\n');
        }
        b.append(" *\n");
        for (String line : wrap("<p>Generated by {@code spec/conform reproduce " + model.name() + "} from TLC's "
                + "counterexample (one worker); do not edit: ReproducersTest makes it again and fails if it differs. The schedule is TLC's counterexample, step by step, as the Java twin "
                + "takes it on the gated scheduler; each comment says what the step did there. " + world(sc), 76)) {
            b.append(" * ").append(line).append('\n');
        }
        b.append(" */\n");
        b.append("class ").append(cls).append(" {\n");
        b.append("    static final Reproducer SCHEDULE = Reproducer.of(\"").append(model.name()).append("\", ")
                .append(sc.resilient()).append(", \"").append(sc.tas()).append("\", ").append(sc.nrHeld())
                .append(", ").append(sc.nrNodes()).append(")\n");
        if (sc.x86SetPending()) {
            b.append("            .x86SetPending()\n");
        }
        if (sc.abbaStepwise()) {
            b.append("            .abbaScanStepwise()\n");
        }
        b.append("            .cpus(").append(quoted(sc.cpus())).append(").locks(").append(quoted(sc.locks()))
                .append(")\n");
        for (int c = 0; c < sc.nrCpus(); c++) {
            for (Ctx x : Ctx.values()) {
                List<Op> ops = sc.script(c, x);
                if (!ops.isEmpty()) {
                    List<String> os = new ArrayList<>();
                    ops.forEach(op -> os.add(op.toString()));
                    b.append("            .script(\"").append(sc.cpuName(c)).append("\", \"").append(x).append("\", ")
                            .append(quoted(os)).append(")\n");
                }
            }
        }
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < steps.size(); k++) {
            Replayer.SpecStep st = steps.get(k);
            lines.add(String.format(Locale.ROOT, "            .step(\"%s\", \"%s\", \"%s\")", sc.cpuName(st.cpu()),
                    st.ctx(), st.action()));
        }
        if (loop != null) {
            lines.add("            .thenNothingMoves()");
        }
        for (int k = 0; k < lines.size(); k++) {
            StringBuilder line = new StringBuilder(lines.get(k));
            if (k == lines.size() - 1) {
                line.append(';');
            }
            if (k < notes.size()) {
                while (line.length() < 75) {
                    line.append(' ');
                }
                line.append(" // ").append(notes.get(k));
            } else {
                while (line.length() < 75) {
                    line.append(' ');
                }
                line.append(" // no CPU can take a step any more");
            }
            b.append(line).append('\n');
        }
        b.append('\n');
        b.append("    /** ").append(version.replace('_', '.').replace("V", "v"))
                .append(", the version of the finding, shows it: ").append(property).append(". */\n");
        b.append("    @Test\n");
        b.append("    void ").append(version.toLowerCase(Locale.ROOT)).append("Shows").append(property).append("() {\n");
        b.append("        Reproducer.Result r = SCHEDULE.run(Version.").append(version).append(");\n");
        b.append("        assertTrue(r.followed() && r.shows(\"").append(property).append("\"), r.toString());\n");
        b.append("    }\n");
        if (fixes.isEmpty()) {
            b.append("\n    // The spec has no version that fixes this finding: it holds in every later version too (see the\n");
            b.append("    // findings table of spec/rqspinlock/README.md), or is accepted by design.\n");
        }
        for (Fix f : fixes) {
            String v = f.version().name();
            b.append("\n    /** ").append(f.version().spec()).append(" has the fix (").append(f.commit())
                    .append("): the same schedule does not show it. */\n");
            b.append("    @Test\n");
            b.append("    void ").append(v.toLowerCase(Locale.ROOT)).append("DoesNotShow").append(property).append("() {\n");
            b.append("        Reproducer.Result r = SCHEDULE.run(Version.").append(v).append(");\n");
            b.append("        assertFalse(r.shows(\"").append(property).append("\"), r.toString());\n");
            b.append("    }\n");
        }
        b.append("}\n");
        return b.toString();
    }

    /** The schedule of {@code steps} in the world of {@code sc}, as the generated test builds it. */
    private static Reproducer schedule(LockScenario sc, List<Replayer.SpecStep> steps, boolean hang) {
        Reproducer r = Reproducer.of(sc.model(), sc.resilient(), sc.tas(), sc.nrHeld(), sc.nrNodes())
                .cpus(sc.cpus().toArray(new String[0])).locks(sc.locks().toArray(new String[0]));
        if (sc.x86SetPending()) {
            r.x86SetPending();
        }
        if (sc.abbaStepwise()) {
            r.abbaScanStepwise();
        }
        for (int c = 0; c < sc.nrCpus(); c++) {
            for (Ctx x : Ctx.values()) {
                List<Op> ops = sc.script(c, x);
                if (!ops.isEmpty()) {
                    List<String> os = new ArrayList<>();
                    ops.forEach(op -> os.add(op.toString()));
                    r.script(sc.cpuName(c), x.name(), os.toArray(new String[0]));
                }
            }
        }
        for (Replayer.SpecStep st : steps) {
            r.step(sc.cpuName(st.cpu()), st.ctx().name(), st.action());
        }
        return hang ? r.thenNothingMoves() : r;
    }

    private static String world(LockScenario sc) {
        StringBuilder b = new StringBuilder("The world: ");
        b.append(sc.resilient() ? "rqspinlock " + sc.version().spec() : "qspinlock");
        b.append(sc.x86SetPending() ? ", x86 set-pending (btsl, then a read)" : "");
        b.append(sc.abbaStepwise() ? ", ABBA scan one read per step" : "");
        b.append(switch (sc.tas()) {
            case "virt" -> ", TAS fallback of an x86 guest";
            case "native" -> ", no queued spinlocks (TAS only)";
            default -> "";
        });
        if (sc.nrHeld() != 31) {
            b.append(", ").append(sc.nrHeld()).append(" held-lock slot").append(sc.nrHeld() == 1 ? "" : "s");
        }
        if (sc.nrNodes() != 4) {
            b.append(", ").append(sc.nrNodes()).append(" MCS node").append(sc.nrNodes() == 1 ? "" : "s");
        }
        b.append("; CPUs ");
        for (int c = 0; c < sc.nrCpus(); c++) {
            b.append(c == 0 ? "" : ", ").append(sc.cpuName(c)).append(" (Java cpu").append(c).append(')');
        }
        b.append("; locks ").append(String.join(", ", sc.locks())).append('.');
        for (int c = 0; c < sc.nrCpus(); c++) {
            for (Ctx x : Ctx.values()) {
                if (!sc.script(c, x).isEmpty()) {
                    b.append(' ').append(sc.cpuName(c)).append(' ').append(x).append(": ");
                    List<String> os = new ArrayList<>();
                    sc.script(c, x).forEach(op -> os.add(op.toString()));
                    b.append(String.join(", ", os)).append('.');
                }
            }
        }
        return b.toString();
    }

    private static String quoted(List<String> xs) {
        List<String> q = new ArrayList<>();
        xs.forEach(x -> q.add("\"" + x + "\""));
        return String.join(", ", q);
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
