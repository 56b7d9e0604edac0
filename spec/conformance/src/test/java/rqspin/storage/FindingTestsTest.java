package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import rqspin.conformance.storage.Reproducer;
import rqspin.conformance.storage.repro.Schedules;
import rqspin.storage.check.Violation;

/**
 * The hand-written finding tests of the Java local storage, checked equal to
 * the replays of the spec's findings (their generated reproducers): the
 * same violation, of the same object's field, by the same function.
 * <ul>
 * <li>F3 ({@code FinalFindingsTest.oneFailureAndDestroyBetweenTheTwoHalvesFreeTheSelemOnTheBucket})
 *     is ls_final_f1_uaf: destroy's nofail frees x1 while it is still on
 *     m1's bucket (P2), and map_free's restarted walk reads x1's
 *     local_storage (P5).</li>
 * <li>F1 ({@code twoFailuresAndARestartFreeAStorageTheOwnerStillPublishes})
 *     is ls_final_f2_ls_uaf: map_free frees the LS its owner still publishes,
 *     and the owner's next access reads the freed local storage (P5).</li>
 * <li>H1 ({@code destroyFailingTheStorageLockWhileMapFreePinsTheOwnerSpinsForever})
 *     is ls_final_f1_hang: refcount_dec WARNs "decrement hit 0" and
 *     saturates owner_refcnt, and destroy waits for it forever (P9).</li>
 * <li>The sleepable finding ({@code SleepableLookupTest.mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn})
 *     is ls_final_sleepable_uaf: the sleepable walker reads sdata.smap of
 *     the selem map_free's nofail freed (P5).</li>
 * </ul>
 * The Java names of the hand-written tests (x1, x2 in the order their
 * updates ran) need not be the spec's: the comparison is on the property,
 * the kind of object, the access and the freeing function.
 */
class FindingTestsTest {

    /** The violations the audits of the kernels {@code body} made recorded, each "Property: what". */
    static List<String> handWritten(RecordedStorageTestsTest.Body body) throws Exception {
        List<rqspin.storage.Kernel> kernels = new ArrayList<>();
        World.onKernel = kernels::add;
        try {
            body.run();
        } finally {
            World.onKernel = null;
        }
        List<String> out = new ArrayList<>();
        for (rqspin.storage.Kernel k : kernels) {
            for (Violation v : k.audit().violations()) {
                out.add(v.property().specName() + ": " + v.what());
            }
            k.audit().warns().keySet().forEach(w -> out.add("WARN: " + w));
        }
        return out;
    }

    private static boolean has(List<String> vs, Predicate<String> p) {
        return vs.stream().anyMatch(p);
    }

    private static void bothShow(List<String> hand, Reproducer.Result replay, String what, Predicate<String> p) {
        List<String> spec = new ArrayList<>(replay.violations());
        assertTrue(replay.followed(), replay.toString());
        assertTrue(has(hand, p), "the hand-written test does not show " + what + ": " + hand);
        assertTrue(has(spec, p), "the replay does not show " + what + ": " + spec);
    }

    @Test
    void f3IsTheReplayOfLsFinalF1Uaf() throws Exception {
        List<String> hand = handWritten(() -> new FinalFindingsTest().oneFailureAndDestroyBetweenTheTwoHalvesFreeTheSelemOnTheBucket());
        Reproducer.Result replay = Schedules.f1Uaf().run();
        bothShow(hand, replay, "destroy freeing x1 on the bucket", v -> v.startsWith("P2_FreeOnlyUnlinked: ")
                && v.contains("bpf_selem_unlink_nofail(destroy)") && v.contains("frees x1 while it is still on m1.buckets[0]"));
        bothShow(hand, replay, "map_free's walk reading the freed x1", v -> v.startsWith("P5_NoUseAfterFree: ")
                && v.contains("read local_storage of selem x1, freed by bpf_selem_unlink_nofail(destroy)"));
    }

    @Test
    void f1IsTheReplayOfLsFinalF2LsUaf() throws Exception {
        List<String> hand = handWritten(() -> new FinalFindingsTest().twoFailuresAndARestartFreeAStorageTheOwnerStillPublishes());
        Reproducer.Result replay = Schedules.f2LsUaf().run();
        bothShow(hand, replay, "a read of the freed local storage ls1", v -> v.startsWith("P5_NoUseAfterFree: ")
                && v.contains("of local_storage ls1, freed by bpf_selem_unlink_nofail(map_free)"));
    }

    @Test
    void h1IsTheReplayOfLsFinalF1Hang() throws Exception {
        List<String> hand = handWritten(() -> new FinalFindingsTest().destroyFailingTheStorageLockWhileMapFreePinsTheOwnerSpinsForever());
        Reproducer.Result replay = Schedules.f1Hang().run();
        assertTrue(has(hand, v -> v.equals("WARN: refcount_t: decrement hit 0; leaking memory")), hand.toString());
        assertTrue(replay.log().stream().anyMatch(l -> l.contains("refcount_t: decrement hit 0; leaking memory")),
                replay.toString());
        bothShow(hand, replay, "destroy waiting forever on a saturated owner_refcnt", v -> v.startsWith(
                "P9_TeardownTerminates: bpf_local_storage_destroy of ls1 waits for owner_refcnt to read 0, but it saturated"));
    }

    @Test
    void theSleepableFindingIsTheReplayOfLsFinalSleepableUaf() throws Exception {
        List<String> hand = handWritten(() -> new SleepableLookupTest().mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn(true));
        Reproducer.Result replay = Schedules.sleepableUaf().run();
        bothShow(hand, replay, "the sleepable walker reading the selem map_free freed", v -> v.startsWith(
                "P5_NoUseAfterFree: use after free: read sdata.smap of selem ")
                && v.contains("freed by bpf_selem_unlink_nofail(map_free)"));
    }

    /** The comparison can fail: the fixed code's replay of F3 shows neither violation. */
    @Test
    void theComparisonSeesTheFixedCode() throws Exception {
        Reproducer.Result fixed = Schedules.f1Uaf().run(Fix.NO_MAP_BIT_AFTER_FAILURE);
        assertTrue(fixed.violations().stream().noneMatch(v -> v.startsWith("P5_NoUseAfterFree: ")
                || v.startsWith("P2_FreeOnlyUnlinked: ")), fixed.toString());
    }
}
