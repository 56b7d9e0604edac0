package rqspin.storage;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory that can be freed: an {@link Selem}, a {@link LocalStorage}, a
 * {@link LocalStorageMap} or an {@link Owner}. This is how the Java twin
 * makes memory bugs visible.
 *
 * <p>Life cycle: {@code LIVE} &rarr; {@code QUEUED} (handed to a free
 * function: {@code call_rcu}, {@code kfree_rcu}; readers inside a read-side
 * section that began before may still use it) &rarr; {@code FREED} (the
 * grace period ended and the callback reclaimed it: the object is
 * <em>poisoned</em>). An object freed without a grace period goes straight to
 * {@code FREED}.
 *
 * <p>Poisoning: every field access of the local storage code goes through
 * {@link #use(String)}; on a poisoned object it records a
 * {@link Violation.Property#P5_NO_USE_AFTER_FREE} and throws a
 * {@link UseAfterFreeError} naming the object, the access and who freed it.
 * A second hand-off to a free function records
 * {@link Violation.Property#P1_NO_DOUBLE_FREE} and throws a
 * {@link DoubleFreeError}.
 *
 * <p>{@code life} is an {@link AtomicInteger} written by the freers (CAS
 * LIVE to QUEUED, then set FREED by the reclaimer) and read by every access.
 * {@code freedBy} is written once, by the winner of the CAS.
 * {@code failureSeen} (audit only, not a kernel field) is set when a lock
 * attempt that concerned this object failed: it is what makes a leak of the
 * object one that P7 allows.
 */
public abstract class Freeable {
    static final int LIVE = 0;
    static final int QUEUED = 1;
    static final int FREED = 2;

    final Kernel kernel;
    private final String name;
    private final AtomicInteger life = new AtomicInteger(LIVE);
    private volatile String freedBy;
    /** Audit only: a failed lock attempt concerned this object (P7). */
    volatile boolean failureSeen;

    Freeable(Kernel kernel, String name) {
        this.kernel = kernel;
        this.name = name;
    }

    /** The object's name, e.g. "x3" (selem), "ls2", "m1", "o1". */
    public final String name() {
        return name;
    }

    /** Whether it was freed and reclaimed (poisoned). */
    public final boolean isFreed() {
        return life.get() == FREED;
    }

    /** Whether it was handed to a free function (reclaimed or not yet). */
    public final boolean isFreeQueued() {
        return life.get() != LIVE;
    }

    /** Who freed it ("bpf_selem_free by cpu0 in map_free", ...), or null. */
    public final String freedBy() {
        return freedBy;
    }

    /** Whether a failed lock attempt concerned it (what makes a leak one that P7 allows). */
    public final boolean failureSeen() {
        return failureSeen;
    }

    /** The kind in kernel terms: "selem", "local_storage", "smap", "owner". */
    abstract String kind();

    @Override
    public String toString() {
        return name;
    }

    /**
     * An access to a field of this object: throws {@link UseAfterFreeError}
     * (after recording it) if the object is poisoned.
     */
    final void use(String access) {
        if (life.get() == FREED) {
            kernel.audit.useAfterFree(this, access, freedBy);
        }
    }

    /** Raw life state, for the audit. */
    final int life() {
        return life.get();
    }

    /**
     * The hand-off to a free function ({@code call_rcu}, {@code kfree_rcu}):
     * LIVE to QUEUED. A second hand-off records P1 and throws
     * {@link DoubleFreeError}.
     */
    final void queueFree(String by) {
        if (!life.compareAndSet(LIVE, QUEUED)) {
            kernel.audit.doubleFree(this, by, freedBy, life.get() == FREED);
        }
        freedBy = by;
    }

    /** The end of the grace period: the memory is reclaimed and poisoned. */
    final void reclaim() {
        life.set(FREED);
        kernel.audit.reclaimed(this);
    }

    /** {@code kfree} without a grace period. */
    final void freeNow(String by) {
        queueFree(by);
        reclaim();
    }
}
