package rqspin.storage;

import rqspin.lock.Cpu;
import rqspin.storage.check.FailureInjector;

/**
 * The answer of {@code need_resched()} in the walk of
 * {@code bpf_local_storage_map_free} [FINAL]: when it is true, map_free calls
 * {@code cond_resched_rcu()} (a grace period may end) and restarts at the head
 * of the bucket. Asked after every unlinked selem.
 */
@FunctionalInterface
public interface NeedResched {
    /** Never: the walk runs through each bucket once (the default). */
    NeedResched NEVER = (cpu, x) -> false;

    /** Whether the CPU should reschedule after unlinking {@code x}. */
    boolean needResched(Cpu cpu, Selem x);

    /** True on the first {@code n} questions, then false. */
    static NeedResched firstTimes(int n) {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(n);
        return (cpu, x) -> left.getAndAdd(-1) > 0;
    }

    /** True with probability {@code p}, from a seeded hash of the question's number. */
    static NeedResched random(long seed, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "probability must be in [0,1], got " + p);
        }
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return (cpu, x) -> FailureInjector.unit(seed, n.getAndIncrement()) < p;
    }
}
