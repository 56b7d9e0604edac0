package rqspin.storage;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code refcount_t} (include/linux/refcount.h), with its saturation: an
 * operation that would overflow, or a decrement that would reach 0 or go
 * below without being a {@code dec_and_test}, stores {@link #SATURATED}
 * instead and WARNs; a saturated counter stays saturated. Used for
 * {@code local_storage->owner_refcnt} [FINAL].
 */
final class Refcount {
    /** REFCOUNT_SATURATED: INT_MIN / 2. */
    static final int SATURATED = Integer.MIN_VALUE / 2;
    static final String WARN_DEC_LEAK = "refcount_t: decrement hit 0; leaking memory";
    static final String WARN_UAF = "refcount_t: underflow; use-after-free";
    static final String WARN_ADD_OVF = "refcount_t: saturated; leaking memory";

    private final AtomicInteger refs;
    private final Kernel kernel;
    private final Freeable holder;

    Refcount(Kernel kernel, Freeable holder, int initial) {
        this.kernel = kernel;
        this.holder = holder;
        this.refs = new AtomicInteger(initial);
    }

    /** {@code refcount_read}. */
    int read() {
        holder.use("read owner_refcnt");
        return refs.get();
    }

    /** {@code refcount_inc_not_zero}: false (nothing changed) at 0. */
    boolean incNotZero() {
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
    void dec() {
        holder.use("refcount_dec(owner_refcnt)");
        int old = refs.getAndAdd(-1);
        if (old <= 1) {
            saturate(WARN_DEC_LEAK);
        }
    }

    /** {@code refcount_dec_and_test}: true when the count reaches 0; underflow WARNs and saturates. */
    boolean decAndTest() {
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
        kernel.audit.warn(warn);
    }
}
