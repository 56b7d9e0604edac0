package rqspin.maps.hashtab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.FailureReason;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.kfunc.BadMapInputException;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;

/** The hash map's operations, flags, bad input, lock failures at every site, the batch, and AA in an NMI. */
class HashTabTest {
    private final Machine machine = Machine.of(2);
    private final Cpu cpu = machine.attach();

    @AfterEach
    void detach() {
        cpu.detach();
    }

    static byte[] key(int k) {
        return ByteBuffer.allocate(4).putInt(k).array();
    }

    static byte[] val(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    static long num(byte[] v) {
        return ByteBuffer.wrap(v).getLong();
    }

    private HashTab map(int maxEntries, FailureInjector<HtabSite> f, Mutation mu) {
        return new HashTab(machine, Version.V6_15, 4, 8, maxEntries, f, mu);
    }

    /** key -> value of every key in 0..n-1 present, by lookups. */
    private Map<Integer, Long> contents(HashTab m, int n) {
        Map<Integer, Long> c = new TreeMap<>();
        for (int k = 0; k < n; k++) {
            byte[] v = m.lookup(cpu, key(k));
            if (v != null) {
                c.put(k, num(v));
            }
        }
        return c;
    }

    @Test
    void updateFlagsLookupDelete() {
        HashTab m = map(4, new FailureInjector<>(HtabSite.class), Mutation.NONE);
        assertEquals(MapErrno.ENOENT, m.update(cpu, key(1), val(10), HashTab.BPF_EXIST));
        assertEquals(0, m.update(cpu, key(1), val(10), HashTab.BPF_NOEXIST));
        assertEquals(MapErrno.EEXIST, m.update(cpu, key(1), val(11), HashTab.BPF_NOEXIST));
        assertEquals(0, m.update(cpu, key(1), val(12), HashTab.BPF_EXIST));
        assertEquals(0, m.update(cpu, key(1), val(13), HashTab.BPF_ANY));
        assertEquals(13, num(m.lookup(cpu, key(1))));
        assertNull(m.lookup(cpu, key(2)));
        assertEquals(0, m.delete(cpu, key(1)));
        assertEquals(MapErrno.ENOENT, m.delete(cpu, key(1)));
        assertNull(m.lookup(cpu, key(1)));
        assertEquals(List.of(), m.audit());
    }

    @Test
    void preallocatedElementsRunOutWithE2bigButReplacementsStillWork() {
        HashTab m = map(2, new FailureInjector<>(HtabSite.class), Mutation.NONE);
        assertEquals(0, m.update(cpu, key(1), val(1), HashTab.BPF_ANY));
        assertEquals(0, m.update(cpu, key(2), val(2), HashTab.BPF_ANY));
        assertEquals(MapErrno.E2BIG, m.update(cpu, key(3), val(3), HashTab.BPF_ANY));
        for (int i = 0; i < 10; i++) { // each replacement swaps with this CPU's extra element
            assertEquals(0, m.update(cpu, key(1), val(100 + i), HashTab.BPF_ANY));
        }
        assertEquals(Map.of(1, 109L, 2, 2L), contents(m, 4));
        assertEquals(0, m.delete(cpu, key(2)));
        assertEquals(0, m.update(cpu, key(3), val(3), HashTab.BPF_NOEXIST));
        assertEquals(List.of(), m.audit());
    }

    @Test
    void badFlagsAreEinvalAndBadSizesThrowBothChangingNothing() {
        HashTab m = map(4, new FailureInjector<>(HtabSite.class), Mutation.NONE);
        m.update(cpu, key(1), val(1), HashTab.BPF_ANY);
        int attempts = m.failures().attempts();
        assertEquals(MapErrno.EINVAL, m.update(cpu, key(2), val(2), 3));
        assertEquals(MapErrno.EINVAL, m.update(cpu, key(2), val(2), -1L));
        assertEquals(MapErrno.EINVAL, m.update(cpu, key(1), val(2), HashTab.BPF_F_LOCK)); // no bpf_spin_lock
        assertEquals(MapErrno.EINVAL, m.lookupAndDelete(cpu, key(1), new byte[8], HashTab.BPF_F_LOCK));
        assertThrows(BadMapInputException.class, () -> m.update(cpu, new byte[3], val(2), 0));
        assertThrows(BadMapInputException.class, () -> m.update(cpu, key(2), new byte[9], 0));
        assertThrows(BadMapInputException.class, () -> m.delete(cpu, new byte[5]));
        assertThrows(BadMapInputException.class, () -> m.lookup(cpu, null));
        assertThrows(BadMapInputException.class, () -> m.lookupAndDelete(cpu, key(1), new byte[2], 0));
        assertThrows(BadMapInputException.class, () -> new HashTab(machine, Version.V6_15, 0, 8, 4));
        assertThrows(BadMapInputException.class, () -> new HashTab(machine, Version.V6_15, 4, 8, 0));
        assertEquals(Map.of(1, 1L), contents(m, 4));
        assertEquals(attempts, m.failures().attempts(), "no lock was attempted for bad input");
        assertEquals(List.of(), m.audit());
    }

    @Test
    void lookupAndDeleteReturnsTheValueAndRemovesIt() {
        HashTab m = map(4, new FailureInjector<>(HtabSite.class), Mutation.NONE);
        m.update(cpu, key(7), val(70), HashTab.BPF_ANY);
        byte[] out = new byte[8];
        assertEquals(0, m.lookupAndDelete(cpu, key(7), out, 0));
        assertEquals(70, num(out));
        assertEquals(MapErrno.ENOENT, m.lookupAndDelete(cpu, key(7), out, 0));
        assertEquals(List.of(), m.audit());
    }

    /** At each site, a failed htab_lock_bucket returns the lock's error and changes nothing. */
    @Test
    void aFailedBucketLockAtEverySiteReturnsTheErrorAndChangesNothing() {
        for (HtabSite site : HtabSite.values()) {
            for (Errno e : Errno.values()) {
                FailureInjector<HtabSite> f = new FailureInjector<>(HtabSite.class);
                HashTab m = map(4, f, Mutation.NONE);
                for (int k = 0; k < 3; k++) {
                    assertEquals(0, m.update(cpu, key(k), val(k), HashTab.BPF_ANY));
                }
                Map<Integer, Long> before = contents(m, 4);
                f.failAt(site, e);
                int ret;
                switch (site) {
                    case htab_map_update_elem:
                        assertEquals(e.kernelReturn(), m.update(cpu, key(1), val(99), HashTab.BPF_ANY));
                        ret = m.update(cpu, key(3), val(99), HashTab.BPF_NOEXIST);
                        break;
                    case htab_map_delete_elem:
                        ret = m.delete(cpu, key(1));
                        break;
                    case __htab_map_lookup_and_delete_elem:
                        byte[] out = new byte[8];
                        ret = m.lookupAndDelete(cpu, key(1), out, 0);
                        assertArrayEquals(new byte[8], out, "nothing copied out");
                        break;
                    default:
                        List<byte[]> ks = new ArrayList<>();
                        List<byte[]> vs = new ArrayList<>();
                        BatchResult r = m.lookupAndDeleteBatch(cpu, 0, 10, 0, 0, ks, vs);
                        ret = r.ret();
                        assertEquals(0, r.count());
                        assertEquals(0, ks.size());
                        break;
                }
                assertEquals(e.kernelReturn(), ret, site + " " + e);
                assertEquals(before, contents(m, 4), site + " " + e);
                assertEquals(List.of(), m.audit(), site + " " + e);
                assertTrue(f.failures().stream().allMatch(x -> x.site() == site && x.injected()));
                f.clearRules();
                assertEquals(0, m.delete(cpu, key(1)), "the map works after the failure");
            }
        }
    }

    @Test
    void batchDrainsBucketByBucket() {
        HashTab m = map(8, new FailureInjector<>(HtabSite.class), Mutation.NONE);
        for (int k = 0; k < 6; k++) {
            m.update(cpu, key(k), val(k * 10), HashTab.BPF_ANY);
        }
        List<byte[]> ks = new ArrayList<>();
        List<byte[]> vs = new ArrayList<>();
        BatchResult r = m.lookupBatch(cpu, 0, 100, 0, 0, ks, vs);
        assertEquals(MapErrno.ENOENT, r.ret(), "the last bucket was passed");
        assertEquals(6, r.count());
        assertEquals(6, m.size(), "lookup_batch deletes nothing");
        ks.clear();
        vs.clear();
        int batch = 0;
        int total = 0;
        for (int calls = 0; calls < 20; calls++) {
            r = m.lookupAndDeleteBatch(cpu, batch, 2, 0, 0, ks, vs);
            total += r.count();
            batch = r.outBatch();
            if (r.ret() == MapErrno.ENOENT) {
                break;
            }
            assertTrue(r.ret() == 0 || r.ret() == MapErrno.ENOSPC, r.toString());
            assertTrue(r.ret() == 0, "no bucket holds more than 2 of 6 keys in 8 buckets here: " + r);
        }
        assertEquals(6, total);
        assertEquals(6, ks.size());
        for (int i = 0; i < ks.size(); i++) {
            assertEquals(ByteBuffer.wrap(ks.get(i)).getInt() * 10L, num(vs.get(i)));
        }
        assertEquals(0, m.size());
        assertEquals(MapErrno.ENOENT, m.lookupAndDeleteBatch(cpu, 8, 2, 0, 0, ks, vs).ret(), "past the last bucket");
        assertEquals(MapErrno.EINVAL, m.lookupAndDeleteBatch(cpu, 0, 2, HashTab.BPF_F_LOCK, 0, ks, vs).ret());
        assertEquals(MapErrno.EINVAL, m.lookupAndDeleteBatch(cpu, 0, 2, 0, 1, ks, vs).ret());
        assertEquals(List.of(), m.audit());
    }

    @Test
    void batchSaysEnospcWhenTheFirstBucketDoesNotFit() {
        HashTab m = map(8, new FailureInjector<>(HtabSite.class), Mutation.NONE);
        // two keys in one bucket
        int a = 0;
        int b = 1;
        while (m.bucketOf(key(b)) != m.bucketOf(key(a))) {
            b++;
        }
        m.update(cpu, key(a), val(1), 0);
        m.update(cpu, key(b), val(2), 0);
        List<byte[]> ks = new ArrayList<>();
        BatchResult r = m.lookupAndDeleteBatch(cpu, 0, 1, 0, 0, ks, new ArrayList<>());
        assertEquals(MapErrno.ENOSPC, r.ret());
        assertEquals(0, r.count());
        assertEquals(m.bucketOf(key(a)), r.outBatch());
        assertEquals(2, m.size());
    }

    /** The batch's second non-empty bucket fails: the first was copied out and deleted, the rest is untouched. */
    @Test
    void aFailedLockInTheMiddleOfABatchKeepsWhatWasDoneAndStopsThere() {
        FailureInjector<HtabSite> f = new FailureInjector<>(HtabSite.class);
        HashTab m = map(8, f, Mutation.NONE);
        for (int k = 0; k < 6; k++) {
            m.update(cpu, key(k), val(k), HashTab.BPF_ANY);
        }
        f.failAt(HtabSite.__htab_map_lookup_and_delete_batch, 2, Errno.ETIMEDOUT);
        List<byte[]> ks = new ArrayList<>();
        List<byte[]> vs = new ArrayList<>();
        BatchResult r = m.lookupAndDeleteBatch(cpu, 0, 100, 0, 0, ks, vs);
        assertEquals(MapErrno.ETIMEDOUT, r.ret());
        assertTrue(r.count() > 0);
        assertEquals(r.count(), ks.size());
        assertEquals(6 - r.count(), m.size(), "exactly the elements copied out were deleted");
        for (byte[] k : ks) {
            assertNull(m.lookup(cpu, k));
        }
        // continuing from out_batch gets the rest
        BatchResult r2 = m.lookupAndDeleteBatch(cpu, r.outBatch(), 100, 0, 0, ks, vs);
        assertEquals(MapErrno.ENOENT, r2.ret());
        assertEquals(6, ks.size());
        assertEquals(0, m.size());
        assertEquals(List.of(), m.audit());
    }

    /**
     * An NMI program on the same CPU updates a key of the bucket whose lock the interrupted update holds: AA,
     * detected by rqspinlock as -EDEADLK (a raw spinlock would spin forever); the NMI's update changes nothing and
     * the interrupted update completes.
     */
    @Test
    void anNmiProgramOnTheSameBucketGetsEdeadlk() {
        for (Version v : new Version[] {Version.V6_15, Version.V6_19}) {
            FailureInjector<HtabSite> f = new FailureInjector<>(HtabSite.class);
            HashTab m = new HashTab(machine, v, 4, 8, 8, f, Mutation.NONE);
            int other = 1;
            while (m.bucketOf(key(other)) != m.bucketOf(key(0))) {
                other++;
            }
            final int k2 = other;
            int[] nmiRet = new int[3];
            m.setCriticalSectionHook((site, c) -> {
                m.setCriticalSectionHook(null);
                c.runNested(Context.NMI, () -> {
                    nmiRet[0] = m.update(c, key(k2), val(2), HashTab.BPF_ANY);
                    nmiRet[1] = m.delete(c, key(0));
                    nmiRet[2] = m.lookupAndDelete(c, key(k2), new byte[8], 0);
                });
            });
            assertEquals(0, m.update(cpu, key(0), val(1), HashTab.BPF_ANY));
            assertEquals(MapErrno.EDEADLK, nmiRet[0], v.toString());
            assertEquals(MapErrno.EDEADLK, nmiRet[1], v.toString());
            assertEquals(MapErrno.EDEADLK, nmiRet[2], v.toString());
            assertEquals(Map.of(0, 1L), contents(m, k2 + 1));
            assertEquals(3, f.failures().size());
            assertTrue(f.failures().stream().noneMatch(x -> x.injected()), "real failures of the lock");
            assertEquals(List.of(), m.audit());
            // the lockless lookup in an NMI needs no lock
            byte[][] seen = new byte[1][];
            cpu.runNested(Context.NMI, () -> seen[0] = m.lookup(cpu, key(0)));
            assertEquals(1, num(seen[0]));
        }
    }

    @Test
    void theAaIsTheLocksOwnVerdict() {
        HashTab m = new HashTab(machine, Version.V6_19, 4, 8, 8);
        m.setCriticalSectionHook((site, c) -> {
            m.setCriticalSectionHook(null);
            c.runNested(Context.NMI, () -> m.delete(c, key(0)));
        });
        m.update(cpu, key(0), val(1), 0);
        assertEquals(Errno.EDEADLK, m.failures().failures().get(0).errno());
        assertFalse(m.failures().failures().get(0).injected());
        assertEquals(FailureReason.AA.errno(Version.V6_19), m.failures().failures().get(0).errno());
    }

    // ------------------------------------------------------------------ seeded bugs

    @Test
    void theMutantThatForgetsToUndoOnALockFailureLosesAnElement() {
        FailureInjector<HtabSite> f = new FailureInjector<>(HtabSite.class);
        HashTab m = map(4, f, Mutation.LOCK_FAILURE_LEAKS_ELEM);
        f.failAt(HtabSite.htab_map_update_elem, 1, Errno.EDEADLK);
        assertEquals(MapErrno.EDEADLK, m.update(cpu, key(1), val(1), 0));
        assertTrue(m.audit().stream().anyMatch(s -> s.contains("is lost")), m.audit().toString());
    }

    @Test
    void theMutantThatDropsTheOldElementIsCaught() {
        HashTab m = map(2, new FailureInjector<>(HtabSite.class), Mutation.UPDATE_DROPS_OLD_ELEM);
        m.update(cpu, key(1), val(1), 0);
        m.update(cpu, key(1), val(2), 0);
        assertTrue(m.audit().stream().anyMatch(s -> s.contains("is lost")), m.audit().toString());
        // and as a user sees it: a map of 2 entries holding one key is full
        assertEquals(1, m.size());
        assertEquals(MapErrno.E2BIG, m.update(cpu, key(2), val(3), 0));
    }
}
