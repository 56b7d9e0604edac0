package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Mutual exclusion: a counter guarded by an {@link RqSpinLock} is
 * linearizable, in Lincheck's stress and model-checking modes, for each
 * version. The counter's increment is a plain read-modify-write, so two
 * CPUs inside the critical section at once lose an update, which Lincheck
 * reports; {@link #aHeadThatIgnoresThePendingWaiterBreaksMutualExclusion}
 * shows it does for a seeded bug.
 *
 * <p>A failed attempt (only a timeout can happen here) is retried, so every
 * operation completes, and a failure never touches the counter.
 */
class MutualExclusionTest {

    /**
     * Gives the step gate of each counter's machine: null, except when the
     * conformance module records a sample of the stress run to check it
     * against the spec (spec/conformance, rqspin.lock.LincheckSampleTest); a
     * recorder serializes the lock's steps and changes nothing this test checks.
     */
    static java.util.function.Supplier<StepGate> recorders;

    /** The object under test: a counter whose every access takes the lock. */
    abstract static class GuardedCounter {
        /**
         * 3 worker threads + the thread running the init/post parts. T is a
         * million clock reads: long enough that a waiter does not give up
         * while the scheduler (or the model checker) holds the owner back.
         * With a short T, retrying failed attempts at once can keep an abort
         * cascade alive forever while the lock is free (see lincheck/README.md).
         */
        private final Machine machine = Machine.builder(4).clock(Clock.logical(1)).timeoutNanos(1_000_000)
                .checkPeriod(1).stepGate(recorders == null ? null : recorders.get()).build();
        private final RqSpinLock lock;
        private int value; // guarded by lock

        GuardedCounter(Version version, Mutation mutation) {
            lock = new RqSpinLock(machine, version, "L", mutation);
        }

        private Cpu cpu() {
            return machine.isAttached() ? machine.current() : machine.attach();
        }

        private Cpu lockRetrying() {
            Cpu c = cpu();
            for (;;) {
                try {
                    lock.lock(c);
                    return c;
                } catch (LockFailedException e) {
                    if (e.reason() != FailureReason.TIMEOUT && e.reason() != FailureReason.QUEUE_ABORTED) {
                        throw new AssertionError("only timeouts can end an attempt here: " + e.getMessage());
                    }
                }
            }
        }

        @Operation
        public int incrementAndGet() {
            Cpu c = lockRetrying();
            try {
                int v = value;
                value = v + 1;
                return v + 1;
            } finally {
                lock.unlock(c);
            }
        }

        @Operation
        public int get() {
            Cpu c = lockRetrying();
            try {
                return value;
            } finally {
                lock.unlock(c);
            }
        }
    }

    public static class CounterV615 extends GuardedCounter {
        public CounterV615() {
            super(Version.V6_15, Mutation.NONE);
        }
    }

    public static class CounterV619 extends GuardedCounter {
        public CounterV619() {
            super(Version.V6_19, Mutation.NONE);
        }
    }

    public static class CounterHeadIgnoresPending extends GuardedCounter {
        public CounterHeadIgnoresPending() {
            super(Version.V6_19, Mutation.HEAD_IGNORES_PENDING);
        }
    }

    static ModelCheckingOptions modelChecking() {
        return new ModelCheckingOptions().iterations(10).invocationsPerIteration(500)
                .threads(3).actorsPerThread(2).actorsBefore(0).actorsAfter(0);
    }

    static StressOptions stress() {
        return new StressOptions().iterations(10).invocationsPerIteration(1000)
                .threads(3).actorsPerThread(3).actorsBefore(0).actorsAfter(0);
    }

    @Test
    void modelCheckingV615() {
        modelChecking().check(CounterV615.class);
    }

    @Test
    void modelCheckingV619() {
        modelChecking().check(CounterV619.class);
    }

    @Test
    void stressV615() {
        stress().check(CounterV615.class);
    }

    @Test
    void stressV619() {
        stress().check(CounterV619.class);
    }

    @Test
    void aHeadThatIgnoresThePendingWaiterBreaksMutualExclusion() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> modelChecking().iterations(20).invocationsPerIteration(1000)
                        .check(CounterHeadIgnoresPending.class));
        assertTrue(e.getMessage().contains("Invalid execution results")
                || e.getMessage().contains("hung") || e.getMessage().contains("exception"), e.getMessage());
    }
}
