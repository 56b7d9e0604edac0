package rqspin.lock;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A CPU's held-lock table ({@code struct rqspinlock_held}): a count and 31
 * slots, in acquisition order; the top entry is the lock being attempted or,
 * if none is being attempted, the last one taken. Entries beyond 31 are not
 * recorded, but the count still moves.
 *
 * <p>Written only by the owning CPU's thread (in any of its contexts), with
 * release stores ({@code lazySet}); read by every CPU's ABBA scan. Slots hold
 * lock ids (0 = NULL) so that each slot is an {@link AtomicInteger}, which
 * Java PathFinder supports.
 */
final class HeldLocks {
    /** RES_NR_HELD. */
    static final int NR_HELD = 31;

    /** Number of entries pushed (may exceed NR_HELD). */
    final AtomicInteger cnt = new AtomicInteger();
    /** Lock ids; 0 is NULL. */
    final AtomicInteger[] locks = new AtomicInteger[NR_HELD];

    HeldLocks() {
        for (int i = 0; i < NR_HELD; i++) {
            locks[i] = new AtomicInteger();
        }
    }

    /** {@code grab_held_lock_entry}: push, recording the lock only if it fits. */
    void grab(int lockId) {
        int c = cnt.get() + 1;
        cnt.lazySet(c);
        if (c <= NR_HELD) {
            locks[c - 1].lazySet(lockId);
        }
    }

    /** Clear the top slot (if recorded); the first half of {@code release_held_lock_entry}. */
    void clearTop() {
        int c = cnt.get();
        if (c <= NR_HELD) {
            locks[c - 1].lazySet(0);
        }
    }

    /** Decrement the count; the second half (release store, ordered after {@link #clearTop()}). */
    void decrement() {
        cnt.lazySet(cnt.get() - 1);
    }

    /** {@code release_held_lock_entry}: pop the top entry. */
    void release() {
        clearTop();
        decrement();
    }

    /** The recorded lock ids, bottom first (for messages and tests). */
    int[] snapshot() {
        int c = Math.min(NR_HELD, cnt.get());
        int[] ids = new int[Math.max(c, 0)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = locks[i].get();
        }
        return ids;
    }
}
