package rqspin.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The list of TLC models ({@code spec/models.json}), in the spirit of the
 * manifest of tlaplus/Examples.
 *
 * <p>Each model names a module and a config (paths relative to the manifest's
 * directory), a size class ({@code ci}: under 60 s on a 2-core machine,
 * checked by {@code mvn verify}; {@code full}: longer), its expected verdict,
 * and the size and time TLC reported at its last recorded run; a
 * simulation-only model also has its budget ({@code "simulate"}, {@link Simulate};
 * {@code spec/simulation.json}). The manifest is
 * validated as a whole when loaded: a bad entry is a {@link UsageException}
 * naming the model and the field, before any model runs.
 *
 * <p>Entries keep their JSON form, so that {@link #record} can write measured
 * numbers back without touching the other fields.
 */
public final class Manifest {

    /** One model of the manifest. {@code raw} is the JSON object it was read from. */
    public record Model(String name, String mechanism, String module, String config, String size,
                        String variant, String purpose, Verdict expected,
                        Map<String, Object> recorded, Map<String, Object> raw, Simulate simulate) {
        public Model(String name, String mechanism, String module, String config, String size, String variant,
                     String purpose, Verdict expected, Map<String, Object> recorded, Map<String, Object> raw) {
            this(name, mechanism, module, config, size, variant, purpose, expected, recorded, raw, null);
        }
    }

    /**
     * A simulation-only model's budget ({@code "simulate": {"depth": D, "seconds": S, "seed": N}}):
     * it runs only with {@code --simulate}, behaviours of at most D steps from seed N for S seconds.
     */
    public record Simulate(int depth, int seconds, long seed) {}

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Set<String> KEYS = Set.of("name", "mechanism", "module", "config", "size",
            "variant", "purpose", "expected", "recorded", "simulate");
    private static final Set<String> SIMULATE_KEYS = Set.of("depth", "seconds", "seed");

    private final Path file;
    private final Map<String, Object> root;
    private final List<Model> models;

    private Manifest(Path file, Map<String, Object> root, List<Model> models) {
        this.file = file;
        this.root = root;
        this.models = models;
    }

    public Path file() {
        return file;
    }

    /** The directory that module and config paths are relative to. */
    public Path dir() {
        return file.toAbsolutePath().getParent();
    }

    public List<Model> models() {
        return models;
    }

    /** Reads and validates {@code file}; every problem is a one-line {@link UsageException}. */
    @SuppressWarnings("unchecked")
    public static Manifest load(Path file) throws UsageException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UsageException("manifest not found: " + file);
        } catch (IOException e) {
            throw new UsageException("cannot read manifest " + file + ": " + e.getMessage());
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new UsageException("manifest " + file + " is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map) || !(((Map<String, Object>) parsed).get("models") instanceof List)) {
            throw new UsageException("manifest " + file + " must be an object with a \"models\" array");
        }
        Map<String, Object> root = (Map<String, Object>) parsed;
        List<Model> models = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int i = 0;
        for (Object o : (List<Object>) root.get("models")) {
            i++;
            if (!(o instanceof Map)) {
                throw new UsageException("manifest entry " + i + " is not an object");
            }
            Model m = model(i, (Map<String, Object>) o);
            if (!seen.add(m.name())) {
                throw new UsageException("manifest names model " + m.name() + " twice");
            }
            models.add(m);
        }
        return new Manifest(file, root, models);
    }

    @SuppressWarnings("unchecked")
    private static Model model(int index, Map<String, Object> o) throws UsageException {
        String name = string(o, "name", "entry " + index, true);
        String where = "model " + name;
        if (!NAME.matcher(name).matches()) {
            throw new UsageException(where + ": name may use only letters, digits, '_', '.', '-'");
        }
        for (String k : o.keySet()) {
            if (k.equals("checkDeadlock")) {
                throw new UsageException(where + ": \"checkDeadlock\" is not a manifest field: write"
                        + " CHECK_DEADLOCK TRUE or FALSE in the model's cfg");
            }
            if (!KEYS.contains(k)) {
                throw new UsageException(where + ": unknown field \"" + k + "\"");
            }
        }
        String size = string(o, "size", where, true);
        if (!size.equals("ci") && !size.equals("full")) {
            throw new UsageException(where + ": size must be \"ci\" or \"full\", not \"" + size + "\"");
        }
        if (!(o.get("expected") instanceof Map)) {
            throw new UsageException(where + ": missing \"expected\" object");
        }
        Map<String, Object> exp = (Map<String, Object>) o.get("expected");
        String kindLabel = string(exp, "verdict", where + ", expected", true);
        Verdict.Kind kind = Verdict.Kind.ofLabel(kindLabel);
        if (kind == null || kind == Verdict.Kind.ERROR) {
            throw new UsageException(where + ": expected verdict must be pass, safety, liveness or deadlock, not \""
                    + kindLabel + "\"");
        }
        String property = string(exp, "property", where + ", expected", false);
        boolean needsProperty = kind == Verdict.Kind.SAFETY || kind == Verdict.Kind.LIVENESS;
        if (needsProperty && property == null) {
            throw new UsageException(where + ": an expected " + kindLabel + " violation must name its property");
        }
        if (!needsProperty && property != null) {
            throw new UsageException(where + ": an expected " + kindLabel + " verdict names no property");
        }
        Object rec = o.get("recorded");
        if (rec != null && !(rec instanceof Map)) {
            throw new UsageException(where + ": \"recorded\" must be an object");
        }
        return new Model(name, string(o, "mechanism", where, false), string(o, "module", where, true),
                string(o, "config", where, true), size, string(o, "variant", where, true),
                string(o, "purpose", where, false), new Verdict(kind, property),
                (Map<String, Object>) rec, o, simulate(o.get("simulate"), where));
    }

    @SuppressWarnings("unchecked")
    private static Simulate simulate(Object v, String where) throws UsageException {
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map)) {
            throw new UsageException(where + ": \"simulate\" must be an object {\"depth\", \"seconds\", \"seed\"}");
        }
        Map<String, Object> s = (Map<String, Object>) v;
        for (String k : s.keySet()) {
            if (!SIMULATE_KEYS.contains(k)) {
                throw new UsageException(where + ": unknown field \"simulate." + k + "\"");
            }
        }
        long depth = whole(s, "depth", where, 1, 100_000);
        long seconds = whole(s, "seconds", where, 1, 86_400);
        long seed = whole(s, "seed", where, Long.MIN_VALUE, Long.MAX_VALUE);
        return new Simulate((int) depth, (int) seconds, seed);
    }

    private static long whole(Map<String, Object> s, String key, String where, long min, long max)
            throws UsageException {
        Object v = s.get(key);
        if (!(v instanceof Long || v instanceof Integer) || ((Number) v).longValue() < min
                || ((Number) v).longValue() > max) {
            throw new UsageException(where + ": \"simulate." + key + "\" must be a whole number"
                    + (min == Long.MIN_VALUE ? "" : " from " + min + " to " + max));
        }
        return ((Number) v).longValue();
    }

    private static String string(Map<String, Object> o, String key, String where, boolean required)
            throws UsageException {
        Object v = o.get(key);
        if (v == null) {
            if (required) {
                throw new UsageException(where + ": missing field \"" + key + "\"");
            }
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw new UsageException(where + ": field \"" + key + "\" must be a non-empty string");
        }
        return s;
    }

    /**
     * The models chosen by {@code selectors}, in manifest order: {@code ci},
     * {@code full}, {@code all}, or names, where a name may use {@code *} as a
     * wildcard. A selector that matches nothing is a {@link UsageException}.
     */
    public List<Model> select(List<String> selectors) throws UsageException {
        Set<String> chosen = new HashSet<>();
        for (String sel : selectors) {
            boolean any = false;
            for (Model m : models) {
                boolean hit = switch (sel) {
                    case "all" -> true;
                    case "ci", "full" -> m.size().equals(sel);
                    default -> sel.contains("*")
                            ? Pattern.matches(Pattern.quote(sel).replace("*", "\\E.*\\Q"), m.name())
                            : m.name().equals(sel);
                };
                if (hit) {
                    chosen.add(m.name());
                    any = true;
                }
            }
            if (!any && !sel.equals("all") && !sel.equals("ci") && !sel.equals("full")) {
                throw new UsageException(sel.contains("*")
                        ? "no model matches " + sel + " (see --list)"
                        : "unknown model: " + sel + " (see --list)");
            }
        }
        List<Model> out = new ArrayList<>();
        for (Model m : models) {
            if (chosen.contains(m.name())) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Checks that the module and config of each model exist and that each
     * config is self-contained: it says {@code CHECK_DEADLOCK TRUE} or
     * {@code FALSE} itself, so that plain TLC (or the Toolbox, or the VS Code
     * extension) on that config gives the manifest's verdict. A problem is a
     * {@link UsageException}.
     */
    public void checkFiles(List<Model> chosen) throws UsageException {
        for (Model m : chosen) {
            for (String f : List.of(m.module(), m.config())) {
                if (!Files.isRegularFile(dir().resolve(f))) {
                    throw new UsageException("model " + m.name() + ": file not found: " + dir().resolve(f));
                }
            }
            Path cfg = dir().resolve(m.config());
            try {
                if (Cfg.checkDeadlock(cfg) == null) {
                    throw new UsageException("model " + m.name() + ": " + cfg
                            + " must say CHECK_DEADLOCK TRUE or FALSE (a cfg is self-contained)");
                }
            } catch (IOException e) {
                throw new UsageException("model " + m.name() + ": cannot read " + cfg + ": " + e.getMessage());
            }
        }
    }

    /** The directory TLC runs in for {@code m}: its module's directory. */
    public Path workDir(Model m) {
        return dir().resolve(m.module()).toAbsolutePath().normalize().getParent();
    }

    /**
     * Stores the numbers of {@code r} as the model's recorded run. The file is
     * read again just before it is rewritten and only this model's
     * {@code recorded} field changes, so edits made to other entries while
     * TLC ran are kept.
     */
    @SuppressWarnings("unchecked")
    public synchronized void record(Model m, TlcResult r, String date) throws IOException {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("generated", r.generated());
        rec.put("distinct", r.distinct());
        rec.put("depth", r.depth());
        rec.put("seconds", Math.round(r.seconds() * 10) / 10.0);
        rec.put("workers", r.workers());
        rec.put("date", date);
        Map<String, Object> now;
        try {
            now = (Map<String, Object>) Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (Json.ParseException e) {
            throw new IOException("manifest " + file + " became invalid JSON while TLC ran: " + e.getMessage());
        }
        for (Object o : (List<Object>) now.get("models")) {
            Map<String, Object> entry = (Map<String, Object>) o;
            if (m.name().equals(entry.get("name"))) {
                entry.put("recorded", rec);
                m.raw().put("recorded", rec);
                Files.writeString(file, Json.write(now), StandardCharsets.UTF_8);
                return;
            }
        }
        throw new IOException("model " + m.name() + " is no longer in " + file);
    }
}
