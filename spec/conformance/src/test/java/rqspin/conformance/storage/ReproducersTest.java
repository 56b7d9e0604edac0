package rqspin.conformance.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import rqspin.conformance.Counterexample;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;
import rqspin.storage.Fix;

/**
 * The generated reproducers of the local storage
 * (rqspin.conformance.storage.repro, one per finding of the manifest,
 * written by {@code spec/conform reproduce}) are what the generator writes
 * today from TLC's counterexample (one worker, liveness checked on the whole
 * graph only: the same trace each time, see {@link Counterexample}): ci makes
 * one of them again, full every one. Every finding has its reproducer and
 * every reproducer its finding; the reproducers themselves run as tests of
 * their own (on the merged code, and on the spec's candidate fix where it
 * has one).
 */
class ReproducersTest {
    static final Path ROOT = Conformance.SPEC.resolve("conformance").resolve("src").resolve("test").resolve("java");
    static final List<String> CI = List.of("ls_final_f1_uaf");

    static List<Manifest.Model> findings() throws Exception {
        return Conformance.lsModels(m -> Conformance.violation(m) && !Conformance.specMutant(m));
    }

    @TestFactory
    Stream<DynamicTest> eachReproducerIsWhatTheGeneratorWritesToday() throws Exception {
        Manifest manifest = Conformance.manifest();
        StorageTwin twin = new StorageTwin();
        return findings().stream().filter(m -> Conformance.full() || CI.contains(m.name()))
                .map(m -> DynamicTest.dynamicTest(m.name(), () -> {
                    String now = generate(manifest, twin, m);
                    String committed = Files.readString(ROOT.resolve(ReproducerWriter.path(m.name())),
                            StandardCharsets.UTF_8);
                    assertEquals(committed, now, m.name() + ": the committed reproducer differs from the generator's:"
                            + " run spec/conform reproduce " + m.name());
                }));
    }

    static String generate(Manifest manifest, StorageTwin twin, Manifest.Model m) throws Exception {
        TlcResult r = Counterexample.of(manifest, m, Conformance.work("reproduce").resolve(m.name() + ".log"));
        Map<String, String> files = twin.reproducer(manifest, m, r.trace(), r.loop());
        assertEquals(Set.of(ReproducerWriter.path(m.name())), files.keySet());
        return files.values().iterator().next();
    }

    @Test
    void everyFindingHasItsReproducerAndNoMore() throws Exception {
        Set<String> expected = new TreeSet<>();
        for (Manifest.Model m : findings()) {
            expected.add(ReproducerWriter.className(m.name()) + ".java");
        }
        Set<String> present;
        try (Stream<Path> s = Files.list(ROOT.resolve(ReproducerWriter.PACKAGE_DIR))) {
            present = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("Test.java"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(expected, present);
        assertTrue(expected.size() >= 14, expected.toString());
        for (String model : ReproducerWriter.FIXED_BY.keySet()) {
            assertTrue(expected.contains(ReproducerWriter.className(model) + ".java"), model);
        }
    }

    /** The comparison sees a change, and the schedule of a finding stops or stays clean where the code is fixed. */
    @Test
    void aChangedReproducerOrTheFixedCodeIsSeen() throws Exception {
        Path file = ROOT.resolve(ReproducerWriter.path("ls_final_f1_uaf"));
        String committed = Files.readString(file, StandardCharsets.UTF_8);
        assertNotEquals(committed, committed.replaceFirst("\"NofailLockBucket\"", "\"NofailLockStorage\""));
        Reproducer.Result merged = rqspin.conformance.storage.repro.Schedules.f1Uaf().run();
        assertTrue(merged.followed() && merged.shows("P5_NoUseAfterFree"), merged.toString());
        Reproducer.Result fixed = rqspin.conformance.storage.repro.Schedules.f1Uaf().run(Fix.NO_MAP_BIT_AFTER_FAILURE);
        assertFalse(fixed.shows("P5_NoUseAfterFree"), fixed.toString());
        Reproducer.Result otherFix = rqspin.conformance.storage.repro.Schedules.f1Uaf().run(Fix.UNPIN_MAY_REACH_ZERO);
        assertTrue(otherFix.shows("P5_NoUseAfterFree"), "a fix of another finding does not fix this one: " + otherFix);
    }
}
