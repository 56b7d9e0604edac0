package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spec/run-models --distributed}: TLC 2.18's server and two worker
 * processes on loopback give the single-process run's verdict, distinct
 * states (a model that passes) and trace (a violation), and leave no process
 * and no temporary directory behind. The comparison is shown to fail on a
 * distributed run that is wrong: a runner that forgets to pass
 * {@code -deadlock} to the server (which ignores the cfg's
 * {@code CHECK_DEADLOCK FALSE}) gets a false deadlock, and the comparison
 * names it.
 */
class DistributedTest {
    static final Path SPEC = ProjectModelsTest.SPEC;

    @TempDir
    Path tmp;

    static final Distributed.Setup TWO_ON_LOOPBACK = new Distributed.Setup(2, 1, 0, Distributed.LOOPBACK);

    private TlcResult single(Manifest m, Manifest.Model model) throws Exception {
        return Tlc.run(m, model, "1", tmp.resolve(model.name() + ".single.log"), null,
                model.expected().kind() != Verdict.Kind.PASS);
    }

    private TlcResult distributed(Manifest m, Manifest.Model model) throws Exception {
        return Distributed.run(m, model, TWO_ON_LOOPBACK, tmp.resolve(model.name() + ".log"), null, null);
    }

    private List<Long> tlcProcesses() {
        List<Long> out = new ArrayList<>();
        ProcessHandle.current().descendants().filter(p -> p.info().commandLine().orElse("").contains("tlc2."))
                .forEach(p -> out.add(p.pid()));
        return out;
    }

    private static List<Path> ourTempDirs(String model) throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("rqspin-tlc-" + model + "-dist-")).toList();
        }
    }

    @Test
    void aProjectModelThatPassesGivesTheSameVerdictAndDistinctStates() throws Exception {
        Manifest m = Manifest.load(SPEC.resolve("models.json"));
        Manifest.Model model = m.select(List.of("rq_qspinlock_safety")).get(0); // ci, an action property, symmetry-free
        TlcResult one = single(m, model);
        TlcResult dist = distributed(m, model);
        assertEquals(Verdict.pass(), dist.verdict(), dist.errors().toString());
        assertEquals(List.of(), Distributed.differences(one, dist));
        assertEquals(2, dist.workers());
        assertEquals(List.of(), tlcProcesses(), "every TLC process has ended");
        assertEquals(List.of(), ourTempDirs(model.name()), "the run's temporary directory is gone");
        // each worker logged that the server sent it home
        for (int i = 1; i <= 2; i++) {
            String w = Files.readString(Distributed.workerLog(tmp.resolve(model.name() + ".log"), model, i));
            assertTrue(w.contains("work completed"), w);
        }
    }

    @Test
    void aViolationGivesTheSingleProcessVerdictAndTrace() throws Exception {
        Manifest m = Manifest.load(SPEC.resolve("models.json"));
        Manifest.Model model = m.select(List.of("rq_mut_lock_word")).get(0); // ci, a seeded mutant
        TlcResult one = single(m, model);
        TlcResult dist = distributed(m, model);
        assertEquals(model.expected(), dist.verdict());
        assertFalse(dist.trace().isEmpty());
        assertEquals(List.of(), Distributed.differences(one, dist));
        assertEquals(List.of(), tlcProcesses());
    }

    @Test
    void theComparisonCatchesADistributedRunThatForgetsTheDeadlockFlag() throws Exception {
        Manifest m = Manifest.load(ModelRunnerTest.TLA.resolve("models.json"));
        Manifest.Model model = m.select(List.of("counter_safe")).get(0); // CHECK_DEADLOCK FALSE, ends in x = 3, y = 2
        TlcResult one = single(m, model);
        assertEquals(Verdict.pass(), one.verdict());
        assertEquals(12L, one.distinct());
        // (that the runner's own distributed run agrees is the first test's job)
        // the mutant runner: no -deadlock on the server's command line
        TlcResult wrong = Distributed.run(m, model, TWO_ON_LOOPBACK, tmp.resolve("mutant.log"), null, null,
                cmd -> cmd.stream().filter(a -> !a.equals("-deadlock")).toList());
        List<String> diff = Distributed.differences(one, wrong);
        assertFalse(diff.isEmpty(), "the comparison must see the false deadlock");
        assertTrue(diff.get(0).startsWith("verdict: single-process pass, distributed "), diff.toString());
        assertEquals(List.of(), tlcProcesses());
    }

    @Test
    void temporalPropertiesAreRefusedAndBadOptionsAreOneLine() {
        String manifest = ModelRunnerTest.TLA.resolve("models.json").toString();
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--distributed", "2",
                "counter_stutter"), "distributed mode skips temporal properties; these models check some: counter_stutter");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--distributed", "65",
                "counter_safe"), "--distributed takes 0 to 64 workers");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--port", "20000",
                "counter_safe"), "--port goes only with --distributed");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--distributed", "2",
                "--port", "80", "counter_safe"), "--port takes 1024 to 65535");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--distributed", "2",
                "--record", "counter_safe"), "--record");
        ModelRunnerTest.assertOneLineUsageError(ModelRunnerTest.run("--manifest", manifest, "--distributed", "2",
                "--host", "a b", "counter_safe"), "--host");
    }

    @Test
    void theWorkerCommandNeedsOnlyTheJarAndTheServer() {
        List<String> w = Distributed.workerCommand("/x/tlatools.jar", null, 12345, "server.example", "me.example", 4);
        assertTrue(w.containsAll(List.of("-Djava.rmi.server.hostname=me.example",
                "-D" + Distributed.PORT_PROPERTY + "=12345", "-D" + Distributed.THREADS_PROPERTY + "=4",
                "-cp", "/x/tlatools.jar", Distributed.WORKER, "server.example")), w.toString());
        assertTrue(Distributed.workerHint(12345, "server.example").contains(Distributed.WORKER + " server.example"));
    }
}
