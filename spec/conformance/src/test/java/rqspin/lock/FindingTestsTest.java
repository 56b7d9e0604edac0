package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import rqspin.conformance.lock.Recorder;
import rqspin.conformance.lock.Reproducer;
import rqspin.conformance.lock.repro.Schedules;
import rqspin.spec.TraceValidation;

/**
 * The hand-written finding tests of the Java twin, checked equal to the
 * replays of the spec's findings: the same violation in the same place.
 * <ul>
 * <li>impl's {@code RqSpinLockTest.findingV619TasFallbackLeaksAnEntryAndGivesAFalseAa},
 *     recorded, is a behaviour of the spec (TLC accepts it in the v6.19
 *     x86-guest world) and shows HeldTableMatches with the table [A, A] for
 *     the one lock held, as the replay of rq_v619_tas_virt does.</li>
 * <li>model's {@code HarnessesTest.findingV619HeadWithoutSuccessorWaitsForever}
 *     (Lincheck's hang report, in RqSpinLock.waitForNext): the replay of
 *     rq_v619_handover_hang ends with a v6.19 head that returned -EDEADLK
 *     from an ABBA check waiting forever in the same method, with no clock,
 *     while nobody can move.</li>
 * </ul>
 */
class FindingTestsTest {

    @Test
    void theTasFallbackFindingIsTheReplayOfRqV619TasVirt() throws Exception {
        Recorder rec = RecordedLockTestsTest.record("findingV619TasFallbackLeaksAnEntryAndGivesAFalseAa");
        assertNull(rec.unusable());
        TraceValidation.Outcome o = RecordedLockTestsTest.validate("finding-tas", Version.V6_19,
                rec.recorded("findingV619TasFallbackLeaksAnEntryAndGivesAFalseAa"));
        assertTrue(o.accepted(), o.toString());
        List<String> handWritten = rec.violations();
        assertTrue(!handWritten.isEmpty() && handWritten.get(0).startsWith("HeldTableMatches:")
                && handWritten.get(0).endsWith("holding [A], but its entries in the held-lock table are [A, A]"),
                handWritten.toString());
        Recorder fixed = RecordedLockTestsTest.record("v615TasFallbackKeepsTheTableExact");
        assertEquals(List.of(), fixed.violations(), "v6.15's TAS fallback keeps the table exact: the check sees nothing");
        Reproducer.Result replay = Schedules.tasVirt().run(Version.V6_19);
        String fromSpec = replay.violations().get(0);
        assertTrue(fromSpec.startsWith("HeldTableMatches:")
                && fromSpec.endsWith("holding [A], but its entries in the held-lock table are [A, A]"), fromSpec);
    }

    @Test
    void theHeadWithoutSuccessorFindingIsTheReplayOfRqV619HandoverHang() {
        Reproducer.Result replay = Schedules.handoverHang().run(Version.V6_19);
        assertTrue(replay.followed(), replay.toString());
        List<String> hang = replay.violations().stream().filter(v -> v.startsWith("AttemptsReturn:")).toList();
        assertEquals(1, hang.size(), replay.toString());
        assertTrue(hang.get(0).contains("waits forever in arch_mcs_spin_unlock_contended (no clock; in "
                + "RqSpinLock.waitForNext)"), hang.get(0));
        assertTrue(replay.log().stream().anyMatch(l -> l.contains("check_deadlock(B)") && l.contains("-EDEADLK (ABBA)")),
                String.join("\n", replay.log()));
    }
}
