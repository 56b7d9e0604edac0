package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rqspin.storage.LocalStorageMap.BPF_ANY;
import static rqspin.storage.World.val;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rqspin.kernel.Rcu;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.UseAfterFreeError;
import rqspin.storage.check.Violation;

/**
 * A sleepable BPF program's lookup ({@link LocalStorageMap#lookupSleepable})
 * against map_free of another map, and the two RCU flavours of {@link Rcu}
 * it depends on.
 *
 * <p>The finding (spec model {@code ls_final_sleepable_uaf}, 0 lock
 * failures): owner o1 has x2 in m2, then x1 in m1, so its storage list is
 * x1 &rarr; x2. A sleepable lookup of (o1, m2) misses the cache and stands on
 * x1 holding only {@code rcu_read_lock_trace}. map_free(m1) unlinks x1 (both
 * locks taken, {@code unlink == 2}) and frees it with
 * {@code bpf_selem_free(x1, true)}, i.e. {@code call_rcu}; the vanilla grace
 * period does not wait for a Tasks Trace reader, so x1 is freed at the end of
 * map_free's walk, and the walker then reads it (P5). With a non-sleepable
 * lookup ({@code rcu_read_lock}) the same interleaving is safe: x1's
 * callback and map_free's second {@code synchronize_rcu} wait for the
 * reader. delete and update free with {@code call_rcu_tasks_trace}
 * ({@code reuse_now = false}), which waits for the sleepable walker.
 *
 * <p>If {@code call_rcu} callbacks also waited for Tasks Trace readers, x1
 * would still be live when map_free reaches {@code rcu_barrier} and the
 * finding's test would fail there.
 *
 * <p>The test thread is cpu0; the lookup runs on cpu1, map_free (or the
 * delete / update) on cpu2.
 */
class SleepableLookupTest {

    /**
     * o1 with x2 in m2, then x1 in m1: the storage list is x1 -> x2. (The
     * names in traces and messages follow allocation order, so there m2's
     * selem is "x1" and m1's "x2"; the tests use {@code name()}.)
     */
    private static final class TwoMaps {
        final LocalStorageMap m1;
        final LocalStorageMap m2;
        final Owner o1;
        /** o1's selem in m1, the head of the list. */
        final Selem x1;
        /** o1's selem in m2, after x1. */
        final Selem x2;

        TwoMaps(World w) throws StorageException {
            m1 = w.kernel.newMap("m1", 8, 1, 1, false);
            m2 = w.kernel.newMap("m2", 8, 1, 1, false);
            o1 = w.kernel.newOwner("o1");
            m2.update(w.cpu0, o1, val(2), BPF_ANY);
            m1.update(w.cpu0, o1, val(1), BPF_ANY);
            List<Selem> list = o1.storageForAudit().selemsForAudit();
            x1 = list.get(0);
            x2 = list.get(1);
            assertEquals(m1, x1.map());
            assertEquals(m2, x2.map());
        }
    }

    private static World world() {
        return new World(Kernel.builder(Machine.of(4)).protocol(Protocol.FINAL).preemptRcu(true));
    }

    /** Index of the first trace line that ends with {@code suffix}, or -1. */
    private static int lineEndingWith(Gate g, String suffix) {
        List<String> lines = g.lines();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).endsWith(suffix)) {
                return i;
            }
        }
        return -1;
    }

    /** Waits (at most 20 s) until a trace line ends with {@code suffix}. */
    private static void awaitLine(Gate g, String suffix) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (lineEndingWith(g, suffix) < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timeout waiting for \"" + suffix + "\"; trace:\n" + g.trace());
            }
            Thread.sleep(1);
        }
    }

    // ------------------------------------------------------------------ (a) the finding

    /**
     * The finding. {@code lookupFirst}: the sleepable lookup stands on x1
     * before map_free starts (map_free's first {@code synchronize_rcu} does
     * not wait for it either); otherwise it starts just after that
     * {@code synchronize_rcu}, as in {@link #theSameInterleavingWithANonSleepableLookupIsSafe}.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn(boolean lookupFirst) throws Exception {
        try (World w = world()) {
            TwoMaps s = new TwoMaps(w);
            Gate.Hold walk = w.gate.holdAt(2, Step.MAP_FREE_RCU_READ_LOCK, 1);
            Gate.Hold onX1 = w.gate.holdAt(1, Step.SLEEPABLE_LOOKUP_WALK, 1);
            Gate.Hold barrier = w.gate.holdAt(2, Step.MAP_FREE_RCU_BARRIER, 1);
            AtomicReference<byte[]> seen = new AtomicReference<>();
            World.Run lookup;
            World.Run mf;
            if (lookupFirst) {
                lookup = w.start(1, c -> seen.set(s.m2.lookupSleepable(c, s.o1)));
                onX1.awaitReached();
                mf = w.start(2, c -> s.m1.mapFree(c));
                walk.awaitReached(); // synchronize_rcu did not wait for the Tasks Trace reader
                walk.open();
            } else {
                mf = w.start(2, c -> s.m1.mapFree(c));
                walk.awaitReached(); // past map_free's first synchronize_rcu
                lookup = w.start(1, c -> seen.set(s.m2.lookupSleepable(c, s.o1)));
                onX1.awaitReached();
                walk.open();
            }
            assertTrue(lineEndingWith(w.gate, "cpu1 sleepable_lookup:walk " + s.x1.name()) >= 0,
                    "the walker stands on x1:\n" + w.gate.trace());
            barrier.awaitReached(); // map_free walked, unlinked x1, left its section, passed synchronize_rcu
            assertTrue(s.x1.isFreed(), "call_rcu's grace period ended without waiting for the sleepable walker:\n"
                    + w.gate.trace());
            assertTrue(w.kernel.rcu().isTraceReader(w.machine.cpu(1)), "while cpu1 is still walking");
            onX1.open();
            UseAfterFreeError e = assertInstanceOf(UseAfterFreeError.class, lookup.join(), w.gate.trace());
            assertTrue(e.getMessage().contains("selem " + s.x1.name()), e.getMessage());
            assertTrue(e.getMessage().contains("bpf_selem_unlink_nofail(map_free)"), e.getMessage());
            assertNull(seen.get());
            barrier.open();
            assertNull(mf.join(), w.gate.trace());
            List<Violation> p5 = new ArrayList<>();
            for (Violation v : w.kernel.audit().violations()) {
                if (v.property() == Violation.Property.P5_NO_USE_AFTER_FREE) {
                    p5.add(v);
                }
            }
            assertEquals(1, p5.size(), w.kernel.audit().violations().toString());
            assertTrue(p5.get(0).what().contains("selem " + s.x1.name()), p5.get(0).what());
            assertEquals(0, w.kernel.failures().failureCount(), "no lock failure: every lock was taken");
            assertEquals(0, w.kernel.failures().injectedCount());
        }
    }

    // ------------------------------------------------------------------ (b) the contrast

    /**
     * The same interleaving with a non-sleepable lookup ({@code rcu_read_lock}):
     * x1's {@code call_rcu} callback waits for the reader, and so does
     * map_free's second {@code synchronize_rcu}; the walker goes on from x1
     * to x2 and finds o1's value; x1 is freed only after the reader left.
     */
    @Test
    void theSameInterleavingWithANonSleepableLookupIsSafe() throws Exception {
        try (World w = world()) {
            TwoMaps s = new TwoMaps(w);
            Gate.Hold walk = w.gate.holdAt(2, Step.MAP_FREE_RCU_READ_LOCK, 1);
            Gate.Hold onX1 = w.gate.holdAt(1, Step.LOOKUP_WALK, 1);
            Gate.Hold afterX1 = w.gate.holdAt(2, Step.MAP_FREE_NEXT, 1);
            Gate.Hold barrier = w.gate.holdAt(2, Step.MAP_FREE_RCU_BARRIER, 1);
            AtomicReference<byte[]> seen = new AtomicReference<>();
            World.Run mf = w.start(2, c -> s.m1.mapFree(c));
            walk.awaitReached(); // past map_free's first synchronize_rcu (it waits for readers already inside)
            World.Run lookup = w.start(1, c -> seen.set(s.m2.lookup(c, s.o1)));
            onX1.awaitReached();
            assertTrue(lineEndingWith(w.gate, "cpu1 lookup:walk " + s.x1.name()) >= 0, w.gate.trace());
            walk.open();
            afterX1.awaitReached(); // map_free unlinked x1 and queued its call_rcu callback
            assertTrue(s.x1.isFreeQueued(), "bpf_selem_free(x1, true) was called:\n" + w.gate.trace());
            afterX1.open();
            awaitLine(w.gate, "cpu2 " + Step.MAP_FREE_SYNCHRONIZE_RCU_2 + " " + s.m1.name());
            Thread.sleep(200); // map_free is in synchronize_rcu (or left its walk's section) by now
            assertFalse(barrier.wasReached(), "synchronize_rcu waits for the reader:\n" + w.gate.trace());
            assertFalse(s.x1.isFreed(), "x1's call_rcu callback waits for the reader:\n" + w.gate.trace());
            assertTrue(mf.isAlive());
            onX1.open();
            assertNull(lookup.join(), w.gate.trace());
            assertArrayEquals(val(2), seen.get(), "the walk went on from x1 to x2");
            barrier.awaitReached();
            // the callback of x1 may still be on its way when map_free reaches rcu_barrier; the barrier waits for it
            barrier.open();
            assertNull(mf.join(), w.gate.trace());
            assertTrue(s.x1.isFreed(), "freed once the reader left:\n" + w.gate.trace());
            int lastInside = lineEndingWith(w.gate, "cpu1 " + Step.LOOKUP_INSERT_CACHE + " " + s.x2.name());
            int freed = lineEndingWith(w.gate, Step.RCU_CALLBACK + " " + s.x1.name());
            assertTrue(lastInside >= 0 && freed > lastInside, "x1's callback ran after the reader's last step:\n"
                    + w.gate.trace());
            w.quiesce();
            assertEquals(0, w.kernel.audit().count(Violation.Property.P5_NO_USE_AFTER_FREE),
                    w.kernel.audit().violations().toString());
            assertTrue(w.kernel.audit().violations().isEmpty(), w.kernel.audit().violations().toString());
            assertEquals(0, w.kernel.failures().failureCount());
        }
    }

    /**
     * delete and update free the selem they unlink with
     * {@code call_rcu_tasks_trace} ({@code reuse_now = false}), which waits
     * for the sleepable walker standing on it: no use after free.
     */
    @ParameterizedTest
    @ValueSource(strings = {"delete", "update"})
    void deleteAndUpdateWaitForTheSleepableWalker(String op) throws Exception {
        try (World w = world()) {
            TwoMaps s = new TwoMaps(w);
            Gate.Hold onX1 = w.gate.holdAt(1, Step.SLEEPABLE_LOOKUP_WALK, 1);
            AtomicReference<byte[]> seen = new AtomicReference<>();
            World.Run lookup = w.start(1, c -> seen.set(s.m2.lookupSleepable(c, s.o1)));
            onX1.awaitReached();
            World.Run writer = w.start(2, c -> {
                if (op.equals("delete")) {
                    s.m1.delete(c, s.o1);
                } else {
                    s.m1.update(c, s.o1, val(3), BPF_ANY);
                }
            });
            assertNull(writer.join(), w.gate.trace());
            assertFalse(s.x1.linkedToStorageForAudit(), op + " unlinked x1");
            assertTrue(s.x1.isFreeQueued(), op + " freed x1");
            assertFalse(s.x1.isFreed(), "call_rcu_tasks_trace waits for the sleepable walker:\n" + w.gate.trace());
            onX1.open();
            assertNull(lookup.join(), w.gate.trace());
            assertArrayEquals(val(2), seen.get());
            assertTrue(s.x1.isFreed(), "freed when the walker left:\n" + w.gate.trace());
            assertTrue(w.kernel.audit().violations().isEmpty(), w.kernel.audit().violations().toString());
        }
    }

    /**
     * The check above can fail: with {@link Mutation#TASKS_TRACE_AS_RCU}
     * delete frees x1 after a vanilla grace period only, and the sleepable
     * walker reads it.
     */
    @Test
    void deleteFreeingWithAVanillaGracePeriodIsCaught() throws Exception {
        try (World w = new World(Kernel.builder(Machine.of(4)).protocol(Protocol.FINAL).preemptRcu(true)
                .mutation(Mutation.TASKS_TRACE_AS_RCU))) {
            TwoMaps s = new TwoMaps(w);
            Gate.Hold onX1 = w.gate.holdAt(1, Step.SLEEPABLE_LOOKUP_WALK, 1);
            World.Run lookup = w.start(1, c -> s.m2.lookupSleepable(c, s.o1));
            onX1.awaitReached();
            assertNull(w.start(2, c -> s.m1.delete(c, s.o1)).join(), w.gate.trace());
            assertTrue(s.x1.isFreed(), "the mutant does not wait for the sleepable walker:\n" + w.gate.trace());
            onX1.open();
            assertTrue(lookup.join() instanceof UseAfterFreeError, w.gate.trace());
            assertEquals(1, w.kernel.audit().count(Violation.Property.P5_NO_USE_AFTER_FREE),
                    w.kernel.audit().violations().toString());
        }
    }

    // ------------------------------------------------------------------ lookupSleepable alone

    @Test
    void aSleepableLookupFindsAndCachesLikeALookup() throws Exception {
        try (World w = world()) {
            TwoMaps s = new TwoMaps(w);
            Cpu c = w.cpu0;
            assertArrayEquals(val(2), s.m2.lookupSleepable(c, s.o1));
            assertArrayEquals(val(1), s.m1.lookupSleepable(c, s.o1));
            long inserts = w.gate.lines().stream().filter(l -> l.contains("lookup:insert_cache")).count();
            assertArrayEquals(val(2), s.m2.lookupSleepable(c, s.o1));
            assertEquals(inserts, w.gate.lines().stream().filter(l -> l.contains("lookup:insert_cache")).count(),
                    "the second lookup hits the cache");
            assertNull(w.kernel.newMap("m3", 8).lookupSleepable(c, s.o1));
            assertNull(s.m1.lookupSleepable(c, w.kernel.newOwner("o2")), "an owner without storage");
            assertFalse(w.kernel.rcu().isTraceReader(c));
            assertFalse(w.kernel.rcu().isReader(c));
            assertTrue(w.kernel.audit().report().clean());
        }
    }

    @Test
    void aSleepableLookupRejectsBadInputAsALookupDoes() throws Exception {
        try (World w = world()) {
            TwoMaps s = new TwoMaps(w);
            Cpu c = w.cpu0;
            Kernel k = w.kernel;
            int attempts = k.failures().attempts();
            assertEquals(BadInputException.Kind.ILLEGAL_ARGUMENT,
                    assertThrows(BadInputException.class, () -> s.m1.lookupSleepable(c, null)).kind());
            assertEquals(BadInputException.Kind.FOREIGN,
                    assertThrows(BadInputException.class, () -> s.m1.lookupSleepable(w.machine.cpu(1), s.o1)).kind());
            assertEquals(BadInputException.Kind.FOREIGN,
                    assertThrows(BadInputException.class, () -> s.m1.lookupSleepable(null, s.o1)).kind());
            Owner foreign = Kernel.builder(w.machine).build().newOwner("f");
            assertEquals(BadInputException.Kind.FOREIGN,
                    assertThrows(BadInputException.class, () -> s.m1.lookupSleepable(c, foreign)).kind());
            Owner gone = k.newOwner("o2");
            gone.destroy(c);
            assertEquals(BadInputException.Kind.OWNER_DESTROYED,
                    assertThrows(BadInputException.class, () -> s.m1.lookupSleepable(c, gone)).kind());
            LocalStorageMap freed = k.newMap("m3", 8);
            freed.mapFree(c);
            assertEquals(BadInputException.Kind.MAP_FREED,
                    assertThrows(BadInputException.class, () -> freed.lookupSleepable(c, s.o1)).kind());
            assertEquals(attempts, k.failures().attempts(), "no lock was tried");
            assertFalse(k.rcu().isTraceReader(c), "no section left open");
            assertArrayEquals(val(1), s.m1.lookupSleepable(c, s.o1));
            assertTrue(k.audit().report().clean());
        }
    }

    // ------------------------------------------------------------------ (c) Rcu

    /** A reader on its own CPU thread that stays inside its section until {@link #leave}. */
    private static final class Reader {
        final World.Run run;
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        Reader(World w, int cpu, boolean trace) {
            Rcu rcu = w.kernel.rcu();
            run = w.start(cpu, c -> {
                if (trace) {
                    rcu.readLockTrace(c);
                } else {
                    rcu.readLock(c);
                }
                inside.countDown();
                Gate.await(release, "reader on cpu" + cpu + " never released");
                if (trace) {
                    rcu.readUnlockTrace(c);
                } else {
                    rcu.readUnlock(c);
                }
            });
            Gate.await(inside, "reader on cpu" + cpu + " never entered");
        }

        /** Leaves the section and waits for the thread. */
        void leave() throws InterruptedException {
            release.countDown();
            assertNull(run.join());
        }
    }

    @Test
    void aTraceReaderHoldsUpOnlyTasksTraceGracePeriods() throws Exception {
        try (World w = world()) {
            Rcu rcu = w.kernel.rcu();
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            Reader r = new Reader(w, 1, true);
            assertTrue(rcu.isTraceReader(w.machine.cpu(1)));
            assertFalse(rcu.isReader(w.machine.cpu(1)));
            rcu.call(w.cpu0, Rcu.Flavor.RCU, c -> ran.add("rcu1 on cpu" + c.id()));
            assertEquals(List.of("rcu1 on cpu0"), ran, "call_rcu does not wait for a Tasks Trace reader");
            rcu.call(w.cpu0, Rcu.Flavor.TASKS_TRACE, c -> ran.add("trace on cpu" + c.id()));
            assertEquals(1, rcu.pendingCallbacks(), "call_rcu_tasks_trace waits for it");
            rcu.call(w.cpu0, Rcu.Flavor.RCU, c -> ran.add("rcu2 on cpu" + c.id()));
            assertEquals(List.of("rcu1 on cpu0", "rcu2 on cpu0"), ran,
                    "a pending call_rcu_tasks_trace callback does not delay a later call_rcu one");
            assertNull(w.start(2, c -> rcu.synchronize(c)).join(), "synchronize_rcu returns while it reads");
            assertEquals(1, rcu.pendingCallbacks());
            r.leave();
            assertEquals(List.of("rcu1 on cpu0", "rcu2 on cpu0", "trace on cpu1"), ran,
                    "the callback ran in rcu_read_unlock_trace of the reader");
            assertEquals(0, rcu.pendingCallbacks());
        }
    }

    @Test
    void aVanillaReaderHoldsUpBothFlavoursAndSynchronize() throws Exception {
        try (World w = world()) {
            Rcu rcu = w.kernel.rcu();
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            Reader r = new Reader(w, 1, false);
            assertTrue(rcu.isReader(w.machine.cpu(1)));
            assertFalse(rcu.isTraceReader(w.machine.cpu(1)));
            rcu.call(w.cpu0, Rcu.Flavor.RCU, c -> ran.add("rcu"));
            rcu.call(w.cpu0, Rcu.Flavor.TASKS_TRACE, c -> ran.add("trace"));
            World.Run sync = w.start(2, c -> rcu.synchronize(c));
            Thread.sleep(100);
            assertTrue(sync.isAlive(), "synchronize_rcu waits for the vanilla reader");
            assertTrue(ran.isEmpty(), "both callbacks wait for the vanilla reader (Tasks Trace implies vanilla)");
            assertEquals(2, rcu.pendingCallbacks());
            r.leave();
            assertNull(sync.join());
            rcu.barrier(w.cpu0);
            assertEquals(List.of("rcu", "trace"), ran, "the ready heads run in the order they were queued");
        }
    }

    @Test
    void barrierWaitsForTheCallbacksOfBothFlavours() throws Exception {
        try (World w = world()) {
            Rcu rcu = w.kernel.rcu();
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            Reader trace = new Reader(w, 1, true);
            Reader vanilla = new Reader(w, 3, false);
            rcu.call(w.cpu0, Rcu.Flavor.TASKS_TRACE, c -> ran.add("trace1"));
            rcu.call(w.cpu0, Rcu.Flavor.TASKS_TRACE, c -> ran.add("trace2"));
            rcu.call(w.cpu0, Rcu.Flavor.RCU, c -> ran.add("rcu"));
            World.Run barrier = w.start(2, c -> rcu.barrier(c));
            Thread.sleep(100);
            assertTrue(barrier.isAlive(), "rcu_barrier waits for the call_rcu callback");
            vanilla.leave();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!ran.contains("rcu") && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(List.of("rcu"), ran, "call_rcu's grace period ended; the Tasks Trace ones did not");
            Thread.sleep(100);
            assertTrue(barrier.isAlive(), "rcu_barrier_tasks_trace waits for the call_rcu_tasks_trace callbacks");
            trace.leave();
            assertNull(barrier.join());
            assertEquals(List.of("rcu", "trace1", "trace2"), ran, "callbacks of one flavour in order");
            assertEquals(0, rcu.pendingCallbacks());
        }
    }

    @Test
    void traceSectionsNestAndAreCheckedLikeVanillaOnes() throws Exception {
        try (World w = world()) {
            Rcu rcu = w.kernel.rcu();
            Cpu c = w.cpu0;
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            assertThrows(IllegalStateException.class, () -> rcu.readUnlockTrace(c));
            rcu.readLockTrace(c);
            rcu.readLockTrace(c);
            rcu.readLock(c);
            rcu.call(c, Rcu.Flavor.TASKS_TRACE, x -> ran.add("trace"));
            assertThrows(IllegalStateException.class, () -> rcu.barrier(c), "it would wait for itself");
            assertThrows(IllegalStateException.class, () -> rcu.synchronize(c), "inside rcu_read_lock");
            rcu.readUnlock(c);
            assertTrue(ran.isEmpty(), "still inside the Tasks Trace section");
            rcu.synchronize(c); // only vanilla readers: not this Tasks Trace one
            assertThrows(IllegalStateException.class, () -> rcu.barrier(c), "it would wait for itself");
            rcu.readUnlockTrace(c);
            assertTrue(rcu.isTraceReader(c), "nested");
            assertTrue(ran.isEmpty(), "only the outermost rcu_read_unlock_trace ends the section");
            rcu.readUnlockTrace(c);
            assertFalse(rcu.isTraceReader(c));
            assertEquals(List.of("trace"), ran);
            assertThrows(IllegalArgumentException.class, () -> rcu.call(c, null, x -> { }), "Rcu is a kernel primitive: plain IllegalArgumentException");
            assertThrows(IllegalArgumentException.class, () -> rcu.readLockTrace(null));
        }
    }

    @Test
    void withoutGracePeriodsEveryCallbackRunsAtOnce() throws Exception {
        try (World w = new World(Kernel.builder(Machine.of(4)).protocol(Protocol.FINAL).preemptRcu(true)
                .mutation(Mutation.RCU_NO_GRACE_PERIOD))) {
            Rcu rcu = w.kernel.rcu();
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            Reader r = new Reader(w, 1, true);
            Reader v = new Reader(w, 2, false);
            rcu.call(w.cpu0, Rcu.Flavor.TASKS_TRACE, c -> ran.add("trace"));
            rcu.call(w.cpu0, Rcu.Flavor.RCU, c -> ran.add("rcu"));
            assertEquals(List.of("trace", "rcu"), ran, "the mutant waits for nobody");
            r.leave();
            v.leave();
        }
    }
}
