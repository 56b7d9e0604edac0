package rqspin.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Twin;
import rqspin.conformance.lock.Recorder;
import rqspin.spec.Manifest;
import rqspin.spec.TraceValidation;

/**
 * Java to spec for the deterministic scenario tests of the Java twin
 * (impl's {@link RqSpinLockTest}): each test that stays in the spec's world
 * runs with a serializing {@link Recorder} on its machine, and TLC checks
 * the recorded steps (and the scripts its contexts ran) against the spec
 * of its version. Every test of RqSpinLockTest is either recorded here or
 * listed with the reason it cannot be. ci: two tests (and the TAS finding,
 * in FindingTestsTest); full: all.
 */
class RecordedLockTestsTest {

    /** A test body run on a fresh RqSpinLockTest. */
    @FunctionalInterface
    interface Body {
        void run(RqSpinLockTest t) throws Exception;
    }

    /** The recorded tests: name (method[version]) to version and body. */
    static final Map<String, Object[]> RECORDED = new LinkedHashMap<>();

    static {
        rec("fastPathLocksAndUnlocksAndKeepsTheTable[V6_19]", Version.V6_19,
                t -> t.fastPathLocksAndUnlocksAndKeepsTheTable(Version.V6_19));
        rec("aaInNmiFailsWithEdeadlkAfterOneMillisecondInV615", Version.V6_15,
                RqSpinLockTest::aaInNmiFailsWithEdeadlkAfterOneMillisecondInV615);
        // beyond ci
        rec("findingV619TasFallbackLeaksAnEntryAndGivesAFalseAa", Version.V6_19,
                RqSpinLockTest::findingV619TasFallbackLeaksAnEntryAndGivesAFalseAa);
        rec("v615TasFallbackKeepsTheTableExact", Version.V6_15, RqSpinLockTest::v615TasFallbackKeepsTheTableExact);
        rec("fastPathLocksAndUnlocksAndKeepsTheTable[V6_15]", Version.V6_15,
                t -> t.fastPathLocksAndUnlocksAndKeepsTheTable(Version.V6_15));
        rec("aaInNmiFailsAtOnceWithEdeadlkInV619", Version.V6_19, RqSpinLockTest::aaInNmiFailsAtOnceWithEdeadlkInV619);
        rec("unlockOfALockNotHeldIsRejectedAndChangesNothing[V6_15]", Version.V6_15,
                t -> t.unlockOfALockNotHeldIsRejectedAndChangesNothing(Version.V6_15));
        rec("unlockOfALockNotHeldIsRejectedAndChangesNothing[V6_19]", Version.V6_19,
                t -> t.unlockOfALockNotHeldIsRejectedAndChangesNothing(Version.V6_19));
        rec("outOfOrderUnlockIsRejectedAndChangesNothing[V6_15]", Version.V6_15,
                t -> t.outOfOrderUnlockIsRejectedAndChangesNothing(Version.V6_15));
        rec("outOfOrderUnlockIsRejectedAndChangesNothing[V6_19]", Version.V6_19,
                t -> t.outOfOrderUnlockIsRejectedAndChangesNothing(Version.V6_19));
        rec("aNestedContextMustNotEndHoldingALock", Version.V6_19, RqSpinLockTest::aNestedContextMustNotEndHoldingALock);
        rec("detachWhileHoldingIsRejected", Version.V6_19, RqSpinLockTest::detachWhileHoldingIsRejected);
    }

    private static void rec(String name, Version v, Body body) {
        RECORDED.put(name, new Object[] {v, body});
    }

    /** The tests that cannot be recorded, and why. */
    static final Map<String, String> NOT_RECORDED = Map.ofEntries(
            Map.entry("aaInNestedIrqThroughTheContentionHook",
                    "writes B's lock word directly (a fake owner and pending waiter on other CPUs)"),
            Map.entry("thirtyFourNestedLocksThenLock32TimesOutLikeTheKernelSelftest",
                    "34 locks: the spec's world has two (A, B); rq_v619_overflow covers the overflow with NrHeld = 1"),
            Map.entry("lock31IsStillDetectedAsAa", "30 locks: the spec's world has two (A, B)"),
            Map.entry("nmiInterruptingASlowPathHasNoNodeInV619",
                    "writes the lock words directly (fake contention) and nests an NMI from a contention hook"),
            Map.entry("nmiInterruptingASlowPathQueuesInV615",
                    "writes the lock words directly (fake contention) and nests an NMI from a contention hook"),
            Map.entry("fifthNestedSlowPathHasNoNodeInV615AndSpinsOnTrylockUntilTimeout",
                    "five nested contexts with a SOFTIRQ and fake contention: the spec has task, IRQ and NMI"),
            Map.entry("anNmiCannotUnlockWhatTheTaskHolds",
                    "enters an NMI that takes no step: a spec context with an empty script never runs"),
            Map.entry("contextsNestOnlyUpwards", "enters an NMI that takes no step (and misuses contexts)"),
            Map.entry("aThreadThatIsNotTheCpuIsRejected", "takes no step: the misuse is rejected before any"),
            Map.entry("aCpuOfAnotherMachineIsRejected", "takes no step: the misuse is rejected before any"),
            Map.entry("aThrowingHookUndoesTheAttempt",
                    "writes A's lock word directly and runs a contention hook that throws (no spec step)"),
            Map.entry("badMachineSettingsAreRejected", "takes no step: machine settings only"),
            Map.entry("lockWordLayoutMatchesTheKernel", "takes no step: the word's layout only"));

    static final Path SPEC = Path.of(System.getProperty("rqspin.spec.dir", "..")).toAbsolutePath().normalize();

    static boolean full() {
        return "full".equals(System.getProperty("rqspin.conformance", "ci"));
    }

    @Test
    void everyTestOfRqSpinLockTestIsRecordedOrSaysWhyNot() {
        Set<String> tests = new TreeSet<>();
        for (Method m : RqSpinLockTest.class.getDeclaredMethods()) {
            if (m.isAnnotationPresent(Test.class)
                    || m.isAnnotationPresent(org.junit.jupiter.params.ParameterizedTest.class)) {
                tests.add(m.getName());
            }
        }
        Set<String> known = new TreeSet<>(NOT_RECORDED.keySet());
        RECORDED.keySet().forEach(n -> known.add(n.replaceAll("\\[.*", "")));
        assertEquals(tests, known, "classify each test of RqSpinLockTest: recorded here, or not, with the reason");
    }

    /** The recording of one test. */
    static Recorder record(String name) throws Exception {
        Object[] c = RECORDED.get(name);
        Recorder rec = new Recorder(List.of("A", "B"));
        RqSpinLockTest.recorder = rec;
        RqSpinLockTest t = new RqSpinLockTest();
        try {
            ((Body) c[1]).run(t);
        } finally {
            t.detach();
            RqSpinLockTest.recorder = null;
        }
        return rec;
    }

    static TraceValidation.Outcome validate(String name, Version v, Twin.Recorded r) throws Exception {
        Manifest manifest = Manifest.load(SPEC.resolve("models.json"));
        Manifest.Model base = manifest.select(List.of(v == Version.V6_15 ? "rq_v615_full_safety"
                : "rq_v619_full_safety")).get(0);
        return TraceValidation.validate(manifest, base, r.extraConstants(), r.definitions(), List.of(r.events()),
                Path.of("target", "conformance-tests", "recorded", name.replaceAll("\\W", "_")).toAbsolutePath())
                .get(0);
    }

    @TestFactory
    Stream<DynamicTest> eachRecordedTestIsABehaviourOfTheSpec() {
        return RECORDED.keySet().stream().limit(full() ? RECORDED.size() : 2).map(name ->
                DynamicTest.dynamicTest(name, () -> {
                    Version v = (Version) RECORDED.get(name)[0];
                    Recorder rec = record(name);
                    assertNull(rec.unusable(), name);
                    Twin.Recorded r = rec.recorded(name);
                    assertFalse(r.events().isEmpty(), name + " took no step");
                    long t0 = System.nanoTime();
                    TraceValidation.Outcome o = validate(name, v, r);
                    System.out.printf(java.util.Locale.ROOT, "FIGURES recorded-test %s %s 1 %d %.2f%n",
                            name.replaceAll("\\W", "_"), v, r.events().size(), (System.nanoTime() - t0) / 1e9);
                    assertTrue(o.accepted(), () -> name + ": the spec takes " + o.taken() + " of " + o.length()
                            + " steps; it cannot take " + r.events().get(o.taken()) + "\n  Java step: "
                            + r.javaSteps().get(o.taken()) + "\n  spec state before: " + o.stateBefore()
                            + "\n  scripts: " + r.definitions() + "\n  run:\n    " + String.join("\n    ", r.javaSteps()));
                }));
    }

    /** The check can fail: the same recording with one observed value changed is rejected at that step. */
    @Test
    void aRecordingWithAChangedStepIsRejectedThere() throws Exception {
        Twin.Recorded r = record("fastPathLocksAndUnlocksAndKeepsTheTable[V6_19]").recorded("changed");
        List<TraceValidation.Event> ev = new java.util.ArrayList<>(r.events());
        TraceValidation.Event e = ev.get(1);
        Map<String, String> o = new LinkedHashMap<>(e.observed());
        o.put("lock", o.get("lock").replaceFirst("locked \\|-> 1", "locked |-> 0"));
        ev.set(1, new TraceValidation.Event(e.action(), e.params(), o));
        TraceValidation.Outcome out = validate("changed", Version.V6_19,
                new Twin.Recorded("changed", ev, r.extraConstants(), r.definitions(), r.javaSteps()));
        assertFalse(out.accepted());
        assertEquals(1, out.taken());
    }
}
