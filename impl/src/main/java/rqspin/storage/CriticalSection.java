package rqspin.storage;

import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.RqSpinLock;
import rqspin.storage.check.Step;

/**
 * A critical section of the local storage: code that runs while one of its
 * rqspinlocks ({@code b->lock} or {@code local_storage->lock}) is held, and
 * {@link #locked}, the one way the local storage takes such a lock:
 *
 * <pre>
 * err = raw_res_spin_lock_irqsave(lock, flags);   // may fail: -EDEADLK, -ETIMEDOUT
 * if (err)
 *         goto out;                               // the caller decides what a failure means
 * ... body ...
 * raw_res_spin_unlock_irqrestore(lock, flags);
 * </pre>
 *
 * <p>Protocol of {@link #locked}: show {@code step} to the tracer, attempt the
 * lock at {@code site} through {@link Kernel#lock} (where the
 * {@link rqspin.storage.check.FailureInjector} may make it fail, and where every
 * failure is recorded), then either return the errno, or run the body and
 * unlock, also when the body throws. The trace of steps is the one the call
 * sites made by hand before: the step, then on a failure
 * {@link Step#LOCK_FAILED}, else the body's steps.
 *
 * <p>Under Java PathFinder the storage harnesses make {@code Kernel}'s
 * methods atomic ({@code vm.shared.never_break_methods}), and that setting
 * covers every method called from them; the body must keep its scheduling
 * points, so {@link #locked} is not a method of {@code Kernel}.
 *
 * @param <E> the checked exception the body may throw ({@code RuntimeException} for none)
 */
@FunctionalInterface
interface CriticalSection<E extends Exception> {
    /** The body, run while the lock is held. */
    void run() throws E;

    /**
     * Takes {@code lock} at {@code site} for {@code x} (and {@code ls}, for the
     * record of failures), runs {@code body} and unlocks; see the class
     * comment.
     *
     * @return null when the body ran, else the errno of the failed attempt (the body did not run)
     * @throws E what the body threw (the lock was released)
     */
    static <E extends Exception> Errno locked(Kernel k, Cpu cpu, Step step, LockSite site, RqSpinLock lock, Selem x,
            LocalStorage ls, CriticalSection<E> body) throws E {
        k.lockStep(cpu, step, x, lock);
        Errno err = k.lock(cpu, site, lock, x, ls);
        if (err != null) {
            return err;
        }
        k.lockHeld(cpu, lock, true);
        try {
            body.run();
        } finally {
            k.lockHeld(cpu, lock, false);
            lock.unlock(cpu);
        }
        return null;
    }
}
