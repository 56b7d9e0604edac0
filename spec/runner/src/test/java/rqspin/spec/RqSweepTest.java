package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's scenario family and its command line (no TLC run). */
class RqSweepTest {
    @TempDir
    Path tmp;

    @Test
    void oneScenarioPerClassOfCpuPermutationsAndTheLockSwap() {
        assertEquals(42, RqSweep.scenarios(2).size());
        assertEquals(182, RqSweep.scenarios(3).size());
        Set<String> codes = new HashSet<>();
        for (int[] s : RqSweep.scenarios(2)) {
            assertTrue(codes.add(RqSweep.code(s)), "twice: " + RqSweep.code(s));
        }
        // the trace name of the DeadlockIsReal gap (sweep_v615_41_53_41) names a scenario of the family
        assertTrue(codes.contains("41_53"));
        // no scenario is the A/B swap of another one
        for (int[] s : RqSweep.scenarios(2)) {
            String w = RqSweep.code(RqSweep.swap(s));
            assertTrue(w.equals(RqSweep.code(s)) || !codes.contains(w), "both " + RqSweep.code(s) + " and " + w);
        }
    }

    /** With handover_hang excluded, QueueLive is checked as MCSweep's SweepQueueLive; otherwise as itself. */
    @Test
    void queueLiveSkipsTheHandoverCutOnlyWhenThatCauseIsExcluded() {
        assertTrue(RqSweep.invariants(Set.of()).contains(" QueueLive "));
        assertFalse(RqSweep.invariants(Set.of("in_flight_entry")).contains("SweepQueueLive"));
        String ex = RqSweep.invariants(Set.of("handover_hang"));
        assertTrue(ex.contains(" SweepQueueLive ") && !ex.contains(" QueueLive "), ex);
    }

    @Test
    void anUnknownScenarioIsBadUsageAndWritesNothing() {
        Path out = tmp.resolve("out");
        UsageException e = assertThrows(UsageException.class, () -> RqSweep.run(new String[] {
            "--scenarios=41_53,99_99", "--out=" + out}, new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("99_99"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void badVersionsAndNumbersAreBadUsage() {
        for (String a : List.of("--versions=v6.16", "--cpus=4", "--budget=0", "--excluded=late_entry,stale",
                "--frobnicate")) {
            assertThrows(UsageException.class, () -> RqSweep.run(new String[] {a, "--out=" + tmp.resolve("o")},
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)), a);
        }
        assertFalse(Files.exists(tmp.resolve("o")));
    }
}
