package rqspin.conformance.lock;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rqspin.conformance.Twin;
import rqspin.conformance.lock.GatedScheduler.Kind;
import rqspin.conformance.lock.GatedScheduler.Outcome;
import rqspin.conformance.lock.GatedScheduler.Time;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.spec.TlcResult;

/**
 * Replays a TLC trace of RqSpinLock on the Java twin, step by step through
 * the {@link GatedScheduler}: the acting CPU and context of each step is the
 * one whose {@code ctx[c][x]} changed; the Java twin must take a step of the
 * same name in that context (time passing exactly where the spec's step is
 * {@code check_deadlock} or {@code check_timeout_expired}) and reach the
 * same lock words, nodes, counts and held-lock tables, and each attempt must
 * return what the spec's returns. At the end the Java side's checks
 * ({@link Ghost}) say what they saw; for a liveness trace (it ends in a
 * loop), every CPU is let go once more: none may take a step, and the
 * contexts still inside an attempt are reported as never returning.
 */
final class Replayer {
    private Replayer() {}

    /** A step of the trace: its number (as TLC's), action, and the context that takes it. */
    record SpecStep(int number, String action, int cpu, Ctx ctx) {}

    /** The steps of {@code trace}, with the acting context of each (stuttering steps left out). */
    static List<SpecStep> steps(LockScenario sc, List<TlcResult.State> trace) {
        List<SpecStep> out = new ArrayList<>();
        Tla prev = Tla.parse(trace.get(0).vars().get("ctx"));
        for (int k = 1; k < trace.size(); k++) {
            TlcResult.State s = trace.get(k);
            Tla cur = Tla.parse(s.vars().get("ctx"));
            SpecStep st = null;
            for (String c : sc.cpus()) {
                for (Ctx x : Ctx.values()) {
                    if (st == null && !prev.get(c).get(x.name()).equals(cur.get(c).get(x.name()))) {
                        st = new SpecStep(s.number(), s.action(), sc.cpuIndex(c), x);
                    }
                }
            }
            if (st != null) {
                out.add(st);
            }
            prev = cur;
        }
        return out;
    }

    /**
     * Replays {@code trace} (ending in {@code loop} when it is a liveness
     * counterexample) on a fresh run of the Java twin made by {@code factory};
     * {@code pcs} tells which actions each program counter allows; the Java
     * side reports the violations of the properties in {@code checked} (the
     * model's invariants and properties).
     */
    static Twin.Replay replay(LockScenario sc, List<TlcResult.State> trace, TlcResult.Loop loop,
                              LockWorld.LockFactory factory, Map<String, Set<String>> pcs, Set<String> checked) {
        List<String> log = new ArrayList<>();
        try (LockWorld w = new LockWorld(sc, factory)) {
            List<String> diff = w.state().differences(sc, trace.get(0).vars());
            if (!diff.isEmpty()) {
                return new Twin.Replay(false, 0, "the initial states differ: " + diff, null, log);
            }
            List<SpecStep> steps = steps(sc, trace);
            int done = 0;
            for (SpecStep st : steps) {
                TlcResult.State before = stateBefore(trace, st.number());
                TlcResult.State after = trace.get(st.number() - 1);
                Outcome o;
                try {
                    o = take(w, st);
                } catch (IllegalStateException e) {
                    return new Twin.Replay(false, done, at(st) + ": the Java twin broke: " + e.getMessage(),
                            violations(w, "", checked), w.log());
                }
                String miss = mismatch(sc, w, st, o, before, after);
                if (miss != null) {
                    return new Twin.Replay(false, done, miss, violations(w, "", checked), w.log());
                }
                done++;
            }
            String live = "";
            if (loop != null) {
                live = endOfLiveness(w);
                if (live.startsWith("MISMATCH")) {
                    return new Twin.Replay(false, done, live.substring(10), violations(w, "", checked), w.log());
                }
            } else if (!steps.isEmpty()) {
                String next = nextStepAllowed(w, steps.get(steps.size() - 1).cpu(), trace.get(trace.size() - 1), pcs);
                if (next != null) {
                    return new Twin.Replay(false, done, next, violations(w, "", checked), w.log());
                }
            }
            return new Twin.Replay(true, done, null, violations(w, live, checked), w.log());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Twin.Replay(false, 0, "interrupted", null, log);
        }
    }

    /**
     * The first message of each property of {@code checked} the Java side saw
     * violated, in order, then {@code more} (if its property is checked); null if none.
     */
    private static String violations(LockWorld w, String more, Set<String> checked) {
        Map<String, String> first = new java.util.LinkedHashMap<>();
        for (String v : w.ghost().violations()) {
            String p = v.substring(0, v.indexOf(':'));
            if (checked.contains(p)) {
                first.putIfAbsent(p, v);
            }
        }
        List<String> all = new ArrayList<>(first.values());
        if (!more.isEmpty() && checked.contains(more.substring(0, more.indexOf(':')))) {
            all.add(more);
        }
        return all.isEmpty() ? null : String.join("; ", all);
    }

    /**
     * At the end of a safety trace (its last state violates the property):
     * the Java twin's next move on the CPU of the last step must be one the
     * spec allows there: a step (or the end of a wait) the spec's program
     * counter of that CPU's running context enables. This catches a replay
     * that matched every observed value but went another way (a mutant that
     * changes only a decision). Returns why not, or null.
     */
    private static String nextStepAllowed(LockWorld w, int cpu, TlcResult.State last, Map<String, Set<String>> pcs)
            throws InterruptedException {
        LockScenario sc = w.sc;
        Tla ctx = Tla.parse(last.vars().get("ctx")).get(sc.cpuName(cpu));
        Ctx running = null;
        for (Ctx x : Ctx.values()) {
            String pc = ctx.get(x.name()).get("pc").atom().replace("\"", "");
            if (!pc.equals("idle") && !pc.equals("done")) {
                running = x;
            }
        }
        Outcome o = w.step(cpu, Time.NONE);
        String who = sc.cpuName(cpu);
        if (o.kind() == Kind.IDLE) {
            return running == null ? null : "after the last step the spec's " + who + " " + running
                    + " still runs, the Java twin's " + who + " has nothing left to run";
        }
        String pc = running == null ? "done" : ctx.get(running.name()).get("pc").atom().replace("\"", "");
        Set<String> allowed = pcs.getOrDefault(pc, Set.of());
        if (o.ctx() != running || !allowed.contains(o.step().name())) {
            return "after the last step the Java twin's " + who + " " + o.ctx()
                    + (o.kind() == Kind.TOOK ? " takes " : " waits for ") + o.step() + ", which the spec's " + who
                    + " " + running + " at pc \"" + pc + "\" cannot (it can take " + allowed + ")";
        }
        return null;
    }

    private static TlcResult.State stateBefore(List<TlcResult.State> trace, int number) {
        return trace.get(number - 2);
    }

    /** Lets the Java twin take the spec's step (with time passing for the spec's time steps). */
    static Outcome take(LockWorld w, SpecStep st) throws InterruptedException {
        if (st.action().equals("interrupt")) {
            return w.interrupt(st.cpu(), st.ctx());
        }
        Time t = switch (st.action()) {
            case "check_deadlock" -> Time.CHECK;
            case "check_timeout_expired" -> Time.EXPIRE;
            default -> Time.NONE;
        };
        Outcome o = w.step(st.cpu(), t);
        if (o.kind() == Kind.WAITING && t != Time.NONE && o.timed() && !o.mayExpire()) {
            o = w.step(st.cpu(), t); // the wait's first check_timeout call armed the deadline: call it again
        }
        return o;
    }

    private static String at(SpecStep st) {
        return "step " + st.number() + " (" + st.action() + " of c" + (st.cpu() + 1) + " " + st.ctx() + ")";
    }

    /** Why the Java twin's outcome is not the spec's step, or null if it is. */
    private static String mismatch(LockScenario sc, LockWorld w, SpecStep st, Outcome o,
                                   TlcResult.State before, TlcResult.State after) {
        String who = sc.cpuName(st.cpu()) + " " + st.ctx();
        String java = switch (o.kind()) {
            case TOOK -> o.ctx() == st.ctx() && o.step().name().equals(st.action()) ? null
                    : "the Java twin's " + sc.cpuName(st.cpu()) + " " + o.ctx() + " takes " + o.step();
            case WAITING -> "the Java twin's " + sc.cpuName(st.cpu()) + " " + o.ctx() + " waits (for " + o.step()
                    + (o.lock() != null ? " on " + w.lockName(o.lock()) : "") + (o.timed() ? ", timed" : ", no clock")
                    + ")";
            case IDLE -> "the Java twin's " + sc.cpuName(st.cpu()) + " has nothing left to run";
        };
        if (java != null) {
            return at(st) + ": the spec's " + who + " takes " + st.action() + ", " + java + "; spec state before: "
                    + specWords(sc, before.vars());
        }
        List<String> diff = w.state().differences(sc, after.vars());
        if (!diff.isEmpty()) {
            return at(st) + ": after " + who + " " + st.action() + " the states differ: " + String.join("; ", diff)
                    + "; spec state before: " + specWords(sc, before.vars());
        }
        Tla was = Tla.parse(before.vars().get("ctx")).get(sc.cpuName(st.cpu())).get(st.ctx().name());
        Tla now = Tla.parse(after.vars().get("ctx")).get(sc.cpuName(st.cpu())).get(st.ctx().name());
        String retWas = was.get("ret").atom().replace("\"", "");
        String retNow = now.get("ret").atom().replace("\"", "");
        boolean specDecides = !retNow.equals(retWas) && !retNow.equals("0");
        if (specDecides || o.failing() != null) {
            String javaErr = o.failing() == null ? "no failure" : errno(sc, o.failing()) + " (" + why(o.failing()) + ")";
            String specErr = specDecides ? retNow + " (" + now.get("why").atom().replace("\"", "") + ")" : "no failure";
            if (!javaErr.equals(specErr)) {
                return at(st) + ": " + who + "'s " + st.action() + " decides " + specErr + " in the spec, "
                        + javaErr + " in the Java twin";
            }
        }
        if (o.ret() != null && !retWas.equals(Ghost.errno(o.ret()))) {
            return at(st) + ": " + who + "'s res_spin_lock returns " + Ghost.errno(o.ret())
                    + " in the Java twin, " + retWas + " in the spec";
        }
        return null;
    }

    /**
     * The end of a liveness trace: the spec stays in its last state forever,
     * so no CPU of the Java twin may take a step and no wait may measure
     * time. Returns the AttemptsReturn violation ("" when every context is
     * done), or "MISMATCH: why".
     */
    private static String endOfLiveness(LockWorld w) throws InterruptedException {
        LockScenario sc = w.sc;
        List<String> stuck = new ArrayList<>();
        for (int c = 0; c < sc.nrCpus(); c++) {
            Outcome o = w.step(c, Time.NONE);
            if (o.kind() == Kind.TOOK) {
                return "MISMATCH: at the end of the trace the spec takes no more steps, but the Java twin's "
                        + sc.cpuName(c) + " " + o.ctx() + " takes " + o.step();
            }
            if (o.kind() == Kind.WAITING) {
                if (o.timed()) {
                    return "MISMATCH: at the end of the trace the spec takes no more steps, but the Java twin's "
                            + sc.cpuName(c) + " " + o.ctx() + " waits with a clock (for " + o.step()
                            + "): its deadline would end the wait";
                }
                stuck.add(sc.cpuName(c) + " " + o.ctx() + " waits forever in " + o.step() + " on "
                        + w.lockName(o.lock()) + " (no clock; in " + w.lockFrame(c) + ")");
            }
        }
        List<String> never = new ArrayList<>();
        for (int c = 0; c < sc.nrCpus(); c++) {
            for (Ctx x : Ctx.values()) {
                if (w.ghost().inAttempt(c, x)) {
                    never.add(sc.cpuName(c) + " " + x + "'s res_spin_lock(" + w.ghost().op(c, x).lockName() + ")");
                }
            }
        }
        if (never.isEmpty()) {
            return "";
        }
        return "AttemptsReturn: " + String.join(" and ", never) + " never return" + (never.size() == 1 ? "s" : "")
                + ": " + String.join("; ", stuck) + ", and no other CPU can take a step to end it";
    }

    /** The spec state's lock words in kernel notation, and its tables. */
    static String specWords(LockScenario sc, Map<String, String> vars) {
        StringBuilder b = new StringBuilder();
        Tla lock = Tla.parse(vars.get("lock"));
        for (String l : sc.locks()) {
            Tla w = lock.get(l);
            List<Tla> t = w.get("tail").elems();
            String tail = t.isEmpty() ? "0" : "cpu" + sc.cpuIndex(t.get(0).atom()) + "/" + t.get(1).atom();
            b.append(b.length() == 0 ? "" : " ").append(l).append("=(").append(tail).append(',')
                    .append(w.get("pending").atom()).append(',').append(w.get("locked").atom()).append(')');
        }
        b.append(", rqh ").append(Tla.parse(vars.get("rqh")));
        b.append(", count ").append(Tla.parse(vars.get("count")));
        return b.toString();
    }

    /** The spec's errno of a Java failure. */
    static String errno(LockScenario sc, rqspin.lock.FailureReason r) {
        return r.errno(sc.version()) == rqspin.lock.Errno.EDEADLK ? "-EDEADLK" : "-ETIMEDOUT";
    }

    /** The spec's {@code why} of a Java failure reason. */
    static String why(rqspin.lock.FailureReason r) {
        return switch (r) {
            case AA -> "AA";
            case ABBA -> "ABBA";
            case NO_NODE -> "fallback";
            case TIMEOUT -> "timeout";
            case QUEUE_ABORTED -> "cascade";
        };
    }
}
