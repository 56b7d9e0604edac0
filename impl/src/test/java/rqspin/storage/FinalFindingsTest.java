package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rqspin.storage.LocalStorageMap.BPF_ANY;
import static rqspin.storage.World.val;

import org.junit.jupiter.api.Test;
import rqspin.kernel.Refcount;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.storage.check.Audit;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.UseAfterFreeError;
import rqspin.storage.check.Violation;

/**
 * Findings about the merged {@code bpf_selem_unlink_nofail} and
 * {@code bpf_local_storage_map_free} (the Java follows the code of
 * torvalds/linux 0542972950ef line by line), each kept as an expected
 * verdict. All need map_free's b->lock to fail on a selem x1, which leaves x1
 * on the bucket with smap cleared (the leak the kernel accepts with
 * {@code WARN_ON_ONCE(err && in_map_free)}), and all end in a use after free,
 * which P7 never allows.
 *
 * <ul>
 * <li>F1 ({@link #twoFailuresAndARestartFreeAStorageTheOwnerStillPublishes}):
 *     map_free also fails local_storage->lock, so it keeps local_storage;
 *     after {@code cond_resched_rcu} it restarts and visits x1 again. Now
 *     smap is NULL, so the storage part runs without
 *     {@code bpf_selem_unlink_storage_nolock_misc} (its condition is
 *     {@code smap && in_map_free}): x1 is unlinked as the last selem and the
 *     storage freed, but not uncharged, and {@code owner->storage} and
 *     {@code local_storage->owner} still point at it. The owner is alive: its
 *     next access to its storage uses freed memory.</li>
 * <li>F2 ({@link #twoFailuresLetDestroyFreeTheSelemUnderTheRestartedWalk}):
 *     the same two failures; destroy then finds smap NULL (so it leaves the
 *     bucket alone), unlinks snode, sets its bit and wins the cmpxchg to
 *     {@code SELEM_TOFREE}: x1 is freed while still on map_free's bucket. If
 *     that happens during map_free's {@code cond_resched_rcu}, the grace
 *     period ends there too and the restarted walk reads freed x1.</li>
 * <li>F3 ({@link #oneFailureAndDestroyBetweenTheTwoHalvesFreeTheSelemOnTheBucket}):
 *     one failure is enough if destroy reads x1's local_storage before
 *     map_free clears it and its smap after map_free cleared it: map_free
 *     unlinks x1 from the storage and sets its bit, destroy finds x1
 *     unlinked, sets its bit, wins the cmpxchg and frees x1 while it is on
 *     the bucket (P2). A restart of map_free's walk then reads freed x1.
 *     This is the three-way race of the kernel's comment (map_free(x1),
 *     destroy(x1), destroy(x2) holding b->lock) with one more step: the
 *     comment expects a leak of x1's special fields; x1 itself can be
 *     freed under the walk.</li>
 * <li>H1 ({@link #destroyFailingTheStorageLockWhileMapFreePinsTheOwnerSpinsForever}):
 *     destroy fails local_storage->lock on x1 while map_free holds it with
 *     the owner pinned ({@code owner_refcnt} 2); destroy finishes its walk
 *     and drops its reference (1); map_free's {@code refcount_dec} then
 *     takes the count from 1 to 0, which {@code refcount_dec} never stores:
 *     it WARNs and saturates, and destroy's wait for 0 never ends (P9).
 *     This is the only case where the pin matters: destroy can return
 *     while map_free uncharges only if its own local_storage->lock attempt
 *     failed; without the pin (or the wait) map_free then uncharges a freed
 *     owner ({@link #withoutThePinOrTheWaitMapFreeUnchargesAFreedOwner}).</li>
 * </ul>
 * F3, F1 and H1 are also found by the TLC models of spec/localstorage/LocalStorage.tla
 * (ls_final_f1_uaf, ls_final_f2_ls_uaf, ls_final_f1_hang). Without a restart, or without a racing destroy, a single failure stays a
 * leak ({@link #oneFailureAndARestartWithoutADestroyAreHarmless},
 * {@link #withoutTheRestartTheTwoFailuresOnlyLeak}).
 */
class FinalFindingsTest {

    private static World world() {
        return new World(Kernel.builder(Machine.of(4)).protocol(Protocol.FINAL).needResched(NeedResched.firstTimes(1)));
    }

    @Test
    void twoFailuresAndARestartFreeAStorageTheOwnerStillPublishes() throws Exception {
        try (World w = world()) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            LocalStorageMap m2 = w.kernel.newMap("m2", 8, 1, 1, false);
            Owner o1 = w.kernel.newOwner("o1");
            int elem = m1.elemSize();
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            LocalStorage ls1 = o1.storageForAudit();
            w.kernel.failures().failAt(LockSite.MAP_FREE_BUCKET, 1, Errno.ETIMEDOUT)
                    .failAt(LockSite.MAP_FREE_STORAGE, 1, Errno.ETIMEDOUT);
            m1.mapFree(w.cpu0);
            w.quiesce();
            assertTrue(ls1.isFreed(), "the revisit unlinked x1 as the last selem and freed ls1:\n" + w.gate.trace());
            assertSame(ls1, o1.storageForAudit(), "but o1 still publishes it");
            assertEquals(LocalStorage.SIZE + elem, o1.charged(), "and nothing was uncharged");
            UseAfterFreeError e = assertThrows(UseAfterFreeError.class, () -> m2.lookup(w.cpu0, o1));
            assertTrue(e.getMessage().contains("local_storage ls1"), e.getMessage());
            assertEquals(1, w.kernel.audit().count(Violation.Property.P5_NO_USE_AFTER_FREE));
        }
    }

    @Test
    void twoFailuresLetDestroyFreeTheSelemUnderTheRestartedWalk() throws Exception {
        try (World w = world()) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            Owner o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            Selem x1 = o1.storageForAudit().selemsForAudit().get(0);
            w.kernel.failures().failAt(LockSite.MAP_FREE_BUCKET, 1, Errno.ETIMEDOUT)
                    .failAt(LockSite.MAP_FREE_STORAGE, 1, Errno.ETIMEDOUT);
            Gate.Hold resched = w.gate.holdAt(1, Step.MAP_FREE_COND_RESCHED_RCU, 1);
            World.Run mf = w.start(1, c -> m1.mapFree(c));
            resched.awaitReached();
            assertNull(w.start(2, c -> o1.destroy(c)).join());
            assertTrue(x1.isFreed(), "destroy won the cmpxchg and the grace period ended:\n" + w.gate.trace());
            assertTrue(w.kernel.audit().count(Violation.Property.P2_FREE_ONLY_UNLINKED) >= 1,
                    "x1 was freed while still on m1's bucket: " + w.kernel.audit().violations());
            resched.open();
            UseAfterFreeError e = assertInstanceOf(UseAfterFreeError.class, mf.join(), w.gate.trace());
            assertTrue(e.getMessage().contains("selem x1"), e.getMessage());
        }
    }

    /**
     * One failure is enough when destroy races: map_free fails b->lock on x1
     * and clears smap; destroy(o1) reads x1's local_storage (still set) and
     * smap (already NULL); map_free unlinks x1 from the storage and sets its
     * bit; destroy finds x1 unlinked, sets its bit and wins the cmpxchg:
     * x1 is freed while it is still on map_free's bucket (P2). If map_free
     * restarts after the grace period, it reads the freed x1.
     */
    @Test
    void oneFailureAndDestroyBetweenTheTwoHalvesFreeTheSelemOnTheBucket() throws Exception {
        try (World w = world()) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            Owner o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            Selem x1 = o1.storageForAudit().selemsForAudit().get(0);
            w.kernel.failures().failAt(LockSite.MAP_FREE_BUCKET, 1, Errno.ETIMEDOUT);
            Gate.Hold walk = w.gate.holdAt(1, Step.MAP_FREE_RCU_READ_LOCK, 1);
            Gate.Hold mfStorage = w.gate.holdAt(1, Step.NOFAIL_LOCK_STORAGE, 1);
            Gate.Hold dsStorage = w.gate.holdAt(2, Step.NOFAIL_LOCK_STORAGE, 1);
            Gate.Hold resched = w.gate.holdAt(1, Step.MAP_FREE_COND_RESCHED_RCU, 1);
            World.Run mf = w.start(1, c -> m1.mapFree(c));
            walk.awaitReached(); // past map_free's first synchronize_rcu
            walk.open();
            mfStorage.awaitReached(); // map_free failed b->lock and cleared smap
            World.Run ds = w.start(2, c -> o1.destroy(c));
            dsStorage.awaitReached(); // destroy read local_storage = ls1, smap = NULL
            mfStorage.open();
            resched.awaitReached(); // map_free unlinked x1 from ls1, set SELEM_MAP_UNLINKED, freed ls1
            dsStorage.open();
            assertNull(ds.join(), w.gate.trace());
            assertTrue(x1.isFreed(), "destroy freed x1 and the grace period ended:\n" + w.gate.trace());
            assertEquals(1, w.kernel.failures().failureCount(), "a single lock failure");
            assertTrue(w.kernel.audit().violations().stream().anyMatch(v -> v.property()
                    == Violation.Property.P2_FREE_ONLY_UNLINKED && v.what().contains("frees x1 while it is still on m1")),
                    w.kernel.audit().violations().toString());
            resched.open();
            UseAfterFreeError e = assertInstanceOf(UseAfterFreeError.class, mf.join(), w.gate.trace());
            assertTrue(e.getMessage().contains("selem x1"), e.getMessage());
        }
    }

    /** The H1 interleaving; returns the kernel's audit. */
    private static Audit h1(Mutation mu) throws Exception {
        try (World w = new World(Kernel.builder(Machine.of(4)).protocol(Protocol.FINAL).mutation(mu))) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            LocalStorageMap m2 = w.kernel.newMap("m2", 8, 1, 1, false);
            Owner o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            m2.update(w.cpu0, o1, val(2), BPF_ANY); // x2 keeps ls1 alive when map_free unlinks x1
            LocalStorage ls1 = o1.storageForAudit();
            // map_free inside _misc with ls1->lock held, about to uncharge (unmutated: owner pinned, owner_refcnt 2)
            Gate.Hold inMisc = w.gate.holdAt(1, Step.NOFAIL_UNCHARGE, 1);
            World.Run mf = w.start(1, c -> m1.mapFree(c));
            inMisc.awaitReached();
            // destroy's attempts on ls1->lock fail (as they could behind map_free: a timeout)
            w.kernel.failures().failAt(LockSite.DESTROY_STORAGE, Errno.ETIMEDOUT);
            Gate.Hold drop = w.gate.holdAt(2, Step.DESTROY_DEC_AND_TEST, 1);
            Gate.Hold wait = w.gate.holdAt(2, Step.DESTROY_SPIN, 1); // destroy has to wait for owner_refcnt
            World.Run ds = w.start(2, c -> o1.destroy(c));
            drop.awaitReached(); // destroy walked past x2 and x1, failing ls1->lock on both
            drop.open();
            Throwable d = null;
            Throwable m;
            if (mu == Mutation.NONE) {
                wait.awaitReached(); // refcount_dec_and_test: 2 -> 1, not 0: destroy waits for map_free
                Gate.Hold unlinked = w.gate.holdAt(1, Step.MAP_FREE_NEXT, 1);
                inMisc.open(); // map_free uncharges, then refcount_dec: 1 -> saturated
                unlinked.awaitReached();
                wait.open(); // the wait for 0 can never end (the Java twin records P9 and stops)
                unlinked.open();
                d = ds.join();
                m = mf.join();
            } else {
                wait.open();
                d = ds.join(); // without the pin or the wait, destroy returns now and the owner is freed
                inMisc.open(); // map_free uncharges the freed owner
                m = mf.join();
            }
            if (mu == Mutation.NONE) {
                assertNull(d, w.gate.trace());
                assertNull(m, w.gate.trace());
                assertTrue(ls1.ownerRefcnt.read() < 0, "saturated");
            } else {
                assertInstanceOf(UseAfterFreeError.class, m, w.gate.trace());
            }
            return w.kernel.audit();
        }
    }

    @Test
    void destroyFailingTheStorageLockWhileMapFreePinsTheOwnerSpinsForever() throws Exception {
        Audit a = h1(Mutation.NONE);
        assertEquals(1, a.warnCount(Refcount.WARN_DEC_LEAK), a.warns().toString());
        assertTrue(a.violations().stream().anyMatch(v -> v.property() == Violation.Property.P9_TEARDOWN_TERMINATES
                && v.what().contains("owner_refcnt")), a.violations().toString());
        assertEquals(0, a.count(Violation.Property.P5_NO_USE_AFTER_FREE));
    }

    /** The pin and the wait are what turn H1's use after free of the owner into a hang. */
    @Test
    void withoutThePinOrTheWaitMapFreeUnchargesAFreedOwner() throws Exception {
        for (Mutation mu : new Mutation[] {Mutation.NO_OWNER_PIN, Mutation.DESTROY_NO_WAIT}) {
            Audit a = h1(mu);
            assertTrue(a.violations().stream().anyMatch(v -> v.property() == Violation.Property.P5_NO_USE_AFTER_FREE
                    && v.what().contains("owner o1")), mu + ": " + a.violations());
        }
    }

    @Test
    void oneFailureAndARestartWithoutADestroyAreHarmless() throws Exception {
        for (LockSite site : new LockSite[] {LockSite.MAP_FREE_BUCKET, LockSite.MAP_FREE_STORAGE}) {
            try (World w = world()) {
                LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
                LocalStorageMap m2 = w.kernel.newMap("m2", 8, 1, 1, false);
                Owner o1 = w.kernel.newOwner("o1");
                m1.update(w.cpu0, o1, val(1), BPF_ANY);
                w.kernel.failures().failAt(site, 1, Errno.ETIMEDOUT);
                m1.mapFree(w.cpu0);
                w.quiesce();
                assertNull(m2.lookup(w.cpu0, o1));
                o1.destroy(w.cpu0);
                w.quiesce();
                Audit.Report r = w.kernel.audit().report();
                assertEquals(0, r.usesAfterFree() + r.doubleFrees() + r.accountingErrors(), site + ": " + r);
                assertEquals(0, r.unexplainedLeaks(), site + ": " + r);
            }
        }
    }

    @Test
    void withoutTheRestartTheTwoFailuresOnlyLeak() throws Exception {
        try (World w = new World(Kernel.builder(Machine.of(2)).protocol(Protocol.FINAL))) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            Owner o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            w.kernel.failures().failAt(LockSite.MAP_FREE_BUCKET, 1, Errno.ETIMEDOUT)
                    .failAt(LockSite.MAP_FREE_STORAGE, 1, Errno.ETIMEDOUT);
            m1.mapFree(w.cpu0);
            Throwable t = null;
            try {
                o1.destroy(w.cpu0);
            } catch (Throwable e) {
                t = e;
            }
            assertNull(t);
            w.quiesce();
            Audit.Report r = w.kernel.audit().report();
            assertEquals(0, r.usesAfterFree() + r.doubleFrees() + r.accountingErrors(), r.toString());
            assertEquals(0, r.unexplainedLeaks(), r.toString());
            assertInstanceOf(Integer.class, r.leaks());
        }
    }
}
