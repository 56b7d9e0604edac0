package rqspin.lock;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A CPU's held-lock table ({@code struct rqspinlock_held}): a count and 31
 * slots (RES_NR_HELD; fewer if the machine says so), in acquisition order;
 * the top entry is the lock being attempted or, if none is being attempted,
 * the last one taken. Entries beyond the slots are not recorded, but the
 * count still moves.
 *
 * <p>Layout: one {@link AtomicIntegerArray}, the count in element 0 and
 * slot {@code i} in element {@code i + 1}, holding lock ids (0 = NULL). One
 * object, so the count and the first slots share a cache line as in the
 * kernel's struct, and the fast path follows no reference per slot; the
 * class's {@code get} and {@code lazySet} are in Java PathFinder's model.
 *
 * <p>Written only by the owning CPU's thread (in any of its contexts), with
 * release stores ({@code lazySet}); read by every CPU's ABBA scan through
 * {@link #count()} and {@link #lockAt}. The owning thread keeps its own copy
 * of the count in the plain field {@link #top}, equal to the published count
 * whenever that thread runs (it is the only writer of both), so that the
 * lock and unlock paths read nothing volatile here: like the kernel's
 * {@code this_cpu_inc_return}, which reads its own CPU's count with no
 * barrier.
 */
final class HeldLocks {
    /** RES_NR_HELD, the kernel's number of slots. */
    static final int NR_HELD = 31;

    /** The number of slots of this table (NR_HELD unless the machine sets fewer). */
    final int nrHeld;
    /** Element 0: the count (may exceed nrHeld); elements 1..nrHeld: the slots. */
    private final AtomicIntegerArray table;
    /** The owner thread's copy of the count; read and written by the owning CPU's thread only. */
    private int top;

    HeldLocks(int nrHeld) {
        this.nrHeld = nrHeld;
        this.table = new AtomicIntegerArray(1 + nrHeld);
    }

    /** The published count, as another CPU's scan reads it (may exceed nrHeld). */
    int count() {
        return table.get(0);
    }

    /** Slot {@code i} (0-based, below nrHeld): a lock id, or 0 for NULL. */
    int lockAt(int i) {
        return table.get(i + 1);
    }

    /** {@code grab_held_lock_entry}: push, recording the lock only if it fits. */
    void grab(int lockId) {
        int c = ++top;
        table.lazySet(0, c);
        if (c <= nrHeld) {
            table.lazySet(c, lockId);
        }
    }

    /** Clear the top slot (if recorded); the first half of {@code release_held_lock_entry}. */
    void clearTop() {
        int c = top;
        if (c <= nrHeld) {
            table.lazySet(c, 0);
        }
    }

    /** Decrement the count; the second half (release store, ordered after {@link #clearTop()}). */
    void decrement() {
        table.lazySet(0, --top);
    }

    /** {@code release_held_lock_entry}: pop the top entry. */
    void release() {
        clearTop();
        decrement();
    }

    /** The recorded lock ids, bottom first (for messages and tests). */
    int[] snapshot() {
        int c = Math.min(nrHeld, count());
        int[] ids = new int[Math.max(c, 0)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = lockAt(i);
        }
        return ids;
    }
}
