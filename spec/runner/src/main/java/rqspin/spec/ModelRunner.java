package rqspin.spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The model runner: runs TLC on models of the manifest and prints a verdict table.
 *
 * <pre>
 * spec/run-models [options] [ci | full | all | MODEL ...]
 * </pre>
 *
 * <p>Exit codes: 0 when every verdict is the expected one; 1 when at least one
 * differs (including a TLC error); 2 on bad usage (unknown flag or model,
 * missing file, broken manifest), reported in one line before anything runs.
 * For every violation, the trace is written to {@code <traces>/<model>.txt}
 * and {@code .json}; TLC's whole output goes to {@code <traces>/<model>.log}.
 */
public final class ModelRunner {

    static final String USAGE = String.join("\n",
            "usage: spec/run-models [options] [ci | full | all | MODEL ...]",
            "  runs TLC on the chosen models (default: ci) and prints a verdict table",
            "  MODEL may use * as a wildcard, e.g. 'rq_v619_*' or 'ls_final_*'",
            "options:",
            "  --list            list the chosen models (default: all) with expected verdicts and recorded sizes",
            "  --markdown        print the model table of the whole manifest (markdown)",
            "  --update-readme   rewrite each mechanism's model table in spec/<mechanism>/README.md",
            "                    (between its models:begin/end markers)",
            "  --record          store the measured states, depth and time of each model that met its",
            "                    expected verdict in the manifest",
            "  --workers N|auto  TLC worker threads (default: auto)",
            "  --manifest FILE   the manifest (default: spec/models.json)",
            "  --traces DIR      where traces and TLC logs go (default: <manifest dir>/target/traces)",
            "  --progress        echo TLC's progress lines while a model runs",
            "  -h, --help        this text",
            "exit codes: 0 every verdict as expected, 1 a verdict differs, 2 bad usage");

    /** Parsed command line. */
    record Options(List<String> selectors, boolean list, boolean markdown, boolean updateReadme, boolean record,
                   String workers,
                   Path manifest, Path traces, boolean progress, boolean help) {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line {@code args}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        Manifest manifest;
        List<Manifest.Model> chosen;
        try {
            o = parse(args);
            if (o.help()) {
                out.println(USAGE);
                return 0;
            }
            manifest = Manifest.load(o.manifest());
            List<String> sel = o.selectors().isEmpty()
                    ? List.of(o.list() || o.markdown() || o.updateReadme() ? "all" : "ci") : o.selectors();
            chosen = manifest.select(sel);
            if (o.markdown()) {
                out.print(markdown(manifest.models()));
                return 0;
            }
            if (o.updateReadme()) {
                for (Map.Entry<Path, List<Manifest.Model>> t : readmeTables(manifest).entrySet()) {
                    Path readme = t.getKey();
                    out.println(updateReadme(readme, markdown(t.getValue()))
                            ? "model table of " + readme + " updated" : "model table of " + readme + " already up to date");
                }
                return 0;
            }
            if (o.list()) {
                out.print(list(chosen));
                return 0;
            }
            manifest.checkFiles(chosen);
        } catch (UsageException e) {
            err.println("run-models: " + e.getMessage());
            return 2;
        }
        Path traces = o.traces() != null ? o.traces() : manifest.dir().resolve("target").resolve("traces");
        return runModels(manifest, chosen, o, traces, out, err);
    }

    static Options parse(String[] args) throws UsageException {
        List<String> selectors = new ArrayList<>();
        boolean list = false, markdown = false, updateReadme = false, record = false, progress = false, help = false;
        String workers = "auto";
        Path manifest = null, traces = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--list" -> list = true;
                case "--markdown" -> markdown = true;
                case "--update-readme" -> updateReadme = true;
                case "--record" -> record = true;
                case "--progress" -> progress = true;
                case "-h", "--help" -> help = true;
                case "--workers" -> {
                    workers = value(args, ++i, a);
                    if (!workers.equals("auto") && !workers.matches("[1-9][0-9]{0,3}")) {
                        throw new UsageException("--workers takes a positive number or 'auto', not '" + workers + "'");
                    }
                }
                case "--manifest" -> manifest = Path.of(value(args, ++i, a));
                case "--traces" -> traces = Path.of(value(args, ++i, a));
                default -> {
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option: " + a + " (see --help)");
                    }
                    selectors.add(a);
                }
            }
        }
        if (manifest == null) {
            manifest = defaultManifest();
        }
        if ((list ? 1 : 0) + (markdown ? 1 : 0) + (updateReadme ? 1 : 0) > 1) {
            throw new UsageException("--list, --markdown and --update-readme exclude each other");
        }
        if ((list || markdown || updateReadme) && record) {
            throw new UsageException("--record runs models; it cannot go with --list, --markdown or --update-readme");
        }
        if ((markdown || updateReadme) && !selectors.isEmpty()) {
            throw new UsageException("the model tables cover the whole manifest; name no models with it");
        }
        return new Options(selectors, list, markdown, updateReadme, record, workers, manifest, traces, progress, help);
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    /** {@code rqspin.spec.dir}/models.json, else ./models.json, else ./spec/models.json. */
    static Path defaultManifest() {
        String dir = System.getProperty("rqspin.spec.dir");
        if (dir != null) {
            return Path.of(dir, "models.json");
        }
        Path here = Path.of("models.json");
        return Files.exists(here) ? here : Path.of("spec", "models.json");
    }

    // ---------------------------------------------------------------- running

    private static int runModels(Manifest manifest, List<Manifest.Model> chosen, Options o, Path traces,
                                 PrintStream out, PrintStream err) {
        if (chosen.isEmpty()) {
            out.println("no models selected");
            return 0;
        }
        Table t = new Table(chosen);
        out.println(t.header());
        int mismatches = 0;
        List<String> notes = new ArrayList<>();
        for (Manifest.Model m : chosen) {
            TlcResult r;
            try {
                r = Tlc.run(manifest, m, o.workers(), traces.resolve(m.name() + ".log"),
                        o.progress() ? err : null);
            } catch (IOException e) {
                r = failed("cannot run TLC: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("run-models: interrupted");
                return 1;
            }
            boolean ok = r.verdict().matches(m.expected());
            if (!ok) {
                mismatches++;
            }
            out.println(t.row(m, r, ok));
            try {
                if (!r.trace().isEmpty()) {
                    List<Path> files = TraceWriter.write(traces, m, r);
                    notes.add("  " + m.name() + ": trace " + rel(files.get(0)) + " and " + rel(files.get(1)).getFileName());
                }
                if (r.verdict().kind() == Verdict.Kind.ERROR) {
                    notes.add("  " + m.name() + ": " + r.verdict().property() + " (TLC output: "
                            + rel(traces.resolve(m.name() + ".log")) + ")");
                }
                if (o.record() && ok) {
                    manifest.record(m, r, LocalDate.now().toString());
                }
            } catch (IOException e) {
                err.println("run-models: cannot write results of " + m.name() + ": " + e.getMessage());
                mismatches++;
            }
        }
        out.println();
        notes.forEach(out::println);
        if (!notes.isEmpty()) {
            out.println();
        }
        out.println(mismatches == 0
                ? chosen.size() + " model(s): every verdict as expected"
                : mismatches + " of " + chosen.size() + " model(s) did NOT give the expected verdict");
        if (o.record()) {
            out.println("recorded sizes written to " + manifest.file());
        }
        return mismatches == 0 ? 0 : 1;
    }

    private static TlcResult failed(String why) {
        return new TlcResult(-1, new Verdict(Verdict.Kind.ERROR, why), null, null, null, 0, 0, List.of(), null,
                List.of(why));
    }

    private static Path rel(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(cwd) ? cwd.relativize(abs) : abs;
    }

    /** The verdict table, printed a row at a time as models finish. */
    static final class Table {
        /** Room for an unexpected verdict, whose property name is not known before TLC runs. */
        static final int VERDICT_WIDTH = 34;

        final int wName, wVariant, wExpected, wVerdict;

        Table(List<Manifest.Model> models) {
            int n = "model".length(), v = "variant".length(), e = "expected".length();
            for (Manifest.Model m : models) {
                n = Math.max(n, m.name().length());
                v = Math.max(v, m.variant().length());
                e = Math.max(e, m.expected().toString().length());
            }
            wName = n;
            wVariant = v;
            wExpected = e;
            wVerdict = Math.max(e, VERDICT_WIDTH);
        }

        String header() {
            return line("model", "variant", "verdict", "expected", "generated / distinct", "depth", "time", "")
                    + "\n" + "-".repeat(wName + wVariant + wVerdict + wExpected + 22 + 7 + 9 + 8 + 14);
        }

        String row(Manifest.Model m, TlcResult r, boolean ok) {
            String states = r.generated() == null ? "-" : String.format(Locale.ROOT, "%,d / %,d", r.generated(), r.distinct());
            String verdict = r.verdict().kind() == Verdict.Kind.ERROR ? "error" : r.verdict().toString();
            return line(m.name(), m.variant(), verdict, m.expected().toString(), states,
                    r.depth() == null ? "-" : r.depth().toString(), seconds(r.seconds()), ok ? "ok" : "MISMATCH");
        }

        private String line(String name, String variant, String verdict, String expected, String states,
                            String depth, String time, String mark) {
            return String.format(Locale.ROOT, "%-" + wName + "s  %-" + wVariant + "s  %-" + wVerdict + "s  %-"
                            + wExpected + "s  %22s  %7s  %9s  %s",
                    name, variant, verdict, expected, states, depth, time, mark).stripTrailing();
        }
    }

    static String seconds(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        return String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, Math.round(s) % 60);
    }

    // ---------------------------------------------------------------- listing

    static String list(List<Manifest.Model> models) {
        StringBuilder b = new StringBuilder();
        Table t = new Table(models);
        String fmt = "%-" + t.wName + "s  %-4s  %-" + t.wVariant + "s  %-" + t.wExpected + "s  %s%n";
        b.append(String.format(Locale.ROOT, fmt, "model", "size", "variant", "expected", "recorded"));
        for (Manifest.Model m : models) {
            b.append(String.format(Locale.ROOT, fmt, m.name(), m.size(), m.variant(), m.expected(), recorded(m)));
        }
        return b.toString();
    }

    static String recorded(Manifest.Model m) {
        Map<String, Object> r = m.recorded();
        if (r == null) {
            return "not yet run";
        }
        Object secs = r.get("seconds");
        return String.format(Locale.ROOT, "%,d distinct, depth %s, %s (%s workers, %s)",
                ((Number) r.getOrDefault("distinct", 0L)).longValue(), r.get("depth"),
                secs instanceof Number n ? seconds(n.doubleValue()) : "?", r.get("workers"), r.get("date"));
    }

    /**
     * The README that holds each model's row: {@code <manifest dir>/<mechanism>/README.md},
     * or {@code <manifest dir>/README.md} for a model without a mechanism; in manifest order.
     */
    static Map<Path, List<Manifest.Model>> readmeTables(Manifest manifest) {
        Map<Path, List<Manifest.Model>> tables = new java.util.LinkedHashMap<>();
        for (Manifest.Model m : manifest.models()) {
            Path readme = (m.mechanism() == null ? manifest.dir() : manifest.dir().resolve(m.mechanism()))
                    .resolve("README.md");
            tables.computeIfAbsent(readme, k -> new ArrayList<>()).add(m);
        }
        return tables;
    }

    static final String TABLE_BEGIN = "<!-- models:begin (generated: spec/run-models --markdown) -->\n";
    static final String TABLE_END = "<!-- models:end -->";

    /** Replaces the table between the markers of {@code readme}; true if the file changed. */
    static boolean updateReadme(Path readme, String table) throws UsageException {
        try {
            String text = Files.readString(readme);
            int b = text.indexOf(TABLE_BEGIN), e = text.indexOf(TABLE_END);
            if (b < 0 || e < b) {
                throw new UsageException(readme + " has no " + TABLE_BEGIN.strip() + " ... " + TABLE_END + " block");
            }
            String updated = text.substring(0, b + TABLE_BEGIN.length()) + table + text.substring(e);
            if (updated.equals(text)) {
                return false;
            }
            Files.writeString(readme, updated);
            return true;
        } catch (IOException x) {
            throw new UsageException("cannot update " + readme + ": " + x.getMessage());
        }
    }

    /** The README's model table, generated from the manifest (a test keeps the README in step). */
    static String markdown(List<Manifest.Model> models) {
        StringBuilder b = new StringBuilder();
        b.append("| model | variant | size | expected verdict | distinct states | depth | time | what it checks |\n");
        b.append("|---|---|---|---|---|---|---|---|\n");
        for (Manifest.Model m : models) {
            Map<String, Object> r = m.recorded();
            String distinct = r == null ? "-" : String.format(Locale.ROOT, "%,d", ((Number) r.get("distinct")).longValue());
            String depth = r == null || r.get("depth") == null ? "-" : String.valueOf(r.get("depth"));
            String time = r == null ? "-" : seconds(((Number) r.get("seconds")).doubleValue());
            b.append("| `").append(m.name()).append("` | ").append(m.variant()).append(" | ").append(m.size())
                    .append(" | ").append(m.expected()).append(" | ").append(distinct).append(" | ").append(depth)
                    .append(" | ").append(time).append(" | ").append(m.purpose() == null ? "" : m.purpose())
                    .append(" |\n");
        }
        return b.toString();
    }
}
