package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rqspin.storage.LocalStorageMap.BPF_ANY;
import static rqspin.storage.World.val;

import org.junit.jupiter.api.Test;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.storage.check.Audit;
import rqspin.storage.check.DoubleFreeError;
import rqspin.storage.check.Leak;
import rqspin.storage.check.LockFailure;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.UseAfterFreeError;
import rqspin.storage.check.Violation;

/**
 * The review scenarios (spec/localstorage/README.md, findings C5-C8) that concern the
 * teardown (C5-C8), each run on both protocols with the same failures and
 * the same interleaving (forced with {@link Gate}): the v3 bug shows, and the
 * final protocol either frees everything once or leaks only what P7 allows
 * (after the failure, WARNed). The test thread is cpu0 and only sets up and
 * checks; the kernel functions run on cpu1-cpu3.
 */
class ReviewScenariosTest {

    /** o1 with x1 in m1 (one bucket, one special field). */
    private static final class OneSelem {
        final LocalStorageMap m1;
        final Owner o1;
        final Selem x1;

        OneSelem(World w) throws StorageException {
            m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            x1 = o1.storageForAudit().selemsForAudit().get(0);
        }
    }

    private static World world(Protocol p, NeedResched r) {
        return world(p, r, Mutation.NONE);
    }

    private static World world(Protocol p, NeedResched r, Mutation mu) {
        // T = 20 ms: a real rqspinlock timeout in C5 takes 20-40 ms
        return new World(Kernel.builder(Machine.builder(4).timeoutNanos(20_000_000L).build()).protocol(p)
                .needResched(r).mutation(mu));
    }

    // ------------------------------------------------------------------ C5

    /** What c5 leaves behind. */
    private static final class C5 {
        Selem x1;
        Throwable mapFree;
    }

    /**
     * C5 [R1]: map_free(m1) passes its first synchronize_rcu; destroy(o2)
     * then takes b->lock of the single bucket for x2 and holds it; map_free
     * visits x1 first and times out on that b->lock (a real
     * rqspinlock timeout, nothing injected); destroy(o2) finishes; then
     * destroy(o1) runs to its end while map_free still stands after x1;
     * then map_free goes on.
     */
    private static C5 c5(World w) throws Exception {
        LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
        Owner o1 = w.kernel.newOwner("o1");
        Owner o2 = w.kernel.newOwner("o2");
        m1.update(w.cpu0, o2, val(2), BPF_ANY);
        m1.update(w.cpu0, o1, val(1), BPF_ANY); // the bucket is [x1, x2]
        C5 out = new C5();
        out.x1 = o1.storageForAudit().selemsForAudit().get(0);
        boolean v3 = w.kernel.protocol() == Protocol.V3;
        Gate.Hold walk = w.gate.holdAt(2, Step.MAP_FREE_RCU_READ_LOCK, 1);
        Gate.Hold holdingB = w.gate.holdAt(1, v3 ? Step.LOCKLESS_UNLINK_MAP : Step.NOFAIL_UNLINK_MAP, 1);
        Gate.Hold afterX1 = w.gate.holdAt(2, Step.MAP_FREE_NEXT, 1);
        // map_free's first synchronize_rcu waits for destroys already running: destroy(o2) starts after it
        World.Run mf = w.start(2, c -> m1.mapFree(c));
        walk.awaitReached();
        World.Run d2 = w.start(1, c -> o2.destroy(c));
        holdingB.awaitReached();
        walk.open();
        afterX1.awaitReached();
        holdingB.open();
        assertNull(d2.join());
        assertNull(w.start(3, c -> o1.destroy(c)).join());
        afterX1.open();
        out.mapFree = mf.join();
        return out;
    }

    @Test
    void c5OnV3TheSpecialFieldsOfX1AreNeverFreedAndNothingWarns() throws Exception {
        try (World w = world(Protocol.V3, NeedResched.NEVER)) {
            C5 s = c5(w);
            LockFailure f = w.kernel.failures().failures().get(0);
            assertEquals(LockSite.MAP_FREE_BUCKET, f.site());
            assertEquals(Errno.ETIMEDOUT, f.errno());
            assertFalse(f.injected(), "a real timeout behind destroy(o2)");
            w.quiesce();
            assertEquals(0, s.x1.fieldsFreedForAudit(), "v3 map_free cleared smap: nobody freed x1's special fields");
            Audit.Report r = w.kernel.audit().report();
            assertEquals(1, r.leaks(Leak.Kind.SPECIAL_FIELDS), r.toString());
            assertTrue(r.warns().isEmpty(), "v3 leaks silently (P7 wants a WARN)");
            // and v3 map_free goes back to the head of the bucket: C7
            assertInstanceOf(UseAfterFreeError.class, s.mapFree, "map_free revisits x1 after destroy(o1) freed it");
        }
    }

    @Test
    void c5OnFinalTheLeakIsWarnedAndNothingWorseHappens() throws Exception {
        try (World w = world(Protocol.FINAL, NeedResched.NEVER)) {
            C5 s = c5(w);
            assertNull(s.mapFree, w.gate.trace());
            LockFailure f = w.kernel.failures().failures().get(0);
            assertEquals(LockSite.MAP_FREE_BUCKET, f.site());
            assertFalse(f.injected());
            w.quiesce();
            Audit.Report r = w.kernel.audit().report();
            assertEquals(0, s.x1.fieldsFreedForAudit());
            assertEquals(1, r.warns().getOrDefault(Kernel.WARN_MAP_FREE, 0), r.toString());
            assertEquals(0, r.doubleFrees() + r.usesAfterFree() + r.accountingErrors(), r.toString());
            assertEquals(0, r.unexplainedLeaks(), "every leak follows the failure: " + r);
            assertEquals(1, r.leaks(Leak.Kind.SELEM), "x1 stays on the freed bucket: the accepted leak " + r);
        }
    }

    /** The C5 fix: a destroy that fails b->lock keeps smap, so map_free can still free the fields. */
    private static Audit.Report destroyFailsBucketThenMapFree(Mutation mutation) throws Exception {
        try (World w = world(Protocol.FINAL, NeedResched.NEVER, mutation)) {
            OneSelem s = new OneSelem(w);
            w.kernel.failures().failAt(LockSite.DESTROY_BUCKET, 1, Errno.EDEADLK);
            s.o1.destroy(w.cpu0);
            assertSame(mutation == Mutation.NONE ? s.m1 : null, s.x1.smapForAudit());
            s.m1.mapFree(w.cpu0);
            w.quiesce();
            assertEquals(mutation == Mutation.NONE ? 1 : 0, s.x1.fieldsFreedForAudit());
            return w.kernel.audit().report();
        }
    }

    @Test
    void c5FixOnFinalMapFreeStillFreesTheFieldsAfterDestroyFailedTheBucketLock() throws Exception {
        Audit.Report r = destroyFailsBucketThenMapFree(Mutation.NONE);
        assertTrue(r.clean(), r.toString());
        assertEquals(0, r.leaks(), "no leak at all: x1 and its fields are freed once");
        assertEquals(1, r.selemsFreed());
    }

    @Test
    void c5FixUndoneByAMutantLeaksTheFields() throws Exception {
        Audit.Report r = destroyFailsBucketThenMapFree(Mutation.DESTROY_CLEARS_SMAP);
        assertEquals(1, r.leaks(Leak.Kind.SPECIAL_FIELDS), r.toString());
    }

    // ------------------------------------------------------------------ C6

    /** C6 [R1]: map_free gets every lock; o1 lives on and wants its memory for a new map. */
    private static Audit.Report c6(Protocol p, boolean[] recreated) throws Exception {
        try (World w = world(p, NeedResched.NEVER)) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            int elem = m1.elemSize();
            Owner o1 = w.kernel.newOwner("o1", LocalStorage.SIZE + elem + elem / 2);
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            m1.mapFree(w.cpu0);
            w.quiesce();
            LocalStorageMap m2 = w.kernel.newMap("m2", 8, 1, 1, false);
            try {
                m2.update(w.cpu0, o1, val(2), BPF_ANY);
                recreated[0] = true;
            } catch (StorageException e) {
                assertEquals(Err.ENOMEM, e.err());
                recreated[0] = false;
            }
            assertEquals(0, w.kernel.failures().failureCount());
            return w.kernel.audit().report();
        }
    }

    @Test
    void c6OnV3SelemsLingerChargedAfterMapFree() throws Exception {
        boolean[] recreated = new boolean[1];
        Audit.Report r = c6(Protocol.V3, recreated);
        assertFalse(recreated[0], "the lingering x1 still holds the owner's charge: the new map gets -ENOMEM");
        assertEquals(1, r.unexplainedLeaks(), "x1 of the freed map lingers without any lock failure: " + r);
        assertEquals(Leak.Kind.SELEM, r.leakList().get(0).kind());
    }

    @Test
    void c6OnFinalMapFreeUnlinksAndUnchargesWithTheOwnerPinned() throws Exception {
        boolean[] recreated = new boolean[1];
        Audit.Report r = c6(Protocol.FINAL, recreated);
        assertTrue(recreated[0], "map_free uncharged x1 and the header");
        assertTrue(r.clean(), r.toString());
        assertEquals(0, r.leaks());
    }

    // ------------------------------------------------------------------ C7

    /**
     * C7 [R2]: map_free fails b->lock on x1; during its cond_resched_rcu,
     * destroy(o1) frees x1 and the grace period ends; map_free walks the
     * bucket from its head again.
     */
    private static Throwable c7(World w, OneSelem s) throws Exception {
        w.kernel.failures().failAt(LockSite.MAP_FREE_BUCKET, 1, Errno.ETIMEDOUT);
        Gate.Hold resched = w.gate.holdAt(1, Step.MAP_FREE_COND_RESCHED_RCU, 1);
        World.Run mf = w.start(1, c -> s.m1.mapFree(c));
        resched.awaitReached(); // map_free is outside its read-side section
        assertNull(w.start(2, c -> s.o1.destroy(c)).join());
        resched.open();
        return mf.join();
    }

    @Test
    void c7OnV3TheRestartedWalkUsesTheFreedSelem() throws Exception {
        try (World w = world(Protocol.V3, NeedResched.NEVER)) {
            OneSelem s = new OneSelem(w);
            Throwable mf = c7(w, s);
            assertTrue(s.x1.isFreed(), "destroy freed x1 and the grace period ended during cond_resched_rcu");
            UseAfterFreeError e = assertInstanceOf(UseAfterFreeError.class, mf, w.gate.trace());
            assertTrue(e.getMessage().contains("selem x1"), e.getMessage());
            assertTrue(e.getMessage().contains("bpf_local_storage_destroy"), "names who freed it: " + e.getMessage());
            assertEquals(1, w.kernel.audit().count(Violation.Property.P5_NO_USE_AFTER_FREE));
        }
    }

    @Test
    void c7OnFinalTheRestartedWalkFindsX1AndDoesNothingWithIt() throws Exception {
        try (World w = world(Protocol.FINAL, NeedResched.firstTimes(1))) {
            OneSelem s = new OneSelem(w);
            assertNull(c7(w, s), w.gate.trace());
            w.quiesce();
            Audit.Report r = w.kernel.audit().report();
            assertEquals(2, w.gate.lines().stream().filter(l -> l.equals("cpu1 map_free:walk x1")).count(),
                    "the restart visits x1 again:\n" + w.gate.trace());
            assertEquals(0, r.doubleFrees() + r.usesAfterFree() + r.accountingErrors(), r.toString());
            assertEquals(0, r.unexplainedLeaks(), r.toString());
            assertEquals(0, s.o1.charged(), "map_free uncharged x1 and the header with the owner pinned");
            assertFalse(s.x1.isFreeQueued(), "x1 stays on the freed bucket: the accepted, WARNed leak");
            assertEquals(1, r.warns().get(Kernel.WARN_MAP_FREE));
        }
    }

    // ------------------------------------------------------------------ C8

    /**
     * C8 [R3]: map_free fails b->lock on x1 and visits x1 again (v3: its
     * loop; final: a restart) while destroy(o1) sits inside its read-side
     * section, so no grace period ends; then destroy goes on.
     */
    private static Throwable c8(World w, OneSelem s) throws Exception {
        w.kernel.failures().failAt(LockSite.MAP_FREE_BUCKET, 1, Errno.EDEADLK);
        Gate.Hold walk = w.gate.holdAt(2, Step.MAP_FREE_RCU_READ_LOCK, 1);
        Gate.Hold inDestroy = w.gate.holdAt(1, Step.DESTROY_WALK, 1);
        Gate.Hold beforeSync = w.gate.holdAt(2, Step.MAP_FREE_SYNCHRONIZE_RCU_2, 1);
        World.Run mf = w.start(2, c -> s.m1.mapFree(c));
        walk.awaitReached(); // past map_free's first synchronize_rcu
        World.Run ds = w.start(1, c -> s.o1.destroy(c));
        inDestroy.awaitReached();
        walk.open();
        while (mf.isAlive() && !beforeSync.wasReached()) {
            Thread.sleep(1);
        }
        inDestroy.open();
        beforeSync.open();
        Throwable t = mf.join();
        assertNull(ds.join());
        return t;
    }

    @Test
    void c8OnV3TheSecondVisitFreesX1WhileLinkedAndTheThirdFreesItAgain() throws Exception {
        try (World w = world(Protocol.V3, NeedResched.NEVER)) {
            OneSelem s = new OneSelem(w);
            DoubleFreeError e = assertInstanceOf(DoubleFreeError.class, c8(w, s), w.gate.trace());
            assertTrue(e.getMessage().contains("x1"), e.getMessage());
            Audit audit = w.kernel.audit();
            assertEquals(1, audit.count(Violation.Property.P1_NO_DOUBLE_FREE));
            assertTrue(audit.count(Violation.Property.P2_FREE_ONLY_UNLINKED) >= 2,
                    "x1 was freed while still on the bucket and on o1's list: " + audit.violations());
            assertTrue(s.x1.linkCntForAudit() < 0, "link_cnt went below 0: " + s.x1.linkCntForAudit());
        }
    }

    @Test
    void c8OnFinalRepeatedVisitsChangeNothingAndDestroyFreesX1Once() throws Exception {
        try (World w = world(Protocol.FINAL, NeedResched.firstTimes(1))) {
            OneSelem s = new OneSelem(w);
            assertNull(c8(w, s), w.gate.trace());
            w.quiesce();
            Audit.Report r = w.kernel.audit().report();
            assertTrue(s.x1.isFreed(), "destroy won the cmpxchg to SELEM_TOFREE");
            assertEquals(Selem.SELEM_TOFREE, s.x1.stateForAudit());
            assertEquals(0, r.doubleFrees() + r.usesAfterFree() + r.accountingErrors(), r.toString());
            assertEquals(1, r.selemsFreed());
            assertEquals(0, r.unexplainedLeaks(), r.toString());
            assertEquals(0, s.o1.charged());
        }
    }

    // ------------------------------------------------------------------ the single winner

    /**
     * map_free and destroy each unlink one node of x1 (map_free fails
     * local_storage->lock, destroy finds smap cleared) and reach the state
     * update together: exactly one of them may free x1.
     */
    private static Audit race(Mutation mu) throws Exception {
        try (World w = world(Protocol.FINAL, NeedResched.NEVER, mu)) {
            OneSelem s = new OneSelem(w);
            w.kernel.failures().failAt(LockSite.MAP_FREE_STORAGE, 1, Errno.EDEADLK);
            Gate.Hold mfState = w.gate.holdAt(1, Step.NOFAIL_SET_STATE, 1);
            World.Run mf = w.start(1, c -> s.m1.mapFree(c));
            mfState.awaitReached(); // map_free unlinked map_node only
            Gate.Hold dsState = w.gate.holdAt(2, Step.NOFAIL_SET_STATE, mu == Mutation.NOFAIL_NO_CMPXCHG ? 2 : 1);
            Gate.Hold mfRead = w.gate.holdAt(1, Step.NOFAIL_SET_STATE, 2);
            World.Run ds = w.start(2, c -> s.o1.destroy(c));
            if (mu == Mutation.NOFAIL_NO_CMPXCHG) {
                mfState.open();
                mfRead.awaitReached(); // map_free set its bit
            }
            dsState.awaitReached(); // destroy unlinked snode (and, mutant: set its bit)
            mfState.open();
            mfRead.open();
            dsState.open();
            Throwable a = mf.join();
            Throwable b = ds.join();
            w.quiesce();
            if (mu == Mutation.NONE) {
                assertNull(a, w.gate.trace());
                assertNull(b, w.gate.trace());
                assertTrue(s.x1.isFreed());
            } else {
                assertTrue(a instanceof DoubleFreeError || b instanceof DoubleFreeError, a + " / " + b);
            }
            return w.kernel.audit();
        }
    }

    @Test
    void theCmpxchgToTofreeHasASingleWinner() throws Exception {
        Audit a = race(Mutation.NONE);
        assertEquals(0, a.count(Violation.Property.P1_NO_DOUBLE_FREE));
        assertTrue(a.report().clean(), a.report().toString());
    }

    @Test
    void withoutTheCmpxchgBothCallersFreeX1() throws Exception {
        Audit a = race(Mutation.NOFAIL_NO_CMPXCHG);
        assertEquals(1, a.count(Violation.Property.P1_NO_DOUBLE_FREE), a.violations().toString());
    }
}
