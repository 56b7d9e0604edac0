package rqspin.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
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
import rqspin.conformance.storage.Recorder;
import rqspin.spec.Manifest;
import rqspin.spec.TraceValidation;

/**
 * Java to spec for the deterministic scenario tests of the Java local
 * storage (impl's LocalStorageTest, FinalFindingsTest, ReviewScenariosTest,
 * SleepableLookupTest, LocklessLookupFindingsTest): each test that stays in
 * the spec's world runs with a serializing {@link Recorder} on every kernel
 * it makes (one spec process per operation), and TLC checks each recording
 * against the spec of its protocol. Every test of those classes is either
 * recorded here (per protocol where it is parameterized by one) or listed
 * with the reason it cannot be. ci: two recordings (one per protocol);
 * full: all.
 */
class RecordedStorageTestsTest {

    /** A test body run on a fresh instance of its class. */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    /** The recorded tests: name (Class.method[argument]) to body. */
    static final Map<String, Body> RECORDED = new LinkedHashMap<>();

    static {
        rec("LocalStorageTest.lookupCachesTheElementAndDeleteClearsTheSlot[FINAL]",
                () -> new LocalStorageTest().lookupCachesTheElementAndDeleteClearsTheSlot(Protocol.FINAL));
        rec("LocalStorageTest.lookupCachesTheElementAndDeleteClearsTheSlot[V3]",
                () -> new LocalStorageTest().lookupCachesTheElementAndDeleteClearsTheSlot(Protocol.V3));
        rec("LocalStorageTest.aCacheInsertWhoseLockFailsCachesNothing",
                () -> new LocalStorageTest().aCacheInsertWhoseLockFailsCachesNothing());
        rec("LocalStorageTest.aFreedOwnerIsPoisoned", () -> new LocalStorageTest().aFreedOwnerIsPoisoned());
        rec("FinalFindingsTest.twoFailuresAndARestartFreeAStorageTheOwnerStillPublishes",
                () -> new FinalFindingsTest().twoFailuresAndARestartFreeAStorageTheOwnerStillPublishes());
        rec("FinalFindingsTest.twoFailuresLetDestroyFreeTheSelemUnderTheRestartedWalk",
                () -> new FinalFindingsTest().twoFailuresLetDestroyFreeTheSelemUnderTheRestartedWalk());
        rec("FinalFindingsTest.oneFailureAndDestroyBetweenTheTwoHalvesFreeTheSelemOnTheBucket",
                () -> new FinalFindingsTest().oneFailureAndDestroyBetweenTheTwoHalvesFreeTheSelemOnTheBucket());
        rec("FinalFindingsTest.oneFailureAndARestartWithoutADestroyAreHarmless",
                () -> new FinalFindingsTest().oneFailureAndARestartWithoutADestroyAreHarmless());
        rec("FinalFindingsTest.withoutTheRestartTheTwoFailuresOnlyLeak",
                () -> new FinalFindingsTest().withoutTheRestartTheTwoFailuresOnlyLeak());
        rec("ReviewScenariosTest.c5OnV3TheSpecialFieldsOfX1AreNeverFreedAndNothingWarns",
                () -> new ReviewScenariosTest().c5OnV3TheSpecialFieldsOfX1AreNeverFreedAndNothingWarns());
        rec("ReviewScenariosTest.c5FixOnFinalMapFreeStillFreesTheFieldsAfterDestroyFailedTheBucketLock",
                () -> new ReviewScenariosTest().c5FixOnFinalMapFreeStillFreesTheFieldsAfterDestroyFailedTheBucketLock());
        rec("ReviewScenariosTest.c6OnFinalMapFreeUnlinksAndUnchargesWithTheOwnerPinned",
                () -> new ReviewScenariosTest().c6OnFinalMapFreeUnlinksAndUnchargesWithTheOwnerPinned());
        rec("ReviewScenariosTest.c7OnV3TheRestartedWalkUsesTheFreedSelem",
                () -> new ReviewScenariosTest().c7OnV3TheRestartedWalkUsesTheFreedSelem());
        rec("ReviewScenariosTest.c7OnFinalTheRestartedWalkFindsX1AndDoesNothingWithIt",
                () -> new ReviewScenariosTest().c7OnFinalTheRestartedWalkFindsX1AndDoesNothingWithIt());
        rec("ReviewScenariosTest.c8OnV3TheSecondVisitFreesX1WhileLinkedAndTheThirdFreesItAgain",
                () -> new ReviewScenariosTest().c8OnV3TheSecondVisitFreesX1WhileLinkedAndTheThirdFreesItAgain());
        rec("ReviewScenariosTest.c8OnFinalRepeatedVisitsChangeNothingAndDestroyFreesX1Once",
                () -> new ReviewScenariosTest().c8OnFinalRepeatedVisitsChangeNothingAndDestroyFreesX1Once());
        rec("ReviewScenariosTest.theCmpxchgToTofreeHasASingleWinner",
                () -> new ReviewScenariosTest().theCmpxchgToTofreeHasASingleWinner());
        rec("SleepableLookupTest.mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn[true]",
                () -> new SleepableLookupTest().mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn(true));
        rec("SleepableLookupTest.mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn[false]",
                () -> new SleepableLookupTest().mapFreeOfAnotherMapFreesTheSelemTheSleepableWalkerStandsOn(false));
        rec("SleepableLookupTest.deleteAndUpdateWaitForTheSleepableWalker[delete]",
                () -> new SleepableLookupTest().deleteAndUpdateWaitForTheSleepableWalker("delete"));
        rec("SleepableLookupTest.deleteAndUpdateWaitForTheSleepableWalker[update]",
                () -> new SleepableLookupTest().deleteAndUpdateWaitForTheSleepableWalker("update"));
        rec("LocklessLookupFindingsTest.twoDeletesOfOneElementBothSucceed[FINAL]",
                () -> new LocklessLookupFindingsTest().twoDeletesOfOneElementBothSucceed(Protocol.FINAL));
        rec("LocklessLookupFindingsTest.twoDeletesOfOneElementBothSucceed[V3]",
                () -> new LocklessLookupFindingsTest().twoDeletesOfOneElementBothSucceed(Protocol.V3));
        rec("LocklessLookupFindingsTest.aDeleteRacingAnExistUpdateSucceedsAndTheNewValueStays[FINAL]",
                () -> new LocklessLookupFindingsTest().aDeleteRacingAnExistUpdateSucceedsAndTheNewValueStays(Protocol.FINAL));
        rec("LocklessLookupFindingsTest.aDeleteRacingAnExistUpdateSucceedsAndTheNewValueStays[V3]",
                () -> new LocklessLookupFindingsTest().aDeleteRacingAnExistUpdateSucceedsAndTheNewValueStays(Protocol.V3));
    }

    private static void rec(String name, Body body) {
        RECORDED.put(name, body);
    }

    /**
     * Tests of a seeded bug of the Java twin (Mutation), recorded: the spec
     * must reject the recording, at the step the bug changes.
     */
    static final Map<String, Object[]> MUTANTS = new LinkedHashMap<>();

    static {
        MUTANTS.put("ReviewScenariosTest.c5FixUndoneByAMutantLeaksTheFields", new Object[] {"NofailLockBucket",
            (Body) () -> new ReviewScenariosTest().c5FixUndoneByAMutantLeaksTheFields()});
        MUTANTS.put("ReviewScenariosTest.withoutTheCmpxchgBothCallersFreeX1", new Object[] {"NofailSetState",
            (Body) () -> new ReviewScenariosTest().withoutTheCmpxchgBothCallersFreeX1()});
        MUTANTS.put("SleepableLookupTest.deleteFreeingWithAVanillaGracePeriodIsCaught", new Object[] {"DeleteLockBucket",
            (Body) () -> new SleepableLookupTest().deleteFreeingWithAVanillaGracePeriodIsCaught()});
    }

    private static final String RCU_ONLY = "exercises rqspin.kernel.Rcu alone: no step of the local storage";
    private static final String MID_WALK = "holds a non-sleepable lookup inside its list walk (LOOKUP_WALK): the spec's"
            + " LookupStart takes the whole walk as one step (a deliberate abstraction: the lockless-lookup findings"
            + " are not the spec's)";

    /** The tests that cannot be recorded, and why. */
    static final Map<String, String> NOT_RECORDED = Map.ofEntries(
            Map.entry("LocalStorageTest.destroyThenMapFreeFreesEverythingOnce",
                    "maps of two value sizes (8 and 16 bytes): the spec has one ElemSize"),
            Map.entry("LocalStorageTest.chargesFollowTheLinkedSelemsAndTheLimitRefuses",
                    "an update refused by the owner's charge limit (-ENOMEM): the spec's charges never fail"),
            Map.entry("LocalStorageTest.updateLookupDeleteFollowTheFlags",
                    "updates with BPF_NOEXIST and BPF_EXIST refused on the flags (-EEXIST, -ENOENT): the spec's update"
                    + " is BPF_ANY"),
            Map.entry("ReviewScenariosTest.c5OnFinalTheLeakIsWarnedAndNothingWorseHappens",
                    "holds destroy at NOFAIL_UNLINK_MAP, inside the critical section of the spec's NofailLockBucket"
                    + " (a lock attempt and its critical section are one step); its v3 form is recorded"),
            Map.entry("LocalStorageTest.fLockUpdatesInPlace",
                    "BPF_F_LOCK updates in place: the spec's update is BPF_ANY"),
            Map.entry("LocalStorageTest.badInputIsRejectedAndChangesNothing",
                    "bad input (value sizes, flags, objects of another kernel): rejected before any spec step"),
            Map.entry("LocalStorageTest.theGracePeriodKeepsAWalkersSelemReadable", MID_WALK),
            Map.entry("LocklessLookupFindingsTest.aLookupRacingAReplacementFindsNothing", MID_WALK),
            Map.entry("SleepableLookupTest.theSameInterleavingWithANonSleepableLookupIsSafe", MID_WALK),
            Map.entry("FinalFindingsTest.destroyFailingTheStorageLockWhileMapFreePinsTheOwnerSpinsForever",
                    "holds map_free at NOFAIL_UNCHARGE, inside the spec's NofailLockStorage (the pin and the uncharge"
                    + " are one step); its finding is the replay of ls_final_f1_hang (LsFinalF1HangTest), checked"
                    + " equal in FindingTestsTest"),
            Map.entry("FinalFindingsTest.withoutThePinOrTheWaitMapFreeUnchargesAFreedOwner",
                    "seeded bugs (NO_OWNER_PIN, DESTROY_NO_WAIT) held at NOFAIL_UNCHARGE, inside a spec step;"
                    + " JavaMutantsTest shows validation rejecting both"),
            Map.entry("ReviewScenariosTest.c6OnV3SelemsLingerChargedAfterMapFree",
                    "ends with an update refused by the owner's charge limit (-ENOMEM): the spec's charges never fail"),
            Map.entry("SleepableLookupTest.aSleepableLookupFindsAndCachesLikeALookup",
                    "maps of two bucket counts (1 and 4): the spec's BucketOf is one hash for every map"),
            Map.entry("SleepableLookupTest.aSleepableLookupRejectsBadInputAsALookupDoes",
                    "bad input, and maps of two bucket counts"),
            Map.entry("SleepableLookupTest.aTraceReaderHoldsUpOnlyTasksTraceGracePeriods", RCU_ONLY),
            Map.entry("SleepableLookupTest.aVanillaReaderHoldsUpBothFlavoursAndSynchronize", RCU_ONLY),
            Map.entry("SleepableLookupTest.barrierWaitsForTheCallbacksOfBothFlavours", RCU_ONLY),
            Map.entry("SleepableLookupTest.traceSectionsNestAndAreCheckedLikeVanillaOnes", RCU_ONLY),
            Map.entry("SleepableLookupTest.withoutGracePeriodsEveryCallbackRunsAtOnce", RCU_ONLY));

    static final List<Class<?>> CLASSES = List.of(LocalStorageTest.class, FinalFindingsTest.class,
            ReviewScenariosTest.class, SleepableLookupTest.class, LocklessLookupFindingsTest.class);

    static final Path SPEC = Path.of(System.getProperty("rqspin.spec.dir", "..")).toAbsolutePath().normalize();

    static boolean full() {
        return "full".equals(System.getProperty("rqspin.conformance", "ci"));
    }

    @Test
    void everyTestIsRecordedOrSaysWhyNot() {
        Set<String> tests = new TreeSet<>();
        for (Class<?> c : CLASSES) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.isAnnotationPresent(Test.class)
                        || m.isAnnotationPresent(org.junit.jupiter.params.ParameterizedTest.class)) {
                    tests.add(c.getSimpleName() + "." + m.getName());
                }
            }
        }
        Set<String> known = new TreeSet<>(NOT_RECORDED.keySet());
        RECORDED.keySet().forEach(n -> known.add(n.replaceAll("\\[.*", "")));
        known.addAll(MUTANTS.keySet());
        assertEquals(tests, known, "classify each scenario test: recorded here, or not, with the reason");
    }

    /** The recordings of one test: one per kernel it made. */
    static List<Recorder> record(String name) throws Exception {
        return record(RECORDED.get(name));
    }

    static List<Recorder> record(Body body) throws Exception {
        List<Recorder> recs = new ArrayList<>();
        World.onBuild = b -> {
            Recorder r = new Recorder();
            recs.add(r);
            r.prepare(b);
        };
        World.onKernel = k -> recs.get(recs.size() - 1).attach(k);
        try {
            body.run();
        } finally {
            World.onBuild = null;
            World.onKernel = null;
        }
        return recs;
    }

    static TraceValidation.Outcome validate(String name, Protocol p, Twin.Recorded r) throws Exception {
        Manifest manifest = Manifest.load(SPEC.resolve("models.json"));
        Manifest.Model base = manifest.select(List.of(Recorder.baseModel(p))).get(0);
        return TraceValidation.validate(manifest, base, r.extraConstants(), r.definitions(), List.of(r.events()),
                Path.of("target", "conformance-tests", "localstorage", "recorded", name.replaceAll("\\W", "_"))
                        .toAbsolutePath()).get(0);
    }

    /** The tests of seeded Java bugs, recorded: the spec rejects each, at the step the bug changes. */
    @TestFactory
    Stream<DynamicTest> eachRecordedMutantTestIsRejected() {
        return MUTANTS.keySet().stream().limit(full() ? MUTANTS.size() : 1).map(name ->
                DynamicTest.dynamicTest(name, () -> {
                    List<Recorder> recs = record((Body) MUTANTS.get(name)[1]);
                    boolean rejected = false;
                    int k = 0;
                    for (Recorder rec : recs) {
                        k++;
                        Twin.Recorded r = rec.recorded(name + "#" + k);
                        if (r.events().isEmpty()) {
                            continue;
                        }
                        TraceValidation.Outcome o = validate(name + "#" + k, rec.protocol(), r);
                        if (!o.accepted()) {
                            rejected = true;
                            assertEquals(MUTANTS.get(name)[0], r.events().get(o.taken()).action(),
                                    name + ": rejected at " + r.javaSteps().get(o.taken()));
                            System.out.println("RECORDED-MUTANT-LS " + name + ": rejected at event " + (o.taken() + 1)
                                    + " of " + o.length() + ": " + r.javaSteps().get(o.taken()));
                        }
                    }
                    assertTrue(rejected, name + ": the spec accepted every recording of a seeded bug");
                }));
    }

    @TestFactory
    Stream<DynamicTest> eachRecordedTestIsABehaviourOfTheSpec() {
        return RECORDED.keySet().stream().limit(full() ? RECORDED.size() : 2).map(name ->
                DynamicTest.dynamicTest(name, () -> {
                    List<Recorder> recs = record(name);
                    assertFalse(recs.isEmpty(), name + " made no kernel");
                    int k = 0;
                    for (Recorder rec : recs) {
                        k++;
                        assertNull(rec.unusable(), name);
                        Twin.Recorded r = rec.recorded(name + "#" + k);
                        if (r.events().isEmpty()) {
                            continue;
                        }
                        TraceValidation.Outcome o = validate(name + "#" + k, rec.protocol(), r);
                        System.out.println("RECORDED-LS " + name + "#" + k + " " + rec.protocol() + ": "
                                + r.events().size() + " events, " + (o.accepted() ? "accepted" : "REJECTED at "
                                + (o.taken() + 1)) + (rec.stoppedBy() != null ? "; the Java twin stopped at "
                                + rec.stoppedBy() : ""));
                        assertTrue(o.accepted(), () -> name + ": the spec takes " + o.taken() + " of " + o.length()
                                + " steps; it cannot take " + r.events().get(o.taken()) + "\n  Java step: "
                                + r.javaSteps().get(o.taken()) + "\n  observed after it: " + r.events().get(o.taken()).observed()
                                + "\n  spec state before: " + o.stateBefore()
                                + "\n  processes: " + rec.processes() + "\n  run:\n    "
                                + String.join("\n    ", r.javaSteps()));
                    }
                }));
    }
}
