package rqspin.model.storage;

import java.util.concurrent.atomic.AtomicInteger;
import rqspin.lock.Clock;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.SpinHint;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorageMap;
import rqspin.storage.LockSite;
import rqspin.storage.Owner;
import rqspin.storage.Protocol;
import rqspin.storage.StorageException;
import rqspin.storage.check.Audit;
import rqspin.storage.check.Leak;
import rqspin.storage.check.MemorySafetyError;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Violation;

/**
 * map_free against destroy, the race of the local storage teardown, for
 * Java PathFinder: {@code bpf_local_storage_map_free(m1)} on cpu0 and
 * {@code bpf_local_storage_destroy} of o1's storage on cpu1, with every
 * attempt at one lock site failing (or none).
 *
 * <ul>
 * <li>{@link Shape#ONE}: o1 has x1 in m1 (spec scenario "one").</li>
 * <li>{@link Shape#TWO}: o1 has x1 in m1 and x2 in m2; destroy walks both,
 *     map_free only x1 (spec scenario "two_maps").</li>
 * </ul>
 * After both CPUs return, the harness (cpu2) waits for the RCU callbacks
 * and checks the audit: no double free (P1), no selem freed while on a
 * live list (P2), special fields released at most once and while the map
 * lives (P3), no uncharge of a freed owner or below zero (P4), no use after
 * free (P5), map_free terminates (P9); every leak after a lock failure
 * (P7), and none without one (P6); every selem freed once or leaked.
 *
 * <p>Time stands still (no rqspinlock timeout), waiters re-read without a
 * hint, and the failure site is chosen by a race among chooser threads
 * ({@link #choose}): JPF explores every choice (no failure and each
 * teardown site) in one search.
 */
public final class MapFreeDestroy {
    /** The two worlds of the class comment. */
    public enum Shape {
        /** o1: x1 in m1. */
        ONE,
        /** o1: x1 in m1, x2 in m2. */
        TWO
    }

    /** The sites a harness run may make fail: none (null) first, then the four teardown sites. */
    public static final LockSite[] CHOICES = {null, LockSite.MAP_FREE_BUCKET, LockSite.MAP_FREE_STORAGE,
        LockSite.DESTROY_BUCKET, LockSite.DESTROY_STORAGE};

    private MapFreeDestroy() {
    }

    /**
     * Runs the race once; throws {@link AssertionError} on a violated
     * property. Returns the audit for further checks.
     */
    public static Audit.Report run(Protocol protocol, Shape shape, LockSite failAt, Mutation mutation)
            throws InterruptedException {
        Clock stopped = new Clock() {
            @Override
            public long nanoTime(Cpu cpu) {
                return 0;
            }
        };
        Machine machine = Machine.builder(3).clock(stopped).spinHint(SpinHint.YIELD).build();
        Kernel k = Kernel.builder(machine).protocol(protocol).mutation(mutation).walkLimit(4).build();
        LocalStorageMap m1 = k.newMap("m1", 8, 1, 1, false);
        LocalStorageMap m2 = shape == Shape.TWO ? k.newMap("m2", 8, 1, 1, false) : null;
        Owner o1 = k.newOwner("o1");
        Cpu main = machine.attach(2);
        try {
            byte[] value = new byte[8];
            m1.update(main, o1, value, LocalStorageMap.BPF_ANY);
            if (m2 != null) {
                m2.update(main, o1, value, LocalStorageMap.BPF_ANY);
            }
            if (failAt != null) {
                k.failures().failAt(failAt, Errno.ETIMEDOUT);
            }
            Throwable[] failures = new Throwable[2];
            Thread mf = cpu(machine, 0, failures, m1, null);
            Thread ds = cpu(machine, 1, failures, null, o1);
            mf.start();
            ds.start();
            mf.join();
            ds.join();
            for (int i = 0; i < failures.length; i++) {
                Throwable t = failures[i];
                if (t instanceof MemorySafetyError) {
                    Violation v = ((MemorySafetyError) t).violation();
                    throw new AssertionError(v.property().specName() + " on cpu" + i + ": " + v.what(), t);
                }
                if (t != null) {
                    throw new AssertionError("cpu" + i + " failed: " + t, t);
                }
            }
            if (m2 != null) {
                m2.mapFree(main);
            }
            k.rcu().barrier(main);
            Audit.Report r = k.audit().report();
            check(r, failAt != null);
            return r;
        } catch (StorageException e) {
            throw new AssertionError("setup failed: " + e, e);
        } finally {
            main.detach();
        }
    }

    private static Thread cpu(Machine machine, int id, Throwable[] failures, LocalStorageMap mapFree, Owner destroy) {
        return new Thread(() -> {
            Cpu c = machine.attach(id);
            try {
                if (mapFree != null) {
                    mapFree.mapFree(c);
                } else {
                    destroy.destroy(c);
                }
            } catch (Throwable e) {
                failures[id] = e;
            } finally {
                c.detach();
            }
        }, "cpu" + id);
    }

    /** The properties of the class comment. */
    static void check(Audit.Report r, boolean failures) {
        if (!r.violationList().isEmpty()) {
            Violation v = r.violationList().get(0);
            throw new AssertionError(v.property().specName() + ": " + v.what() + "\n" + r);
        }
        if (r.unexplainedLeaks() != 0) {
            throw new AssertionError("P7_LeakOnlyAfterLockFailure: a leak without a failure on it\n" + r);
        }
        if (!failures && r.leaks() != 0) {
            throw new AssertionError("P6_NoLeakWithoutFailure: a leak in a run without lock failures\n" + r);
        }
        int leaked = r.leaks(Leak.Kind.SELEM);
        if (r.selemsFreed() + leaked != r.selemsAllocated()) {
            throw new AssertionError("P1_NoDoubleFree (selems freed once): " + r.selemsAllocated() + " allocated, " + r.selemsFreed() + " freed, "
                    + leaked + " leaked\n" + r);
        }
        if (r.fieldsUnaccounted() != 0) {
            throw new AssertionError("P3_FreeFieldsOnce (fields accounted): " + r.fieldsAcquired() + " acquired, " + r.fieldsReleased()
                    + " released, " + r.fieldsLeaked() + " held by leaks\n" + r);
        }
    }

    /**
     * {@code MapFreeDestroy [one|two] [CHOICES] [final|v3]} (defaults: one,
     * any, final). CHOICES is {@code any} (no failure and each of the four
     * teardown sites), or sites separated by {@code |} ({@code none} for no
     * failure). With more than one choice the site is drawn by
     * {@link #choose}: JPF explores every choice; a plain JVM runs one.
     */
    public static void main(String[] args) throws InterruptedException {
        Shape shape = args.length > 0 ? Shape.valueOf(args[0].toUpperCase(java.util.Locale.ROOT)) : Shape.ONE;
        LockSite[] choices = args.length > 1 ? choices(args[1]) : CHOICES;
        Protocol p = args.length > 2 ? Protocol.valueOf(args[2].toUpperCase(java.util.Locale.ROOT)) : Protocol.FINAL;
        LockSite site = choices[choose(choices.length)];
        Audit.Report r = run(p, shape, site, Mutation.NONE);
        System.out.println("MapFreeDestroy " + shape + " " + p + ", failing " + (site == null ? "nothing" : site)
                + ": passed (" + r.leaks() + " leak(s) after the failure)");
    }

    /**
     * A choice among {@code n} made by a race: {@code n} threads try to
     * claim it, the first wins. JPF explores every winner; a plain JVM gets
     * one of them. (JPF's model of {@code java.util.Random} needs an export
     * of jdk.internal.misc on the host JVM, which the runner does not pass.)
     */
    static int choose(int n) throws InterruptedException {
        if (n == 1) {
            return 0;
        }
        AtomicInteger winner = new AtomicInteger(-1);
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) {
            final int me = i;
            ts[i] = new Thread(() -> winner.compareAndSet(-1, me), "chooser" + i);
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        return winner.get();
    }

    /** Parses {@code any} or {@code SITE|SITE|none}. */
    static LockSite[] choices(String s) {
        if (s.equals("any")) {
            return CHOICES;
        }
        String[] parts = s.split("\\|");
        LockSite[] out = new LockSite[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = parts[i].equals("none") ? null : LockSite.valueOf(parts[i]);
        }
        return out;
    }
}
