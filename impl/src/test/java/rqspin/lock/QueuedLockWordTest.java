package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The lock-word operations of qspinlock.h, shared by {@link QSpinLock} and
 * {@link RqSpinLock} through {@link QueuedLockWord}: each on a word in a known
 * state, and no copy of them left in either lock.
 */
class QueuedLockWordTest {
    private static final int TAIL_CPU1 = LockWord.encodeTail(1, 0);
    private static final int TAIL_CPU2 = LockWord.encodeTail(2, 1);

    private static QueuedLockWord word(int value) {
        QueuedLockWord w = new QSpinLock(Machine.of(4));
        w.word.set(value);
        return w;
    }

    @Test
    void trylockTakesOnlyAFreeWord() {
        QueuedLockWord free = word(0);
        assertTrue(free.trylock());
        assertEquals(LockWord.LOCKED_VAL, free.word.get(), "(0,0,1)");
        QueuedLockWord pending = word(LockWord.PENDING_VAL);
        assertFalse(pending.trylock());
        assertEquals(LockWord.PENDING_VAL, pending.word.get(), "unchanged");
    }

    @Test
    void fetchSetPendingReturnsTheOldWordAndSetsTheBit() {
        QueuedLockWord w = word(TAIL_CPU1 | LockWord.LOCKED_VAL);
        assertEquals(TAIL_CPU1 | LockWord.LOCKED_VAL, w.fetchSetPending());
        assertEquals(TAIL_CPU1 | LockWord.PENDING_VAL | LockWord.LOCKED_VAL, w.word.get());
        w.clearPending();
        assertEquals(TAIL_CPU1 | LockWord.LOCKED_VAL, w.word.get(), "clear_pending undoes it");
    }

    @Test
    void x86SetPendingIsABtsThenALaterRead() {
        QueuedLockWord w = word(LockWord.LOCKED_VAL);
        assertEquals(0, w.btsPending(), "the bit was clear");
        assertEquals(LockWord.PENDING_VAL | LockWord.LOCKED_VAL, w.word.get());
        w.word.set(TAIL_CPU1 | LockWord.PENDING_VAL); // between the two halves: owner gone, a tail came
        assertEquals(TAIL_CPU1, w.readRestAfterBts(0), "old pending bit | the rest as read now");
        QueuedLockWord taken = word(LockWord.PENDING_VAL);
        assertEquals(LockWord.PENDING_VAL, taken.btsPending(), "the bit was already set");
    }

    @Test
    void pendingToLockedAndSetLocked() {
        QueuedLockWord w = word(LockWord.PENDING_VAL);
        w.clearPendingSetLocked();
        assertEquals(LockWord.LOCKED_VAL, w.word.get(), "(0,1,0) -> (0,0,1)");
        QueuedLockWord head = word(TAIL_CPU1);
        head.setLocked();
        assertEquals(TAIL_CPU1 | LockWord.LOCKED_VAL, head.word.get(), "(n,0,0) -> (n,0,1)");
    }

    @Test
    void xchgTailKeepsLockedAndPendingAndReturnsTheOldTail() {
        QueuedLockWord w = word(TAIL_CPU1 | LockWord.PENDING_VAL | LockWord.LOCKED_VAL);
        assertEquals(TAIL_CPU1, w.xchgTail(TAIL_CPU2));
        assertEquals(TAIL_CPU2 | LockWord.PENDING_VAL | LockWord.LOCKED_VAL, w.word.get());
        assertEquals("(cpu2/1,1,1)", LockWord.describe(w.word.get()));
    }

    @Test
    void bothLocksShareTheOperationsAndCopyNone() {
        Set<String> shared = Arrays.stream(QueuedLockWord.class.getDeclaredMethods()).map(Method::getName)
                .collect(Collectors.toSet());
        assertEquals(Set.of("trylock", "fetchSetPending", "btsPending", "readRestAfterBts", "queuedFetchSetPending", "clearPending",
                "clearPendingSetLocked", "setLocked", "xchgTail"), shared);
        for (Class<?> lock : new Class<?>[] {QSpinLock.class, RqSpinLock.class}) {
            assertSame(QueuedLockWord.class, lock.getSuperclass(), lock.getSimpleName());
            for (Method m : lock.getDeclaredMethods()) {
                assertFalse(shared.contains(m.getName()), lock.getSimpleName() + " has its own copy of " + m.getName());
            }
        }
    }
}
