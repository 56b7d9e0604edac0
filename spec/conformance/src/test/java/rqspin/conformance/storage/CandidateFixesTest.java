package rqspin.conformance.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import rqspin.conformance.storage.repro.Schedules;
import rqspin.storage.Fix;
import rqspin.storage.Kernel;

/**
 * The three candidate fixes issue 13 added to the Java twin (the spec's
 * FixMapFreeLeavesSnodeWithoutSmap, FixWarnDestroyStorageFailure and
 * FixWarnEveryLeak), each on the schedule of its finding (TLC's trace as
 * the generated reproducer plays it): the merged code shows the finding,
 * the schedule is still followed step by step with the fix, the finding is
 * gone there, and a fix of another finding leaves it. So each Java fix
 * removes its finding and nothing else does it by accident; the generated
 * reproducers assert only the "gone" half.
 */
class CandidateFixesTest {

    /** C10: with a WARN where destroy fails local_storage->lock, the leaked LS and selem are WARNed and printed. */
    @Test
    void destroysWarnCoversTheC10Leak() {
        Reproducer.Result merged = Schedules.c10().run();
        assertTrue(merged.followed() && merged.shows("P7_LeakWarned"), merged.toString());
        Reproducer.Result fixed = Schedules.c10().run(Fix.WARN_DESTROY_STORAGE_FAILURE);
        assertTrue(fixed.followed(), fixed.toString());
        assertFalse(fixed.shows("P7_LeakWarned") || fixed.shows("P7_LeakReported"), fixed.toString());
        assertTrue(fixed.log().stream().anyMatch(l -> l.contains(Kernel.WARN_DESTROY_STORAGE)), fixed.toString());
        Reproducer.Result other = Schedules.c10().run(Fix.WARN_EVERY_LEAK);
        assertTrue(other.followed() && other.shows("P7_LeakWarned"), "a WARN that prints more often fires no WARN here: "
                + other);
    }

    /** Two leaks under one WARN_ON_ONCE: with a WARN per leak both print. */
    @Test
    void aWarnPerLeakReportsTheSecondLeak() {
        Reproducer.Result merged = Schedules.lingerF2Silent().run();
        assertTrue(merged.followed() && merged.shows("P7_LeakReported"), merged.toString());
        assertFalse(merged.shows("P7_LeakWarned"), "the WARN fired for both, it printed for one: " + merged);
        Reproducer.Result fixed = Schedules.lingerF2Silent().run(Fix.WARN_EVERY_LEAK);
        assertTrue(fixed.followed(), fixed.toString());
        assertEquals(List.of(), fixed.violations().stream().filter(v -> v.startsWith("P7_")).toList(), fixed.toString());
        Reproducer.Result other = Schedules.lingerF2Silent().run(Fix.WARN_DESTROY_STORAGE_FAILURE);
        assertTrue(other.followed() && other.shows("P7_LeakReported"), "destroy's WARN is not map_free's: " + other);
    }

    /**
     * map_free that fails both locks on the last selem and restarts with
     * smap NULL: with the fix it leaves snode and local_storage to destroy,
     * so the LS its live owner points to is not freed, and the later read of
     * that LS (ls_final_f2_ls_uaf) is gone too.
     */
    @Test
    void mapFreeWithoutSmapLeavesTheStorageToDestroy() {
        Reproducer.Result merged = Schedules.f2Unpublished().run();
        assertTrue(merged.followed() && merged.shows("P2_LSFreeOnlyUnpublished"), merged.toString());
        Reproducer.Result fixed = Schedules.f2Unpublished().run(Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP);
        assertTrue(fixed.followed(), fixed.toString());
        assertFalse(fixed.shows("P2_LSFreeOnlyUnpublished"), fixed.toString());
        Reproducer.Result other = Schedules.f2Unpublished().run(Fix.NO_MAP_BIT_AFTER_FAILURE);
        assertTrue(other.shows("P2_LSFreeOnlyUnpublished"), "the restart fix alone does not fix this: " + other);

        Reproducer.Result uaf = Schedules.f2LsUaf().run();
        assertTrue(uaf.followed() && uaf.shows("P5_NoUseAfterFree"), uaf.toString());
        Reproducer.Result uafFixed = Schedules.f2LsUaf().run(Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP);
        assertFalse(uafFixed.shows("P5_NoUseAfterFree") || uafFixed.shows("P2_LSFreeOnlyUnpublished"),
                uafFixed.toString());
    }
}
