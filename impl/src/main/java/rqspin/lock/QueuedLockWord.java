package rqspin.lock;

import static rqspin.lock.LockWord.LOCKED_PENDING_MASK;
import static rqspin.lock.LockWord.LOCKED_VAL;
import static rqspin.lock.LockWord.PENDING_MASK;
import static rqspin.lock.LockWord.PENDING_VAL;
import static rqspin.lock.LockWord.TAIL_MASK;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lock word of a queued spin lock and the operations on it that
 * kernel/locking/qspinlock.h shares between {@code qspinlock} and
 * {@code rqspinlock}: {@link QSpinLock} and {@link RqSpinLock} both extend
 * this class, as both kernel locks include that header. The word is laid
 * out as in {@link LockWord}: (tail, pending, locked).
 *
 * <p>Invariant: every write to {@link #word} is an atomic operation on the
 * whole word (compareAndSet or getAndAdd); the kernel's byte and halfword
 * stores become adds or CAS loops with the same effect, each applied only
 * when the caller knows the bits it changes (e.g. {@link #clearPending} only
 * by the CPU that set the bit).
 *
 * <p>Each method reads the field {@code word} at every access, as the code it
 * replaces did: under Java PathFinder each read of that final field is a
 * scheduling point (the .jpf files set {@code vm.shared.skip_finals = false}),
 * so the operations keep the interleavings they had when each lock class had
 * its own copy. A subclass, not a holder object or static helpers taking the
 * {@link AtomicInteger}: no extra indirection on the fast path, and no change
 * in what JPF explores.
 */
abstract class QueuedLockWord {
    /** The lock word (tail, pending, locked); written by every CPU through atomic operations only. */
    final AtomicInteger word = new AtomicInteger();

    QueuedLockWord() {
    }

    /** {@code queued_spin_trylock}: 0 to (0,0,1). */
    final boolean trylock() {
        return word.get() == 0 && word.compareAndSet(0, LOCKED_VAL);
    }

    /** {@code queued_fetch_set_pending_acquire}: atomic fetch-or of the pending bit; returns the old word. */
    final int fetchSetPending() {
        for (;;) {
            int old = word.get();
            if (word.compareAndSet(old, old | PENDING_VAL)) {
                return old;
            }
        }
    }

    /**
     * x86's {@code queued_fetch_set_pending_acquire}, first half: {@code lock btsl} of the pending bit;
     * returns the old pending bit (as {@code PENDING_VAL} or 0). The rest of the word is read separately
     * ({@link #readRestAfterBts}).
     */
    final int btsPending() {
        for (;;) {
            int old = word.get();
            if (word.compareAndSet(old, old | PENDING_VAL)) {
                return old & PENDING_VAL;
            }
        }
    }

    /** x86's second half: {@code val |= atomic_read(&lock->val) & ~_Q_PENDING_MASK}. */
    final int readRestAfterBts(int oldPending) {
        return oldPending | (word.get() & ~PENDING_MASK);
    }

    /**
     * The step {@code queued_fetch_set_pending_acquire} as the architecture
     * does it, reported to {@code gate} (null: none) for this lock: one
     * fetch_or, or, on x86 ({@code x86}), the {@code lock btsl} and then the
     * separate read of the rest of the word (step
     * {@code queued_fetch_set_pending_read}), with a scheduling point between
     * them. The caller has called {@code gate.before} for the first step.
     * Returns the old word as the pending waiter sees it.
     */
    final int queuedFetchSetPending(Cpu cpu, StepGate gate, boolean x86) {
        if (!x86) {
            int val = fetchSetPending();
            if (gate != null) {
                gate.took(cpu, Step.queued_fetch_set_pending_acquire, this);
            }
            return val;
        }
        int oldPending = btsPending();
        if (gate != null) {
            gate.took(cpu, Step.queued_fetch_set_pending_acquire, this);
            gate.before(cpu);
        }
        int val = readRestAfterBts(oldPending);
        if (gate != null) {
            gate.took(cpu, Step.queued_fetch_set_pending_read, this);
        }
        return val;
    }

    /** {@code clear_pending}: *,1,* to *,0,* (the caller set the bit). */
    final void clearPending() {
        word.getAndAdd(-PENDING_VAL);
    }

    /** {@code clear_pending_set_locked}: *,1,0 to *,0,1. */
    final void clearPendingSetLocked() {
        word.getAndAdd(LOCKED_VAL - PENDING_VAL);
    }

    /** {@code set_locked}: *,*,0 to *,*,1. */
    final void setLocked() {
        word.getAndAdd(LOCKED_VAL);
    }

    /** {@code xchg_tail}: replace the tail, keep locked and pending; returns the old tail bits. */
    final int xchgTail(int tail) {
        for (;;) {
            int old = word.get();
            if (word.compareAndSet(old, (old & LOCKED_PENDING_MASK) | tail)) {
                return old & TAIL_MASK;
            }
        }
    }
}
