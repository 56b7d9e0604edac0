package rqspin.storage.check;

import rqspin.lock.Cpu;

/**
 * Sees every {@link Step} of the local storage before the CPU runs it, on
 * that CPU's thread. A tracer may block (to hold a CPU at a step while
 * another runs: that is how a scenario test forces an interleaving), record,
 * or throw to abort the operation. It must not call the local storage.
 * Installed with {@link rqspin.storage.Kernel#setTracer}; none by default.
 */
@FunctionalInterface
public interface Tracer {
    /**
     * {@code cpu} is about to run {@code step} on {@code subject} (a
     * {@link rqspin.storage.Selem}, {@link rqspin.storage.LocalStorage},
     * {@link rqspin.storage.LocalStorageMap}, {@link rqspin.storage.Owner} or
     * {@link LockFailure}; may be null).
     */
    void at(Cpu cpu, Step step, Object subject);
}
