package rqspin.maps.freelist;

import java.util.Objects;
import rqspin.lock.Context;
import rqspin.lock.Errno;

/**
 * One failed lock attempt of the free list: where (site and the head's
 * CPU), who (CPU and context), what the attempt returned, and whether the
 * injector made it fail or the lock itself did (AA, ABBA, timeout).
 */
public record LockFailure(LockSite site, int head, int cpu, Context context, Errno errno, boolean injected) {
    @Override
    public boolean equals(Object o) {
        return o instanceof LockFailure f && site == f.site && head == f.head && cpu == f.cpu
                && context == f.context && errno == f.errno && injected == f.injected;
    }

    @Override
    public int hashCode() {
        return Objects.hash(site, head, cpu, context, errno, injected);
    }

    @Override
    public String toString() {
        return site.kernel() + " on cpu" + cpu + " (" + context + ") for head " + head + " returned -"
                + errno + (injected ? " (injected)" : "");
    }
}
