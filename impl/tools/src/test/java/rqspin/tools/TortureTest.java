package rqspin.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.FailureReason;
import rqspin.lock.Version;

/**
 * The torture run of the lock ({@link Torture}): a short run is clean and its
 * counts add up, a seeded non-exclusive lock is caught by the exclusion check
 * (exit 1), and bad arguments give one line and exit 2.
 */
class TortureTest {

    private static Torture.Config shortRun() {
        Torture.Config c = new Torture.Config();
        c.cpus = 3;
        c.locks = 2;
        c.durationMillis = 400;
        c.holdMicros = 5;
        c.longHoldRate = 0.001;
        c.longHoldMillis = 2;
        c.nested = true;
        c.nmiRate = 0.1;
        c.seed = 7;
        c.progressMillis = 0;
        return c;
    }

    private static String summary(Torture.Config cfg, Torture.Result r, int[] status) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        status[0] = Torture.print(cfg, r, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aShortRunHasNoViolationAndItsCountsAddUp() throws Exception {
        Torture.Config cfg = shortRun();
        Torture.Result r = Torture.run(cfg);
        int[] status = new int[1];
        String text = summary(cfg, r, status);
        assertEquals(0, status[0], text);
        assertNull(r.error(), text);
        assertEquals(0, r.violations(), text);
        assertTrue(r.acquisitions() > 100, "the run took locks: " + text);
        assertEquals(r.attempts(), r.acquisitions() + r.failures(), "attempts = acquisitions + failures: " + text);
        assertEquals(r.failures(), Arrays.stream(r.byReason()).sum(), "failures by reason add up: " + text);
        assertTrue(r.nmiAttempts() > 0 && r.nmiAcquisitions() <= r.nmiAttempts(), text);
        assertEquals(r.nmiAttempts() - r.nmiAcquisitions(), Arrays.stream(r.nmiByReason()).sum(),
                "NMI failures add up: " + text);
        // an NMI that picks a lock its CPU holds must get -EDEADLK (AA), never the lock
        assertTrue(r.byReason()[FailureReason.AA.ordinal()] > 0, "NMIs met AA: " + text);
        assertTrue(r.byErrno()[Errno.EDEADLK.ordinal()] >= r.byReason()[FailureReason.AA.ordinal()], text);
        assertTrue(text.contains("exclusion violations: 0") && text.contains("verdict: OK"), text);
    }

    /** The seeded bug: a lock that excludes nobody. The exclusion check must see two holders. */
    @Test
    void aNonExclusiveLockIsCaughtByTheExclusionCheck() throws Exception {
        Torture.Config cfg = shortRun();
        cfg.durationMillis = 200;
        cfg.factory = (m, v, i) -> new Torture.TortureLock() {
            @Override
            public void lock(Cpu cpu) {
                // takes nothing
            }

            @Override
            public void unlock(Cpu cpu) {
            }
        };
        Torture.Result r = Torture.run(cfg);
        int[] status = new int[1];
        String text = summary(cfg, r, status);
        assertEquals(1, status[0], text);
        assertTrue(r.violations() > 0, text);
        assertTrue(text.contains("verdict: FAILED"), text);
    }

    @Test
    void aRunOfOpsStopsAfterThem() throws Exception {
        Torture.Config cfg = shortRun();
        cfg.ops = 3_000;
        cfg.nested = false;
        cfg.longHoldRate = 0;
        cfg.locks = 1;
        Torture.Result r = Torture.run(cfg);
        // one lock, no NMI: every outer attempt is one attempt
        assertEquals(3_000, r.attempts());
        assertEquals(0, r.violations());
        assertEquals(0, r.nmiAttempts());
    }

    @Test
    void aRunPrintsProgressLines() throws Exception {
        Torture.Config cfg = shortRun();
        cfg.progressMillis = 100;
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Torture.run(cfg, new PrintStream(progress, true, StandardCharsets.UTF_8));
        String text = progress.toString(StandardCharsets.UTF_8);
        assertTrue(text.lines().filter(l -> l.startsWith("torture: ") && l.contains(" acquisitions, ")
                && l.endsWith(" exclusion violations")).count() >= 2, text);
    }

    @Test
    void arguments() {
        Torture.Config c = Torture.parse(new String[] {"--cpus", "3", "--locks=5", "--duration", "0.5", "--hold-us",
            "10", "--long-hold-rate", "0.5", "--long-hold-ms", "7", "--nested", "--nmi-rate", "0.2", "--version",
            "v6.15", "--check-period", "1024", "--seed", "-5", "--progress-interval", "0"});
        assertEquals(3, c.cpus);
        assertEquals(5, c.locks);
        assertEquals(500, c.durationMillis);
        assertEquals(10, c.holdMicros);
        assertEquals(0.5, c.longHoldRate);
        assertEquals(7, c.longHoldMillis);
        assertTrue(c.nested);
        assertEquals(0.2, c.nmiRate);
        assertEquals(Version.V6_15, c.version);
        assertEquals(1024, c.checkPeriod);
        assertEquals(-5, c.seed);
        assertEquals(0, c.progressMillis);
        assertEquals(5_000, Torture.parse(new String[0]).progressMillis);
        assertEquals(1000, Torture.parse(new String[] {"--ops", "1000"}).ops);
        assertNull(Torture.parse(new String[] {"--help"}));
        String[][] bad = {{"--cpus", "0"}, {"--cpus", "x"}, {"--locks", "0"}, {"--duration", "-1"},
            {"--duration", "1", "--ops", "5"}, {"--long-hold-rate", "2"}, {"--version", "v5.0"}, {"--check-period", "3"}, {"--ops"},
            {"--frobnicate", "1"}, {"stray"}};
        String[] says = {"--cpus must be in 1..256, got 0", "--cpus must be a number, got 'x'", "--locks must be in",
            "--duration must be in", "not both", "--long-hold-rate must be in [0,1]", "--version must be one of",
            "--check-period must be a power of two", "--ops needs a value", "unknown option", "unknown argument"};
        for (int i = 0; i < bad.length; i++) {
            String[] b = bad[i];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Torture.parse(b));
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertTrue(e.getMessage().contains(says[i]), e.getMessage());
        }
    }

    @Test
    void mainExitsTwoWithOneLineOnBadArgumentsAndRunsNothing() throws Exception {
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "rqspin.tools.Torture", "--cpus=x").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor());
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.startsWith("torture: --cpus must be a number"), err);
        assertEquals("", out, "nothing run");
    }
}
