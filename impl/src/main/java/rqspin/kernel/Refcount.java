package rqspin.kernel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code refcount_t} (include/linux/refcount.h), with its saturation: an
 * operation that would overflow, or a decrement that would reach 0 or go
 * below without being a {@code dec_and_test}, stores {@link #SATURATED}
 * instead and WARNs (to the {@link Sanitizer}); a saturated counter stays
 * saturated. In the local storage: {@code local_storage->owner_refcnt}
 * [FINAL].
 *
 * <p>The count is an {@link AtomicInteger} written by every holder of a
 * reference. Each operation is an access to the object that embeds the count
 * ({@link Freeable#use}), named as {@code owner_refcnt}.
 */
public final class Refcount {
    /** REFCOUNT_SATURATED: INT_MIN / 2. */
    public static final int SATURATED = Integer.MIN_VALUE / 2;
    /** The WARN of a {@code refcount_dec} to 0 or below. */
    public static final String WARN_DEC_LEAK = "refcount_t: decrement hit 0; leaking memory";
    /** The WARN of a {@code refcount_dec_and_test} below 0. */
    public static final String WARN_UAF = "refcount_t: underflow; use-after-free";
    /** The WARN of an increment that overflows. */
    public static final String WARN_ADD_OVF = "refcount_t: saturated; leaking memory";

    private final AtomicInteger refs;
    private final Sanitizer sanitizer;
    private final Freeable holder;

    /** {@code refcount_set(r, initial)} for a count embedded in {@code holder}. */
    public Refcount(Sanitizer sanitizer, Freeable holder, int initial) {
        this.sanitizer = sanitizer;
        this.holder = holder;
        this.refs = new AtomicInteger(initial);
    }

    /** {@code refcount_read}. */
    public int read() {
        holder.use("read owner_refcnt");
        return refs.get();
    }

    /** The count now, without an access to its holder (audit and step conditions only). */
    public int readForAudit() {
        return refs.get();
    }

    /** {@code refcount_inc_not_zero}: false (nothing changed) at 0. */
    public boolean incNotZero() {
        holder.use("refcount_inc_not_zero(owner_refcnt)");
        for (;;) {
            int old = refs.get();
            if (old == 0) {
                return false;
            }
            if (refs.compareAndSet(old, old + 1)) {
                if (old < 0 || old + 1 < 0) {
                    saturate(WARN_ADD_OVF);
                }
                return true;
            }
        }
    }

    /** {@code refcount_dec}: a result of 0 or below is not kept: WARN and saturate. */
    public void dec() {
        dec(() -> { });
    }

    /**
     * {@code refcount_dec} as include/linux/refcount.h does it:
     * {@code atomic_fetch_sub_release} stores the new count; if the old one
     * was 1 or below, {@code beforeSaturate} runs (another CPU may read the
     * stored count, e.g. 0, meanwhile), then {@code refcount_warn_saturate}
     * stores {@link #SATURATED} and WARNs.
     */
    public void dec(Runnable beforeSaturate) {
        holder.use("refcount_dec(owner_refcnt)");
        int old = refs.getAndAdd(-1);
        if (old <= 1) {
            beforeSaturate.run();
            saturate(WARN_DEC_LEAK);
        }
    }

    /** {@code refcount_dec_and_test}: true when the count reaches 0; underflow WARNs and saturates. */
    public boolean decAndTest() {
        holder.use("refcount_dec_and_test(owner_refcnt)");
        int old = refs.getAndAdd(-1);
        if (old == 1) {
            return true;
        }
        if (old < 0 || old - 1 < 0) {
            saturate(WARN_UAF);
        }
        return false;
    }

    private void saturate(String warn) {
        refs.set(SATURATED);
        sanitizer.warn(warn, holder.name());
    }
}
