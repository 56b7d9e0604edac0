package rqspin.lock;

import org.jetbrains.lincheck.Lincheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Resilience of {@link RqSpinLock} under Lincheck's model checker
 * ({@code runConcurrentTest} explores the interleavings of the threads each
 * scenario starts): AA in a nested context returns EDEADLK; ABBA returns
 * EDEADLK to at least one attempt and leaves nothing held; a waiter behind
 * an owner that never releases returns ETIMEDOUT; after every scenario the
 * lock works for every CPU. {@link NegativeChecksTest} shows each of these
 * checks failing on QSpinLock or on a seeded mutant.
 */
class ResilienceTest {
    static final int INVOCATIONS = 100;

    @ParameterizedTest
    @EnumSource(Version.class)
    void aaInAnNmiReturnsEdeadlk(Version v) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> Scenarios.aaInNmi(v, Mutation.NONE));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void abbaReturnsEdeadlkToAnAttemptAndLeavesNothingHeld(Version v) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> Scenarios.abba(v, Mutation.NONE));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void abbaInAnyInterleavingEndsAndLeavesNothingHeld(Version v) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> Scenarios.abbaUnforced(v));
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void aWaiterBehindAStuckOwnerReturnsEtimedout(Version v) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> Scenarios.stuckOwner(v, Mutation.NONE));
    }
}
