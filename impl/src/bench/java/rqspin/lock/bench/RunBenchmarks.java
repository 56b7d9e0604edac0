package rqspin.lock.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the benchmarks in one JVM session and prints the table of ratios
 * (ours against the baselines of the same run) and the detection times, as
 * Markdown. Arguments are JMH's own (e.g. {@code -f 1 -wi 3 -i 5}).
 */
public final class RunBenchmarks {
    private RunBenchmarks() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].contains(" ")) {
            args = args[0].trim().split("\\s+"); // one Maven property holding all of JMH's arguments
        }
        CommandLineOptions cli = new CommandLineOptions(args);
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
        System.out.println();
        System.out.println("| measure | ns/op (mean ± 99.9% CI) | vs QSpinLock | vs ReentrantLock | vs synchronized |");
        System.out.println("|---|---|---|---|---|");
        for (String mode : new String[] {"uncontended", "contended"}) {
            for (String lock : new String[] {"RqSpinLockV619", "RqSpinLockV615", "QSpinLock", "ReentrantLock",
                    "Synchronized"}) {
                String k = mode + lock;
                if (!score.containsKey(k)) {
                    continue;
                }
                System.out.printf("| %s | %.1f ± %.1f | %s | %s | %s |%n", k, score.get(k), error.get(k),
                        ratio(score, k, mode + "QSpinLock"), ratio(score, k, mode + "ReentrantLock"),
                        ratio(score, k, mode + "Synchronized"));
            }
        }
        System.out.println();
        System.out.println("| detection | µs/op (mean ± 99.9% CI) |");
        System.out.println("|---|---|");
        for (String k : new String[] {"aaInNmi/V6_19", "aaInNmi/V6_15", "abba/V6_19", "abba/V6_15"}) {
            if (score.containsKey(k)) {
                System.out.printf("| %s | %.2f ± %.2f |%n", k, score.get(k), error.get(k));
            }
        }
    }

    private static String ratio(Map<String, Double> score, String k, String base) {
        Double b = score.get(base);
        return b == null ? "-" : String.format("%.2fx", score.get(k) / b);
    }
}
