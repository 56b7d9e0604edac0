package rqspin.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the error trace of a violation: {@code <dir>/<model>.txt} (the
 * summary, the interleaving diagram, then every step with only what changed),
 * {@code <model>.json} (the same as data, schema {@value #SCHEMA}),
 * {@code <model>.diagram.txt} (the diagram alone, for a mail) and
 * {@code <model>.svg} (the diagram as a picture).
 *
 * <p>In the text form each step gives the action that TLC names and only
 * what changed, down to the changed field or function entry
 * ({@code lock[A].pending: 0 -> 1}); the first state is printed whole, a
 * long value split into one line per entry. The JSON form holds every
 * variable's value as plain JSON ({@code values}, see
 * {@link TlaValue#toJson}) beside TLC's text ({@code vars}), the list of
 * changes, the summary and the diagram, so that tools need not parse TLC's
 * output.
 */
public final class TraceWriter {
    private TraceWriter() {}

    /** The {@code schema} member of a trace file (spec/runner/src/main/resources/rqspin/spec/trace.schema.json). */
    public static final String SCHEMA = "rqspin-trace/2";

    /** The text and JSON trace files for {@code model} under {@code dir}. */
    public static List<Path> paths(Path dir, String model) {
        return List.of(dir.resolve(model + ".txt"), dir.resolve(model + ".json"));
    }

    /** The diagram files for {@code model} under {@code dir}: the text for a mail, and the SVG. */
    public static List<Path> diagramPaths(Path dir, String model) {
        return List.of(dir.resolve(model + ".diagram.txt"), dir.resolve(model + ".svg"));
    }

    /** Writes the four files; returns the text and JSON trace paths. */
    public static List<Path> write(Path dir, Manifest.Model model, TlcResult r) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = paths(dir, model.name());
        Diagram d = TraceDiagrams.of(model, r);
        Files.writeString(out.get(0), text(model, r, d), StandardCharsets.UTF_8);
        Files.writeString(out.get(1), Json.write(json(model, r, d)), StandardCharsets.UTF_8);
        List<Path> dp = diagramPaths(dir, model.name());
        Files.writeString(dp.get(0), d.text(), StandardCharsets.UTF_8);
        Files.writeString(dp.get(1), DiagramSvg.of(d), StandardCharsets.UTF_8);
        return out;
    }

    /**
     * Reads a trace file written by {@link #write} back: the model as the
     * file names it (name, module, config, variant, expected verdict) and
     * the result (verdict, exit code, states, loop). Used to draw the
     * diagram and the finding page of a trace without running TLC again.
     */
    @SuppressWarnings("unchecked")
    public static Read read(Path json) throws IOException {
        Map<String, Object> o;
        try {
            o = (Map<String, Object>) Json.parse(Files.readString(json, StandardCharsets.UTF_8));
        } catch (Json.ParseException e) {
            throw new IOException(json + ": " + e.getMessage());
        }
        List<TlcResult.State> states = new ArrayList<>();
        for (Object so : (List<Object>) o.get("states")) {
            Map<String, Object> s = (Map<String, Object>) so;
            Map<String, String> vars = new LinkedHashMap<>();
            ((Map<String, Object>) s.get("vars")).forEach((k, v) -> vars.put(k, (String) v));
            states.add(new TlcResult.State(((Number) s.get("number")).intValue(), (String) s.get("action"),
                    (String) s.get("location"), vars));
        }
        TlcResult.Loop loop = null;
        if (o.get("loop") instanceof Map<?, ?> lo) {
            boolean stutter = "stuttering".equals(lo.get("kind"));
            loop = new TlcResult.Loop(stutter, stutter ? 0 : ((Number) lo.get("backTo")).intValue(),
                    (String) lo.get("action"));
        }
        Verdict verdict = new Verdict(Verdict.Kind.valueOf(((String) o.get("verdict")).toUpperCase(java.util.Locale.ROOT)),
                (String) o.get("property"));
        Verdict expected = verdict(String.valueOf(o.get("expected")));
        Manifest.Model model = new Manifest.Model((String) o.get("model"), (String) o.get("mechanism"),
                (String) o.get("module"), (String) o.get("config"), "?", (String) o.get("variant"), null, expected,
                null, o);
        TlcResult r = new TlcResult(((Number) o.get("exitCode")).intValue(), verdict, null, null, null, 0, 0,
                List.copyOf(states), loop, List.of());
        return new Read(model, r);
    }

    /** A trace file read back: the model it names and what TLC reported. */
    public record Read(Manifest.Model model, TlcResult result) {}

    /** {@code pass}, {@code safety: P}, ... back to a verdict. */
    static Verdict verdict(String text) {
        int colon = text.indexOf(": ");
        String kind = colon < 0 ? text : text.substring(0, colon);
        return new Verdict(Verdict.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)),
                colon < 0 ? null : text.substring(colon + 2));
    }

    /** The changes from {@code before} to {@code after}, variable by variable. */
    static List<TlaValue.Change> changes(TlcResult.State before, TlcResult.State after) {
        List<TlaValue.Change> out = new ArrayList<>();
        for (Map.Entry<String, String> e : after.vars().entrySet()) {
            String old = before.vars().get(e.getKey());
            if (old == null) {
                out.add(new TlaValue.Change(e.getKey(), "(absent)", TlaValue.parse(e.getValue()).toString()));
            } else if (!old.equals(e.getValue())) {
                out.addAll(TlaValue.diff(e.getKey(), TlaValue.parse(old), TlaValue.parse(e.getValue())));
            }
        }
        return out;
    }

    static String text(Manifest.Model model, TlcResult r) {
        return text(model, r, TraceDiagrams.of(model, r));
    }

    static String text(Manifest.Model model, TlcResult r, Diagram d) {
        StringBuilder b = new StringBuilder();
        b.append(model.name()).append(": ").append(r.verdict()).append("  (expected: ").append(model.expected())
                .append(")\n");
        b.append("module ").append(model.module()).append(", config ").append(model.config())
                .append(", variant: ").append(model.variant()).append('\n');
        b.append("TLC exit code ").append(r.exitCode()).append("; ").append(r.trace().size()).append(" states\n\n");
        b.append("summary: ").append(d.summary()).append("\n\n");
        b.append(d.text()).append('\n');
        String glossary = TraceDiagrams.glossary(model);
        if (glossary != null) {
            b.append("-- the spec's names --\n").append(glossary).append("\n\n");
        }
        b.append("-- the trace: each step's action and what changed --\n\n");
        TlcResult.State prev = null;
        for (TlcResult.State s : r.trace()) {
            b.append(s.number()).append(": ").append(s.action());
            if (s.location() != null) {
                b.append("    (").append(s.location()).append(')');
            }
            b.append('\n');
            if (prev == null) {
                for (Map.Entry<String, String> e : s.vars().entrySet()) {
                    whole(b, e.getKey(), TlaValue.parse(e.getValue()));
                }
            } else {
                List<TlaValue.Change> cs = changes(prev, s);
                if (cs.isEmpty()) {
                    b.append("    (no variable changed)\n");
                }
                for (TlaValue.Change c : cs) {
                    b.append("    ").append(c.path()).append(": ").append(c.before()).append(" -> ")
                            .append(c.after()).append('\n');
                }
            }
            prev = s;
        }
        if (r.loop() != null) {
            if (r.loop().stuttering()) {
                b.append("\n").append(r.trace().size() + 1)
                        .append(": stuttering: from here on the behaviour stays in the last state forever\n");
            } else {
                b.append("\nthen ").append(r.loop().action()).append(" leads back to state ")
                        .append(r.loop().backTo()).append(", and the behaviour repeats from there forever\n");
            }
        }
        return b.toString();
    }

    /** A line that long is split into one line per entry of its record or function. */
    static final int LONG_LINE = 100;

    /** {@code path = value}, or one line per entry when that is longer than {@link #LONG_LINE}. */
    private static void whole(StringBuilder b, String path, TlaValue v) {
        String line = "    " + path + " = " + v;
        List<String> keys = v.keys();
        if (line.length() <= LONG_LINE || keys.isEmpty() || !(v instanceof TlaValue.Mapping m)) {
            b.append(line).append('\n');
            return;
        }
        for (String k : keys) {
            whole(b, m.record ? path + "." + k : path + "[" + k + "]", v.get(k));
        }
    }

    static Map<String, Object> json(Manifest.Model model, TlcResult r) {
        return json(model, r, TraceDiagrams.of(model, r));
    }

    static Map<String, Object> json(Manifest.Model model, TlcResult r, Diagram d) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("schema", SCHEMA);
        o.put("model", model.name());
        o.put("mechanism", model.mechanism());
        o.put("module", model.module());
        o.put("config", model.config());
        o.put("variant", model.variant());
        o.put("verdict", r.verdict().kind().label());
        o.put("property", r.verdict().property());
        o.put("expected", model.expected().toString());
        o.put("exitCode", r.exitCode());
        o.put("summary", d.summary());
        List<Object> states = new ArrayList<>();
        TlcResult.State prev = null;
        for (TlcResult.State s : r.trace()) {
            Map<String, Object> so = new LinkedHashMap<>();
            so.put("number", s.number());
            so.put("action", s.action());
            so.put("location", s.location());
            List<Object> changed = new ArrayList<>();
            if (prev != null) {
                for (TlaValue.Change c : changes(prev, s)) {
                    Map<String, Object> co = new LinkedHashMap<>();
                    co.put("path", c.path());
                    co.put("before", c.before());
                    co.put("after", c.after());
                    co.put("from", TlaValue.parse(c.before()).toJson());
                    co.put("to", TlaValue.parse(c.after()).toJson());
                    changed.add(co);
                }
            }
            so.put("changes", changed);
            Map<String, Object> values = new LinkedHashMap<>();
            Map<String, Object> vars = new LinkedHashMap<>();
            s.vars().forEach((k, v) -> {
                TlaValue t = TlaValue.parse(v);
                values.put(k, t.toJson());
                vars.put(k, t.toString());
            });
            so.put("values", values);
            so.put("vars", vars);
            states.add(so);
            prev = s;
        }
        o.put("states", states);
        if (r.loop() != null) {
            Map<String, Object> lo = new LinkedHashMap<>();
            lo.put("kind", r.loop().stuttering() ? "stuttering" : "back-to-state");
            if (!r.loop().stuttering()) {
                lo.put("backTo", r.loop().backTo());
                lo.put("action", r.loop().action());
            }
            o.put("loop", lo);
        }
        o.put("diagram", d.json());
        return o;
    }
}
