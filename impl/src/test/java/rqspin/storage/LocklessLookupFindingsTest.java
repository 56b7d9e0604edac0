package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static rqspin.storage.LocalStorageMap.BPF_ANY;
import static rqspin.storage.LocalStorageMap.BPF_EXIST;
import static rqspin.storage.World.val;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.storage.check.Step;

/**
 * Two findings about the lockless lookups, the same in both protocols, kept
 * as expected verdicts.
 *
 * <p>Lookup: {@code bpf_local_storage_lookup} walks the storage list
 * without a lock. An update that replaces the element links the new selem at
 * the head and unlinks the old one; a walker already past the head misses
 * the new one, and if the old one is unlinked before the walker reaches it,
 * the lookup finds nothing, although the owner had a value in the map all
 * along ({@link #aLookupRacingAReplacementFindsNothing}).
 *
 * <p>Delete: a finding about delete ({@code bpf_sk_storage_del} ->
 * {@code bpf_selem_unlink}), the same in both protocols, kept as an expected
 * verdict: delete is not linearizable. It looks the element up without a
 * lock, and {@code bpf_selem_unlink} returns 0 when that element is no
 * longer linked once it holds local_storage->lock ("selem has already been
 * unlinked from sk"). So two deletes of one element both return 0, and a
 * delete racing a {@code BPF_EXIST} update (which replaced the element)
 * returns 0 and leaves the new value in place, although the update needed
 * the element to exist and the delete claims to have removed it. Lincheck
 * finds the same (LinearizabilityTest.deleteIsNotLinearizable).
 */
class LocklessLookupFindingsTest {

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aLookupRacingAReplacementFindsNothing(Protocol p) throws Exception {
        try (World w = new World(p)) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8);
            LocalStorageMap m0 = w.kernel.newMap("m0", 8);
            Owner o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            m0.update(w.cpu0, o1, val(5), BPF_ANY); // o1's list: [z (m0), x (m1)]
            Gate.Hold onZ = w.gate.holdAt(1, Step.LOOKUP_WALK, 1);
            java.util.concurrent.atomic.AtomicReference<byte[]> seen = new java.util.concurrent.atomic.AtomicReference<>();
            World.Run lookup = w.start(1, c -> seen.set(m1.lookup(c, o1)));
            onZ.awaitReached(); // the walk stands on z, past the head
            assertNull(w.start(2, c -> m1.update(c, o1, val(2), BPF_ANY)).join(), "y replaces x: y at the head, x unlinked");
            onZ.open();
            assertNull(lookup.join());
            assertNull(seen.get(), "the lookup found nothing although (o1, m1) had a value throughout");
            assertArrayEquals(val(2), m1.lookup(w.cpu0, o1));
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void twoDeletesOfOneElementBothSucceed(Protocol p) throws Exception {
        try (World w = new World(p)) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8);
            Owner o1 = w.kernel.newOwner("o1");
            LocalStorageMap m2 = w.kernel.newMap("m2", 8);
            m2.update(w.cpu0, o1, val(7), BPF_ANY); // keeps o1's storage alive
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            Gate.Hold found = w.gate.holdAt(1, Step.DELETE_LOCK_STORAGE, 1);
            World.Run first = w.start(1, c -> m1.delete(c, o1));
            found.awaitReached(); // delete #1 looked x1 up and saw it linked
            assertNull(w.start(2, c -> m1.delete(c, o1)).join(), "delete #2 removes x1");
            found.open();
            assertNull(first.join(), "delete #1 returns 0 too: x1 is already unlinked");
            assertNull(m1.lookup(w.cpu0, o1));
            w.quiesce();
            assertEquals(1, w.kernel.audit().report().selemsFreed() - 0, "x1 freed once");
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aDeleteRacingAnExistUpdateSucceedsAndTheNewValueStays(Protocol p) throws Exception {
        try (World w = new World(p)) {
            LocalStorageMap m1 = w.kernel.newMap("m1", 8);
            Owner o1 = w.kernel.newOwner("o1");
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            Gate.Hold found = w.gate.holdAt(1, Step.DELETE_LOCK_STORAGE, 1);
            World.Run delete = w.start(1, c -> m1.delete(c, o1));
            found.awaitReached(); // delete looked x1 up
            assertNull(w.start(2, c -> m1.update(c, o1, val(2), BPF_EXIST)).join(), "the BPF_EXIST update replaces x1");
            found.open();
            assertNull(delete.join(), "delete returns 0");
            assertArrayEquals(val(2), m1.lookup(w.cpu0, o1), "and the updated value is still there");
        }
    }
}
