package rqspin.conformance.lock;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import rqspin.spec.Manifest;
import rqspin.spec.UsageException;
import rqspin.spec.Verdict;

/**
 * What the conformance tests of rqspinlock share: the project's manifest,
 * its rqspinlock models, and how much work to do (system property
 * {@code rqspin.conformance}: {@code ci}, the bounded default of
 * {@code mvn verify}, or {@code full}, set by {@code -Pfull-conformance}).
 */
final class Conformance {
    private Conformance() {}

    static final Path SPEC = Path.of(System.getProperty("rqspin.spec.dir", "..")).toAbsolutePath().normalize();

    static boolean full() {
        return "full".equals(System.getProperty("rqspin.conformance", "ci"));
    }

    /** {@code ci} in a ci run, {@code full} otherwise. */
    static int scale(int ci, int full) {
        return full() ? full : ci;
    }

    static Manifest manifest() throws UsageException {
        return Manifest.load(SPEC.resolve("models.json"));
    }

    static Manifest.Model model(String name) throws UsageException {
        return manifest().select(List.of(name)).get(0);
    }

    /** The rqspinlock models of the manifest that {@code p} accepts, in manifest order. */
    static List<Manifest.Model> rqModels(Predicate<Manifest.Model> p) throws UsageException {
        List<Manifest.Model> out = new ArrayList<>();
        for (Manifest.Model m : manifest().models()) {
            if ("rqspinlock".equals(m.mechanism()) && p.test(m)) {
                out.add(m);
            }
        }
        return out;
    }

    static boolean violation(Manifest.Model m) {
        return m.expected().kind() != Verdict.Kind.PASS;
    }

    static boolean specMutant(Manifest.Model m) {
        return m.name().contains("_mut_");
    }

    /**
     * Prints one line of figures for the docs: {@code FIGURES kind model version traces events seconds}
     * (grep the test output for FIGURES).
     */
    static void figures(String kind, Manifest.Model m, int traces, int events, double seconds) throws Exception {
        LockScenario sc = new LockTwin().scenario(manifest(), m);
        String v = !sc.resilient() ? "qspinlock" : sc.version().spec();
        System.out.printf(java.util.Locale.ROOT, "FIGURES %s %s %s %d %d %.2f%n", kind, m.name(), v, traces, events,
                seconds);
    }

    /** A scratch directory under target/. */
    static Path work(String what) {
        return Path.of("target", "conformance-tests", what).toAbsolutePath();
    }
}
