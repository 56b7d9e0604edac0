package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Killing the runner leaves nothing behind: the runner (its main, in a JVM of
 * its own, as spec/run-models execs it) runs a model whose TLC takes long
 * ({@code slow}, about 27 million states), gets SIGTERM while TLC runs, and
 * must stop every TLC child and delete its metadir before it exits.
 */
class KillTest {
    @TempDir
    Path tmp;

    @Test
    void sigtermStopsEveryTlcChildAndRemovesItsMetadir() throws Exception {
        Path javaTmp = Files.createDirectories(tmp.resolve("java-tmp"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + javaTmp, "-cp", System.getProperty("java.class.path"),
                "rqspin.spec.ModelRunner", "--manifest", ModelRunnerTest.TLA.resolve("models.json").toString(),
                "--traces", tmp.resolve("traces").toString(), "--workers", "1", "slow");
        Process runner = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("runner.out").toFile()).start();
        try {
            // wait until TLC runs and has its metadir
            ProcessHandle tlc = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && (tlc == null || metadirs(javaTmp).isEmpty())) {
                tlc = runner.descendants().filter(p -> p.info().commandLine().orElse("").contains("tlc2.TLC"))
                        .findFirst().orElse(null);
                Thread.sleep(200);
            }
            assertTrue(tlc != null && tlc.isAlive(), "TLC never started: " + Files.readString(tmp.resolve("runner.out")));
            assertEquals(1, metadirs(javaTmp).size(), "the running TLC's metadir");
            Thread.sleep(1500); // TLC is well into the state space
            assertTrue(tlc.isAlive(), "the slow model must still run: " + Files.readString(tmp.resolve("runner.out")));

            runner.destroy(); // SIGTERM
            assertTrue(runner.waitFor(30, TimeUnit.SECONDS), "the runner did not exit on SIGTERM");
            assertNotEquals(0, runner.exitValue());
            ProcessHandle child = tlc;
            assertTrue(child.onExit().toCompletableFuture().isDone() || waitGone(child),
                    "TLC (pid " + child.pid() + ") still runs after the runner was killed");
            assertFalse(child.isAlive());
            assertEquals(List.of(), metadirs(javaTmp), "the metadir must be gone");
        } finally {
            runner.descendants().forEach(ProcessHandle::destroyForcibly);
            runner.destroyForcibly();
        }
    }

    private static boolean waitGone(ProcessHandle p) throws InterruptedException {
        for (int i = 0; i < 50 && p.isAlive(); i++) {
            Thread.sleep(100);
        }
        return !p.isAlive();
    }

    private static List<Path> metadirs(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("rqspin-tlc-slow-")).toList();
        }
    }
}
