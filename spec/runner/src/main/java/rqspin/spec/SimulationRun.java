package rqspin.spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model in TLC's random simulation mode ({@code spec/run-models --simulate}),
 * for configurations far too large to exhaust: TLC draws behaviours of at most
 * {@code depth} steps from seed {@code seed}, one worker, until the time
 * budget ends ({@code -Dtlc2.TLC.stopAfter}) or a check fails. Only invariants
 * (and deadlock, as the cfg says) are checked: the runner refuses a cfg with
 * {@code PROPERTIES}, because TLC 2.18 reports false violations of temporal
 * properties in simulation.
 *
 * <p>TLC 2.18 does not say how many behaviours it drew when the budget ends,
 * so the runner counts them: the generated module that extends the model's
 * module adds the invariant {@code SimCount}, which at the first step of each
 * behaviour counts it in TLC register 1 and prints the count (the runner reads
 * those lines and keeps them out of the log). An invariant violation is a
 * verdict like any other, with its trace, diagram and trace files.
 *
 * @see Simulation for the behaviours that conformance replays on the Java twin
 */
final class SimulationRun {
    private SimulationRun() {}

    /** How long, how deep, from which seed. */
    record Budget(int depth, int seconds, long seed) {}

    /** The numbers of a simulation: behaviours drawn, states generated, seconds simulated (parsing excluded). */
    record Stats(long behaviours, long states, double seconds, Budget budget) {
        double statesPerSecond() {
            return seconds > 0 ? states / seconds : 0;
        }

        String line() {
            return String.format(java.util.Locale.ROOT, "%,d behaviours (depth <= %d, seed %d), %,d states in %.1f s:"
                    + " %,.0f states/s on one TLC worker", behaviours, budget.depth(), budget.seed(), states, seconds,
                    statesPerSecond());
        }
    }

    /** What a simulation gave: TLC's result (verdict, trace) and the numbers. */
    record Outcome(TlcResult result, Stats stats) {}

    static final String MARK = "rqspin-sim";
    private static final Pattern COUNT = Pattern.compile("^<<\"" + MARK + "\", (\\d+)>>$");
    private static final Pattern STATES = Pattern.compile("(?:^Progress\\(-?\\d+\\) at .*?: |^The number of states generated: )"
            + "([\\d,]+)");

    /** The manifest's budget of {@code model}, each part overridden by the command line's (null: keep). */
    static Budget budget(Manifest.Model model, Integer depth, Integer seconds, Long seed) {
        Manifest.Simulate s = model.simulate();
        return new Budget(depth != null ? depth : s != null ? s.depth() : 100,
                seconds != null ? seconds : s != null ? s.seconds() : 60,
                seed != null ? seed : s != null ? s.seed() : 1);
    }

    /** The TLC command line (run in {@code dir}, where the generated module and cfg are). */
    static List<String> command(Manifest manifest, Manifest.Model model, Budget b, Path meta, String name) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseParallelGC",
                "-DTLA-Library=" + manifest.workDir(model), "-Djava.io.tmpdir=" + meta,
                "-Dtlc2.TLC.stopAfter=" + b.seconds(), "-cp", Tlc.jar().toString(), "tlc2.TLC", "-tool",
                "-simulate", "-depth", String.valueOf(b.depth()), "-seed", String.valueOf(b.seed()), "-workers", "1",
                "-metadir", meta.resolve("states").toString(), "-config", name + ".cfg", name + ".tla");
    }

    /** Simulates {@code model} within {@code b}; TLC's output (without the count lines) goes to {@code log}. */
    static Outcome run(Manifest manifest, Manifest.Model model, Budget b, Path log, PrintStream progress)
            throws IOException, InterruptedException {
        Path meta = Files.createTempDirectory("rqspin-tlc-" + model.name() + "-sim-");
        String mc = Path.of(model.module()).getFileName().toString().replaceFirst("\\.tla$", "");
        String name = "Sim_" + model.name().replaceAll("[^A-Za-z0-9_]", "_");
        Path cfg = manifest.dir().resolve(model.config());
        List<String> cfgLines = new ArrayList<>(Files.readAllLines(cfg, StandardCharsets.UTF_8));
        cfgLines.add("\\* added by the runner: counts the behaviours (TLC 2.18 does not report them)");
        cfgLines.add("INVARIANT SimCount");
        Map<String, String> defs = new LinkedHashMap<>();
        defs.put("SimCount", "TLCGet(\"level\") = 2 => (TLCSet(1, TLCGet(1) + 1) /\\ PrintT(<<\"" + MARK
                + "\", TLCGet(1)>>))");
        Path dir = meta.resolve("module");
        TraceModules.write(dir, name, mc + ", TLC", defs, cfgLines);
        // the register starts at 0 (an ASSUME is evaluated once, before the simulation)
        Path tla = dir.resolve(name + ".tla");
        Files.writeString(tla, Files.readString(tla).replace("\nSimCount ==", "\nASSUME TLCSet(1, 0)\nSimCount =="));
        List<String> cmd = command(manifest, model, b, meta, name);
        Files.createDirectories(log.getParent());
        long start = System.nanoTime();
        long started = -1;
        long behaviours = 0, states = 0;
        List<String> lines = new ArrayList<>();
        Process p = Tlc.start(cmd, dir, meta, null);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Matcher c = COUNT.matcher(line);
                if (c.matches()) {
                    behaviours = Math.max(behaviours, Long.parseLong(c.group(1)));
                    continue;
                }
                lines.add(line);
                if (started < 0 && line.startsWith("Starting... (")) {
                    started = System.nanoTime();
                }
                Matcher s = STATES.matcher(line);
                if (s.find()) {
                    states = Math.max(states, Long.parseLong(s.group(1).replace(",", "")));
                    if (progress != null && line.startsWith("Progress(")) {
                        progress.println("  " + model.name() + " (simulation): " + behaviours + " behaviours, " + line);
                    }
                }
            }
        } finally {
            int exit = p.waitFor();
            Tlc.forget(p);
            lines.add(0, "# " + String.join(" ", cmd));
            lines.add(String.format("# exit code %d; %d behaviours counted by SimCount", exit, behaviours));
            Files.write(log, lines, StandardCharsets.UTF_8);
            Tlc.deleteTree(meta);
        }
        long end = System.nanoTime();
        double seconds = (end - start) / 1e9;
        double simulated = started < 0 ? 0 : (end - started) / 1e9;
        TlcResult t = TlcOutput.parse(p.exitValue(), lines.subList(1, lines.size() - 1), seconds, List.of());
        TlcResult result = new TlcResult(t.exitCode(), t.verdict(), states, null, null, seconds, 1, t.trace(), t.loop(),
                t.errors());
        return new Outcome(result, new Stats(behaviours, states, simulated, b));
    }
}
