package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.storage.check.Audit;
import rqspin.storage.check.Leak;

/**
 * map_free racing destroy, and an update, lookup and delete, under
 * Lincheck's model checker ({@link Lincheck#runConcurrentTest}: it explores
 * the interleavings of the threads the body starts), with and without lock
 * failures injected at one site.
 *
 * <p>The world: map m1 with one bucket holding x1 (o1) and x2 (o2); map m2
 * holding x3 (o1), so o1's storage holds x1 and x3. CPU 1 runs
 * map_free(m1), CPU 2 destroy(o2), and (with operations) CPU 3 updates,
 * looks up and deletes o1's value in m2 while map_free unlinks x1 from the
 * same storage. Afterwards the test thread destroys o1, frees m2, waits for
 * the callbacks and checks the audit: no double free, use after free,
 * accounting error or other violation; every leak after a failure (none
 * without failures); every selem either freed once or leaked; every special
 * field released once unless its selem leaked or its release was the leak.
 *
 * <p>The final protocol passes every variant; v3 is caught as soon as
 * map_free's b->lock fails. (Failures at MAP_FREE_BUCKET and DESTROY_STORAGE
 * lead the final protocol into the findings F3 and H1: see the storage JPF
 * harnesses, model/jpf/Storage*.jpf, and impl FinalFindingsTest.)
 */
class TeardownTest {
    private static final int INVOCATIONS = 25;

    /** One run of the scenario; throws AssertionError (with the audit) if a check fails. */
    static void scenario(Protocol p, LockSite failAt, boolean withOps) {
        Machine machine = Machine.builder(4).clock(cpu -> 0L).build();
        Kernel k = Kernel.builder(machine).protocol(p).build();
        LocalStorageMap m1 = k.newMap("m1", 8, 1, 1, false);
        LocalStorageMap m2 = k.newMap("m2", 8, 1, 1, false);
        Owner o1 = k.newOwner("o1");
        Owner o2 = k.newOwner("o2");
        Cpu c0 = machine.attach(0);
        try {
            byte[] v = new byte[8];
            m1.update(c0, o1, v, LocalStorageMap.BPF_ANY);
            m1.update(c0, o2, v, LocalStorageMap.BPF_ANY);
            m2.update(c0, o1, v, LocalStorageMap.BPF_ANY);
            if (failAt != null) {
                k.failures().failAt(failAt, Errno.ETIMEDOUT);
            }
            Throwable[] failures = new Throwable[4];
            Thread mf = cpuThread(machine, 1, failures, c -> m1.mapFree(c));
            Thread ds = cpuThread(machine, 2, failures, c -> o2.destroy(c));
            Thread ops = withOps ? cpuThread(machine, 3, failures, c -> {
                byte[] w = new byte[8];
                w[0] = 5;
                tolerate(() -> m2.update(c, o1, w, LocalStorageMap.BPF_ANY));
                m2.lookup(c, o1);
                tolerate(() -> m2.delete(c, o1));
            }) : null;
            mf.start();
            ds.start();
            if (ops != null) {
                ops.start();
            }
            mf.join();
            ds.join();
            if (ops != null) {
                ops.join();
            }
            for (Throwable t : failures) {
                if (t != null) {
                    throw new AssertionError("a CPU failed: " + t + "\n" + k.audit().report(), t);
                }
            }
            o1.destroy(c0);
            m2.mapFree(c0);
            k.rcu().barrier(c0);
            check(k.audit().report(), failAt != null);
        } catch (InterruptedException | StorageException e) {
            throw new AssertionError(e);
        } finally {
            c0.detach();
        }
    }

    /** The checks of the class comment. */
    static void check(Audit.Report r, boolean failures) {
        if (!r.clean()) {
            throw new AssertionError("violations:\n" + r);
        }
        if (!failures && r.leaks() != 0) {
            throw new AssertionError("a leak without any lock failure:\n" + r);
        }
        int leakedSelems = r.leaks(Leak.Kind.SELEM);
        if (r.selemsFreed() + leakedSelems != r.selemsAllocated()) {
            throw new AssertionError("selems: " + r.selemsAllocated() + " allocated, " + r.selemsFreed() + " freed, "
                    + leakedSelems + " leaked\n" + r);
        }
        if (r.fieldsUnaccounted() != 0) {
            throw new AssertionError("special fields: " + r.fieldsAcquired() + " acquired, " + r.fieldsReleased()
                    + " released, " + r.fieldsLeaked() + " held by leaks\n" + r);
        }
    }

    /** A CPU body. */
    interface Body {
        void run(Cpu cpu) throws Exception;
    }

    private static Thread cpuThread(Machine m, int id, Throwable[] failures, Body body) {
        return new Thread(() -> {
            Cpu c = m.attach(id);
            try {
                body.run(c);
            } catch (Throwable e) {
                failures[id] = e;
            } finally {
                c.detach();
            }
        });
    }

    /** An operation that may fail with a lock failure (injected) or ENOENT: both are outcomes, not errors. */
    interface Op {
        void run() throws StorageException;
    }

    private static void tolerate(Op op) {
        try {
            op.run();
        } catch (StorageException e) {
            // ENOENT or a lock failure: nothing changed (P8)
        }
    }

    @Test
    void finalWithoutFailures() {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> scenario(Protocol.FINAL, null, true));
    }

    @ParameterizedTest
    @EnumSource(value = LockSite.class, names = {"MAP_FREE_STORAGE", "DESTROY_BUCKET"})
    void finalWithFailuresAt(LockSite site) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> scenario(Protocol.FINAL, site, true));
    }

    @ParameterizedTest
    @EnumSource(value = LockSite.class, names = {"UPDATE_STORAGE", "DELETE_BUCKET"})
    void finalWithOperationsFailingAt(LockSite site) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> scenario(Protocol.FINAL, site, true));
    }

    @Test
    void v3IsCaughtWhenMapFreeFailsTheBucketLock() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> Lincheck.runConcurrentTest(INVOCATIONS, () -> scenario(Protocol.V3, LockSite.MAP_FREE_BUCKET, false)));
        assertTrue(e.getMessage().contains("UseAfterFree") || e.getMessage().contains("DoubleFree")
                || e.getMessage().contains("P9") || e.getMessage().contains("violations"), e.getMessage());
    }

}
