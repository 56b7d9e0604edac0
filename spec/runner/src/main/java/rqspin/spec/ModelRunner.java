package rqspin.spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
 * and {@code .json}, its diagram to {@code .diagram.txt} and {@code .svg};
 * TLC's whole output goes to {@code <traces>/<model>.log}. The command line
 * is read by picocli: every option also takes the form {@code --opt=value}.
 *
 * <p>The table groups the models: findings (violations expected on real
 * versions), fixes (candidate fixes, expected to pass), mutants (seeded bugs,
 * each caught by its property), and the passing models. {@code --json} prints
 * the verdicts as JSON instead ({@link VerdictReport}, schema
 * {@value VerdictReport#SCHEMA}), {@code --junit FILE} writes them as JUnit
 * XML. A model that expects a violation runs on one worker with
 * {@link Tlc#DETERMINISTIC_FLAGS}, so that its trace, diagram and finding
 * page ({@link FindingPages}) are the same on every run.
 *
 * <p>{@code --against=FILE.tla} measures the chosen models against a
 * baseline module in one run instead ({@link TlcBench}).
 */
public final class ModelRunner {

    static final String NAME = "run-models";

    /** The command line, as picocli reads it. */
    @Command(name = "spec/run-models", sortOptions = false, usageHelpWidth = 100, synopsisHeading = "",
            customSynopsis = "usage: spec/run-models [options] [ci | full | all | MODEL ...]",
            description = {"  runs TLC on the chosen models (default: ci) and prints a verdict table",
                "  MODEL may use * as a wildcard, e.g. 'rq_v619_*' or 'ls_final_*'"},
            footer = {"every option also takes the form --option=value",
                "exit codes: 0 every verdict as expected, 1 a verdict differs, 2 bad usage"})
    static final class Options {
        @Parameters(paramLabel = "MODEL", arity = "0..*", description = "ci, full, all, or model names")
        List<String> selectors = new ArrayList<>();

        @Option(names = "--list", description = "list the chosen models (default: all) with expected verdicts and"
                + " recorded sizes")
        boolean list;

        @Option(names = "--markdown", description = "print the model table of the whole manifest (markdown)")
        boolean markdown;

        @Option(names = "--update-readme", description = "rewrite each mechanism's model table in"
                + " spec/<mechanism>/README.md (between its models:begin/end markers)")
        boolean updateReadme;

        @Option(names = "--record", description = "store the measured states, depth and time of each model that"
                + " met its expected verdict in the manifest")
        boolean record;

        @Option(names = "--pages", description = "run the chosen models (default: every model that expects a"
                + " violation) and write their finding pages, spec/<mechanism>/findings/<model>.md and .svg")
        boolean pages;

        @Option(names = "--workers", paramLabel = "N|auto", description = "TLC worker threads for the models"
                + " expected to pass (default: auto; a model expecting a violation runs on one, deterministically)")
        String workers = "auto";

        @Option(names = "--distributed", paramLabel = "N", description = "run each model on TLC's distributed mode:"
                + " one TLC server and N worker processes on this machine (0: the server only; it prints how to start"
                + " workers elsewhere); no model with temporal properties (spec/README.md)")
        Integer distributed;

        @Option(names = "--worker-threads", paramLabel = "T", description = "threads per distributed worker (default: 1)")
        Integer workerThreads;

        @Option(names = "--port", paramLabel = "P", description = "the distributed server's RMI registry port"
                + " (default: a free one)")
        Integer port;

        @Option(names = "--host", paramLabel = "NAME", arity = "0..1", fallbackValue = "", description = "the name"
                + " under which workers on other machines reach the distributed server (without a value: this"
                + " machine's name; default: 127.0.0.1, this machine only)")
        String host;

        @Option(names = "--simulate", description = "run the chosen models in TLC's random simulation (invariants and action"
                + " properties)"
                + " (default manifest: spec/simulation.json; a model's budget is its \"simulate\" field)")
        boolean simulate;

        @Option(names = "--seed", paramLabel = "N", description = "with --simulate: the random seed")
        Long seed;

        @Option(names = "--depth", paramLabel = "D", description = "with --simulate: the longest behaviour, in steps")
        Integer depth;

        @Option(names = "--budget", paramLabel = "SECONDS", description = "with --simulate: how long each model"
                + " is simulated")
        Integer budget;

        @Option(names = "--against", paramLabel = "FILE.tla", description = "measure TLC on the chosen models"
                + " (default: the rqspinlock safety models on three CPUs) against the baseline module FILE.tla and"
                + " the .cfg beside it, in one run with the same TLC and workers: time and µs per distinct state as"
                + " ratios (spec/rqspinlock/README.md)")
        String against;

        @Option(names = "--readme", paramLabel = "FILE", description = "with --against: also write the report into"
                + " FILE's tlcbench:begin/end block")
        Path readme;

        @Option(names = "--manifest", paramLabel = "FILE", description = "the manifest (default: spec/models.json;"
                + " with --simulate, spec/simulation.json)")
        Path manifest;

        @Option(names = "--traces", paramLabel = "DIR", description = "where traces, diagrams and TLC logs go"
                + " (default: <manifest dir>/target/traces)")
        Path traces;

        @Option(names = "--json", description = "print the verdicts as JSON on stdout instead of the table"
                + " (schema: spec/README.md)")
        boolean json;

        @Option(names = "--junit", paramLabel = "FILE", description = "also write the verdicts as JUnit XML to FILE")
        Path junit;

        @Option(names = "--progress", negatable = true, description = "show the running model and its elapsed"
                + " time (default: on when the output is a terminal)")
        Boolean progress;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
        boolean help;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** The usage text. */
    static String usage() {
        return new CommandLine(new Options()).getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();
    }

    /** Reads the command line; a problem is a one-line {@link UsageException}. */
    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        CommandLine cl = new CommandLine(o);
        cl.setUnmatchedOptionsArePositionalParams(false);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            String m = e.getMessage().lines().findFirst().orElse("bad arguments");
            if (m.startsWith("Unknown option")) {
                m = "unknown option: " + m.replaceFirst("^Unknown options?: ", "").replace("'", "");
            } else if (m.startsWith("Missing required parameter for option")) {
                m = m.replaceFirst("^Missing required parameter for option '([^']+)'.*$", "$1 needs a value");
            } else if (m.contains("Invalid value for option")) {
                m = m.replaceFirst("^Invalid value for option '([^']+)': ", "$1: ");
            }
            throw new UsageException(m + " (see --help)");
        }
        if (o.help) {
            return o;
        }
        if (!o.workers.equals("auto") && !o.workers.matches("[1-9][0-9]{0,3}")) {
            throw new UsageException("--workers takes a positive number or 'auto', not '" + o.workers + "'");
        }
        if (o.readme != null && o.against == null) {
            throw new UsageException("--readme goes only with --against");
        }
        if (o.against != null) {
            String other = o.simulate ? "--simulate" : o.distributed != null ? "--distributed" : o.record ? "--record"
                    : o.pages ? "--pages" : o.list ? "--list" : o.markdown ? "--markdown"
                    : o.updateReadme ? "--update-readme" : o.json ? "--json" : o.junit != null ? "--junit" : null;
            if (other != null) {
                throw new UsageException("--against prints its own report; it cannot go with " + other);
            }
            TlcBench.baseline(o.against);
            if (o.readme != null) {
                TlcBench.readme(o.readme);
            }
        }
        if (!o.simulate && (o.seed != null || o.depth != null || o.budget != null)) {
            throw new UsageException((o.seed != null ? "--seed" : o.depth != null ? "--depth" : "--budget")
                    + " goes only with --simulate");
        }
        if (o.simulate) {
            if (o.distributed != null || o.record || o.pages) {
                throw new UsageException("--simulate cannot go with " + (o.distributed != null ? "--distributed"
                        : o.record ? "--record" : "--pages"));
            }
            if (o.depth != null && (o.depth < 1 || o.depth > 100_000)) {
                throw new UsageException("--depth takes 1 to 100000 steps, not " + o.depth);
            }
            if (o.budget != null && (o.budget < 1 || o.budget > 86_400)) {
                throw new UsageException("--budget takes 1 to 86400 seconds, not " + o.budget);
            }
            if (!o.workers.equals("auto")) {
                throw new UsageException("--simulate runs one TLC worker (so that a seed gives the same behaviours);"
                        + " it cannot go with --workers");
            }
        }
        if (o.distributed == null && (o.port != null || o.host != null || o.workerThreads != null)) {
            throw new UsageException((o.port != null ? "--port" : o.host != null ? "--host" : "--worker-threads")
                    + " goes only with --distributed");
        }
        if (o.distributed != null) {
            if (o.distributed < 0 || o.distributed > 64) {
                throw new UsageException("--distributed takes 0 to 64 workers, not " + o.distributed);
            }
            if (o.workerThreads != null && (o.workerThreads < 1 || o.workerThreads > 1024)) {
                throw new UsageException("--worker-threads takes 1 to 1024, not " + o.workerThreads);
            }
            if (o.port != null && (o.port < 1024 || o.port > 65535)) {
                throw new UsageException("--port takes 1024 to 65535, not " + o.port);
            }
            if (o.host != null && !o.host.isEmpty() && !o.host.matches("[A-Za-z0-9._:-]+")) {
                throw new UsageException("--host: not a host name or address: '" + o.host + "'");
            }
            if (o.record) {
                throw new UsageException("--record stores the numbers of single-process runs; it cannot go with"
                        + " --distributed");
            }
            if (!o.workers.equals("auto")) {
                throw new UsageException("--workers sets TLC threads of a single-process run; with --distributed"
                        + " use --worker-threads");
            }
        }
        if (o.manifest == null) {
            o.manifest = o.simulate ? defaultManifest().resolveSibling("simulation.json") : defaultManifest();
        }
        int modes = (o.list ? 1 : 0) + (o.markdown ? 1 : 0) + (o.updateReadme ? 1 : 0);
        if (modes > 1) {
            throw new UsageException("--list, --markdown and --update-readme exclude each other");
        }
        if (modes > 0 && (o.record || o.pages)) {
            throw new UsageException((o.record ? "--record" : "--pages") + " runs models; it cannot go with --list,"
                    + " --markdown or --update-readme");
        }
        if ((o.markdown || o.updateReadme) && !o.selectors.isEmpty()) {
            throw new UsageException("the model tables cover the whole manifest; name no models with it");
        }
        if (o.junit != null && o.junit.getParent() != null && !Files.isDirectory(o.junit.toAbsolutePath().getParent())) {
            throw new UsageException("--junit: no such directory: " + o.junit.toAbsolutePath().getParent());
        }
        return o;
    }

    /** Runs the command line {@code args}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        Manifest manifest;
        List<Manifest.Model> chosen;
        try {
            o = parse(args);
            if (o.help) {
                out.println(usage());
                return 0;
            }
            manifest = Manifest.load(o.manifest);
            if (o.against != null) {
                List<Manifest.Model> models = o.selectors.isEmpty() ? TlcBench.defaultModels(manifest)
                        : manifest.select(o.selectors);
                manifest.checkFiles(models);
                for (Manifest.Model m : models) {
                    if (m.simulate() != null) {
                        throw new UsageException("model " + m.name() + " is simulation-only: it has no state count to"
                                + " compare");
                    }
                }
                Path traces = o.traces != null ? o.traces : manifest.dir().resolve("target").resolve("traces");
                try {
                    return TlcBench.run(manifest, models, TlcBench.baseline(o.against), o.workers, o.readme, traces,
                            out, err, o.progress != null ? o.progress : System.console() != null);
                } catch (IOException e) {
                    err.println(NAME + ": " + e.getMessage());
                    return 1;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    err.println(NAME + ": interrupted");
                    return 1;
                }
            }
            List<String> sel = o.selectors.isEmpty()
                    ? List.of(o.list || o.markdown || o.updateReadme ? "all" : o.pages ? "violations" : "ci")
                    : o.selectors;
            chosen = sel.equals(List.of("violations")) ? FindingPages.pageModels(manifest) : manifest.select(sel);
            if (o.markdown) {
                out.print(markdown(manifest.models()));
                return 0;
            }
            if (o.updateReadme) {
                for (Map.Entry<Path, List<Manifest.Model>> t : readmeTables(manifest).entrySet()) {
                    Path readme = t.getKey();
                    out.println(updateReadme(readme, markdown(t.getValue()))
                            ? "model table of " + readme + " updated" : "model table of " + readme + " already up to date");
                }
                return 0;
            }
            if (o.list) {
                out.print(list(chosen));
                return 0;
            }
            manifest.checkFiles(chosen);
            for (Manifest.Model m : chosen) {
                if (!o.simulate && m.simulate() != null && !(o.list || o.markdown || o.updateReadme)) {
                    throw new UsageException("model " + m.name() + " is simulation-only: spec/run-models --simulate "
                            + m.name());
                }
                if (o.simulate) {
                    try {
                        if (TemporalCheck.hasTemporalProperties(manifest, m)) {
                            throw new UsageException("--simulate checks invariants and action properties only, and "
                                    + m.config() + " lists a temporal property (TLC 2.18 reports false violations of"
                                    + " temporal properties in simulation)");
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new UsageException("model " + m.name() + ": cannot read the properties of " + m.config()
                                + ": " + e.getMessage());
                    }
                }
            }
            if (o.distributed != null) {
                List<String> temporal = new ArrayList<>();
                for (Manifest.Model m : chosen) {
                    try {
                        if (TemporalCheck.hasTemporalProperties(manifest, m)) {
                            temporal.add(m.name());
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new UsageException("--distributed: cannot read the properties of " + m.name() + ": "
                                + e.getMessage());
                    }
                }
                if (!temporal.isEmpty()) {
                    throw new UsageException("--distributed: TLC 2.18's distributed mode skips temporal properties;"
                            + " these models check some: " + String.join(", ", temporal));
                }
                if (o.host != null && o.host.isEmpty()) {
                    try {
                        o.host = Distributed.thisHost();
                    } catch (IOException e) {
                        throw new UsageException("--host: this machine has no name (" + e.getMessage()
                                + "); give one");
                    }
                }
            }
            if (o.pages) {
                for (Manifest.Model m : chosen) {
                    if (!FindingPages.hasPage(m)) {
                        throw new UsageException("model " + m.name() + " expects no violation: it has no finding page");
                    }
                }
            }
        } catch (UsageException e) {
            err.println(NAME + ": " + e.getMessage());
            return 2;
        }
        Path traces = o.traces != null ? o.traces : manifest.dir().resolve("target").resolve("traces");
        boolean progress = o.progress != null ? o.progress : System.console() != null;
        return new Run(manifest, chosen, o, traces, out, err, progress).all();
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

    // ---------------------------------------------------------------- groups

    /** The groups of the verdict table, in order. */
    enum Group {
        FINDINGS("findings", "violations expected on real versions"),
        FIXES("fixes", "candidate fixes: the finding must be gone"),
        MUTANTS("mutants", "seeded bugs: each property must catch its mutant"),
        PASSING("passing", "every property holds");

        final String label;
        final String what;

        Group(String label, String what) {
            this.label = label;
            this.what = what;
        }
    }

    /** A model's group: a mutant by its variant, a fix by its name or purpose, else by its expected verdict. */
    static Group group(Manifest.Model m) {
        if (m.variant().startsWith("mutant") || m.name().contains("_mut_")) {
            return Group.MUTANTS;
        }
        if (m.expected().kind() != Verdict.Kind.PASS) {
            return Group.FINDINGS;
        }
        boolean fix = m.name().contains("_fix_") || (m.purpose() != null
                && m.purpose().toLowerCase(Locale.ROOT).startsWith("fix candidate"));
        return fix ? Group.FIXES : Group.PASSING;
    }

    // ---------------------------------------------------------------- running

    /** One model's outcome. */
    record Outcome(Manifest.Model model, Group group, TlcResult result, boolean ok, Path log, List<Path> traceFiles,
                   String summary, Path page, List<String> pageProblems, SimulationRun.Stats simulation) {
        Outcome(Manifest.Model model, Group group, TlcResult result, boolean ok, Path log, List<Path> traceFiles,
                String summary, Path page, List<String> pageProblems) {
            this(model, group, result, ok, log, traceFiles, summary, page, pageProblems, null);
        }
    }

    /** A run of the chosen models: the table as they finish, then the notes and the count. */
    static final class Run {
        final Manifest manifest;
        final List<Manifest.Model> chosen;
        final Options o;
        final Path traces;
        final PrintStream out;
        final PrintStream err;
        final Progress progress;
        final Table table;

        Run(Manifest manifest, List<Manifest.Model> chosen, Options o, Path traces, PrintStream out, PrintStream err,
            boolean progress) {
            this.manifest = manifest;
            List<Manifest.Model> sorted = new ArrayList<>();
            for (Group g : Group.values()) {
                for (Manifest.Model m : chosen) {
                    if (group(m) == g) {
                        sorted.add(m);
                    }
                }
            }
            this.chosen = sorted;
            this.o = o;
            this.traces = traces;
            this.out = out;
            this.err = err;
            this.progress = new Progress(err, progress, System.console() != null);
            this.table = new Table(sorted);
        }

        private void print(String line) {
            if (!o.json) {
                progress.clear();
                out.println(line);
            }
        }

        int all() {
            if (chosen.isEmpty()) {
                if (o.json) {
                    out.print(Json.write(VerdictReport.json(manifest, List.of(), traces)));
                } else {
                    out.println("no models selected");
                }
                return 0;
            }
            List<Outcome> done = new ArrayList<>();
            Group current = null;
            long start = System.nanoTime();
            try {
                for (int i = 0; i < chosen.size(); i++) {
                    Manifest.Model m = chosen.get(i);
                    if (group(m) != current) {
                        current = group(m);
                        print((current == Group.values()[0] || done.isEmpty() ? "" : "\n") + current.label + ": "
                                + current.what);
                        print(table.header());
                    }
                    Outcome oc = one(m, i);
                    if (oc == null) {
                        return 1; // interrupted
                    }
                    done.add(oc);
                    print(table.row(oc));
                }
            } finally {
                progress.stop();
            }
            int mismatches = 0;
            for (Outcome oc : done) {
                mismatches += oc.ok() ? 0 : 1;
            }
            if (o.junit != null) {
                try {
                    Files.writeString(o.junit, VerdictReport.junit(done, (System.nanoTime() - start) / 1e9));
                } catch (IOException e) {
                    err.println(NAME + ": cannot write " + o.junit + ": " + e.getMessage());
                    mismatches++;
                }
            }
            if (o.json) {
                out.print(Json.write(VerdictReport.json(manifest, done, traces)));
            } else {
                notes(done);
                out.println(count(done));
                if (o.record) {
                    out.println("recorded sizes written to " + manifest.file());
                }
            }
            return mismatches == 0 ? 0 : 1;
        }

        /** Runs one model; null when the run was interrupted. */
        private Outcome one(Manifest.Model m, int index) {
            Path log = traces.resolve(m.name() + ".log");
            boolean deterministic = m.expected().kind() != Verdict.Kind.PASS;
            progress.start(m.name(), index + 1, chosen.size());
            TlcResult r;
            SimulationRun.Stats sim = null;
            try {
                if (o.simulate) {
                    SimulationRun.Outcome so = SimulationRun.run(manifest, m,
                            SimulationRun.budget(m, o.depth, o.budget, o.seed), log, progress.tlcLines(m.name()));
                    r = so.result();
                    sim = so.stats();
                } else if (o.distributed != null) {
                    Distributed.Setup setup = new Distributed.Setup(o.distributed,
                            o.workerThreads == null ? 1 : o.workerThreads, o.port == null ? 0 : o.port,
                            o.host == null ? Distributed.LOOPBACK : o.host);
                    r = Distributed.run(manifest, m, setup, log, progress.tlcLines(m.name()), err);
                } else {
                    r = Tlc.run(manifest, m, o.workers, log, progress.tlcLines(m.name()), deterministic);
                }
            } catch (IOException e) {
                r = failed("cannot run TLC: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                progress.clear();
                err.println(NAME + ": interrupted");
                return null;
            } finally {
                progress.done();
            }
            boolean ok = r.verdict().matches(m.expected());
            List<Path> files = List.of();
            String summary = null;
            Path page = null;
            List<String> pageProblems = List.of();
            try {
                if (!r.trace().isEmpty()) {
                    files = new ArrayList<>(TraceWriter.write(traces, m, r));
                    files.addAll(TraceWriter.diagramPaths(traces, m.name()));
                    summary = TraceDiagrams.of(m, r).summary();
                }
                if (ok && !o.simulate && FindingPages.hasPage(m) && !r.trace().isEmpty()) {
                    page = FindingPages.pagePath(manifest, m);
                    if (o.pages) {
                        FindingPages.write(manifest, m, r);
                    } else {
                        pageProblems = FindingPages.check(manifest, m, r);
                    }
                }
                if (o.record && ok) {
                    manifest.record(m, r, LocalDate.now().toString());
                }
            } catch (IOException e) {
                err.println(NAME + ": cannot write results of " + m.name() + ": " + e.getMessage());
                ok = false;
            }
            return new Outcome(m, group(m), r, ok, log, files, summary, page, pageProblems, sim);
        }

        private void notes(List<Outcome> done) {
            List<String> notes = new ArrayList<>();
            for (Outcome oc : done) {
                String name = oc.model().name();
                if (oc.simulation() != null) {
                    notes.add("  " + name + ": " + oc.simulation().line());
                }
                if (!oc.traceFiles().isEmpty()) {
                    notes.add("  " + oc.summary());
                    notes.add("    trace " + rel(oc.traceFiles().get(0)) + " (.json, .diagram.txt, .svg beside)");
                }
                if (oc.page() != null) {
                    if (o.pages) {
                        notes.add("    page " + rel(oc.page()) + " written");
                    } else if (!oc.pageProblems().isEmpty()) {
                        notes.add("    page " + rel(oc.page()) + " is stale: " + String.join("; ", oc.pageProblems())
                                + " (spec/run-models --pages " + name + " makes it again)");
                    }
                }
                if (oc.result().verdict().kind() == Verdict.Kind.ERROR) {
                    notes.add("  " + name + ": TLC gave no verdict (exit code " + oc.result().exitCode() + "); TLC output: "
                            + rel(oc.log()));
                    List<String> errors = oc.result().errors().isEmpty()
                            ? List.of(oc.result().verdict().property()) : oc.result().errors();
                    for (String e : errors) {
                        for (String line : e.strip().split("\n")) {
                            notes.add("    | " + line.stripTrailing());
                        }
                    }
                }
                if (!oc.ok() && oc.result().verdict().kind() != Verdict.Kind.ERROR) {
                    notes.add("  " + name + ": MISMATCH: TLC says " + oc.result().verdict() + ", the manifest expects "
                            + oc.model().expected());
                }
            }
            out.println();
            notes.forEach(out::println);
            if (!notes.isEmpty()) {
                out.println();
            }
        }

        /** {@code n/N as expected}, per group and in all. */
        String count(List<Outcome> done) {
            StringBuilder b = new StringBuilder();
            int ok = 0;
            List<String> groups = new ArrayList<>();
            List<String> bad = new ArrayList<>();
            for (Group g : Group.values()) {
                int n = 0, k = 0;
                for (Outcome oc : done) {
                    if (oc.group() == g) {
                        n++;
                        k += oc.ok() ? 1 : 0;
                    }
                }
                if (n > 0) {
                    groups.add(g.label + " " + k + "/" + n);
                }
                ok += k;
            }
            for (Outcome oc : done) {
                if (!oc.ok()) {
                    bad.add(oc.model().name());
                }
            }
            b.append(ok).append('/').append(done.size()).append(" as expected (").append(String.join(", ", groups))
                    .append(')');
            if (!bad.isEmpty()) {
                b.append("; NOT as expected: ").append(String.join(", ", bad));
            }
            return b.toString();
        }
    }

    private static TlcResult failed(String why) {
        return new TlcResult(-1, new Verdict(Verdict.Kind.ERROR, why), null, null, null, 0, 0, List.of(), null,
                List.of(why));
    }

    static Path rel(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(cwd) ? cwd.relativize(abs) : abs;
    }

    /**
     * The running model's name and elapsed time, on one line of stderr that a
     * ticker rewrites every second (on a terminal), or a line at the start of
     * each model and every 30 s (when asked for without a terminal). TLC's
     * own progress lines are echoed without a terminal only.
     */
    static final class Progress {
        final PrintStream err;
        final boolean on;
        final boolean terminal;
        private String name;
        private int index, total;
        private long started;
        private int width;
        private Thread ticker;

        Progress(PrintStream err, boolean on, boolean terminal) {
            this.err = err;
            this.on = on;
            this.terminal = terminal;
            if (on) {
                ticker = new Thread(this::tick, "rqspin-progress");
                ticker.setDaemon(true);
                ticker.start();
            }
        }

        synchronized void start(String name, int index, int total) {
            this.name = name;
            this.index = index;
            this.total = total;
            this.started = System.nanoTime();
            if (on && !terminal) {
                err.println("  [" + index + "/" + total + "] " + name + ": running");
            }
            draw();
        }

        synchronized void done() {
            name = null;
            clear();
        }

        PrintStream tlcLines(String model) {
            return on && !terminal ? err : null;
        }

        private void tick() {
            long n = 0;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                n++;
                synchronized (this) {
                    if (terminal) {
                        draw();
                    } else if (name != null && n % 30 == 0) {
                        err.println("  [" + index + "/" + total + "] " + name + ": still running, "
                                + seconds((System.nanoTime() - started) / 1e9));
                    }
                }
            }
        }

        private synchronized void draw() {
            if (!on || !terminal || name == null) {
                return;
            }
            String s = "  [" + index + "/" + total + "] running " + name + " ... "
                    + seconds((System.nanoTime() - started) / 1e9);
            err.print("\r" + s + (s.length() < width ? " ".repeat(width - s.length()) : ""));
            err.flush();
            width = s.length();
        }

        synchronized void clear() {
            if (on && terminal && width > 0) {
                err.print("\r" + " ".repeat(width) + "\r");
                err.flush();
                width = 0;
            }
        }

        void stop() {
            if (ticker != null) {
                ticker.interrupt();
            }
            clear();
        }
    }

    /** The verdict table, printed a row at a time as models finish. */
    static final class Table {
        final int wName, wVerdict;

        Table(List<Manifest.Model> models) {
            int n = "model".length(), v = "verdict".length();
            for (Manifest.Model m : models) {
                n = Math.max(n, m.name().length());
                v = Math.max(v, m.expected().toString().length());
            }
            wName = n;
            wVerdict = Math.max(v, 24);
        }

        String header() {
            return line("", "model", "verdict", "distinct", "depth", "time");
        }

        String row(Outcome oc) {
            TlcResult r = oc.result();
            String verdict = r.verdict().kind() == Verdict.Kind.ERROR ? "error (see below)" : r.verdict().toString();
            if (!oc.ok()) {
                verdict += " (expected " + oc.model().expected() + ")";
            }
            String states = r.distinct() == null ? "-" : String.format(Locale.ROOT, "%,d", r.distinct());
            return line(oc.ok() ? "ok" : "MISMATCH", oc.model().name(), verdict, states,
                    r.depth() == null ? "-" : r.depth().toString(), seconds(r.seconds()));
        }

        private String line(String mark, String name, String verdict, String states, String depth, String time) {
            return String.format(Locale.ROOT, "  %-8s %-" + wName + "s  %-" + wVerdict + "s  %11s  %5s  %8s",
                    mark, name, verdict, states, depth, time).stripTrailing();
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
        int wName = "model".length(), wVariant = "variant".length(), wExpected = "expected".length();
        for (Manifest.Model m : models) {
            wName = Math.max(wName, m.name().length());
            wVariant = Math.max(wVariant, m.variant().length());
            wExpected = Math.max(wExpected, m.expected().toString().length());
        }
        String fmt = "%-" + wName + "s  %-4s  %-" + wVariant + "s  %-" + wExpected + "s  %s%n";
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
