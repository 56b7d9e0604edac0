package rqspin.conformance.storage;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rqspin.conformance.Twin;
import rqspin.storage.Protocol;
import rqspin.storage.check.MemorySafetyError;
import rqspin.storage.check.Step;
import rqspin.spec.TlcResult;

/**
 * Replays a TLC trace of LocalStorage on the Java twin, step by step
 * through its gates ({@link StorageWorld}): the acting process of each step
 * is the one whose pc or locals changed (a Callbacks step names the
 * callback that left {@code cbs}); the Java twin's CPU of that process must
 * be at a gate of the same action, able to take it (its lock free unless
 * the spec's step fails it, its condition true), and reach the same values
 * of every variable it reports. A lock attempt fails in the Java twin
 * exactly where the spec's {@code fails} grows, and need_resched is true
 * exactly where the spec's MapFreeNext goes to cond_resched_rcu. At the end
 * the Java side's checks say what they saw; for a liveness trace (it ends
 * in a stuttering state) no CPU may be able to move and no callback may be
 * due, and every teardown still running is reported as never ending (P9),
 * after the Java twin's own guards had their say (a wait on a saturated
 * refcount is abandoned and recorded).
 */
final class Replayer {
    private Replayer() {}

    /** A step of the trace: its number (as TLC's), its action, and the process or callback object that takes it. */
    record SpecStep(int number, String action, String proc, String obj) {
        boolean callback() {
            return obj != null;
        }

        @Override
        public String toString() {
            return "step " + number + " (" + (callback() ? "the RCU callback of " + obj : action + " of " + proc) + ")";
        }
    }

    /** The steps of {@code trace}, each with who takes it (steps that change nothing left out). */
    static List<SpecStep> steps(StorageScenario sc, List<TlcResult.State> trace) {
        List<SpecStep> out = new ArrayList<>();
        for (int k = 1; k < trace.size(); k++) {
            Map<String, String> a = trace.get(k - 1).vars();
            Map<String, String> b = trace.get(k).vars();
            String action = trace.get(k).action();
            if (action.equals("Callbacks") || action.equals("RcuCallback")) {
                out.add(new SpecStep(trace.get(k).number(), "RcuCallback", null, removedCallback(a, b)));
                continue;
            }
            Tla pa = Tla.parse(a.get("pc"));
            Tla pb = Tla.parse(b.get("pc"));
            Tla la = Tla.parse(a.get("loc"));
            Tla lb = Tla.parse(b.get("loc"));
            for (String p : sc.procIds()) {
                if (!pa.get(p).equals(pb.get(p)) || !la.get(p).equals(lb.get(p))) {
                    out.add(new SpecStep(trace.get(k).number(), action, p, null));
                    break;
                }
            }
        }
        return out;
    }

    private static String removedCallback(Map<String, String> a, Map<String, String> b) {
        java.util.Set<String> after = new java.util.HashSet<>();
        for (Tla c : ((Tla.SetValue) Tla.parse(b.get("cbs"))).elems) {
            after.add(c.get("obj").atom());
        }
        for (Tla c : ((Tla.SetValue) Tla.parse(a.get("cbs"))).elems) {
            if (!after.contains(c.get("obj").atom())) {
                return c.get("obj").atom().replace("\"", "");
            }
        }
        throw new IllegalArgumentException("a Callbacks step that runs no callback");
    }

    /**
     * Replays {@code trace} (ending in a stuttering state when {@code loop}
     * is not null) on a fresh run of {@code variant}; the Java side reports
     * the violations of the properties in {@code checked}.
     */
    static Twin.Replay replay(StorageScenario sc, List<TlcResult.State> trace, TlcResult.Loop loop,
                              StorageWorld.Variant variant, Set<String> checked) {
        try (StorageWorld w = new StorageWorld(sc, variant)) {
            List<String> diff = differences(w, w.state(), trace.get(0).vars(), null);
            if (!diff.isEmpty()) {
                return new Twin.Replay(false, 0, "the initial states differ: " + String.join("; ", diff), null, w.log());
            }
            List<SpecStep> steps = steps(sc, trace);
            int done = 0;
            for (int k = 0; k < steps.size(); k++) {
                SpecStep st = steps.get(k);
                Map<String, String> before = trace.get(st.number() - 2).vars();
                Map<String, String> after = trace.get(st.number() - 1).vars();
                String miss = take(w, st, before, after);
                if (miss != null) {
                    return new Twin.Replay(false, done, st + ": " + miss, violations(w, List.of(), checked), w.log());
                }
                done++;
                if (stoppedByViolation(w, st) && k < steps.size() - 1) {
                    return new Twin.Replay(false, done, st + ": the Java twin stopped at its violation ("
                            + last(w.violations()) + ") before the end of the trace", violations(w, List.of(), checked),
                            w.log());
                }
                if (!stoppedByViolation(w, st)) {
                    diff = differences(w, w.state(), after, st.proc());
                    if (!diff.isEmpty()) {
                        return new Twin.Replay(false, done, st + ": the states differ after it: " + String.join("; ", diff)
                                + "; spec state before: " + specState(before), violations(w, List.of(), checked), w.log());
                    }
                }
            }
            List<String> more = new ArrayList<>();
            if (loop != null) {
                String end = endOfLiveness(w, more);
                if (end != null) {
                    return new Twin.Replay(false, done, end, violations(w, more, checked), w.log());
                }
            }
            more.addAll(w.leakViolations(loop != null));
            return new Twin.Replay(true, done, null, violations(w, more, checked), w.log());
        }
    }

    private static boolean stoppedByViolation(StorageWorld w, SpecStep st) {
        if (st.callback()) {
            return false;
        }
        int cpu = w.sc.cpuOf(st.proc());
        return w.done(cpu) && w.cpus.slot(cpu).thrown instanceof MemorySafetyError;
    }

    private static String last(List<String> xs) {
        return xs.isEmpty() ? "?" : xs.get(xs.size() - 1);
    }

    /** Lets the Java twin take the spec's step; returns why it cannot, or null. */
    static String take(StorageWorld w, SpecStep st, Map<String, String> before, Map<String, String> after) {
        if (st.callback()) {
            StorageWorld.Outcome o = w.callback(st.obj());
            return o.error();
        }
        int cpu = w.sc.cpuOf(st.proc());
        Step at = w.at(cpu);
        if (at == null) {
            return "the spec's " + st.proc() + " takes " + st.action() + ", the Java twin's " + st.proc()
                    + " has returned; spec state before: " + specState(before);
        }
        if (!at.action().equals(st.action())) {
            return "the spec's " + st.proc() + " takes " + st.action() + ", the Java twin's " + st.proc() + " is at "
                    + at.label() + " (" + at.action() + "); spec state before: " + specState(before);
        }
        String javaLock = w.lockName(w.lockOf(cpu));
        String specLock = attemptedLock(w.sc, before, st.proc());
        if (!javaLock.equals(specLock)) {
            return "the spec's " + st.proc() + "'s " + st.action() + " attempts " + specLock + ", the Java twin's "
                    + javaLock + "; spec state before: " + specState(before);
        }
        boolean fail = fails(after) > fails(before);
        boolean resched = st.action().equals("MapFreeNext") && w.sc.protocol() == Protocol.FINAL
                && Tla.parse(after.get("pc")).get(st.proc()).atom().equals("\"map_free:cond_resched_rcu\"");
        if (!fail && !w.enabled(cpu)) {
            return "the spec's " + st.proc() + " takes " + st.action() + ", the Java twin's " + st.proc()
                    + " waits for " + w.waitsFor(cpu) + "; spec state before: " + specState(before);
        }
        if (resched) {
            w.countResched(cpu);
        }
        StorageWorld.Outcome o = w.step(cpu, new StorageWorld.Plan(fail, resched));
        return o.error();
    }

    /** The spec's AttemptedLock(p) (TraceLocalStorage.tla) in state {@code vars}. */
    static String attemptedLock(StorageScenario sc, Map<String, String> vars, String p) {
        String pc = Tla.parse(vars.get("pc")).get(p).atom().replace("\"", "");
        Tla loc = Tla.parse(vars.get("loc")).get(p);
        String map = sc.procs().get(p).map();
        return switch (pc) {
            case "nofail:lock_bucket", "lockless:lock_bucket" -> bname(loc.get("m"), loc.get("nb").atom());
            case "bpf_selem_unlink:lock_bucket" -> bname(loc.get("m"), loc.get("b").atom());
            case "update:lock_bucket", "storage_alloc:lock_bucket" -> "b->lock " + map + "[" + loc.get("b").atom() + "]";
            case "update:lock_old_bucket" -> "b->lock " + map + "["
                    + sc.bucketOf().get(StorageScenario.str(loc.get("old"))) + "]";
            case "nofail:lock_storage", "lockless:lock_storage", "bpf_selem_unlink:lock_storage" ->
                    "local_storage->lock " + StorageScenario.str(loc.get("ls"));
            case "update:lock_storage", "lookup:insert_cache" -> "local_storage->lock " + StorageScenario.str(loc.get("stg"));
            default -> "none";
        };
    }

    private static String bname(Tla m, String b) {
        return "b->lock " + StorageScenario.str(m) + "[" + b + "]";
    }

    private static int fails(Map<String, String> vars) {
        return Tla.parse(vars.get("fails")).elems().size();
    }

    /**
     * Where the Java twin's reported values differ from the spec state
     * {@code vars} (the acting process {@code proc}'s pc and return value
     * too, if not null).
     */
    static List<String> differences(StorageWorld w, Map<String, Tla> java, Map<String, String> vars, String proc) {
        List<String> out = new ArrayList<>();
        for (String var : List.of("sel", "lsv", "own")) {
            Tla spec = Tla.parse(vars.get(var));
            java.get(var).asMap().forEach((id, rec) -> rec.asMap().forEach((f, v) -> {
                Tla s = spec.get(id).get(f);
                if (!s.equals(v)) {
                    out.add(id + "." + f + ": spec " + s + ", Java " + v);
                }
            }));
        }
        Tla bkt = Tla.parse(vars.get("bkt"));
        java.get("bkt").asMap().forEach((m, bs) -> {
            List<Tla> jb = bs.elems();
            List<Tla> sb = bkt.get(m).elems();
            for (int i = 0; i < jb.size(); i++) {
                for (Map.Entry<String, Tla> f : jb.get(i).asMap().entrySet()) {
                    Tla s = sb.get(i).get(f.getKey());
                    if (!s.equals(f.getValue())) {
                        out.add(m + "[" + (i + 1) + "]." + f.getKey() + ": spec " + s + ", Java " + f.getValue());
                    }
                }
            }
        });
        for (String var : List.of("smapSt", "readers", "traceReaders", "cbs", "warns")) {
            Tla s = Tla.parse(vars.get(var));
            if (!s.equals(java.get(var))) {
                out.add(var + ": spec " + s + ", Java " + java.get(var));
            }
        }
        int nf = Tla.parse(vars.get("fails")).elems().size();
        if (!java.get("nfails").atom().equals(Integer.toString(nf))) {
            out.add("failed lock attempts: spec " + nf + ", Java " + java.get("nfails"));
        }
        if (proc != null && java.containsKey("pc")) {
            Tla pc = Tla.parse(vars.get("pc")).get(proc);
            if (!((Tla.SetValue) java.get("pc")).elems.contains(pc)) {
                out.add(proc + " is at " + pc + " in the spec, at " + java.get("pc") + " in the Java twin");
            }
            if (java.containsKey("rv")) {
                Tla rv = Tla.parse(vars.get("loc")).get(proc).get("rv");
                if (!rv.equals(java.get("rv"))) {
                    out.add(proc + " returns " + rv + " in the spec, " + java.get("rv") + " in the Java twin");
                }
            }
        }
        return out;
    }

    /**
     * The end of a liveness trace: the spec stays in its last state forever.
     * No CPU of the Java twin may be able to take a step and no callback may
     * be due; every teardown still running waits forever (P9, added to
     * {@code more}), and where the Java twin has a guard against that wait
     * it is let past its gate, so that its own checks record it. Returns why
     * not, or null.
     */
    private static String endOfLiveness(StorageWorld w, List<String> more) {
        for (int c = 0; c < w.sc.nrProcs(); c++) {
            if (!w.done(c) && w.enabled(c)) {
                Step at = w.at(c);
                return "at the end of the trace the spec takes no more steps, but the Java twin's "
                        + w.sc.procIds().get(c) + " can still take " + at.action() + " (" + at.label() + ")";
            }
        }
        for (var cb : w.callbacks()) {
            if (cb.ended()) {
                return "at the end of the trace the spec takes no more steps, but the Java twin's RCU callback of "
                        + w.name(cb.subject()) + " may run";
            }
        }
        for (int c = 0; c < w.sc.nrProcs(); c++) {
            StorageScenario.Proc p = w.sc.proc(c);
            if (!w.done(c) && p.teardown() && w.steps(c) > 0) {
                more.add("P9_TeardownTerminates: " + p + " never returns: it waits forever at " + w.at(c).label()
                        + " for " + w.waitsFor(c) + ", and no other step can end the wait");
            }
        }
        for (int c = 0; c < w.sc.nrProcs(); c++) {
            if (!w.done(c) && w.escapes(c)) {
                w.force(c);
            }
        }
        return null;
    }

    /**
     * The first message of each property of {@code checked} the Java side
     * saw violated, in order, then those of {@code more}; null if none.
     */
    static String violations(StorageWorld w, List<String> more, Set<String> checked) {
        Map<String, String> first = new LinkedHashMap<>();
        List<String> all = new ArrayList<>(w.violations());
        all.addAll(more);
        for (String v : all) {
            String p = v.substring(0, v.indexOf(':'));
            if (checked.contains(p)) {
                first.putIfAbsent(p, v);
            }
        }
        return first.isEmpty() ? null : String.join("; ", first.values());
    }

    /** The spec state in short: the pcs, locks, lists and what is freed (for messages). */
    static String specState(Map<String, String> vars) {
        return "pc " + vars.get("pc") + ", sel " + vars.get("sel") + ", lsv " + vars.get("lsv") + ", bkt "
                + vars.get("bkt") + ", cbs " + vars.get("cbs") + ", readers " + vars.get("readers");
    }
}
