package rqspin.maps.kfunc;

import rqspin.lock.Cpu;

/**
 * Code that runs on the CPU of a map operation right after the operation
 * took its lock at {@code site}, while it holds it: what a BPF program
 * attached inside the critical section would run (a tracepoint, a kprobe, or
 * a perf event's NMI). A test uses it to run an NMI program on the same CPU
 * ({@code cpu.runNested(Context.NMI, ...)}) that takes the same lock, which
 * rqspinlock answers with {@code -EDEADLK}.
 *
 * @param <S> the map's enum of lock sites
 */
@FunctionalInterface
public interface CriticalSectionHook<S extends Enum<S>> {
    /** Runs on {@code cpu}'s thread while the lock taken at {@code site} is held. */
    void inCriticalSection(S site, Cpu cpu);
}
