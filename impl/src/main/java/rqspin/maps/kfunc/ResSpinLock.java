package rqspin.maps.kfunc;

import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.LockFailedException;
import rqspin.lock.RqSpinLock;

/**
 * {@code raw_res_spin_lock_irqsave} as the maps call it: the one way a map
 * of this package family takes its rqspinlock. It asks the map's
 * {@link FailureInjector} first (a rule may make the attempt fail without
 * touching the lock), then attempts the real lock; either failure is
 * recorded with its site and returned as the kernel's negative errno, and
 * the lock is then not held. Interrupts are not modelled apart from the
 * nested contexts of {@link Cpu#runNested}: the irqsave form matters here
 * only as the form the maps use.
 */
public final class ResSpinLock {
    private ResSpinLock() {
    }

    /**
     * Attempts {@code lock} for the current context of {@code cpu} at
     * {@code site}.
     *
     * @return 0 when the lock is held (the caller must unlock it), else
     *         {@link MapErrno#EDEADLK} or {@link MapErrno#ETIMEDOUT} (nothing is held)
     */
    public static <S extends Enum<S>> int lockAt(FailureInjector<S> injector, S site, Cpu cpu, RqSpinLock lock) {
        Errno e = injector.decide(site, cpu.id());
        if (e != null) {
            return e.kernelReturn();
        }
        try {
            lock.lock(cpu);
            return 0;
        } catch (LockFailedException f) {
            injector.recordReal(site, f.errno(), cpu.id());
            return f.errno().kernelReturn();
        }
    }
}
