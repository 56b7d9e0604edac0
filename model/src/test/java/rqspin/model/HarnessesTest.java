package rqspin.model;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.lock.Version;

/**
 * The CI form of the JPF harnesses: the same scenario code, run under
 * Lincheck's model checker (which explores thread interleavings and reports
 * hangs), so the default build checks what {@code -Pjpf} checks exhaustively.
 * The expected failures are the ones the .jpf files expect.
 */
public class HarnessesTest {
    static final int INVOCATIONS = 50;

    /** A harness run that may throw anything. */
    @FunctionalInterface
    public interface Scenario {
        void run() throws Exception;
    }

    static void explore(int invocations, Scenario s) {
        Lincheck.runConcurrentTest(invocations, () -> {
            try {
                s.run();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void twoCpusContend(Version v) {
        explore(INVOCATIONS, () -> TwoCpusContend.run(Harness.LockFactory.of(v)));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aaInNmi(Version v) {
        explore(INVOCATIONS, () -> AaInNmi.run(Harness.LockFactory.of(v)));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void abba(Version v) {
        explore(INVOCATIONS, () -> Abba.run(Harness.LockFactory.of(v)));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void abortCascade(Version v) {
        explore(INVOCATIONS, () -> AbortCascade.run(Harness.LockFactory.of(v)));
    }

    /**
     * HeadHandover stages five spinning threads; Lincheck 3.7 then declares a
     * livelock while a thread whose wait has ended is still runnable, so this
     * harness runs as a deterministic test instead: real threads, repeated,
     * each run bounded in time (a hang fails the test).
     */
    @Test
    void headHandoverV619() throws Exception {
        for (int i = 0; i < RUNS; i++) {
            assertNull(runBounded(() -> HeadHandover.run(Harness.LockFactory.of(Version.V6_19), true)));
        }
    }

    @Test
    void v615CancelsTheQueueWhereV619HandsOver() throws Exception {
        // Which of the two ABBA partners detects first is a race: the successor fails whenever the head wins it.
        assertTrue(violationWithin(RUNS, () -> HeadHandover.run(Harness.LockFactory.of(Version.V6_15), true),
                "the successor of a head that detected a deadlock must not fail"));
    }

    /** Runs of a deterministic scenario test. */
    public static final int RUNS = 40;

    /** Runs a scenario on a fresh thread; returns its AssertionError, or null; fails if it does not end in 20 s. */
    public static AssertionError runBounded(Scenario s) throws InterruptedException {
        AssertionError[] seen = new AssertionError[1];
        Throwable[] other = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                s.run();
            } catch (AssertionError e) {
                seen[0] = e;
            } catch (Throwable e) {
                other[0] = e;
            }
        });
        t.start();
        t.join(20_000);
        if (t.isAlive()) {
            throw new AssertionError("scenario did not finish within 20 s (hang)");
        }
        if (other[0] != null) {
            throw new AssertionError(other[0]);
        }
        return seen[0];
    }

    /** Whether one of {@code runs} runs violates a property with a message containing {@code text}. */
    public static boolean violationWithin(int runs, Scenario s, String text) throws InterruptedException {
        for (int i = 0; i < runs; i++) {
            AssertionError e = runBounded(s);
            if (e != null) {
                assertTrue(e.getMessage().contains(text), e.getMessage());
                return true;
            }
        }
        return false;
    }

    /**
     * The spec's finding rq_v619_handover_hang; spec/conformance checks it
     * equal to its replay (FindingTestsTest: the head waits forever in the
     * same method, waitForNext, with no clock).
     */
    @Test
    void findingV619HeadWithoutSuccessorWaitsForever() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class, () -> explore(200,
                () -> HeadHandover.run(Harness.LockFactory.of(Version.V6_19), false)));
        assertTrue(e.getMessage().contains("has hung"), e.getMessage());
        assertTrue(e.getMessage().contains("waitForNext"), e.getMessage());
    }

    @Test
    void v615HeadWithoutSuccessorCancelsAndFinishes() {
        explore(INVOCATIONS, () -> HeadHandover.run(Harness.LockFactory.of(Version.V6_15), false));
    }
}
