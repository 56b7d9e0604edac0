package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Test;

/**
 * The resilience checks can fail: {@link QSpinLock} hangs in the AA and ABBA
 * scenarios and Lincheck reports the hang; each seeded mutant of
 * {@link RqSpinLock} is caught by the scenario that targets it.
 */
class NegativeChecksTest {

    private static LincheckAssertionError failsUnderLincheck(Runnable scenario) {
        return assertThrows(LincheckAssertionError.class, () -> Lincheck.runConcurrentTest(200, scenario));
    }

    private static void assertHang(LincheckAssertionError e) {
        assertTrue(e.getMessage().contains("has hung"), e.getMessage());
    }

    private static void assertViolation(LincheckAssertionError e, String expected) {
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void qspinlockHangsOnAaInAnNmi() {
        assertHang(failsUnderLincheck(() -> {
            Machine m = Scenarios.machine(1);
            QSpinLock a = new QSpinLock(m, "A");
            Cpu cpu = m.attach(0);
            a.lock(cpu);
            cpu.runNested(Context.NMI, () -> {
                a.lock(cpu);
                a.unlock();
            });
            a.unlock();
        }));
    }

    @Test
    void qspinlockHangsOnAbba() {
        assertHang(failsUnderLincheck(() -> {
            Machine m = Scenarios.machine(2);
            QSpinLock a = new QSpinLock(m, "A");
            QSpinLock b = new QSpinLock(m, "B");
            AtomicInteger holding = new AtomicInteger();
            Scenarios.onCpus(m, cpu -> {
                a.lock(cpu);
                holding.getAndIncrement();
                Scenarios.spinUntil(holding, 2);
                b.lock(cpu);
                b.unlock();
                a.unlock();
            }, cpu -> {
                b.lock(cpu);
                holding.getAndIncrement();
                Scenarios.spinUntil(holding, 2);
                a.lock(cpu);
                a.unlock();
                b.unlock();
            });
        }));
    }

    @Test
    void withoutTheAaCheckAnNmiTimesOutInsteadOfEdeadlk() {
        assertViolation(failsUnderLincheck(() -> Scenarios.aaInNmi(Version.V6_19, Mutation.NO_AA_CHECK)),
                "AA in an NMI must return -EDEADLK");
    }

    @Test
    void withoutTheAbbaCheckAbbaEndsByTimeout() {
        assertViolation(failsUnderLincheck(() -> Scenarios.abba(Version.V6_19, Mutation.NO_ABBA_CHECK)),
                "ABBA must give -EDEADLK");
    }

    @Test
    void withoutTimeoutsAWaiterBehindAStuckOwnerHangs() {
        assertHang(failsUnderLincheck(() -> Scenarios.stuckOwner(Version.V6_19, Mutation.NO_TIMEOUT)));
    }

    @Test
    void aFailingPendingWaiterThatKeepsItsBitBreaksTheLockForEveryone() {
        assertViolation(failsUnderLincheck(
                () -> Scenarios.stuckOwner(Version.V6_19, Mutation.KEEP_PENDING_ON_FAILURE)), "left in state");
    }
}
