package rqspin.maps.freelist;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import rqspin.lock.Errno;

/**
 * Makes chosen lock attempts of a {@link PcpuFreelist} fail before they reach
 * the lock, with the errno a failed {@code raw_res_spin_lock} returns. A rule
 * fires by site ({@link #failAt}: the n-th attempt at a site), by count
 * ({@link #failNth}: the n-th attempt anywhere) or at random with a seed
 * ({@link #failRandomly}: each attempt at the given sites with probability
 * p, decided by the seed and the attempt's number only, so a run is
 * reproducible when its attempts come in the same order). An injected
 * failure changes nothing: the lock is not touched. Every failure, injected
 * or real, is recorded ({@link #failures}).
 *
 * <p>Thread-safe: attempts are numbered under the injector's monitor.
 */
public final class FailureInjector {
    /** A rule: site (null: any), n-th attempt (0: every one at the site), errno. */
    private static final class Rule {
        final LockSite site;
        final int nth;
        final Errno errno;

        Rule(LockSite site, int nth, Errno errno) {
            this.site = site;
            this.nth = nth;
            this.errno = errno;
        }
    }

    private final List<Rule> rules = new ArrayList<>();
    private final int[] perSite = new int[LockSite.values().length];
    private final List<LockFailure> failures = new ArrayList<>();
    private int attempts;
    private long seed;
    private double p;
    private Set<LockSite> randomSites = EnumSet.noneOf(LockSite.class);

    /** The {@code nth} attempt (from 1) at {@code site} fails with {@code errno}. */
    public synchronized FailureInjector failAt(LockSite site, int nth, Errno errno) {
        check(nth, errno);
        if (site == null) {
            throw new IllegalArgumentException("site must not be null");
        }
        rules.add(new Rule(site, nth, errno));
        return this;
    }

    /** Every attempt at {@code site} fails with {@code errno}. */
    public synchronized FailureInjector failAt(LockSite site, Errno errno) {
        return failAt(site, 0, errno);
    }

    /** The {@code nth} attempt (from 1) at any site fails with {@code errno}. */
    public synchronized FailureInjector failNth(int nth, Errno errno) {
        check(nth, errno);
        if (nth == 0) {
            throw new IllegalArgumentException("nth must be at least 1");
        }
        rules.add(new Rule(null, nth, errno));
        return this;
    }

    /**
     * Each attempt at {@code sites} (all sites if none given) fails with
     * probability {@code p}, -ETIMEDOUT or -EDEADLK as the seed decides.
     */
    public synchronized FailureInjector failRandomly(long seed, double p, LockSite... sites) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("p must be in [0, 1], not " + p);
        }
        this.seed = seed;
        this.p = p;
        this.randomSites = sites.length == 0 ? EnumSet.allOf(LockSite.class) : EnumSet.copyOf(List.of(sites));
        return this;
    }

    /** Removes every rule; the record of failures stays. */
    public synchronized void clearRules() {
        rules.clear();
        p = 0;
        randomSites = EnumSet.noneOf(LockSite.class);
    }

    private static void check(int nth, Errno errno) {
        if (nth < 0) {
            throw new IllegalArgumentException("nth must not be negative");
        }
        if (errno != Errno.EDEADLK && errno != Errno.ETIMEDOUT) {
            throw new IllegalArgumentException("a lock attempt fails with EDEADLK or ETIMEDOUT, not " + errno);
        }
    }

    /** The errno an attempt at {@code site} is to fail with, or null when it goes to the lock. */
    synchronized Errno decide(LockSite site) {
        int n = ++attempts;
        int s = ++perSite[site.ordinal()];
        for (Rule r : rules) {
            if (r.site == null ? r.nth == n : r.site == site && (r.nth == 0 || r.nth == s)) {
                return r.errno;
            }
        }
        if (p > 0 && randomSites.contains(site)) {
            double u = unit(seed, n);
            if (u < p) {
                return unit(seed ^ 0x5DEECE66DL, n) < 0.5 ? Errno.ETIMEDOUT : Errno.EDEADLK;
            }
        }
        return null;
    }

    synchronized void record(LockFailure f) {
        failures.add(f);
    }

    /** Lock attempts so far (injected failures included). */
    public synchronized int attempts() {
        return attempts;
    }

    /** Every failed attempt so far, in order. */
    public synchronized List<LockFailure> failures() {
        return List.copyOf(failures);
    }

    /** A number in [0, 1) from the seed and n alone (splitmix64). */
    static double unit(long seed, long n) {
        long z = seed + n * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
