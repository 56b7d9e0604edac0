package rqspin.storage.check;

import java.util.Objects;
import rqspin.lock.Errno;
import rqspin.storage.LockSite;

/**
 * A failed lock attempt of the local storage, injected or real, as the
 * {@link FailureInjector} recorded it.
 *
 * <p>A record that declares {@link #equals}, {@link #hashCode} and
 * {@link #toString} itself: Java PathFinder (jpf-core java-17) cannot run
 * the implicit ones, whose {@code invokedynamic} to
 * {@code java.lang.runtime.ObjectMethods} silently ends the calling thread,
 * and the storage harnesses create and print these (see model/README.md;
 * {@code RecordsUnderJpfTest} keeps every record of impl that way).
 *
 * @param site where
 * @param errno {@code EDEADLK} or {@code ETIMEDOUT}
 * @param injected made to fail by the injector (false: the rqspinlock itself failed)
 * @param cpu the CPU
 * @param lock the lock's name, e.g. "b->lock m1[0]"
 * @param selem the selem being handled, or null
 * @param attempt the number of the attempt among all attempts of the kernel (from 1)
 */
public record LockFailure(LockSite site, Errno errno, boolean injected, int cpu, String lock, String selem,
        int attempt) {

    @Override
    public boolean equals(Object o) {
        return o instanceof LockFailure f && site == f.site && errno == f.errno && injected == f.injected
                && cpu == f.cpu && Objects.equals(lock, f.lock) && Objects.equals(selem, f.selem)
                && attempt == f.attempt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(site, errno, injected, cpu, lock, selem, attempt);
    }

    @Override
    public String toString() {
        return "cpu" + cpu + " " + site.kernelFunction() + ": " + lock + (selem != null ? " for " + selem : "") + ": -" + errno
                + (injected ? " (injected)" : "") + " [attempt " + attempt + "]";
    }
}
