package rqspin.storage.check;

import java.util.function.BooleanSupplier;
import rqspin.lock.Cpu;
import rqspin.lock.RqSpinLock;

/**
 * A seam for the conformance tools: sees every {@link Step} of the local
 * storage (on the CPU's thread) and decides when a CPU may take each gate
 * step, which makes a run a sequence of spec steps. None by default
 * ({@link rqspin.storage.Kernel#setStepGate}); with none installed the
 * local storage pays one volatile read per step.
 *
 * <p>Protocol, for every step the local storage announces:
 * {@link #arrive}, then the installed {@link Tracer}, then {@link #depart};
 * then the step's code runs. For a gate step, the code from {@code depart}
 * to the CPU's next {@code arrive} at a gate is one spec step.
 * {@link #opEnd} is told when a public operation returns or throws,
 * {@link #callbackEnd} when an RCU callback is over, and {@link #lockHeld}
 * when a CPU takes or is about to release one of the local storage's locks. The conditions of a {@link Guard} are read only
 * while every CPU of the run is at a gate or outside the local storage.
 */
public interface StepGate {

    /**
     * What a gate step needs to be taken, as the spec's action requires it.
     * Not a record: Java PathFinder runs this package too (see {@link LockFailure}).
     */
    final class Guard {
        /** The lock the step attempts first (the spec takes the attempt and its critical section as one step), or null. */
        public final RqSpinLock lock;
        /** The step's enabling condition (a grace period ended, a barrier is done, no user is left, ...), or null. */
        public final BooleanSupplier enabled;
        /**
         * Whether the CPU waits for {@code enabled} (without a gate the local
         * storage spins on it); if not, a false condition means the spec never
         * takes the step (an operation on a map or owner being torn down) and
         * the Java twin goes on to reject it.
         */
        public final boolean waits;
        /** When the Java twin stops a wait the kernel would never end (it records P9), or null. */
        public final BooleanSupplier escape;
        /** The map of an operation's first step (the step's subject is the owner), or null. */
        public final Object map;

        public Guard(RqSpinLock lock, BooleanSupplier enabled, boolean waits, BooleanSupplier escape, Object map) {
            this.lock = lock;
            this.enabled = enabled;
            this.waits = waits;
            this.escape = escape;
            this.map = map;
        }
    }

    /**
     * {@code cpu} reaches {@code step} (gate or not; {@code guard} is null
     * for a step that needs nothing): for a gate step, the gate may block
     * until the CPU may take it.
     */
    void arrive(Cpu cpu, Step step, Object subject, Guard guard);

    /** After the tracer: the CPU runs {@code step} now (the gate may block once more). */
    default void depart(Cpu cpu, Step step, Object subject, Guard guard) {
    }

    /** {@code cpu} took ({@code held}) or is about to release one of the local storage's locks. */
    default void lockHeld(Cpu cpu, RqSpinLock lock, boolean held) {
    }

    /** The RCU callback that began with {@link Step#RCU_CALLBACK} on {@code cpu} and freed {@code object} is over. */
    default void callbackEnd(Cpu cpu, Object object) {
    }

    /**
     * A public operation ({@code update}, {@code lookup}, {@code delete},
     * {@code mapFree}, {@code destroy}) on {@code cpu} is over: {@code thrown}
     * is what it threw, or null if it returned.
     */
    default void opEnd(Cpu cpu, Throwable thrown) {
    }
}
