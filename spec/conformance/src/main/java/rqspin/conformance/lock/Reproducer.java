package rqspin.conformance.lock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rqspin.conformance.lock.GatedScheduler.Kind;
import rqspin.conformance.lock.GatedScheduler.Outcome;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.conformance.lock.LockScenario.Op;
import rqspin.lock.Version;

/**
 * A finding of the spec as a schedule of the Java twin: the world (version,
 * CPUs, locks, each context's script) and the steps, "c1 task takes
 * fastpath_cmpxchg", "c2 nmi arrives", in order, run on the gated
 * scheduler. The generated reproducers (spec/conformance/src/test/java/
 * rqspin/conformance/lock/repro, written by {@code spec/conform reproduce})
 * are made of one of these each; they read as the kernel developer's
 * "CPU0 does this, CPU1 does that".
 *
 * <p>{@link #run} plays the schedule on a version of the Java twin: every
 * step must be the step the twin takes (a version that takes another way,
 * e.g. a fixed one, stops there), and the result says what the Java side's
 * checks saw. Immutable after building; each run is independent.
 */
public final class Reproducer {
    private final String model;
    private final String tas;
    private final boolean resilient;
    private final int nrHeld;
    private final int nrNodes;
    private final List<String> cpus = new ArrayList<>();
    private final List<String> locks = new ArrayList<>();
    private final Map<String, Map<Ctx, List<Op>>> scripts = new LinkedHashMap<>();
    private final List<String[]> steps = new ArrayList<>();
    private boolean hang;
    private boolean x86SetPending;
    private boolean abbaStepwise;

    private Reproducer(String model, boolean resilient, String tas, int nrHeld, int nrNodes) {
        this.model = model;
        this.resilient = resilient;
        this.tas = tas;
        this.nrHeld = nrHeld;
        this.nrNodes = nrNodes;
    }

    /**
     * The schedule of manifest model {@code model}: rqspinlock (resilient)
     * or qspinlock, with the TAS fallback {@code tas} ("none", "native",
     * "virt") and the table and node sizes.
     */
    public static Reproducer of(String model, boolean resilient, String tas, int nrHeld, int nrNodes) {
        return new Reproducer(model, resilient, tas, nrHeld, nrNodes);
    }

    /** The pending bit is set as on x86: a btsl, then a separate read (the spec's SetPending = "x86"). */
    public Reproducer x86SetPending() {
        x86SetPending = true;
        return this;
    }

    /** check_deadlock_ABBA takes one step per read (the spec's AbbaScan = "stepwise"). */
    public Reproducer abbaScanStepwise() {
        abbaStepwise = true;
        return this;
    }

    /** The CPUs, as the spec names them (c1 is Java's cpu0). */
    public Reproducer cpus(String... names) {
        cpus.addAll(List.of(names));
        return this;
    }

    /** The locks (A, B). */
    public Reproducer locks(String... names) {
        locks.addAll(List.of(names));
        return this;
    }

    /** The script of context {@code ctx} (task, irq, nmi) of {@code cpu}: "lock A", "unlock A", ... */
    public Reproducer script(String cpu, String ctx, String... ops) {
        List<Op> list = new ArrayList<>();
        for (String op : ops) {
            String[] p = op.split(" ");
            list.add(new Op(p[0].equals("lock"), p[1]));
        }
        scripts.computeIfAbsent(cpu, k -> new LinkedHashMap<>()).put(Ctx.valueOf(ctx), List.copyOf(list));
        return this;
    }

    /** The next step: context {@code ctx} of {@code cpu} takes {@code step} (a spec action, or "interrupt"). */
    public Reproducer step(String cpu, String ctx, String step) {
        steps.add(new String[] {cpu, ctx, step});
        return this;
    }

    /** The schedule ends in a state the spec never leaves (a liveness counterexample). */
    public Reproducer thenNothingMoves() {
        hang = true;
        return this;
    }

    /**
     * What a run showed.
     *
     * @param followed   the Java twin took every step of the schedule
     * @param stoppedAt  why it did not (null when followed)
     * @param violations what the Java side's checks saw, each "Property: ..."
     * @param log        the run, one step a line, in kernel terms
     */
    public record Result(boolean followed, String stoppedAt, List<String> violations, List<String> log) {
        /** Whether the checks saw a violation of {@code property}. */
        public boolean shows(String property) {
            return violations.stream().anyMatch(v -> v.startsWith(property + ":"));
        }

        @Override
        public String toString() {
            return (followed ? "followed" : "stopped: " + stoppedAt) + "; violations: " + violations + "\n  "
                    + String.join("\n  ", log);
        }
    }

    LockScenario scenario(Version version) {
        List<Map<Ctx, List<Op>>> s = new ArrayList<>();
        for (String c : cpus) {
            Map<Ctx, List<Op>> m = new LinkedHashMap<>();
            for (Ctx x : Ctx.values()) {
                m.put(x, scripts.getOrDefault(c, Map.of()).getOrDefault(x, List.of()));
            }
            s.add(m);
        }
        return new LockScenario(model, cpus, locks, version, resilient, tas, nrHeld, nrNodes, s, List.of(),
                x86SetPending, abbaStepwise);
    }

    /** Plays the schedule on the Java twin of {@code version}. */
    public Result run(Version version) {
        LockScenario sc = scenario(version);
        try (LockWorld w = new LockWorld(sc, LockWorld.REAL)) {
            int number = 1;
            for (String[] st : steps) {
                number++;
                Replayer.SpecStep s = new Replayer.SpecStep(number, st[2], sc.cpuIndex(st[0]), Ctx.valueOf(st[1]));
                Outcome o;
                try {
                    o = Replayer.take(w, s);
                } catch (IllegalStateException e) {
                    return new Result(false, "step " + (number - 1) + ": " + e.getMessage(), w.ghost().violations(),
                            w.log());
                }
                if (o.kind() != Kind.TOOK || o.ctx() != s.ctx() || !o.step().name().equals(s.action())) {
                    String did = o.kind() == Kind.TOOK ? o.ctx() + " takes " + o.step()
                            : o.kind() == Kind.WAITING ? o.ctx() + " waits for " + o.step() : "has nothing to run";
                    return new Result(false, "step " + (number - 1) + ": " + st[0] + " " + st[1] + " should take "
                            + st[2] + ", but " + st[0] + " " + did, w.ghost().violations(), w.log());
                }
            }
            List<String> violations = new ArrayList<>(w.ghost().violations());
            if (hang) {
                List<String> stuck = new ArrayList<>();
                for (int c = 0; c < sc.nrCpus(); c++) {
                    Outcome o = w.step(c, GatedScheduler.Time.NONE);
                    if (o.kind() == Kind.TOOK) {
                        return new Result(false, "at the end, " + sc.cpuName(c) + " " + o.ctx() + " still takes "
                                + o.step(), violations, w.log());
                    }
                    if (o.kind() == Kind.WAITING) {
                        stuck.add(sc.cpuName(c) + " " + o.ctx() + " waits forever in " + o.step()
                                + (o.timed() ? " (with a clock)" : " (no clock; in " + w.lockFrame(c) + ")"));
                    }
                }
                boolean inAttempt = false;
                for (int c = 0; c < sc.nrCpus(); c++) {
                    for (Ctx x : Ctx.values()) {
                        inAttempt |= w.ghost().inAttempt(c, x);
                    }
                }
                if (inAttempt && stuck.stream().noneMatch(s -> s.contains("(with a clock)"))) {
                    violations.add("AttemptsReturn: " + String.join("; ", stuck));
                }
            }
            return new Result(true, null, violations, w.log());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
