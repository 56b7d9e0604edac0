package rqspin.lock;

import static rqspin.lock.LockWord.LOCKED_VAL;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Benchmark-only ablations of {@link RqSpinLock}'s uncontended path, to show
 * where its cost over {@link QSpinLock} comes from; none of these is a lock
 * anyone should use. Each takes the lock word from 0 with the fast path's
 * cmpxchg and releases it with the same atomic add as both real locks, and
 * differs only in what it does to a held-lock table:
 * <ul>
 * <li>{@link #lockNoTable}: nothing (QSpinLock's fast path, without its CPU
 *     checks);</li>
 * <li>{@link #lockPlainTable}: the kernel's four table stores (count and
 *     slot on grab, slot and count on release, the entry pushed before the
 *     cmpxchg as since v6.19) as plain stores into an {@code int[]}: what
 *     the stores cost without any ordering;</li>
 * <li>{@link #lockReleaseTable}: the same four stores as release stores
 *     through {@link HeldLocks}, as {@link RqSpinLock} does them (the
 *     cheapest ordered store Java PathFinder's model of
 *     {@code AtomicIntegerArray} has), still without CPU checks, step gate
 *     or misuse record;</li>
 * <li>{@link #lockOpaqueTable}: the same four stores as opaque stores
 *     ({@code setOpaque}) into the same layout: Java's closest match of the
 *     kernel's {@code WRITE_ONCE} and {@code this_cpu_write} (atomic,
 *     eventually visible to the other CPUs, no ordering), which Java
 *     PathFinder's model of {@code AtomicIntegerArray} does not have.</li>
 * </ul>
 * Uncontended use only: a failed cmpxchg throws.
 */
public final class FastPathAblation extends QueuedLockWord {
    private final HeldLocks held = new HeldLocks(HeldLocks.NR_HELD);
    /** The plain table: element 0 the count, then the slots; written by the benchmark thread only. */
    private final int[] plain = new int[1 + HeldLocks.NR_HELD];
    /** The opaque table, same layout; written by the benchmark thread only. */
    private final AtomicIntegerArray opaque = new AtomicIntegerArray(1 + HeldLocks.NR_HELD);
    /** The benchmark thread's copy of the opaque table's count (as HeldLocks keeps its own). */
    private int opaqueTop;
    private final int id = 1;

    private void cmpxchgOrFail() {
        if (!word.compareAndSet(0, LOCKED_VAL)) {
            throw new IllegalStateException("FastPathAblation is for uncontended use only");
        }
    }

    /** Fast-path cmpxchg, no table. */
    public void lockNoTable() {
        cmpxchgOrFail();
    }

    /** Release of {@link #lockNoTable}. */
    public void unlockNoTable() {
        word.getAndAdd(-LOCKED_VAL);
    }

    /** Push the entry with two plain stores, then the cmpxchg. */
    public void lockPlainTable() {
        int c = ++plain[0];
        if (c <= HeldLocks.NR_HELD) {
            plain[c] = id;
        }
        cmpxchgOrFail();
    }

    /** Release, then pop the entry with two plain stores. */
    public void unlockPlainTable() {
        word.getAndAdd(-LOCKED_VAL);
        int c = plain[0];
        if (c <= HeldLocks.NR_HELD) {
            plain[c] = 0;
        }
        plain[0] = c - 1;
    }

    /** Push the entry as RqSpinLock does ({@link HeldLocks#grab}: release stores), then the cmpxchg. */
    public void lockReleaseTable() {
        held.grab(id);
        cmpxchgOrFail();
    }

    /** Release, then pop as RqSpinLock does ({@link HeldLocks#release}). */
    public void unlockReleaseTable() {
        word.getAndAdd(-LOCKED_VAL);
        held.release();
    }

    /** Push the entry with two opaque stores, then the cmpxchg. */
    public void lockOpaqueTable() {
        int c = ++opaqueTop;
        opaque.setOpaque(0, c);
        if (c <= HeldLocks.NR_HELD) {
            opaque.setOpaque(c, id);
        }
        cmpxchgOrFail();
    }

    /** Release, then pop the entry with two opaque stores. */
    public void unlockOpaqueTable() {
        word.getAndAdd(-LOCKED_VAL);
        int c = opaqueTop;
        if (c <= HeldLocks.NR_HELD) {
            opaque.setOpaque(c, 0);
        }
        opaque.setOpaque(0, opaqueTop = c - 1);
    }
}
