package rqspin.conformance.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rqspin.conformance.Twin;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;
import rqspin.storage.check.Step;

/**
 * The Java twin of the BPF local storage teardown (rqspin.storage, on the
 * Java rqspinlock) as the conformance tools see it: its steps are
 * {@link Step} (each named after the LocalStorage.tla action that models
 * it), its runs are gated ({@link StorageWorld}), a TLC trace is replayed by
 * {@link Replayer}, random schedules are made by {@link RandomRuns}, and
 * free-running tests are recorded by {@link Recorder}, all in the closed
 * world of the manifest model ({@link StorageScenario}).
 */
public final class StorageTwin implements Twin {
    private final StorageWorld.Variant variant;

    /** The real Java twin. */
    public StorageTwin() {
        this(StorageWorld.Variant.REAL);
    }

    /** A twin with a seeded mutant of the Java code (or extra fixes), in tests. */
    StorageTwin(StorageWorld.Variant variant) {
        this.variant = variant;
    }

    @Override
    public String mechanism() {
        return "localstorage";
    }

    private static final Pattern STEP = Pattern.compile("\\\\/\\s*(\\w+)\\(p\\)");

    /**
     * The actions that model kernel steps: the disjuncts of {@code Step(p)}
     * in LocalStorage.tla, and RcuCallback (the callback step of
     * {@code Callbacks}); {@code Terminated}, the end of every behaviour, is
     * no kernel step.
     */
    @Override
    public Set<String> specSteps(Path specDir) throws IOException {
        String spec = Files.readString(specDir.resolve("LocalStorage.tla"), StandardCharsets.UTF_8);
        int from = spec.indexOf("\nStep(p) ==");
        int to = spec.indexOf("\nCallbacks ==", from);
        if (from < 0 || to < from) {
            throw new IOException("LocalStorage.tla: no Step(p) / Callbacks definitions");
        }
        Set<String> out = new TreeSet<>();
        Matcher m = STEP.matcher(spec.substring(from, to));
        while (m.find()) {
            out.add(m.group(1));
        }
        if (spec.substring(to, spec.indexOf("\n\n", to + 1)).contains("RcuCallback(")) {
            out.add("RcuCallback");
        }
        return out;
    }

    /** The names {@code ActionNames} of TraceLocalStorage.tla knows (the events it can check). */
    static Set<String> traceActionNames(Path specDir) throws IOException {
        String t = Files.readString(specDir.resolve("TraceLocalStorage.tla"), StandardCharsets.UTF_8);
        int from = t.indexOf("ActionNames ==");
        int to = t.indexOf("}", from);
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\"(\\w+)\"").matcher(t.substring(from, to));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The actions of the gate steps ({@link Step#action()}): each begins one spec step. */
    @Override
    public Set<String> javaSteps() {
        Set<String> out = new TreeSet<>();
        for (Step s : Step.values()) {
            if (s.gate()) {
                out.add(s.action());
            }
        }
        return out;
    }

    /** None: every spec action has its Java gate step and the other way round. */
    @Override
    public Map<String, String> vocabularyExceptions() {
        return Map.of();
    }

    @Override
    public String cannotRun(Manifest manifest, Manifest.Model model) {
        try {
            Path cfg = manifest.dir().resolve(model.config());
            String scen = StorageScenario.scenarioName(cfg);
            if (StorageScenario.scenariosWithLatePrograms(manifest.dir().resolve(model.module()).getParent(), cfg)
                    .contains(scen)) {
                return "scenario " + scen + " has late programs (on an owner whose destroy has begun),"
                        + " which the Java twin does not have";
            }
            return null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Replay replay(Manifest manifest, Manifest.Model model, List<TlcResult.State> trace, TlcResult.Loop loop) {
        return Replayer.replay(scenario(manifest, model), trace, loop, variant, checkedProperties(manifest, model));
    }

    /** The properties the model checks (its cfg's INVARIANT(S) and PROPERTY(IES)). */
    static Set<String> checkedProperties(Manifest manifest, Manifest.Model model) {
        Set<String> out = new TreeSet<>();
        boolean in = false;
        try {
            for (String raw : Files.readAllLines(manifest.dir().resolve(model.config()), StandardCharsets.UTF_8)) {
                String line = raw.replaceAll("\\\\\\*.*$", "").strip();
                if (line.isEmpty()) {
                    continue;
                }
                String first = line.split("\\s+")[0];
                if (first.matches("[A-Z_]+")) {
                    in = first.startsWith("INVARIANT") || first.startsWith("PROPERT");
                    line = line.substring(first.length()).strip();
                }
                if (in) {
                    for (String p : line.split("\\s+")) {
                        if (!p.isEmpty()) {
                            out.add(p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Override
    public List<Recorded> randomRuns(Manifest manifest, Manifest.Model model, int runs, long seed) {
        StorageScenario sc = scenario(manifest, model);
        List<Recorded> out = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            out.add(RandomRuns.run(sc, seed + i, variant));
        }
        return out;
    }

    @Override
    public Map<String, String> reproducer(Manifest manifest, Manifest.Model model, List<TlcResult.State> trace,
                                          TlcResult.Loop loop) {
        return Map.of(ReproducerWriter.path(model.name()),
                ReproducerWriter.source(scenario(manifest, model), model, trace, loop));
    }

    private final Map<String, StorageScenario> scenarios = new LinkedHashMap<>();

    synchronized StorageScenario scenario(Manifest manifest, Manifest.Model model) {
        StorageScenario sc = scenarios.get(model.name());
        if (sc == null) {
            try {
                sc = StorageScenario.of(manifest, model);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            scenarios.put(model.name(), sc);
        }
        return sc;
    }
}
