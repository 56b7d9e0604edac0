package rqspin.spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * {@code spec/run-models --against=FILE.tla}: what TLC's model checking of
 * the chosen models costs against a baseline model, measured in one run.
 *
 * <p>Protocol: the baseline (a TLA+ module and the {@code .cfg} of the same
 * name beside it, e.g. Catalin Marinas' {@code qspinlock.tla} of
 * git.kernel.org cmarinas/kernel-tla) is copied into a directory of its own,
 * so that TLC's files never land next to it, and checked first; then each
 * model, one at a time, with the same TLC jar, JVM flags and worker count.
 * The report gives each model's wall-clock time and microseconds per
 * distinct state as ratios to the baseline's, and whether each model is at
 * most as slow as the baseline. Nothing of the baseline is kept. The exit
 * code speaks only of verdicts (1 if the baseline does not pass or a model
 * does not give its manifest verdict); a ratio above 1 is reported, not an
 * error, since it depends on the machine as much as on the model.
 *
 * <p>The default models are the rqspinlock safety models on three CPUs: the
 * models of that mechanism whose config gives {@code CPUs} three elements
 * and lists no temporal property.
 */
final class TlcBench {
    static final String BEGIN = "<!-- tlcbench:begin -->";
    static final String END = "<!-- tlcbench:end -->";

    private TlcBench() {}

    /** One measured run. */
    record Row(String name, String expected, Verdict verdict, boolean ok, long distinct, double seconds) {
        double microsPerState() {
            return distinct == 0 ? Double.NaN : seconds * 1e6 / distinct;
        }
    }

    /** The baseline's module, checked: a readable {@code .tla} file with a {@code .cfg} of the same name beside it. */
    static Path baseline(String file) throws UsageException {
        Path tla = Path.of(file).toAbsolutePath().normalize();
        if (!tla.getFileName().toString().endsWith(".tla")) {
            throw new UsageException("--against takes a TLA+ module (FILE.tla), not '" + file + "'");
        }
        if (!Files.isRegularFile(tla)) {
            throw new UsageException("--against: no such file: " + file);
        }
        if (!Files.isRegularFile(cfgOf(tla))) {
            throw new UsageException("--against: no config beside the module: " + cfgOf(tla));
        }
        return tla;
    }

    static Path cfgOf(Path tla) {
        String n = tla.getFileName().toString();
        return tla.resolveSibling(n.substring(0, n.length() - ".tla".length()) + ".cfg");
    }

    /** The rqspinlock models whose config has three CPUs and no temporal property. */
    static List<Manifest.Model> defaultModels(Manifest manifest) throws UsageException {
        List<Manifest.Model> out = new ArrayList<>();
        for (Manifest.Model m : manifest.models()) {
            if (!m.mechanism().equals("rqspinlock") || m.simulate() != null) {
                continue;
            }
            try {
                if (cpus(manifest.dir().resolve(m.config())) == 3 && !TemporalCheck.hasTemporalProperties(manifest, m)) {
                    out.add(m);
                }
            } catch (IOException | InterruptedException e) {
                throw new UsageException("--against: cannot read " + m.config() + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** The number of elements of the set the config assigns to {@code CPUs}, or -1. */
    static int cpus(Path cfg) throws IOException {
        List<String> t = Cfg.tokens(cfg);
        String text = String.join(" ", t);
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile("(?<![A-Za-z0-9_])CPUs = \\{([^}]*)}").matcher(text);
        if (!mm.find()) {
            return -1;
        }
        return (int) Arrays.stream(mm.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty()).count();
    }

    /**
     * Runs the baseline, then the models; prints the report; with {@code readme}, writes it into that file's
     * generated block. Returns the exit code.
     */
    static int run(Manifest manifest, List<Manifest.Model> models, Path baseline, String workers, Path readme,
                   Path traces, PrintStream out, PrintStream err, boolean progress)
            throws IOException, InterruptedException {
        PrintStream echo = progress ? err : null;
        Files.createDirectories(traces);
        Row base = runBaseline(baseline, workers, traces.resolve("bench-baseline.log"), echo);
        out.println(line(base, base));
        List<Row> rows = new ArrayList<>();
        for (Manifest.Model m : models) {
            TlcResult r = Tlc.run(manifest, m, workers, traces.resolve(m.name() + ".bench.log"), echo);
            Row row = new Row(m.name(), m.expected().toString(), r.verdict(), r.verdict().matches(m.expected()),
                    r.distinct() == null ? 0 : r.distinct(), r.seconds());
            rows.add(row);
            out.println(line(row, base));
        }
        String report = report(base, rows, baseline, workers, manifest.dir());
        out.println();
        out.print(report);
        if (readme != null) {
            String text = Files.readString(readme, StandardCharsets.UTF_8);
            int b = text.indexOf(BEGIN), e = text.indexOf(END);
            Files.writeString(readme, text.substring(0, b + BEGIN.length()) + "\n" + report + text.substring(e),
                    StandardCharsets.UTF_8);
            out.println("wrote the table into " + readme);
        }
        boolean ok = base.ok() && rows.stream().allMatch(Row::ok);
        return ok ? 0 : 1;
    }

    /** Checks that {@code readme} is a file with the generated block. */
    static Path readme(Path readme) throws UsageException {
        try {
            String text = Files.readString(readme, StandardCharsets.UTF_8);
            int b = text.indexOf(BEGIN), e = text.indexOf(END);
            if (b < 0 || e < b) {
                throw new UsageException("--readme: " + readme + " has no " + BEGIN + " ... " + END + " block");
            }
            return readme;
        } catch (IOException e) {
            throw new UsageException("--readme: cannot read " + readme + ": " + e.getMessage());
        }
    }

    private static Row runBaseline(Path tla, String workers, Path log, PrintStream echo)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("rqspin-bench-baseline-");
        Path meta = Files.createTempDirectory("rqspin-bench-meta-");
        try {
            Files.copy(tla, dir.resolve(tla.getFileName()));
            Files.copy(cfgOf(tla), dir.resolve(cfgOf(tla).getFileName()));
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+UseParallelGC", "-Djava.io.tmpdir=" + meta, "-cp", Tlc.jar().toString(),
                    "tlc2.TLC", "-tool", "-workers", workers, "-metadir", meta.toString(),
                    "-config", cfgOf(tla).getFileName().toString(), tla.getFileName().toString()));
            long start = System.nanoTime();
            Tlc.Exec e = Tlc.exec(cmd, dir, meta, log, echo, "baseline");
            double seconds = (System.nanoTime() - start) / 1e9;
            TlcResult r = TlcOutput.parse(e.exit(), e.output(), seconds, List.of());
            return new Row(tla.getFileName().toString(), "pass", r.verdict(), r.verdict().matches(Verdict.pass()),
                    r.distinct() == null ? 0 : r.distinct(), seconds);
        } finally {
            Tlc.deleteTree(dir);
            Tlc.deleteTree(meta);
        }
    }

    static String line(Row r, Row base) {
        return String.format(Locale.ROOT, "%-36s %-24s %s %,12d states %8.1f s %8.1f µs/state %6.2fx time",
                r.name(), r.verdict(), r.ok() ? "ok  " : "DIFF", r.distinct(), r.seconds(), r.microsPerState(),
                r.seconds() / base.seconds());
    }

    /** The markdown report: provenance, the table, the target's verdict. */
    static String report(Row base, List<Row> rows, Path baseline, String workers, Path specDir) {
        StringBuilder s = new StringBuilder();
        s.append("Generated by `spec/run-models --against=<kernel-tla>/").append(baseline.getFileName())
                .append(" --workers=").append(workers).append(" --readme=spec/rqspinlock/README.md` (baseline ")
                .append(baseline.getFileName()).append(" with its .cfg, SHA-256 ").append(sha256(baseline))
                .append(") on JDK ").append(System.getProperty("java.version")).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, TLC ")
                .append(tlc2.TLCGlobals.versionOfTLC.replaceAll("\\s+", " ").trim()).append(", commit ")
                .append(commit(specDir)).append(". One run; the models one at a time after the baseline.\n\n");
        s.append("| model | verdict | distinct states | time | µs per distinct state | time vs baseline | µs per state vs baseline |\n");
        s.append("|---|---|---|---|---|---|---|\n");
        s.append(mdRow(base, base, "baseline: "));
        for (Row r : rows) {
            s.append(mdRow(r, base, ""));
        }
        List<String> slower = new ArrayList<>();
        for (Row r : rows) {
            if (r.seconds() > base.seconds()) {
                slower.add(r.name());
            }
        }
        s.append("\nTarget, each model at most as slow as the baseline: ")
                .append(slower.isEmpty() ? "met" : "**not met** (" + String.join(", ", slower) + ")")
                .append(rows.stream().allMatch(Row::ok) && base.ok() ? "; every verdict as expected.\n"
                        : "; **a verdict differs** (see above).\n");
        return s.toString();
    }

    private static String mdRow(Row r, Row base, String prefix) {
        return String.format(Locale.ROOT, "| %s`%s` | %s%s | %,d | %.1f s | %.1f | %.2fx | %.2fx |%n", prefix, r.name(),
                r.verdict(), r.ok() ? "" : " (**expected " + r.expected() + "**)", r.distinct(), r.seconds(),
                r.microsPerState(), r.seconds() / base.seconds(), r.microsPerState() / base.microsPerState());
    }

    private static String sha256(Path tla) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(Files.readAllBytes(tla));
            d.update(Files.readAllBytes(cfgOf(tla)));
            return HexFormat.of().formatHex(d.digest()).substring(0, 12);
        } catch (IOException | NoSuchAlgorithmException e) {
            return "unknown";
        }
    }

    private static String commit(Path dir) {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").directory(dir.toFile())
                    .redirectErrorStream(true).start();
            String c = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                return "unknown";
            }
            Process q = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no", "--", ".")
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String dirty = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            q.waitFor();
            return c + (dirty.isEmpty() ? "" : " with uncommitted changes in spec/");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
