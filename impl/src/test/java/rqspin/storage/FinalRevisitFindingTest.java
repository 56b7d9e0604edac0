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
import rqspin.lock.Errno;
import rqspin.lock.Machine;

/**
 * A finding about the merged {@code bpf_selem_unlink_nofail}, kept as an
 * expected verdict (the Java follows the code of torvalds/linux 0542972950ef).
 *
 * <p>map_free visits x1, the only selem of o1, and both of its lock attempts
 * fail: b->lock (smap is cleared, WARN) and local_storage->lock
 * (local_storage is kept, as map_free keeps it on failure). The walk then
 * restarts after {@code cond_resched_rcu} and visits x1 again. Now smap is
 * NULL, so the storage part runs without
 * {@code bpf_selem_unlink_storage_nolock_misc} (the condition is
 * {@code smap && in_map_free}): x1 is unlinked as the last selem and the
 * storage is freed, but nothing uncharges it and nothing clears
 * {@code owner->storage} or {@code local_storage->owner}. The owner is alive:
 * its next access to its storage (a lookup in any other map, an update, or
 * finally {@code bpf_sk_storage_free}) uses the freed storage. P7 allows a
 * leak after a lock failure, never a use after free.
 *
 * <p>The same two failures let destroy free the selem while it is still on
 * map_free's bucket: destroy finds smap NULL (so it does not touch the
 * bucket), unlinks {@code snode}, sets its bit and wins the cmpxchg to
 * {@code SELEM_TOFREE}, as map_free already set its bit. If that happens
 * while map_free is in {@code cond_resched_rcu}, the grace period ends there
 * too, and map_free's restarted walk reads the freed selem from the bucket.
 *
 * <p>With a single failure (either lock) the revisit is harmless, which the
 * third test shows.
 */
class FinalRevisitFindingTest {

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

    @Test
    void oneFailureAndARestartAreHarmless() throws Exception {
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
