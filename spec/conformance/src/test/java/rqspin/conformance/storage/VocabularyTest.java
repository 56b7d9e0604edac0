package rqspin.conformance.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import rqspin.conformance.Conform;
import rqspin.storage.check.Step;

/**
 * One vocabulary: the actions of LocalStorage.tla that model kernel steps
 * (the disjuncts of Step(p), and RcuCallback) are exactly the actions of the
 * Java local storage's gate steps (enum rqspin.storage.check.Step) and the
 * names TraceLocalStorage.tla can check, with no exception; every step
 * inside a spec step names the spec actions it is part of; the labels of
 * the steps are kept; {@code spec/conform vocabulary} says so, and says what
 * differs when the spec gains an action the Java twin lacks.
 */
class VocabularyTest {
    static final Path LS = Conformance.SPEC.resolve("localstorage");

    @Test
    void theSpecsActionsAreTheJavaTwinsSteps() throws Exception {
        StorageTwin twin = new StorageTwin();
        Set<String> spec = twin.specSteps(LS);
        assertEquals(39, spec.size(), spec.toString());
        assertEquals(spec, twin.javaSteps());
        assertEquals(spec, StorageTwin.traceActionNames(LS));
        assertEquals(Map.of(), twin.vocabularyExceptions());
        Set<String> labels = new TreeSet<>();
        for (Step s : Step.values()) {
            assertTrue(labels.add(s.label()), "two steps are labelled " + s.label());
            assertFalse(s.within().isEmpty(), s + " names the spec actions it is part of");
            assertTrue(spec.containsAll(s.within()), s + " is part of " + s.within() + ", not all of them spec actions");
            if (s.gate() && s != Step.RCU_CALLBACK) {
                assertFalse(s.pcs().isEmpty(), s + " names the spec pcs at which it is taken");
            }
        }
        assertEquals(Step.values().length, labels.size());
    }

    /** Every pc a gate step names is one of LocalStorage.tla's (a string the spec assigns to pc or tests it with). */
    @Test
    void everyPcOfAGateIsTheSpecs() throws Exception {
        String spec = Files.readString(LS.resolve("LocalStorage.tla"), StandardCharsets.UTF_8);
        for (Step s : Step.values()) {
            for (String pc : s.pcs()) {
                assertTrue(spec.contains("\"" + pc + "\""), s + ": pc \"" + pc + "\" is not in LocalStorage.tla");
            }
        }
    }

    @Test
    void conformVocabularyPassesAndCatchesAnActionOnlyTheSpecHas() throws Exception {
        String real = vocabulary(Conformance.SPEC.resolve("models.json"));
        assertTrue(real.contains("localstorage: 39 spec steps, 39 Java steps, 0 deliberate exceptions\n"), real);
        assertEquals(List.of(), lsLines(real), real);

        Path copy = Conformance.work("vocabulary");
        for (Path dir : List.of(Conformance.SPEC.resolve("rqspinlock"), LS)) {
            Path to = copy.resolve(dir.getFileName());
            Files.createDirectories(to);
            try (java.util.stream.Stream<Path> s = Files.list(dir)) {
                for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".tla"))::iterator) {
                    Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.copy(Conformance.SPEC.resolve("models.json"), copy.resolve("models.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path ls = copy.resolve("localstorage");
        String spec = Files.readString(ls.resolve("LocalStorage.tla"), StandardCharsets.UTF_8)
                .replace("    \\/ SleepableLookupStart(p) \\/ SleepableLookupWalk(p)\n",
                        "    \\/ SleepableLookupStart(p) \\/ SleepableLookupWalk(p)\n    \\/ NewKernelStep(p)\n");
        Files.writeString(ls.resolve("LocalStorage.tla"), spec, StandardCharsets.UTF_8);
        String drifted = vocabulary(copy.resolve("models.json"));
        assertEquals(List.of("  only in the spec: NewKernelStep"), lsLines(drifted), drifted);
    }

    /** What {@code spec/conform vocabulary} prints for the manifest. */
    private static String vocabulary(Path manifest) {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
        StringWriter err = new StringWriter();
        try {
            Conform.run(new String[] {"--manifest", manifest.toString(), "vocabulary"}, new PrintWriter(err),
                    new PrintWriter(err));
        } finally {
            System.setOut(old);
        }
        return printed.toString(StandardCharsets.UTF_8) + err;
    }

    /** The "only in" lines printed under localstorage's line. */
    private static List<String> lsLines(String out) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String l : out.split("\n")) {
            if (!l.startsWith("  ")) {
                in = l.startsWith("localstorage:");
            } else if (in) {
                lines.add(l);
            }
        }
        return lines;
    }
}
