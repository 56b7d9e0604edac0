package rqspin.maps.freelist;

import rqspin.lock.Context;
import rqspin.lock.Errno;

/**
 * One failed lock attempt of the free list: where (site and the head's
 * CPU), who (CPU and context), what the attempt returned, and whether the
 * injector made it fail or the lock itself did (AA, ABBA, timeout).
 */
public record LockFailure(LockSite site, int head, int cpu, Context context, Errno errno, boolean injected) {
    @Override
    public String toString() {
        return site.kernel() + " on cpu" + cpu + " (" + context + ") for head " + head + " returned -"
                + errno + (injected ? " (injected)" : "");
    }
}
