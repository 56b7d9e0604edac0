package rqspin.conformance.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import rqspin.conformance.Conform;
import rqspin.lock.Step;

/**
 * One vocabulary: the actions of RqSpinLock.tla that model kernel steps (the
 * disjuncts of CtxStep, and interrupt) are exactly the Java twin's steps
 * (enum rqspin.lock.Step) and the names TraceRqSpinLock.tla can check, with
 * no exception; {@code spec/conform vocabulary} says so, and says what
 * differs when a spec gains an action the Java twin lacks.
 */
class VocabularyTest {
    static final Path RQ = Conformance.SPEC.resolve("rqspinlock");

    @Test
    void theSpecsActionsAreTheJavaTwinsSteps() throws Exception {
        LockTwin twin = new LockTwin();
        Set<String> spec = twin.specSteps(RQ);
        assertEquals(33, spec.size(), spec.toString());
        assertEquals(spec, twin.javaSteps());
        assertEquals(spec, LockTwin.traceActionNames(RQ));
        assertEquals(Map.of(), twin.vocabularyExceptions());
        for (Step s : Step.values()) {
            assertTrue(!s.kernel().isBlank(), s + " says what it is in kernel terms");
        }
    }

    @Test
    void conformVocabularyPassesAndCatchesAnActionOnlyTheSpecHas() throws Exception {
        String real = vocabulary(Conformance.SPEC.resolve("models.json"));
        assertTrue(real.contains("rqspinlock: 33 spec steps, 33 Java steps, 0 deliberate exceptions\n"), real);
        assertEquals(java.util.List.of(), rqLines(real), real);

        Path copy = Conformance.work("vocabulary");
        for (Path dir : java.util.List.of(Conformance.SPEC.resolve("rqspinlock"), Conformance.SPEC.resolve("localstorage"))) {
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
        Path rq = copy.resolve("rqspinlock");
        String spec = Files.readString(rq.resolve("RqSpinLock.tla"), StandardCharsets.UTF_8)
                .replace("    \\/ res_spin_unlock_pop(c, x)\n", "    \\/ res_spin_unlock_pop(c, x)\n    \\/ new_kernel_step(c, x)\n");
        Files.writeString(rq.resolve("RqSpinLock.tla"), spec, StandardCharsets.UTF_8);
        String drifted = vocabulary(copy.resolve("models.json"));
        assertEquals(java.util.List.of("  only in the spec: new_kernel_step"), rqLines(drifted), drifted);
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

    /** The "only in" lines printed under rqspinlock's line. */
    private static java.util.List<String> rqLines(String out) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        boolean in = false;
        for (String l : out.split("\n")) {
            if (!l.startsWith("  ")) {
                in = l.startsWith("rqspinlock:");
            } else if (in) {
                lines.add(l);
            }
        }
        return lines;
    }
}
