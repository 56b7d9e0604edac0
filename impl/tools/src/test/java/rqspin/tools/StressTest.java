package rqspin.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import rqspin.storage.LockSite;
import rqspin.storage.Protocol;

/**
 * The CI form of the stress run (a short run of {@link Stress}), and its
 * command line. The final protocol must come out clean; v3 must show its
 * bugs.
 *
 * <p>For the final protocol the random failures leave out map_free's two
 * lock sites ({@link LockSite#MAP_FREE_BUCKET},
 * {@link LockSite#MAP_FREE_STORAGE}) and destroy's
 * {@code local_storage->lock} ({@link LockSite#DESTROY_STORAGE}). A failure
 * there is what the final-code findings need (F1-F3 of impl's
 * FinalFindingsTest, C10, tested there deterministically). With
 * MAP_FREE_BUCKET among the sites, 4 of 60 runs met the one-failure finding
 * (F3, model ls_final_f1_p2: after map_free's b->lock failed, a selem is
 * freed while still on the bucket, P2) and the test was flaky; without it,
 * 0 of 60. DESTROY_STORAGE starts C10 (the storage of a dying owner is
 * leaked with its list), and P2 counts that list as live, so the later
 * map_free that frees one of its selems is the other cause of the same
 * model's P2 (its cfg names both): the CI run met it now and then once P2
 * was made to count a leaked storage's list, and the command line with the
 * same sites, threads, operations, seed and failure rate met it in 24 of 40
 * runs (0 of 40 without DESTROY_STORAGE). v3 keeps MAP_FREE_BUCKET, where
 * its bugs (C7, C8) start.
 */
class StressTest {
    private static final LockSite[] ALL_BUT_TEARDOWN_FINDINGS = java.util.Arrays.stream(LockSite.values())
            .filter(s -> s != LockSite.MAP_FREE_STORAGE && s != LockSite.MAP_FREE_BUCKET
                    && s != LockSite.DESTROY_STORAGE).toArray(LockSite[]::new);
    /** v3 keeps map_free's b->lock among the sites: its bugs (C7, C8) start with that failure. */
    private static final LockSite[] ALL_BUT_MAP_FREE_STORAGE = java.util.Arrays.stream(LockSite.values())
            .filter(s -> s != LockSite.MAP_FREE_STORAGE).toArray(LockSite[]::new);

    private static Stress.Config ci(Protocol p) {
        return new Stress.Config().protocol(p).threads(4).ops(40_000).seed(1).failRate(0.02).mapFreePer10k(20)
                .failSites(p == Protocol.FINAL ? ALL_BUT_TEARDOWN_FINDINGS : ALL_BUT_MAP_FREE_STORAGE);
    }

    @Test
    void finalIsCleanUnderRandomFailures() throws Exception {
        Stress.Config cfg = ci(Protocol.FINAL);
        Stress.Result r = Stress.run(cfg);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Stress.print(cfg, r, new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        assertTrue(r.report().lockFailures() > 100, "failures were injected: " + text);
        assertEquals(0, r.report().doubleFrees(), text);
        assertEquals(0, r.report().usesAfterFree(), text);
        assertEquals(0, r.report().accountingErrors(), text);
        assertEquals(0, r.report().unexplainedLeaks(), text);
        assertTrue(text.contains("double frees: 0") && text.contains("uses after free: 0"), text);
    }

    @Test
    void v3ShowsItsBugs() throws Exception {
        Stress.Config cfg = ci(Protocol.V3);
        Stress.Result r = Stress.run(cfg);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Stress.print(cfg, r, new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, status, text);
        assertTrue(r.report().usesAfterFree() + r.report().doubleFrees() > 0, text);
        assertTrue(text.contains("BUGS FOUND (expected for the v3 protocol)"), text);
    }

    @Test
    void arguments() {
        Stress.Config c = Stress.parse(new String[] {"--protocol", "v3", "--threads", "3", "--ops", "10", "--seed",
            "-5", "--fail-rate", "0.5", "--fail-sites", "map_free_bucket,DESTROY_STORAGE"});
        assertEquals(Protocol.V3, c.protocol);
        assertEquals(3, c.threads);
        assertEquals(10, c.ops);
        assertEquals(-5, c.seed);
        assertEquals(2, c.failSites.length);
        assertNull(Stress.parse(new String[] {"--help"}));
        String[][] bad = {{"--protocol", "v4"}, {"--threads", "0"}, {"--threads", "x"}, {"--fail-rate", "2"},
            {"--ops"}, {"--frobnicate", "1"}, {"stray"}, {"--fail-sites", "NOWHERE"}};
        for (String[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stress.parse(b));
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }

    @Test
    void everyOptionTakesTheFormOptionEqualsValue() {
        Stress.Config c = Stress.parse(new String[] {"--threads=4", "--ops=100", "--protocol=v3", "--fail-rate=0.5"});
        assertEquals(4, c.threads);
        assertEquals(100, c.ops);
        assertEquals(Protocol.V3, c.protocol);
    }

    @Test
    void badArgumentsSayWhatIsWrongInOneLine() {
        String[][] bad = {{"--threads=0"}, {"--threads=four"}, {"--threads"}, {"--frobnicate=1"}, {"stray"}};
        String[] says = {"--threads must be in 1..1024, got 0", "--threads must be a number, got 'four'",
            "--threads needs a value", "unknown option", "unknown argument"};
        for (int i = 0; i < bad.length; i++) {
            String[] b = bad[i];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stress.parse(b));
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertTrue(e.getMessage().contains(says[i]), e.getMessage());
        }
    }

    @Test
    void aLongRunReportsItsProgress() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Stress.Config cfg = new Stress.Config().threads(2).ops(200_000).seed(3).failRate(0.01)
                .failSites(ALL_BUT_TEARDOWN_FINDINGS);
        Stress.run(cfg, new PrintStream(progress, true, StandardCharsets.UTF_8), false, 0, 50);
        String text = progress.toString(StandardCharsets.UTF_8);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("stress: ") && l.contains("of 200,000 operations")), text);
    }

    @Test
    void mainExitsTwoWithOneLineOnBadArguments() throws Exception {
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "rqspin.tools.Stress", "--threads=x").start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor());
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.startsWith("stress: --threads must be a number"), err);
    }
}
