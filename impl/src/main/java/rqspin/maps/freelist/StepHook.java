package rqspin.maps.freelist;

import rqspin.lock.Cpu;

/**
 * A test seam: called before every {@link Step} of a push or pop, on the
 * thread of the CPU that takes it, with the head (a CPU number) the step is
 * about to touch. A hook may run a nested context on the same CPU
 * ({@code cpu.runNested(Context.NMI, ...)}), as an NMI arriving at that
 * point would, or block to force an interleaving.
 */
@FunctionalInterface
public interface StepHook {
    /** Called before {@code step} on {@code head}. */
    void before(Cpu cpu, Step step, int head);
}
