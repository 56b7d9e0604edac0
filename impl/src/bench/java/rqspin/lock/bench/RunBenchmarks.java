package rqspin.lock.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the benchmarks in one JVM session and prints the table of ratios
 * (ours against the baselines of the same run, never absolute times as a
 * verdict), the detection times and each target's verdict, as Markdown.
 * Arguments are JMH's own (e.g. {@code -f 1 -wi 3 -i 5}), plus
 * {@code --readme=FILE}: replace the generated block between
 * {@code <!-- jmh:begin -->} and {@code <!-- jmh:end -->} in FILE with the
 * table, the command and what it ran on (an empty FILE writes nothing).
 * A bad argument is a one-line error and exit status 2, before anything runs.
 */
public final class RunBenchmarks {
    static final String BEGIN = "<!-- jmh:begin -->";
    static final String END = "<!-- jmh:end -->";
    /** The newest version: its fast path is V6_19's (the table entry before the cmpxchg). */
    static final String NEWEST = "RqSpinLockV72";

    private RunBenchmarks() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].contains(" ")) {
            args = args[0].trim().split("\\s+"); // one Maven property holding all of JMH's arguments
        }
        Path readme = null;
        List<String> jmhArgs = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--readme=")) {
                String f = a.substring("--readme=".length());
                if (!f.isEmpty()) {
                    readme = Path.of(f);
                    if (!Files.isRegularFile(readme) || !Files.readString(readme).contains(BEGIN)) {
                        fail("--readme: " + f + " is not a file with a " + BEGIN + " ... " + END + " block");
                    }
                }
            } else if (!a.isEmpty()) {
                jmhArgs.add(a);
            }
        }
        CommandLineOptions cli;
        try {
            cli = new CommandLineOptions(jmhArgs.toArray(new String[0]));
        } catch (CommandLineOptionException e) {
            fail("bad JMH argument: " + e.getMessage());
            return;
        }
        // JMH unions a builder's includes with its parent's: add the default only when the
        // arguments name no benchmarks, so that e.g. "LockBenchmarks.uncontended" runs only those.
        OptionsBuilder builder = new OptionsBuilder();
        if (cli.getIncludes().isEmpty()) {
            builder.include("rqspin.lock.bench.*");
        }
        Options opts = builder.parent(cli).build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Double> score = new HashMap<>();
        Map<String, Double> error = new HashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            String v = r.getParams().getParam("version");
            if (v != null) {
                name = name + "/" + v;
            }
            score.put(name, r.getPrimaryResult().getScore());
            error.put(name, r.getPrimaryResult().getScoreError());
        }
        String table = table(score, error);
        System.out.println();
        System.out.println(table);
        if (readme != null) {
            String block = BEGIN + "\n" + provenance(jmhArgs) + "\n" + table + END;
            String text = Files.readString(readme, StandardCharsets.UTF_8);
            int b = text.indexOf(BEGIN);
            int e = text.indexOf(END, b);
            Files.writeString(readme, text.substring(0, b) + block + text.substring(e + END.length()),
                    StandardCharsets.UTF_8);
            System.out.println("wrote the table into " + readme);
        }
    }

    private static void fail(String message) {
        System.err.println("RunBenchmarks: " + message);
        System.exit(2);
    }

    /** The Markdown tables of one run, with the verdict of each target that the run measured. */
    static String table(Map<String, Double> score, Map<String, Double> error) {
        StringBuilder s = new StringBuilder();
        s.append("| measure | ns/op (mean ± 99.9% CI) | vs QSpinLock | vs ReentrantLock | vs synchronized |\n");
        s.append("|---|---|---|---|---|\n");
        for (String mode : new String[] {"uncontended", "contended"}) {
            for (String lock : new String[] {NEWEST, "RqSpinLockV615", NEWEST + "NoRecord", "RqSpinLockV615NoRecord",
                    "QSpinLock", "ReentrantLock", "Synchronized", "AblationNoTable", "AblationPlainTable",
                    "AblationReleaseTable", "AblationOpaqueTable"}) {
                String k = mode + lock;
                if (score.containsKey(k)) {
                    s.append(String.format("| %s | %.2f ± %.2f | %s | %s | %s |%n", k, score.get(k), error.get(k),
                            ratio(score, k, mode + "QSpinLock"), ratio(score, k, mode + "ReentrantLock"),
                            ratio(score, k, mode + "Synchronized")));
                }
            }
        }
        s.append("\n| detection | µs/op (mean ± 99.9% CI) |\n|---|---|\n");
        for (String k : new String[] {"aaInNmi/V7_2", "aaInNmi/V6_19", "aaInNmi/V6_15", "abba/V7_2", "abba/V6_19",
                "abba/V6_15"}) {
            if (score.containsKey(k)) {
                s.append(String.format("| %s | %.2f ± %.2f |%n", k, score.get(k), error.get(k)));
            }
        }
        s.append("\n| target | measured | verdict |\n|---|---|---|\n");
        target(s, score, "uncontended " + NEWEST + ", every check on: at most 1.20x QSpinLock",
                "uncontended" + NEWEST, "uncontendedQSpinLock", 1.20);
        target(s, score, "uncontended " + NEWEST + " without the misuse record: at most 1.10x QSpinLock",
                "uncontended" + NEWEST + "NoRecord", "uncontendedQSpinLock", 1.10);
        target(s, score, "uncontended " + NEWEST + " without the misuse record: at most 1.0x ReentrantLock",
                "uncontended" + NEWEST + "NoRecord", "uncontendedReentrantLock", 1.00);
        limit(s, score, "AA in an NMI (V7_2): under 1 µs", "aaInNmi/V7_2", 1.0);
        limit(s, score, "ABBA (V7_2): under 2 ms", "abba/V7_2", 2000.0);
        return s.toString();
    }

    private static void target(StringBuilder s, Map<String, Double> score, String what, String k, String base,
            double max) {
        if (score.containsKey(k) && score.containsKey(base)) {
            double r = score.get(k) / score.get(base);
            s.append(String.format("| %s | %.2fx | %s |%n", what, r, r <= max ? "met" : "**not met**"));
        }
    }

    private static void limit(StringBuilder s, Map<String, Double> score, String what, String k, double maxMicros) {
        if (score.containsKey(k)) {
            double v = score.get(k);
            s.append(String.format("| %s | %.2f µs | %s |%n", what, v, v < maxMicros ? "met" : "**not met**"));
        }
    }

    private static String ratio(Map<String, Double> score, String k, String base) {
        Double b = score.get(base);
        return b == null ? "-" : String.format("%.2fx", score.get(k) / b);
    }

    /** What the run was: the command's JMH arguments, the JDK, the CPUs, the commit (and whether it was clean). */
    private static String provenance(List<String> jmhArgs) {
        String commit = git("rev-parse", "--short=12", "HEAD");
        String dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "pom.xml");
        return "Generated by `mvn -B -q -Pbench -pl impl -am verify -DskipTests -Dbench.args=\""
                + String.join(" ", jmhArgs) + " --readme=README.md\"` (JMH arguments: `"
                + (jmhArgs.isEmpty() ? "(defaults)" : String.join(" ", jmhArgs)) + "`) on JDK "
                + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs, commit " + (commit.isEmpty() ? "unknown" : commit)
                + (dirty.isEmpty() ? "" : " with uncommitted changes in impl/src or impl/pom.xml") + ".\n";
    }

    private static String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
