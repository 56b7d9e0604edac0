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
 * Writes the error trace of a violation as {@code <dir>/<model>.txt} and
 * {@code <dir>/<model>.json}.
 *
 * <p>The text form gives, for each step, the action that TLC names and only
 * what changed, down to the changed field or function entry
 * ({@code lockWord[L1].pending: 0 -> 1}); the first state is printed whole.
 * The JSON form holds the same steps with every variable's full value (as TLC
 * prints it) and the list of changes, so tools need not parse TLC's output.
 */
public final class TraceWriter {
    private TraceWriter() {}

    /** The two files written for {@code model} under {@code dir}. */
    public static List<Path> paths(Path dir, String model) {
        return List.of(dir.resolve(model + ".txt"), dir.resolve(model + ".json"));
    }

    public static List<Path> write(Path dir, Manifest.Model model, TlcResult r) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = paths(dir, model.name());
        Files.writeString(out.get(0), text(model, r), StandardCharsets.UTF_8);
        Files.writeString(out.get(1), Json.write(json(model, r)), StandardCharsets.UTF_8);
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
        StringBuilder b = new StringBuilder();
        b.append(model.name()).append(": ").append(r.verdict()).append("  (expected: ").append(model.expected())
                .append(")\n");
        b.append("module ").append(model.module()).append(", config ").append(model.config())
                .append(", variant: ").append(model.variant()).append('\n');
        b.append("TLC exit code ").append(r.exitCode()).append("; ").append(r.trace().size()).append(" states\n\n");
        TlcResult.State prev = null;
        for (TlcResult.State s : r.trace()) {
            b.append(s.number()).append(": ").append(s.action());
            if (s.location() != null) {
                b.append("    (").append(s.location()).append(')');
            }
            b.append('\n');
            if (prev == null) {
                for (Map.Entry<String, String> e : s.vars().entrySet()) {
                    b.append("    ").append(e.getKey()).append(" = ")
                            .append(TlaValue.parse(e.getValue())).append('\n');
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

    static Map<String, Object> json(Manifest.Model model, TlcResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", model.name());
        o.put("module", model.module());
        o.put("config", model.config());
        o.put("variant", model.variant());
        o.put("verdict", r.verdict().kind().label());
        o.put("property", r.verdict().property());
        o.put("expected", model.expected().toString());
        o.put("exitCode", r.exitCode());
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
                    changed.add(co);
                }
            }
            so.put("changes", changed);
            Map<String, Object> vars = new LinkedHashMap<>();
            s.vars().forEach((k, v) -> vars.put(k, TlaValue.parse(v).toString()));
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
        return o;
    }
}
