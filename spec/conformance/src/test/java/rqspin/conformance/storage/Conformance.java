package rqspin.conformance.storage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import rqspin.spec.Manifest;
import rqspin.spec.UsageException;
import rqspin.spec.Verdict;

/**
 * What the conformance tests of the local storage share: the project's
 * manifest, its localstorage models, and how much work to do (system
 * property {@code rqspin.conformance}: {@code ci}, the bounded default of
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

    /**
     * The localstorage models of the manifest that {@code p} accepts, in
     * manifest order, but those of a scenario the Java twin cannot run
     * ({@link #SCENARIOS_ONLY_IN_THE_SPEC}).
     */
    static List<Manifest.Model> lsModels(Predicate<Manifest.Model> p) throws UsageException {
        List<Manifest.Model> out = new ArrayList<>();
        for (Manifest.Model m : allLsModels()) {
            if (!SCENARIOS_ONLY_IN_THE_SPEC.contains(scenario(m)) && p.test(m)) {
                out.add(m);
            }
        }
        return out;
    }

    /** Every localstorage model of the manifest, in manifest order. */
    static List<Manifest.Model> allLsModels() throws UsageException {
        List<Manifest.Model> out = new ArrayList<>();
        for (Manifest.Model m : manifest().models()) {
            if ("localstorage".equals(m.mechanism())) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * The scenarios of MCLocalStorage.tla the Java twin cannot run: those
     * with a late program (a lookup or get on an owner whose destroy has
     * begun; the Java twin's operations wait for their owner to be in use).
     * Their models (ls_final_dying_*) are checked by TLC only; StorageScenario
     * refuses them, and {@code theSpecOnlyScenariosAreListedExactly} fails
     * when this list goes stale.
     */
    static final java.util.Set<String> SCENARIOS_ONLY_IN_THE_SPEC = java.util.Set.of("dying");

    /** The Scenario constant of {@code m}'s cfg. */
    static String scenario(Manifest.Model m) {
        try {
            return StorageScenario.scenarioName(SPEC.resolve(m.config()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The candidate fixes the spec checks and the Java twin does not have
     * (none since issue 13 gave the Java twin all six): the full random-run
     * validation and the full simulation replay skip the models that use
     * one, and {@link #javaTwinHasEveryFixOf} fails when this list and the
     * manifest disagree, so that a new spec-only fix is noticed (and listed
     * here, or added to the Java twin's Fix).
     */
    static final java.util.Set<String> FIXES_ONLY_IN_THE_SPEC = java.util.Set.of();

    /** Whether the Java twin has every candidate fix {@code m} substitutes (checked against FIXES_ONLY_IN_THE_SPEC). */
    static boolean javaTwinHasEveryFixOf(Manifest.Model m) {
        try {
            List<String> lacks = StorageScenario.fixesTheJavaTwinLacks(new StorageTwin().scenario(manifest(), m).substitutions());
            for (String sub : lacks) {
                if (!FIXES_ONLY_IN_THE_SPEC.contains(sub)) {
                    throw new AssertionError(m.name() + " uses " + sub
                            + ", which neither the Java twin's Fix nor FIXES_ONLY_IN_THE_SPEC knows");
                }
            }
            return lacks.isEmpty();
        } catch (UsageException e) {
            throw new AssertionError(m.name() + ": " + e.getMessage(), e);
        }
    }

    static boolean violation(Manifest.Model m) {
        return m.expected().kind() != Verdict.Kind.PASS;
    }

    static boolean specMutant(Manifest.Model m) {
        return m.name().contains("_mut_");
    }

    /** The protocol of a model, from its scenario. */
    static String protocol(Manifest.Model m) throws Exception {
        return new StorageTwin().scenario(manifest(), m).protocol().name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Prints one line of figures for the docs: {@code FIGURES-LS kind model protocol traces events seconds}
     * (grep the test output for FIGURES-LS).
     */
    static void figures(String kind, Manifest.Model m, int traces, int events, double seconds) throws Exception {
        System.out.printf(java.util.Locale.ROOT, "FIGURES-LS %s %s %s %d %d %.2f%n", kind, m.name(), protocol(m), traces,
                events, seconds);
    }

    /** A scratch directory under target/. */
    static Path work(String what) {
        return Path.of("target", "conformance-tests", "localstorage", what).toAbsolutePath();
    }
}
