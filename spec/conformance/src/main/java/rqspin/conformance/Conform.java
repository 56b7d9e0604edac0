package rqspin.conformance;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import rqspin.spec.Manifest;
import rqspin.spec.Simulation;
import rqspin.spec.Tlc;
import rqspin.spec.TlcResult;
import rqspin.spec.TraceValidation;
import rqspin.spec.UsageException;
import rqspin.spec.Verdict;

/**
 * {@code spec/conform}: conformance between each spec and its Java twin, from
 * the command line. Exit codes: 0 everything conforms, 1 a mismatch, 2 bad
 * usage (reported in one line before anything runs).
 */
@Command(name = "spec/conform", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Conformance between the specs and the Java twin.",
        subcommands = {Conform.Replay.class, Conform.Simulate.class, Conform.Validate.class,
                Conform.Vocabulary.class, Conform.Reproduce.class, Conform.Sources.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:everything conforms", "1:a mismatch", "2:bad usage"})
public final class Conform implements Callable<Integer> {

    @Option(names = "--manifest", paramLabel = "FILE", description = "the manifest (default: spec/models.json)")
    Path manifest;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(new CommandLine(this),
                "name a command: replay, simulate, validate, vocabulary, reproduce or sources");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs {@code args}; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Conform());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("conform: " + ex.getMessage());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            if (ex instanceof UsageException) {
                err.println("conform: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    Manifest manifest() throws UsageException {
        Path file = manifest;
        if (file == null) {
            String dir = System.getProperty("rqspin.spec.dir");
            file = dir != null ? Path.of(dir, "models.json") : Path.of("spec", "models.json");
        }
        return Manifest.load(file);
    }

    static Twin twinOf(Manifest.Model m) throws UsageException {
        return Twins.of(m.mechanism()).orElseThrow(() -> new UsageException(
                "model " + m.name() + ": no Java twin for mechanism " + m.mechanism()));
    }

    /**
     * Without models named ({@code byDefault}), drops the models whose twin
     * cannot run them, saying so on one line each; named models stay, and
     * {@link #runnableTwinOf} refuses them.
     */
    static void skipUnrunnable(Manifest manifest, List<Manifest.Model> chosen, boolean byDefault) {
        if (!byDefault) {
            return;
        }
        chosen.removeIf(x -> {
            String why = Twins.of(x.mechanism()).map(t -> t.cannotRun(manifest, x)).orElse(null);
            if (why != null) {
                System.out.println(x.name() + ": skipped, the Java twin cannot run it: " + why);
            }
            return why != null;
        });
    }

    /** {@link #twinOf}, refusing a model its twin cannot run ({@link Twin#cannotRun}). */
    static Twin runnableTwinOf(Manifest manifest, Manifest.Model m) throws UsageException {
        Twin t = twinOf(m);
        String why = t.cannotRun(manifest, m);
        if (why != null) {
            throw new UsageException("model " + m.name() + ": the Java twin cannot run it: " + why);
        }
        return t;
    }

    static Path work(String what) throws IOException {
        Path dir = Path.of(System.getProperty("rqspin.spec.dir", "spec"), "target", "conformance", what);
        Files.createDirectories(dir);
        return dir;
    }

    // ---------------------------------------------------------------- replay

    @Command(name = "replay", description = "Run TLC on models with a violation and replay each trace on the Java twin.")
    static final class Replay implements Callable<Integer> {
        @CommandLine.ParentCommand
        Conform parent;

        @Parameters(arity = "0..*", paramLabel = "MODEL",
                description = "models (may use *; default: every ci model whose expected verdict is a violation, of a"
                        + " mechanism with a Java twin)")
        List<String> models = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Manifest m = parent.manifest();
            List<Manifest.Model> chosen = m.select(models.isEmpty() ? List.of("ci") : models);
            // by default only the mechanisms with a registered Java twin (freelist has its conformance tests, not a Twin yet); a model named is checked
            chosen.removeIf(x -> x.expected().kind() == Verdict.Kind.PASS
                    || (models.isEmpty() && Twins.of(x.mechanism()).isEmpty()));
            skipUnrunnable(m, chosen, models.isEmpty());
            for (Manifest.Model x : chosen) {
                runnableTwinOf(m, x);
            }
            int bad = 0;
            for (Manifest.Model x : chosen) {
                Path log = work("replay").resolve(x.name() + ".log");
                TlcResult r = Tlc.run(m, x, "auto", log, null);
                Twin.Replay rep = twinOf(x).replay(m, x, r.trace(), r.loop());
                String verdict = judge(x, rep);
                bad += verdict.startsWith("ok") ? 0 : 1;
                System.out.printf(Locale.ROOT, "%-32s %-28s %3d of %3d steps  %s%n", x.name(), x.expected(), rep.steps(),
                        r.trace().size() - 1, verdict);
            }
            System.out.println(bad == 0 ? chosen.size() + " trace(s) replayed as expected"
                    : bad + " of " + chosen.size() + " trace(s) did NOT replay as expected");
            return bad == 0 ? 0 : 1;
        }
    }

    /**
     * Whether a replay went as it must: the trace of a real version (a
     * finding) is followed to its end and the Java twin's checker shows a
     * violation; the trace of a seeded mutant of the spec (a model named
     * {@code *_mut_*}) is one the correct Java twin cannot follow.
     */
    static String judge(Manifest.Model x, Twin.Replay rep) {
        if (isSpecMutant(x)) {
            return rep.followed()
                    ? "MISMATCH: the Java twin followed the trace of a spec mutant"
                    : "ok: the Java twin cannot follow the mutant (" + rep.mismatch() + ")";
        }
        if (!rep.followed()) {
            return "MISMATCH: " + rep.mismatch();
        }
        return rep.violation() != null ? "ok: followed; Java twin: " + rep.violation()
                : "MISMATCH: followed, but the Java twin reports no violation";
    }

    /** Models of seeded spec mutants are named {@code <mech>_mut_<what>}. */
    static boolean isSpecMutant(Manifest.Model x) {
        return x.name().contains("_mut_");
    }

    // ---------------------------------------------------------------- simulate

    @Command(name = "simulate", description = "Replay TLC's random behaviours of passing models on the Java twin.")
    static final class Simulate implements Callable<Integer> {
        @CommandLine.ParentCommand
        Conform parent;

        @Parameters(arity = "1..*", paramLabel = "MODEL", description = "passing models (may use *)")
        List<String> models;

        @Option(names = "--behaviours", defaultValue = "20", description = "behaviours per model (default: ${DEFAULT-VALUE})")
        int behaviours;

        @Option(names = "--depth", defaultValue = "80", description = "steps per behaviour at most (default: ${DEFAULT-VALUE})")
        int depth;

        @Option(names = "--seed", defaultValue = "1", description = "TLC's simulation seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() throws Exception {
            if (behaviours < 1 || depth < 1) {
                throw new UsageException("--behaviours and --depth must be positive");
            }
            Manifest m = parent.manifest();
            List<Manifest.Model> chosen = m.select(models);
            for (Manifest.Model x : chosen) {
                if (x.expected().kind() != Verdict.Kind.PASS) {
                    throw new UsageException("model " + x.name() + " is not a passing model (expected " + x.expected() + ")");
                }
                runnableTwinOf(m, x);
            }
            int bad = 0;
            for (Manifest.Model x : chosen) {
                List<List<TlcResult.State>> bs = Simulation.behaviours(m, x, behaviours, depth, seed, work("simulate"));
                int followed = 0;
                for (List<TlcResult.State> b : bs) {
                    Twin.Replay rep = twinOf(x).replay(m, x, b, null);
                    if (rep.followed() && rep.violation() == null) {
                        followed++;
                    } else {
                        System.out.println("  " + x.name() + ": " + (rep.mismatch() != null ? rep.mismatch()
                                : "the Java twin reported " + rep.violation()));
                    }
                }
                bad += bs.size() - followed;
                System.out.printf(Locale.ROOT, "%-32s %d of %d behaviours followed%n", x.name(), followed, bs.size());
            }
            return bad == 0 ? 0 : 1;
        }
    }

    // ---------------------------------------------------------------- validate

    @Command(name = "validate", description = "Record seeded random runs of the Java twin and check them against the spec with TLC.")
    static final class Validate implements Callable<Integer> {
        @CommandLine.ParentCommand
        Conform parent;

        @Parameters(arity = "1..*", paramLabel = "MODEL", description = "models whose scenario and constants to use (may use *)")
        List<String> models;

        @Option(names = "--runs", defaultValue = "50", description = "runs per model (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--seed", defaultValue = "1", description = "first seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() throws Exception {
            if (runs < 1) {
                throw new UsageException("--runs must be positive");
            }
            Manifest m = parent.manifest();
            List<Manifest.Model> chosen = m.select(models);
            for (Manifest.Model x : chosen) {
                runnableTwinOf(m, x);
            }
            int bad = 0;
            for (Manifest.Model x : chosen) {
                List<Twin.Recorded> rec = twinOf(x).randomRuns(m, x, runs, seed);
                bad += check(m, x, rec);
            }
            return bad == 0 ? 0 : 1;
        }
    }

    /** Validates recorded runs of one scenario in one TLC run; prints each rejected one; returns how many. */
    static int check(Manifest m, Manifest.Model x, List<Twin.Recorded> rec) throws IOException, InterruptedException {
        if (rec.isEmpty()) {
            return 0;
        }
        List<List<TraceValidation.Event>> traces = new ArrayList<>();
        for (Twin.Recorded r : rec) {
            traces.add(r.events());
        }
        Twin.Recorded first = rec.get(0);
        long start = System.nanoTime();
        List<TraceValidation.Outcome> out = TraceValidation.validate(m, x, first.extraConstants(), first.definitions(),
                traces, work("validate").resolve(x.name()));
        double secs = (System.nanoTime() - start) / 1e9;
        int bad = 0, events = 0;
        for (int i = 0; i < out.size(); i++) {
            events += rec.get(i).events().size();
            if (!out.get(i).accepted()) {
                bad++;
                System.out.println(Mismatch.describe(rec.get(i), out.get(i)));
            }
        }
        System.out.printf(Locale.ROOT, "%-32s %d of %d runs accepted (%d events, %.1f s)%n", x.name(),
                out.size() - bad, out.size(), events, secs);
        return bad;
    }

    // ---------------------------------------------------------------- reproduce

    @Command(name = "reproduce", description = "Write the readable reproducer of each finding (a test that plays TLC's"
            + " trace as a schedule of the Java twin), from TLC's deterministic counterexample (Counterexample).")
    static final class Reproduce implements Callable<Integer> {
        @CommandLine.ParentCommand
        Conform parent;

        @Parameters(arity = "0..*", paramLabel = "MODEL",
                description = "findings (may use *; default: every model with a violation that is not a spec mutant)")
        List<String> models = new ArrayList<>();

        @Option(names = "--dir", paramLabel = "DIR",
                description = "the test source root to write under (default: spec/conformance/src/test/java)")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Manifest m = parent.manifest();
            List<Manifest.Model> chosen = m.select(models.isEmpty() ? List.of("all") : models);
            chosen.removeIf(x -> x.expected().kind() == Verdict.Kind.PASS || isSpecMutant(x)
                    || Twins.of(x.mechanism()).isEmpty());
            skipUnrunnable(m, chosen, models.isEmpty());
            for (Manifest.Model x : chosen) {
                runnableTwinOf(m, x);
            }
            if (chosen.isEmpty()) {
                throw new UsageException("no finding among " + (models.isEmpty() ? "the models" : models)
                        + " (a model with a violation, not a spec mutant, of a mechanism with a Java twin)");
            }
            Path root = dir != null ? dir : m.dir().resolve("conformance").resolve("src").resolve("test").resolve("java");
            for (Manifest.Model x : chosen) {
                TlcResult r = Counterexample.of(m, x, work("reproduce").resolve(x.name() + ".log"));
                if (r.trace().isEmpty()) {
                    System.out.println(x.name() + ": TLC found no violation (" + r.verdict() + "): no reproducer");
                    continue;
                }
                for (Map.Entry<String, String> f : twinOf(x).reproducer(m, x, r.trace(), r.loop()).entrySet()) {
                    Path out = root.resolve(f.getKey());
                    Files.createDirectories(out.getParent());
                    Files.writeString(out, f.getValue(), java.nio.charset.StandardCharsets.UTF_8);
                    System.out.println(x.name() + ": " + out);
                }
            }
            return 0;
        }
    }

    // ---------------------------------------------------------------- vocabulary

    @Command(name = "vocabulary", description = "Compare each spec's step names with its Java twin's.")
    static final class Vocabulary implements Callable<Integer> {
        @CommandLine.ParentCommand
        Conform parent;

        @Override
        public Integer call() throws Exception {
            Manifest m = parent.manifest();
            int bad = 0;
            for (Twin t : Twins.all()) {
                Path dir = m.dir().resolve(t.mechanism());
                Set<String> spec = t.specSteps(dir);
                Set<String> java = t.javaSteps();
                Map<String, String> except = t.vocabularyExceptions();
                Set<String> onlySpec = new TreeSet<>(spec);
                onlySpec.removeAll(java);
                onlySpec.removeAll(except.keySet());
                Set<String> onlyJava = new TreeSet<>(java);
                onlyJava.removeAll(spec);
                onlyJava.removeAll(except.keySet());
                System.out.printf(Locale.ROOT, "%s: %d spec steps, %d Java steps, %d deliberate exceptions%n",
                        t.mechanism(), spec.size(), java.size(), except.size());
                onlySpec.forEach(s -> System.out.println("  only in the spec: " + s));
                onlyJava.forEach(s -> System.out.println("  only in the Java twin: " + s));
                bad += onlySpec.size() + onlyJava.size();
            }
            return bad == 0 ? 0 : 1;
        }
    }

    @Command(name = "sources", description = "Check each spec's sources.json (the kernel file, function and commits of"
            + " every action) against the spec's actions and the README's generated table; --write rewrites the tables.")
    static final class Sources implements Callable<Integer> {
        @CommandLine.ParentCommand
        Conform parent;

        @Option(names = "--write", description = "rewrite the table of each spec/<mechanism>/README.md from its sources.json")
        boolean write;

        @Override
        public Integer call() throws Exception {
            Manifest m = parent.manifest();
            int bad = 0;
            for (Twin t : Twins.all()) {
                Path dir = m.dir().resolve(t.mechanism());
                KernelSources src = KernelSources.load(dir);
                List<String> problems = src.problems(t.specSteps(dir));
                Path readmePath = dir.resolve("README.md");
                String readme = Files.readString(readmePath);
                String now = KernelSources.tableIn(readme);
                if (write && problems.isEmpty()) {
                    String next = src.rewrite(readmePath, readme);
                    if (!next.equals(readme)) {
                        Files.writeString(readmePath, next);
                        System.out.println(t.mechanism() + ": " + readmePath + " written");
                    }
                } else if (now == null) {
                    problems.add(readmePath + " has no generated table of kernel sources");
                } else if (!now.equals(src.table())) {
                    problems.add(readmePath + ": the table of kernel sources is stale (spec/conform sources --write)");
                }
                System.out.printf(Locale.ROOT, "%s: %d actions with their kernel sources, %d problems%n",
                        t.mechanism(), src.actions().size(), problems.size());
                problems.forEach(p -> System.out.println("  " + p));
                bad += problems.size();
            }
            return bad == 0 ? 0 : 1;
        }
    }
}
