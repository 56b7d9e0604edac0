package rqspin.storage.check;

import rqspin.lock.Errno;
import rqspin.storage.LockSite;

/**
 * A failed lock attempt of the local storage, injected or real, as the
 * {@link FailureInjector} recorded it.
 */
public final class LockFailure {
    private final LockSite site;
    private final Errno errno;
    private final boolean injected;
    private final int cpu;
    private final String lock;
    private final String selem;
    private final int attempt;

    public LockFailure(LockSite site, Errno errno, boolean injected, int cpu, String lock, String selem, int attempt) {
        this.site = site;
        this.errno = errno;
        this.injected = injected;
        this.cpu = cpu;
        this.lock = lock;
        this.selem = selem;
        this.attempt = attempt;
    }

    /** Where. */
    public LockSite site() {
        return site;
    }

    /** {@code EDEADLK} or {@code ETIMEDOUT}. */
    public Errno errno() {
        return errno;
    }

    /** Made to fail by the injector (false: the rqspinlock itself failed). */
    public boolean injected() {
        return injected;
    }

    /** The CPU. */
    public int cpu() {
        return cpu;
    }

    /** The lock's name, e.g. "b->lock m1[0]". */
    public String lock() {
        return lock;
    }

    /** The selem being handled, or null. */
    public String selem() {
        return selem;
    }

    /** The number of the attempt among all attempts of the kernel (from 1). */
    public int attempt() {
        return attempt;
    }

    @Override
    public String toString() {
        return "cpu" + cpu + " " + site.kernelFunction() + ": " + lock + (selem != null ? " for " + selem : "") + ": -" + errno
                + (injected ? " (injected)" : "") + " [attempt " + attempt + "]";
    }
}
