package rqspin.conformance.lock;

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
import rqspin.lock.Step;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;

/**
 * The Java twin of rqspinlock ({@link rqspin.lock.RqSpinLock} and its
 * baseline {@link rqspin.lock.QSpinLock}) as the conformance tools see it:
 * its steps are {@link Step}, its runs are gated ({@link LockWorld}), a TLC
 * trace is replayed by {@link Replayer} and random schedules are made by
 * {@link RandomRuns}, in the closed world of the manifest model
 * ({@link LockScenario}).
 */
public final class LockTwin implements Twin {
    private final LockWorld.LockFactory factory;

    /** The real Java twin. */
    public LockTwin() {
        this(LockWorld.REAL);
    }

    /** A twin whose locks come from {@code factory} (a seeded mutant of the Java code, in tests). */
    LockTwin(LockWorld.LockFactory factory) {
        this.factory = factory;
    }

    @Override
    public String mechanism() {
        return "rqspinlock";
    }

    private static final Pattern CTX_STEP = Pattern.compile("\\\\/\\s*(\\w+)\\(c, x\\)");

    /**
     * The actions that model kernel steps: the disjuncts of {@code CtxStep}
     * in RqSpinLock.tla, and {@code interrupt} of {@code Next}
     * ({@code Terminated}, the end of every script, is no kernel step).
     */
    @Override
    public Set<String> specSteps(Path specDir) throws IOException {
        String spec = Files.readString(specDir.resolve("RqSpinLock.tla"), StandardCharsets.UTF_8);
        int from = spec.indexOf("CtxStep(c, x) ==");
        int to = spec.indexOf("RunCPU(c) ==");
        int next = spec.indexOf("Next ==", to);
        if (from < 0 || to < from || next < 0) {
            throw new IOException("RqSpinLock.tla: no CtxStep / RunCPU / Next definitions");
        }
        Set<String> out = new TreeSet<>();
        Matcher m = CTX_STEP.matcher(spec.substring(from, to));
        while (m.find()) {
            out.add(m.group(1));
        }
        if (spec.substring(next, spec.indexOf("\n\n", next)).contains("interrupt(c, x)")) {
            out.add("interrupt");
        }
        return out;
    }

    /** The names {@code ActionNames} of TraceRqSpinLock.tla knows (the events it can check). */
    static Set<String> traceActionNames(Path specDir) throws IOException {
        String t = Files.readString(specDir.resolve("TraceRqSpinLock.tla"), StandardCharsets.UTF_8);
        int from = t.indexOf("ActionNames ==");
        int to = t.indexOf("}", from);
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\"(\\w+)\"").matcher(t.substring(from, to));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Override
    public Set<String> javaSteps() {
        Set<String> out = new TreeSet<>();
        for (Step s : Step.values()) {
            out.add(s.name());
        }
        return out;
    }

    /** None: every spec action has its Java step and the other way round. */
    @Override
    public Map<String, String> vocabularyExceptions() {
        return Map.of();
    }

    @Override
    public Replay replay(Manifest manifest, Manifest.Model model, List<TlcResult.State> trace, TlcResult.Loop loop) {
        return Replayer.replay(scenario(manifest, model), trace, loop, factory, pcs(manifest, model),
                checkedProperties(manifest, model));
    }

    /**
     * The properties the model checks (its cfg's INVARIANT(S) and PROPERTY(IES)):
     * the ones the Java side reports on a replay of its traces; AttemptsReturnEach
     * and LocksReleasedEach count as AttemptsReturn and LocksReleased.
     */
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
                            out.add(p.replace("Each", ""));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private Map<String, Set<String>> pcs;

    /** The actions each program counter of the spec allows. */
    synchronized Map<String, Set<String>> pcs(Manifest manifest, Manifest.Model model) {
        if (pcs == null) {
            Path dir = manifest.dir().resolve(model.module()).getParent();
            try {
                pcs = SpecPcs.of(dir, specSteps(dir));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return pcs;
    }

    @Override
    public Map<String, String> reproducer(Manifest manifest, Manifest.Model model, List<TlcResult.State> trace,
                                          TlcResult.Loop loop) {
        return Map.of(ReproducerWriter.path(model.name()),
                ReproducerWriter.source(scenario(manifest, model), model, trace, loop));
    }

    @Override
    public List<Recorded> randomRuns(Manifest manifest, Manifest.Model model, int runs, long seed) {
        LockScenario sc = scenario(manifest, model);
        List<Recorded> out = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            out.add(RandomRuns.run(sc, seed + i, factory));
        }
        return out;
    }

    private final Map<String, LockScenario> scenarios = new LinkedHashMap<>();

    synchronized LockScenario scenario(Manifest manifest, Manifest.Model model) {
        LockScenario sc = scenarios.get(model.name());
        if (sc == null) {
            try {
                sc = LockScenario.of(manifest, model);
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
