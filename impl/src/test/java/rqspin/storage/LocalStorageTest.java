package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rqspin.storage.LocalStorageMap.BPF_ANY;
import static rqspin.storage.LocalStorageMap.BPF_EXIST;
import static rqspin.storage.LocalStorageMap.BPF_F_LOCK;
import static rqspin.storage.LocalStorageMap.BPF_NOEXIST;
import static rqspin.storage.World.val;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.lock.Cpu;
import rqspin.storage.check.Audit;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.UseAfterFreeError;
import rqspin.storage.check.Violation;

/**
 * Single-threaded behaviour of both protocols: update flags, lookup through
 * the cache, delete, destroy, map_free, accounting and its limit, special
 * fields, and bad input (a specific exception, nothing changed).
 */
class LocalStorageTest {

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void updateLookupDeleteFollowTheFlags(Protocol p) throws Exception {
        try (World w = new World(p)) {
            Cpu c = w.cpu0;
            LocalStorageMap m = w.kernel.newMap("m1", 8);
            Owner o = w.kernel.newOwner("o1");
            assertNull(m.lookup(c, o));
            assertEquals(Err.ENOENT, assertThrows(StorageException.class, () -> m.update(c, o, val(1), BPF_EXIST)).err());
            m.update(c, o, val(1), BPF_NOEXIST);
            assertArrayEquals(val(1), m.lookup(c, o));
            assertEquals(Err.EEXIST, assertThrows(StorageException.class, () -> m.update(c, o, val(2), BPF_NOEXIST)).err());
            assertArrayEquals(val(1), m.lookup(c, o));
            m.update(c, o, val(2), BPF_EXIST);
            assertArrayEquals(val(2), m.lookup(c, o));
            m.update(c, o, val(3), BPF_ANY);
            assertArrayEquals(val(3), m.lookup(c, o));
            m.delete(c, o);
            assertNull(m.lookup(c, o));
            assertEquals(Err.ENOENT, assertThrows(StorageException.class, () -> m.delete(c, o)).err());
            w.quiesce();
            assertEquals(0, o.charged(), "every byte uncharged after the last delete");
            assertNull(o.storageForAudit(), "the last delete unpublishes the storage");
            Audit.Report r = w.kernel.audit().report();
            assertTrue(r.clean(), r.toString());
            // the refused BPF_NOEXIST update allocated (and freed) a selem too: the flags are checked under the lock
            assertEquals(4, r.selemsAllocated());
            assertEquals(4, r.selemsFreed());
            assertEquals(1, r.storagesFreed());
            assertEquals(4, r.fieldsReleased(), "the special field of every selem released once");
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void chargesFollowTheLinkedSelemsAndTheLimitRefuses(Protocol p) throws Exception {
        try (World w = new World(p)) {
            Cpu c = w.cpu0;
            LocalStorageMap m1 = w.kernel.newMap("m1", 8);
            LocalStorageMap m2 = w.kernel.newMap("m2", 8);
            int elem = m1.elemSize();
            // room for the header and two selems, plus one transient selem for an update
            Owner o = w.kernel.newOwner("o1", LocalStorage.SIZE + 3 * elem);
            m1.update(c, o, val(1), BPF_ANY);
            assertEquals(LocalStorage.SIZE + elem, o.charged());
            m2.update(c, o, val(2), BPF_ANY);
            assertEquals(LocalStorage.SIZE + 2 * elem, o.charged());
            m1.update(c, o, val(3), BPF_ANY); // replaces: charged, then the old one uncharged
            assertEquals(LocalStorage.SIZE + 2 * elem, o.charged());
            if (p == Protocol.FINAL) {
                assertEquals(LocalStorage.SIZE + 2 * elem, o.storageForAudit().memChargeForAudit());
            }
            LocalStorageMap m3 = w.kernel.newMap("m3", 8);
            m3.update(c, o, val(4), BPF_ANY);
            LocalStorageMap m4 = w.kernel.newMap("m4", 8);
            int before = o.charged();
            StorageException e = assertThrows(StorageException.class, () -> m4.update(c, o, val(5), BPF_ANY));
            assertEquals(Err.ENOMEM, e.err());
            assertEquals(before, o.charged(), "a refused charge changes nothing");
            assertNull(m4.lookup(c, o));
            assertEquals(0, o.destroy(c) - (LocalStorage.SIZE + 3 * elem), "destroy returns what is charged");
            w.quiesce();
            assertEquals(0, o.charged());
            assertTrue(w.kernel.audit().report().clean(), w.kernel.audit().report().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void lookupCachesTheElementAndDeleteClearsTheSlot(Protocol p) throws Exception {
        try (World w = new World(p)) {
            Cpu c = w.cpu0;
            LocalStorageMap m = w.kernel.newMap("m1", 8);
            LocalStorageMap other = w.kernel.newMap("m2", 8);
            Owner o = w.kernel.newOwner("o1");
            other.update(c, o, val(9), BPF_ANY);
            m.update(c, o, val(1), BPF_ANY);
            long before = w.gate.lines().stream().filter(l -> l.contains("lookup:insert_cache")).count();
            m.lookup(c, o);
            m.lookup(c, o);
            long after = w.gate.lines().stream().filter(l -> l.contains("lookup:insert_cache")).count();
            assertEquals(1, after - before, "the second lookup hits the cache");
            m.delete(c, o);
            assertNull(m.lookup(c, o), "the cache slot was cleared with the delete");
            assertArrayEquals(val(9), other.lookup(c, o));
        }
    }

    @Test
    void aCacheInsertWhoseLockFailsCachesNothing() throws Exception {
        try (World w = new World(Protocol.FINAL)) {
            Cpu c = w.cpu0;
            LocalStorageMap m = w.kernel.newMap("m1", 8);
            Owner o = w.kernel.newOwner("o1");
            m.update(c, o, val(1), BPF_ANY);
            w.kernel.failures().failAt(LockSite.LOOKUP_CACHE, 1, rqspin.lock.Errno.EDEADLK);
            assertArrayEquals(val(1), m.lookup(c, o), "the lookup still answers");
            long inserts = w.gate.lines().stream().filter(l -> l.contains("lookup:insert_cache")).count();
            m.lookup(c, o);
            long inserts2 = w.gate.lines().stream().filter(l -> l.contains("lookup:insert_cache")).count();
            assertEquals(inserts + 1, inserts2, "nothing was cached: the next lookup walks the list again");
            assertEquals(1, w.kernel.failures().injectedCount());
            assertEquals(LockSite.LOOKUP_CACHE, w.kernel.failures().failures().get(0).site());
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void fLockUpdatesInPlace(Protocol p) throws Exception {
        try (World w = new World(p)) {
            Cpu c = w.cpu0;
            LocalStorageMap m = w.kernel.newMap("m1", 8, 2, 1, true);
            Owner o = w.kernel.newOwner("o1");
            m.update(c, o, val(1), BPF_ANY);
            Selem x = o.storageForAudit().selemsForAudit().get(0);
            m.update(c, o, val(2), BPF_F_LOCK | BPF_EXIST);
            assertSame(x, o.storageForAudit().selemsForAudit().get(0), "same selem, value rewritten in place");
            assertArrayEquals(val(2), m.lookup(c, o));
            assertEquals(1, w.kernel.audit().report().selemsAllocated());
            assertEquals(Err.EEXIST,
                    assertThrows(StorageException.class, () -> m.update(c, o, val(3), BPF_F_LOCK | BPF_NOEXIST)).err());
        }
    }

    @Test
    void badInputIsRejectedAndChangesNothing() throws Exception {
        try (World w = new World(Protocol.FINAL)) {
            Cpu c = w.cpu0;
            Kernel k = w.kernel;
            assertEquals(BadInputException.Kind.VALUE_SIZE, assertThrows(BadInputException.class, () -> k.newMap("z", 0)).kind());
            assertEquals(BadInputException.Kind.VALUE_SIZE,
                    assertThrows(BadInputException.class, () -> k.newMap("z", LocalStorageMap.MAX_VALUE_SIZE + 1)).kind());
            assertNotNull(k.newMap("big", LocalStorageMap.MAX_VALUE_SIZE));
            assertEquals(BadInputException.Kind.MAP_PARAMETER,
                    assertThrows(BadInputException.class, () -> k.newMap("z", 8, 3, 0, false)).kind());
            LocalStorageMap m = k.newMap("m1", 8);
            Owner o = k.newOwner("o1");
            m.update(c, o, val(1), BPF_ANY);
            int charged = o.charged();
            int attempts = k.failures().attempts();
            assertEquals(BadInputException.Kind.INVALID_FLAGS,
                    assertThrows(BadInputException.class, () -> m.update(c, o, val(2), BPF_EXIST | BPF_NOEXIST)).kind());
            assertEquals(BadInputException.Kind.INVALID_FLAGS,
                    assertThrows(BadInputException.class, () -> m.update(c, o, val(2), 8)).kind());
            assertEquals(BadInputException.Kind.INVALID_FLAGS,
                    assertThrows(BadInputException.class, () -> m.update(c, o, val(2), BPF_F_LOCK)).kind(),
                    "BPF_F_LOCK needs a spin lock in the value");
            assertEquals(BadInputException.Kind.VALUE_SIZE,
                    assertThrows(BadInputException.class, () -> m.update(c, o, new byte[7], BPF_ANY)).kind());
            assertEquals(charged, o.charged());
            assertEquals(attempts, k.failures().attempts(), "no lock was even tried");
            assertArrayEquals(val(1), m.lookup(c, o));

            Owner gone = k.newOwner("o2");
            gone.destroy(c);
            assertEquals(BadInputException.Kind.OWNER_DESTROYED,
                    assertThrows(BadInputException.class, () -> m.update(c, gone, val(1), BPF_ANY)).kind());
            assertEquals(BadInputException.Kind.OWNER_DESTROYED,
                    assertThrows(BadInputException.class, () -> gone.destroy(c)).kind());

            LocalStorageMap freed = k.newMap("m2", 8);
            freed.mapFree(c);
            assertEquals(BadInputException.Kind.MAP_FREED,
                    assertThrows(BadInputException.class, () -> freed.update(c, o, val(1), BPF_ANY)).kind());
            assertEquals(BadInputException.Kind.MAP_FREED, assertThrows(BadInputException.class, () -> freed.lookup(c, o)).kind());
            assertEquals(BadInputException.Kind.MAP_FREED, assertThrows(BadInputException.class, () -> freed.delete(c, o)).kind());
            assertEquals(BadInputException.Kind.MAP_FREED, assertThrows(BadInputException.class, () -> freed.mapFree(c)).kind());

            Kernel other = Kernel.builder(w.machine).build();
            Owner foreign = other.newOwner("x");
            assertEquals(BadInputException.Kind.FOREIGN,
                    assertThrows(BadInputException.class, () -> m.update(c, foreign, val(1), BPF_ANY)).kind());
            Cpu notMine = w.machine.cpu(1);
            assertEquals(BadInputException.Kind.FOREIGN,
                    assertThrows(BadInputException.class, () -> m.lookup(notMine, o)).kind());
            assertEquals(charged, o.charged());
            assertArrayEquals(val(1), m.lookup(c, o));
            assertTrue(k.audit().report().clean());
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void destroyThenMapFreeFreesEverythingOnce(Protocol p) throws Exception {
        try (World w = new World(p)) {
            Cpu c = w.cpu0;
            LocalStorageMap m1 = w.kernel.newMap("m1", 8);
            LocalStorageMap m2 = w.kernel.newMap("m2", 16);
            Owner[] owners = new Owner[5];
            for (int i = 0; i < owners.length; i++) {
                owners[i] = w.kernel.newOwner(null);
                m1.update(c, owners[i], val(i), BPF_ANY);
                m2.update(c, owners[i], new byte[16], BPF_ANY);
            }
            owners[0].destroy(c);
            owners[1].destroy(c);
            m1.mapFree(c);
            for (int i = 2; i < owners.length; i++) {
                owners[i].destroy(c);
            }
            m2.mapFree(c);
            w.quiesce();
            Audit.Report r = w.kernel.audit().report();
            if (p == Protocol.FINAL) {
                assertTrue(r.clean(), r.toString());
            } else {
                // v3 frees everything too in this order: map_free never touches the storage lists,
                // but every owner is destroyed in the end (C6 shows only while an owner lives on)
                assertTrue(r.clean(), r.toString());
            }
            assertEquals(10, r.selemsFreed());
            assertEquals(5, r.storagesFreed());
            assertEquals(10, r.fieldsReleased());
            for (Owner o : owners) {
                assertEquals(0, o.charged());
                assertTrue(o.isFreed());
            }
            assertTrue(m1.isFreed() && m2.isFreed());
            assertEquals(0, w.kernel.rcu().pendingCallbacks());
        }
    }

    /** A lookup standing on x1 while delete frees it: the grace period keeps x1 readable until the lookup ends. */
    private static Throwable walkerAcrossADelete(Mutation mu) throws Exception {
        try (World w = new World(Kernel.builder(rqspin.lock.Machine.of(4)).mutation(mu))) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8);
            LocalStorageMap m2 = w.kernel.newMap("m2", 8);
            Owner o = w.kernel.newOwner("o1");
            m2.update(w.cpu0, o, val(2), BPF_ANY);
            m1.update(w.cpu0, o, val(1), BPF_ANY); // list: [x2 (m1), x1 (m2)]; a lookup in m2 walks over x2
            Gate.Hold onX = w.gate.holdAt(1, Step.LOOKUP_WALK, 1);
            World.Run lookup = w.start(1, c -> m2.lookup(c, o));
            onX.awaitReached();
            assertEquals(null, w.start(2, c -> m1.delete(c, o)).join());
            onX.open();
            return lookup.join();
        }
    }

    @Test
    void theGracePeriodKeepsAWalkersSelemReadable() throws Exception {
        assertNull(walkerAcrossADelete(Mutation.NONE));
        Throwable t = walkerAcrossADelete(Mutation.RCU_NO_GRACE_PERIOD);
        assertTrue(t instanceof UseAfterFreeError, "without a grace period the walker reads a freed selem: " + t);
    }

    @Test
    void aFreedOwnerIsPoisoned() throws Exception {
        try (World w = new World(Protocol.FINAL)) {
            Owner o = w.kernel.newOwner("o1");
            o.destroy(w.cpu0);
            UseAfterFreeError e = assertThrows(UseAfterFreeError.class, () -> o.storage());
            assertTrue(e.getMessage().contains("owner o1") && e.getMessage().contains("read owner->storage"), e.getMessage());
            assertEquals(1, w.kernel.audit().count(Violation.Property.P5_NO_USE_AFTER_FREE));
            assertFalse(w.kernel.audit().report().clean());
        }
    }
}
