package rqspin.storage.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import rqspin.lock.Errno;
import rqspin.storage.BadInputException;
import rqspin.storage.LocalStorage;
import rqspin.storage.LockSite;
import rqspin.storage.Selem;

/**
 * Makes chosen lock attempts of the local storage fail with {@code EDEADLK} or
 * {@code ETIMEDOUT}, and records every failed attempt, injected or real.
 *
 * <p>Every {@code res_spin_lock} of the local storage asks {@link #decide}
 * first (see {@code Kernel.lock}). If a rule fires, the lock is not touched
 * and the attempt fails as if the rqspinlock had returned the errno; if none
 * does, the real lock is taken, and a real failure is recorded the same way.
 * Rules:
 * <ul>
 * <li>by site: {@link #failAt(LockSite, Errno)} (every attempt there) and
 *     {@link #failAt(LockSite, int, Errno)} (the n-th attempt there);</li>
 * <li>by count: {@link #failNth(int, Errno)} (the n-th attempt of all);</li>
 * <li>at random: {@link #failRandomly(long, double, LockSite...)}, a seeded
 *     hash of the attempt's number, so a single-threaded run is reproducible
 *     from its seed (a multi-threaded one as far as the interleaving is);</li>
 * <li>any predicate: {@link #failWhen}.</li>
 * </ul>
 * The first rule that fires decides. Rules may be added while CPUs run (the
 * rule array is copied on write); each rule counts the attempts it matched.
 *
 * <p>{@link #failures()} lists the failures in order: site, errno, CPU, lock,
 * selem, injected or real. The audit uses them to tell a leak that P7 allows
 * (after a failure) from one it does not.
 *
 * <p>{@link #nextAttempt}, {@link #decide} and {@link #record} are public
 * for the local storage's lock attempts only ({@code rqspin.storage.Kernel}).
 */
public final class FailureInjector {

    /**
     * One lock attempt, as a rule sees it. A record that declares
     * {@link #equals}, {@link #hashCode} and {@link #toString} itself,
     * because Java PathFinder cannot run the implicit ones (see
     * {@link LockFailure}); the storage harnesses inject failures.
     *
     * @param site where
     * @param cpu the CPU attempting
     * @param number the number of this attempt among all of the kernel's, from 1
     * @param selem the selem being handled
     * @param storage the local storage concerned, or null
     */
    public record Attempt(LockSite site, int cpu, int number, Selem selem, LocalStorage storage) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Attempt a && site == a.site && cpu == a.cpu && number == a.number && selem == a.selem
                    && storage == a.storage;
        }

        @Override
        public int hashCode() {
            return Objects.hash(site, cpu, number, selem, storage);
        }

        @Override
        public String toString() {
            return "attempt " + number + " at " + site + " on cpu" + cpu + " for " + selem
                    + (storage != null ? " in " + storage : "");
        }
    }

    private static final class Rule {
        final boolean[] sites; // by ordinal; null: every site
        final int nth; // 0: every matching attempt
        final Errno errno; // null: chosen by the hash
        final double p; // NaN: not random
        final long seed;
        final Predicate<Attempt> when; // null: none
        final AtomicInteger matched = new AtomicInteger();

        Rule(boolean[] sites, int nth, Errno errno, double p, long seed, Predicate<Attempt> when) {
            this.sites = sites;
            this.nth = nth;
            this.errno = errno;
            this.p = p;
            this.seed = seed;
            this.when = when;
        }

        Errno decide(Attempt a) {
            if (sites != null && !sites[a.site.ordinal()]) {
                return null;
            }
            if (when != null && !when.test(a)) {
                return null;
            }
            int n = matched.getAndIncrement() + 1;
            if (nth != 0 && n != nth) {
                return null;
            }
            if (!Double.isNaN(p)) {
                double u = unit(seed, a.number);
                if (u >= p) {
                    return null;
                }
                return errno != null ? errno : (unit(seed ^ 0x5DEECE66DL, a.number) < 0.5 ? Errno.EDEADLK : Errno.ETIMEDOUT);
            }
            return errno;
        }
    }

    private final Object mon = new Object();
    /** Copied on write under mon; read without a lock by every attempt. */
    private volatile Rule[] rules = new Rule[0];
    private final AtomicInteger attempts = new AtomicInteger();
    // guarded by mon
    private final List<LockFailure> failures = new ArrayList<>();
    private int injected;
    private int real;

    /** No rules, no failures (the kernel creates it). */
    public FailureInjector() {
    }

    /** Every attempt at {@code site} fails with {@code errno}. */
    public FailureInjector failAt(LockSite site, Errno errno) {
        return add(new Rule(only(site), 0, nonNull(errno), Double.NaN, 0, null));
    }

    /**
     * The {@code nth} attempt at {@code site} (counting from 1, from now) fails with {@code errno}.
     *
     * @throws BadInputException if {@code nth < 1}
     */
    public FailureInjector failAt(LockSite site, int nth, Errno errno) {
        return add(new Rule(only(site), positive(nth), nonNull(errno), Double.NaN, 0, null));
    }

    /**
     * The {@code nth} attempt of all (counting from 1, from now) fails with {@code errno}.
     *
     * @throws BadInputException if {@code nth < 1}
     */
    public FailureInjector failNth(int nth, Errno errno) {
        return add(new Rule(null, positive(nth), nonNull(errno), Double.NaN, 0, null));
    }

    /**
     * Each attempt at one of {@code sites} (every site if none is given) fails
     * with probability {@code p}, with {@code EDEADLK} or {@code ETIMEDOUT}
     * chosen alike, both from a hash of {@code seed} and the attempt's number.
     *
     * @throws BadInputException unless {@code 0 <= p <= 1}
     */
    public FailureInjector failRandomly(long seed, double p, LockSite... sites) {
        if (!(p >= 0 && p <= 1)) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "probability must be in [0,1], got " + p);
        }
        boolean[] s = null;
        if (sites != null && sites.length > 0) {
            s = new boolean[LockSite.values().length];
            for (LockSite site : sites) {
                s[nonNull(site).ordinal()] = true;
            }
        }
        return add(new Rule(s, 0, null, p, seed, null));
    }

    /** Every attempt for which {@code when} holds fails with {@code errno}. */
    public FailureInjector failWhen(Predicate<Attempt> when, Errno errno) {
        return add(new Rule(null, 0, nonNull(errno), Double.NaN, 0, nonNull(when)));
    }

    /** Removes every rule (the record of failures stays). */
    public void clearRules() {
        synchronized (mon) {
            rules = new Rule[0];
        }
    }

    /** Number of attempts so far. */
    public int attempts() {
        return attempts.get();
    }

    /** Every failed attempt so far, in order. */
    public List<LockFailure> failures() {
        synchronized (mon) {
            return new ArrayList<>(failures);
        }
    }

    /** Number of injected failures. */
    public int injectedCount() {
        synchronized (mon) {
            return injected;
        }
    }

    /** Number of failures of the real lock (deadlock detected, timeout). */
    public int realCount() {
        synchronized (mon) {
            return real;
        }
    }

    /** Number of failures, injected and real. */
    public int failureCount() {
        synchronized (mon) {
            return injected + real;
        }
    }

    // ------------------------------------------------------------------

    /** Counts an attempt; returns its number (from 1). For the local storage's lock attempts only. */
    public int nextAttempt() {
        return attempts.getAndIncrement() + 1;
    }

    /**
     * The errno to inject for attempt {@code number}, or null to take the real lock. For the local storage's lock
     * attempts only.
     */
    public Errno decide(LockSite site, int cpu, Selem x, LocalStorage ls, int number) {
        Rule[] rs = rules;
        if (rs.length == 0) {
            return null;
        }
        Attempt a = new Attempt(site, cpu, number, x, ls);
        for (Rule r : rs) {
            Errno e = r.decide(a);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** Records a failed attempt, injected or real. For the local storage's lock attempts only. */
    public void record(LockFailure f) {
        synchronized (mon) {
            failures.add(f);
            if (f.injected()) {
                injected++;
            } else {
                real++;
            }
        }
    }

    private FailureInjector add(Rule r) {
        synchronized (mon) {
            Rule[] rs = Arrays.copyOf(rules, rules.length + 1);
            rs[rs.length - 1] = r;
            rules = rs;
        }
        return this;
    }

    /** A site set of one (no EnumSet: Java PathFinder runs this code too). */
    private static boolean[] only(LockSite site) {
        boolean[] s = new boolean[LockSite.values().length];
        s[nonNull(site).ordinal()] = true;
        return s;
    }

    private static <T> T nonNull(T t) {
        if (t == null) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "argument must not be null");
        }
        return t;
    }

    private static int positive(int n) {
        if (n < 1) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "attempt numbers count from 1, got " + n);
        }
        return n;
    }

    /**
     * A uniform double in [0,1) from (seed, n): the SplitMix64 finaliser. Also the hash of
     * {@code NeedResched.random}.
     */
    public static double unit(long seed, long n) {
        long z = seed + (n + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
