package rqspin.kernel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kernel memory that is freed through a free function and may be read under
 * RCU until its grace period ends: in the local storage an selem, a local
 * storage, a map or an owner. This is how the Java twin makes memory bugs
 * visible: the memory is poisoned once reclaimed, as KASAN does.
 *
 * <p>Life cycle: {@code LIVE} &rarr; {@code QUEUED} (handed to a free
 * function: {@code call_rcu}, {@code kfree_rcu}; readers inside a read-side
 * section that began before may still use it) &rarr; {@code FREED} (the
 * grace period ended and the callback reclaimed it: the object is
 * <em>poisoned</em>). An object freed without a grace period goes straight to
 * {@code FREED}.
 *
 * <p>Poisoning: every field access of the code that owns the object goes
 * through {@link #use(String)}; on a poisoned object it reports to the
 * {@link Sanitizer}, which records the use after free and throws. A second
 * hand-off to a free function is reported as a double free, which throws
 * too.
 *
 * <p>{@code life} is an {@link AtomicInteger} written by the freers (CAS
 * LIVE to QUEUED, then set FREED by the reclaimer) and read by every access.
 * {@code freedBy} is written once, by the winner of the CAS.
 *
 * <p>The protected methods are for the subclasses' own code (their field
 * accesses and free functions) and for the other primitives of this package
 * ({@link Hlist} and {@link Refcount} check the accesses they make to the
 * objects they belong to).
 */
public abstract class Freeable {
    private static final int LIVE = 0;
    private static final int QUEUED = 1;
    private static final int FREED = 2;

    private final Sanitizer sanitizer;
    private final String name;
    private final AtomicInteger life = new AtomicInteger(LIVE);
    private volatile String freedBy;

    /** Live memory named {@code name}, reporting to {@code sanitizer}. */
    protected Freeable(Sanitizer sanitizer, String name) {
        this.sanitizer = sanitizer;
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

    /** Whether it was handed to a free function whose grace period has not ended yet. */
    public final boolean isPendingFree() {
        return life.get() == QUEUED;
    }

    /** Who freed it ("bpf_selem_free by cpu0 in map_free", ...), or null. */
    public final String freedBy() {
        return freedBy;
    }

    /** The kind in kernel terms: "selem", "local_storage", "smap", "owner". */
    public abstract String kind();

    @Override
    public String toString() {
        return name;
    }

    /**
     * An access to a field of this object: reports a use after free (which
     * throws) if the object is poisoned.
     */
    protected final void use(String access) {
        if (life.get() == FREED) {
            sanitizer.useAfterFree(this, access, freedBy);
        }
    }

    /**
     * The hand-off to a free function ({@code call_rcu}, {@code kfree_rcu}):
     * LIVE to QUEUED. A second hand-off reports a double free (which throws).
     */
    protected final void queueFree(String by) {
        if (!life.compareAndSet(LIVE, QUEUED)) {
            sanitizer.doubleFree(this, by, freedBy, life.get() == FREED);
        }
        freedBy = by;
    }

    /** The end of the grace period: the memory is reclaimed and poisoned. */
    protected final void reclaim() {
        life.set(FREED);
        sanitizer.reclaimed(this);
    }

    /** {@code kfree} without a grace period. */
    protected final void freeNow(String by) {
        queueFree(by);
        reclaim();
    }
}
