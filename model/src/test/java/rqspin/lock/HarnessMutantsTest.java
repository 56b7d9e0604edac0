package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Test;
import rqspin.model.AaInNmi;
import rqspin.model.Abba;
import rqspin.model.AbortCascade;
import rqspin.model.Harness;
import rqspin.model.HarnessesTest;
import rqspin.model.HeadHandover;

/**
 * The harnesses can fail: each seeded mutant of {@link RqSpinLock} is caught
 * by the harness that targets it (in package rqspin.lock, the only place a
 * mutant can be built).
 */
class HarnessMutantsTest {

    static Harness.LockFactory mutant(Version v, Mutation m) {
        return (machine, name) -> new RqSpinLock(machine, v, name, m);
    }

    interface Scenario {
        void run() throws Exception;
    }

    static LincheckAssertionError fails(Scenario s) {
        return assertThrows(LincheckAssertionError.class, () -> Lincheck.runConcurrentTest(200, () -> {
            try {
                s.run();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }));
    }

    static void contains(LincheckAssertionError e, String text) {
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void withoutTheAbortCascadeTheWaitersBehindTheHeadHang() {
        contains(fails(() -> AbortCascade.run(mutant(Version.V6_19, Mutation.NO_ABORT_CASCADE))), "has hung");
    }

    @Test
    void withoutTheHandoverTheSuccessorFails() throws Exception {
        assertTrue(HarnessesTest.violationWithin(HarnessesTest.RUNS,
                () -> HeadHandover.run(mutant(Version.V6_19, Mutation.NO_HEAD_HANDOVER), true), "must not fail"));
    }

    /** Time stands still in the harness: an AA that is not detected is a CPU waiting forever. */
    @Test
    void withoutTheAaCheckTheNmiWaitsForever() {
        contains(fails(() -> AaInNmi.run(mutant(Version.V6_19, Mutation.NO_AA_CHECK))), "has hung");
    }

    @Test
    void withoutTheAbbaCheckBothCpusWaitForever() {
        contains(fails(() -> Abba.run(mutant(Version.V6_19, Mutation.NO_ABBA_CHECK))), "has hung");
    }
}
