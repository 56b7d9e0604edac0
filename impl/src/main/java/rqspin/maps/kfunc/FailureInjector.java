package rqspin.maps.kfunc;

import java.util.ArrayList;
import java.util.List;
import rqspin.lock.Errno;

/**
 * Makes chosen lock attempts of a map fail with {@code -EDEADLK} or
 * {@code -ETIMEDOUT}, and records every failed attempt, injected or real.
 *
 * <p>Every lock attempt of a map goes through {@link ResSpinLock#lockAt},
 * which asks {@link #decide} first. If a rule fires, the lock is not touched
 * and the attempt fails as if {@code res_spin_lock} had returned the errno;
 * if none does, the real lock is taken, and a real failure is recorded the
 * same way. Rules, the first that fires deciding:
 * <ul>
 * <li>by site: {@link #failAt(Enum, Errno)} (every attempt there),
 *     {@link #failAt(Enum, int, Errno)} (the n-th attempt there, from 1);</li>
 * <li>by count: {@link #failNth(int, Errno)} (the n-th attempt of all);</li>
 * <li>at random: {@link #failRandomly(long, double, Enum[])}, a seeded hash
 *     of the attempt's number, so a single-threaded run is reproducible from
 *     its seed;</li>
 * <li>the next attempt of one CPU: {@link #failNextOn(int, Errno)}, what
 *     the Lincheck tests use to make one chosen operation fail.</li>
 * </ul>
 * Thread-safe: one monitor guards the rules, the counts and the record.
 *
 * @param <S> the map's enum of lock sites
 */
public final class FailureInjector<S extends Enum<S>> {

    /** One failed lock attempt. */
    public static final class Failure<S> {
        private final S site;
        private final Errno errno;
        private final int cpu;
        private final boolean injected;

        Failure(S site, Errno errno, int cpu, boolean injected) {
            this.site = site;
            this.errno = errno;
            this.cpu = cpu;
            this.injected = injected;
        }

        /** Where. */
        public S site() {
            return site;
        }

        /** The error returned. */
        public Errno errno() {
            return errno;
        }

        /** The CPU that made the attempt. */
        public int cpu() {
            return cpu;
        }

        /** Whether a rule made it fail (else the lock itself failed). */
        public boolean injected() {
            return injected;
        }

        @Override
        public String toString() {
            return site + " on cpu" + cpu + ": -" + errno + (injected ? " (injected)" : "");
        }
    }

    private static final class Rule<S> {
        final S site; // null: any site
        final boolean[] sites; // random rule: by ordinal; null: every site
        final int nth; // 0: every matching attempt
        final int cpu; // -1: any CPU; else a one-shot rule for that CPU's next attempt
        final Errno errno; // null: chosen by the hash
        final double p; // NaN: not random
        final long seed;
        int matched;
        boolean spent;

        Rule(S site, boolean[] sites, int nth, int cpu, Errno errno, double p, long seed) {
            this.site = site;
            this.sites = sites;
            this.nth = nth;
            this.cpu = cpu;
            this.errno = errno;
            this.p = p;
            this.seed = seed;
        }
    }

    private final Class<S> siteType;
    private final List<Rule<S>> rules = new ArrayList<>();
    private final List<Failure<S>> failures = new ArrayList<>();
    private final int[] attemptsBySite;
    private int attempts;

    /** An injector for the sites of {@code siteType}, with no rule: every attempt takes the real lock. */
    public FailureInjector(Class<S> siteType) {
        if (siteType == null) {
            throw new IllegalArgumentException("siteType must not be null");
        }
        this.siteType = siteType;
        this.attemptsBySite = new int[siteType.getEnumConstants().length];
    }

    /** Every attempt at {@code site} fails with {@code errno}. */
    public synchronized FailureInjector<S> failAt(S site, Errno errno) {
        rules.add(new Rule<>(require(site), null, 0, -1, require(errno), Double.NaN, 0));
        return this;
    }

    /** The {@code nth} attempt (from 1) at {@code site} fails with {@code errno}. */
    public synchronized FailureInjector<S> failAt(S site, int nth, Errno errno) {
        rules.add(new Rule<>(require(site), null, positive(nth), -1, require(errno), Double.NaN, 0));
        return this;
    }

    /** The {@code nth} attempt (from 1) of all fails with {@code errno}. */
    public synchronized FailureInjector<S> failNth(int nth, Errno errno) {
        rules.add(new Rule<>(null, null, positive(nth), -1, require(errno), Double.NaN, 0));
        return this;
    }

    /**
     * Each attempt at one of {@code sites} (every site if none is given)
     * fails with probability {@code p}, with EDEADLK or ETIMEDOUT: both
     * decided by a hash of {@code seed} and the attempt's number.
     */
    @SafeVarargs
    public final synchronized FailureInjector<S> failRandomly(long seed, double p, S... sites) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("p must be in [0, 1], not " + p);
        }
        boolean[] on = null;
        if (sites != null && sites.length > 0) {
            on = new boolean[attemptsBySite.length];
            for (S s : sites) {
                on[require(s).ordinal()] = true;
            }
        }
        rules.add(new Rule<>(null, on, 0, -1, null, p, seed));
        return this;
    }

    /** The next attempt made by CPU {@code cpu}, at any site, fails with {@code errno} (once). */
    public synchronized FailureInjector<S> failNextOn(int cpu, Errno errno) {
        if (cpu < 0) {
            throw new IllegalArgumentException("no cpu" + cpu);
        }
        rules.add(new Rule<>(null, null, 0, cpu, require(errno), Double.NaN, 0));
        return this;
    }

    /** Removes every rule (the record stays). */
    public synchronized void clearRules() {
        rules.clear();
    }

    /**
     * For {@link ResSpinLock#lockAt} only: counts one attempt at {@code site}
     * by {@code cpu} and returns the errno a rule makes it fail with (the
     * failure is recorded), or null: take the real lock.
     */
    synchronized Errno decide(S site, int cpu) {
        attempts++;
        int atSite = ++attemptsBySite[site.ordinal()];
        for (Rule<S> r : rules) {
            if (r.spent || (r.site != null && r.site != site) || (r.cpu >= 0 && r.cpu != cpu)
                    || (r.sites != null && !r.sites[site.ordinal()])) {
                continue;
            }
            Errno e = null;
            if (!Double.isNaN(r.p)) {
                long h = mix(r.seed * 0x9E3779B97F4A7C15L + attempts);
                if ((h >>> 11) * 0x1.0p-53 < r.p) {
                    e = (h & 1) == 0 ? Errno.EDEADLK : Errno.ETIMEDOUT;
                }
            } else if (r.cpu >= 0) {
                r.spent = true;
                e = r.errno;
            } else if (r.nth == 0) {
                e = r.errno;
            } else {
                int n = r.site != null ? atSite : attempts;
                if (n == r.nth) {
                    e = r.errno;
                }
            }
            if (e != null) {
                r.matched++;
                failures.add(new Failure<>(site, e, cpu, true));
                return e;
            }
        }
        return null;
    }

    /** For {@link ResSpinLock#lockAt} only: records a real failure of the lock. */
    synchronized void recordReal(S site, Errno errno, int cpu) {
        failures.add(new Failure<>(site, errno, cpu, false));
    }

    /** Every failed attempt so far, in order. */
    public synchronized List<Failure<S>> failures() {
        return new ArrayList<>(failures);
    }

    /** Number of lock attempts so far. */
    public synchronized int attempts() {
        return attempts;
    }

    /** Number of lock attempts at {@code site} so far. */
    public synchronized int attempts(S site) {
        return attemptsBySite[require(site).ordinal()];
    }

    @Override
    public synchronized String toString() {
        return "FailureInjector[" + siteType.getSimpleName() + ", " + rules.size() + " rule(s), " + attempts
                + " attempt(s), " + failures.size() + " failure(s)]";
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static <T> T require(T t) {
        if (t == null) {
            throw new IllegalArgumentException("argument must not be null");
        }
        return t;
    }

    private static int positive(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n counts from 1, not " + n);
        }
        return n;
    }
}
