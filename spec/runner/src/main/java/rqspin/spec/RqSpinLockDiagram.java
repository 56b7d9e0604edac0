package rqspin.spec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The diagram adapter of rqspinlock ({@code spec/rqspinlock/RqSpinLock.tla}):
 * a column per CPU ({@code ctx[c]}), the IRQ and NMI contexts nested inside
 * it; per step the action (named after the kernel function), the lock word
 * {@code lock[l]} it wrote as {@code (tail,pending,locked)}, the MCS nodes
 * and the held-lock table it changed, the waits it enters, and the return
 * value of every {@code res_spin_lock} attempt ({@code ctx[c][x].ret}). At the
 * end of a liveness trace each CPU's running context says where it spins, on
 * what value, and why nobody will change it.
 */
final class RqSpinLockDiagram {
    static final List<String> CTXS = List.of("task", "irq", "nmi");
    static final Set<String> QUEUED = Set.of("link_prev", "wait_mcs", "head_wait", "claim", "set_locked", "handover",
            "handover_deadlock", "abort", "abort_signal");
    static final Set<String> PENDING = Set.of("pending_grab", "pending_wait", "pending_claim", "pending_fail");
    static final Set<String> ATTEMPT;
    static final Set<String> UNLOCK = Set.of("unlock_release", "unlock_pop");
    static {
        Set<String> a = new HashSet<>(Set.of("grab_entry", "fast_cas", "fast_grab", "pending_reread", "set_pending",
                "undo_pending", "queue", "trylock_cold", "fallback", "xchg_tail", "release_node", "err_release_node",
                "err_release_entry", "tas_grab", "tas_spin", "tas_fail"));
        a.addAll(QUEUED);
        a.addAll(PENDING);
        ATTEMPT = Set.copyOf(a);
    }
    /** Steps that compare and swap: when they leave the lock word alone, they failed. */
    static final Set<String> CMPXCHG = Set.of("fastpath_cmpxchg", "claim_cmpxchg", "try_cmpxchg_tail", "tas_cmpxchg",
            "queued_spin_trylock");

    /** The kernel code each wait spins in. */
    static final Map<String, String> WAIT_CODE = Map.of(
            "pending_wait", "smp_cond_load_acquire(&lock->locked, !VAL)",
            "head_wait", "atomic_cond_read_acquire(&lock->val, !(VAL & _Q_LOCKED_PENDING_MASK))",
            "wait_mcs", "arch_mcs_spin_lock_contended(&node->locked)",
            "handover", "smp_cond_load_relaxed(&node->next, (VAL))",
            "handover_deadlock", "smp_cond_load_relaxed(&node->next, (VAL))",
            "abort_signal", "smp_cond_load_relaxed(&node->next, (VAL))",
            "tas_spin", "resilient_tas_spin_lock's cmpxchg loop",
            "fallback", "the FALLBACK trylock loop");

    private final Manifest.Model model;
    private final TlcResult r;
    private final List<Map<String, TlaValue>> states;
    private final List<String> cpus;
    private final List<String> locks;

    RqSpinLockDiagram(Manifest.Model model, TlcResult r, List<Map<String, TlaValue>> states) {
        this.model = model;
        this.r = r;
        this.states = states;
        TlaValue first = states.get(0).get("ctx");
        this.cpus = first.keys();
        this.locks = states.get(0).get("lock").keys();
    }

    // ---------------------------------------------------------------- reading a state

    private TlaValue ctx(int s, String c, String x) {
        return states.get(s).get("ctx").at(c, x);
    }

    private static String f(TlaValue rec, String field) {
        TlaValue v = rec == null ? null : rec.get(field);
        return v == null ? "" : v.str();
    }

    private static boolean active(TlaValue rec) {
        String pc = f(rec, "pc");
        return !pc.equals("idle") && !pc.equals("done") && !pc.isEmpty();
    }

    /** A node or a tail: {@code <<c1, 0>>} is {@code c1.0}, {@code <<>>} is 0. */
    static String nodeName(TlaValue t) {
        List<TlaValue> e = t == null ? List.of() : t.elements();
        return e.size() == 2 ? e.get(0).str() + "." + e.get(1).str() : "0";
    }

    /** The lock word as (tail,pending,locked). */
    private String word(int s, String l) {
        TlaValue w = states.get(s).get("lock").get(l);
        return l + "=(" + nodeName(w.get("tail")) + "," + w.get("pending").str() + "," + w.get("locked").str() + ")";
    }

    /** What the context's pc means: a lock attempt, an unlock, or nothing (idle, done). */
    private static String opKey(TlaValue rec) {
        String pc = f(rec, "pc");
        String kind = ATTEMPT.contains(pc) ? "lock" : UNLOCK.contains(pc) ? "unlock" : null;
        return kind == null ? null : kind + "|" + f(rec, "ip") + "|" + f(rec, "lk");
    }

    private static String call(String op) {
        String[] p = op.split("\\|");
        return (p[0].equals("lock") ? "res_spin_lock(" : "res_spin_unlock(") + p[2] + ")";
    }

    /** Nesting depth of context {@code x} of CPU {@code c} in state {@code s}. */
    private int depth(int s, String c, String x) {
        return switch (x) {
            case "task" -> 0;
            case "irq" -> 1;
            default -> active(ctx(s, c, "irq")) ? 2 : 1;
        };
    }

    static String who(String c, String x) {
        return x.equals("task") ? c + " task" : c + " " + x.toUpperCase(java.util.Locale.ROOT);
    }

    // ---------------------------------------------------------------- the diagram

    Diagram build() {
        List<Diagram.Row> rows = new ArrayList<>();
        Set<String> announced = new HashSet<>();
        Map<String, String> err = new HashMap<>();
        List<String> events = new ArrayList<>();
        for (int i = 1; i < states.size(); i++) {
            TlcResult.State st = r.trace().get(i);
            String[] actor = actor(i);
            Map<String, List<Diagram.Line>> cells = new LinkedHashMap<>();
            if (actor == null) {
                cells.put(cpus.get(0), List.of(Diagram.Line.of(st.action(), Diagram.Style.STEP)));
            } else {
                cells.put(actor[0], step(i, actor[0], actor[1], st.action(), announced, err, events));
            }
            rows.add(new Diagram.Row(String.valueOf(st.number()), st.action(), cells));
        }
        Map<String, List<Diagram.Line>> stuck = new LinkedHashMap<>();
        List<String> stuckEvents = new ArrayList<>();
        if (r.loop() != null) {
            for (String c : cpus) {
                stuck.put(c, stuck(c, stuckEvents));
            }
        }
        List<String> ending = new ArrayList<>();
        if (TraceDiagrams.loopLine(r) != null) {
            ending.add(TraceDiagrams.loopLine(r));
        }
        ending.add(TraceDiagrams.violated(r));
        List<String> legend = List.of(
                "L=(tail,pending,locked): lock L's word after the step; tail c.i is MCS node i of CPU c (0: none)",
                "held=[..]: the CPU's held-lock table; <NMI> .. </NMI>: an interrupt, nested in its CPU;"
                        + " '= ret': what res_spin_lock returned");
        List<Diagram.Column> columns = new ArrayList<>();
        for (String c : cpus) {
            columns.add(new Diagram.Column(c, c));
        }
        return new Diagram(TraceDiagrams.title(model, r), summary(events, stuckEvents), legend, columns, rows,
                ending, stuck);
    }

    /** The CPU and context whose record changed in the step into state {@code i}. */
    private String[] actor(int i) {
        for (String c : cpus) {
            for (String x : CTXS) {
                if (!Objects.equals(String.valueOf(ctx(i - 1, c, x)), String.valueOf(ctx(i, c, x)))) {
                    return new String[] {c, x};
                }
            }
        }
        return null;
    }

    private List<Diagram.Line> step(int i, String c, String x, String action, Set<String> announced,
                                    Map<String, String> err, List<String> events) {
        TlaValue r0 = ctx(i - 1, c, x), r1 = ctx(i, c, x);
        int d = Math.max(depth(i - 1, c, x), depth(i, c, x));
        String key = c + "|" + x;
        List<Diagram.Line> out = new ArrayList<>();
        String op0 = opKey(r0), op1 = opKey(r1);
        if (action.equals("interrupt")) {
            out.add(new Diagram.Line("<" + x.toUpperCase(java.util.Locale.ROOT) + ">", d, Diagram.Style.CALL));
            if (op1 != null && announced.add(key + "|" + op1)) {
                out.add(new Diagram.Line(call(op1), d, Diagram.Style.CALL));
            }
            return out;
        }
        if (op0 != null && announced.add(key + "|" + op0)) {
            out.add(new Diagram.Line(call(op0), d, Diagram.Style.CALL));
        }
        boolean wordChanged = false;
        List<Diagram.Line> values = new ArrayList<>();
        for (String l : locks) {
            if (!String.valueOf(states.get(i - 1).get("lock").get(l)).equals(String.valueOf(states.get(i).get("lock").get(l)))) {
                values.add(new Diagram.Line(word(i, l), d + 1, Diagram.Style.VALUE));
                wordChanged = true;
            }
        }
        String stepText = action;
        if (CMPXCHG.contains(action) && !wordChanged) {
            String l = f(r0, "lk");
            stepText = action + " fails: " + (locks.contains(l) ? word(i, l) : "");
        }
        out.add(new Diagram.Line(stepText.strip(), d, Diagram.Style.STEP));
        out.addAll(values);
        for (String cc : cpus) {
            TlaValue n0 = states.get(i - 1).get("node").get(cc), n1 = states.get(i).get("node").get(cc);
            for (String j : n1.keys()) {
                TlaValue a = n0.get(j), b = n1.get(j);
                if (!String.valueOf(a).equals(String.valueOf(b))) {
                    if (!a.get("locked").str().equals(b.get("locked").str())) {
                        out.add(new Diagram.Line("node " + cc + "." + j + ".locked=" + b.get("locked").str(), d + 1,
                                Diagram.Style.VALUE));
                    }
                    if (!String.valueOf(a.get("next")).equals(String.valueOf(b.get("next")))) {
                        out.add(new Diagram.Line("node " + cc + "." + j + ".next=" + nodeName(b.get("next")), d + 1,
                                Diagram.Style.VALUE));
                    }
                }
            }
        }
        TlaValue h0 = states.get(i - 1).get("rqh").get(c), h1 = states.get(i).get("rqh").get(c);
        if (!String.valueOf(h0).equals(String.valueOf(h1))) {
            out.add(new Diagram.Line("held=" + table(h1), d + 1, Diagram.Style.VALUE));
        }
        if (!f(r0, "idx").equals(f(r1, "idx")) && r1.get("idx").num(-1) >= 0) {
            out.add(new Diagram.Line("takes node " + c + "." + f(r1, "idx") + ", count="
                    + states.get(i).get("count").get(c).str(), d + 1, Diagram.Style.VALUE));
        }
        if (f(r0, "ts").equals("armed") && f(r1, "ts").equals("checked")) {
            out.add(new Diagram.Line("no deadlock seen", d + 1, Diagram.Style.VALUE));
        }
        String ret0 = f(r0, "ret"), ret1 = f(r1, "ret");
        if (!ret1.equals(ret0) && !ret1.equals("0")) {
            String why = f(r1, "why");
            err.put(key, ret1 + (why.isEmpty() || why.equals("none") ? "" : " (" + why + ")"));
            out.add(new Diagram.Line(err.get(key), d + 1, Diagram.Style.ALARM));
            events.add(who(c, x) + " " + (op1 != null ? call(op1) : action) + " fails: " + err.get(key));
        }
        String pc1 = f(r1, "pc");
        if (!f(r0, "pc").equals(pc1) && WAIT_CODE.containsKey(pc1) && Objects.equals(op0, op1)) {
            out.add(new Diagram.Line(waitText(i, c, r1), d + 1, Diagram.Style.VALUE));
        }
        if (op0 != null && !op0.equals(op1) && op0.startsWith("lock|")) {
            String ret = err.remove(key);
            out.add(new Diagram.Line("= " + (ret == null ? "0" : ret), d, ret == null ? Diagram.Style.RETURN
                    : Diagram.Style.ALARM));
        }
        if (!x.equals("task") && pc1.equals("done") && !f(r0, "pc").equals("done")) {
            out.add(new Diagram.Line("</" + x.toUpperCase(java.util.Locale.ROOT) + ">", d, Diagram.Style.CALL));
        }
        return out;
    }

    private static String table(TlaValue t) {
        List<String> e = new ArrayList<>();
        for (TlaValue v : t.elements()) {
            e.add(v.str());
        }
        return "[" + String.join(",", e) + "]";
    }

    /** A short description of the wait a context is in. */
    private String waitText(int s, String c, TlaValue rec) {
        String pc = f(rec, "pc"), l = f(rec, "lk"), me = c + "." + f(rec, "idx");
        return switch (pc) {
            case "pending_wait" -> "pending waiter: spins until " + l + ".locked=0";
            case "head_wait" -> "queue head: spins until " + l + ".locked=pending=0";
            case "wait_mcs" -> "queued: spins on node " + me + ".locked";
            case "handover", "handover_deadlock", "abort_signal" -> "waits for a successor in node " + me + ".next";
            case "tas_spin" -> "TAS loop on " + l;
            default -> pc + " loop on " + l;
        };
    }

    // ---------------------------------------------------------------- liveness: who is stuck where

    private List<Diagram.Line> stuck(String c, List<String> events) {
        int last = states.size() - 1;
        List<Diagram.Line> out = new ArrayList<>();
        String running = null;
        for (String x : CTXS) {
            if (active(ctx(last, c, x))) {
                running = x;
            }
        }
        if (running == null) {
            out.add(Diagram.Line.of("done: every script of " + c + " ended", Diagram.Style.VALUE));
            return out;
        }
        TlaValue rec = ctx(last, c, running);
        String pc = f(rec, "pc");
        int d = depth(last, c, running);
        if (!sameThroughLoop(c, running)) {
            out.add(new Diagram.Line("LOOPS in " + pc + ": " + who(c, running) + " keeps moving in the cycle but"
                    + " never returns", d, Diagram.Style.STUCK));
        } else if (WAIT_CODE.containsKey(pc)) {
            out.add(new Diagram.Line("STUCK: " + who(c, running) + " spins forever in " + pc + ": "
                    + WAIT_CODE.get(pc), d, Diagram.Style.STUCK));
            String[] why = why(last, c, running, rec);
            out.add(new Diagram.Line("on " + why[0], d, Diagram.Style.STUCK));
            out.add(new Diagram.Line("because " + why[1], d, Diagram.Style.STUCK));
            events.add("then " + who(c, running) + " spins forever in " + pc);
        } else {
            out.add(new Diagram.Line("STUCK at " + pc + ": no step of " + who(c, running) + " is enabled", d,
                    Diagram.Style.STUCK));
        }
        for (String y : CTXS) {
            if (!y.equals(running) && active(ctx(last, c, y)) && CTXS.indexOf(y) < CTXS.indexOf(running)) {
                out.add(new Diagram.Line(who(c, y) + " interrupted at " + f(ctx(last, c, y), "pc") + ": runs again only"
                        + " when the " + running.toUpperCase(java.util.Locale.ROOT) + " returns",
                        depth(last, c, y), Diagram.Style.STUCK));
            }
        }
        return out;
    }

    /** True when the context's record does not change in the states of the loop (or the trace stutters). */
    private boolean sameThroughLoop(String c, String x) {
        if (r.loop() == null || r.loop().stuttering()) {
            return true;
        }
        String lastRec = String.valueOf(ctx(states.size() - 1, c, x));
        for (int s = Math.max(0, r.loop().backTo() - 1); s < states.size(); s++) {
            if (!String.valueOf(ctx(s, c, x)).equals(lastRec)) {
                return false;
            }
        }
        return true;
    }

    /** The value a waiting context spins on, and why nobody will change it. */
    private String[] why(int s, String c, String x, TlaValue rec) {
        String pc = f(rec, "pc"), l = f(rec, "lk"), idx = f(rec, "idx");
        String me = c + "." + idx;
        Map<String, TlaValue> st = states.get(s);
        switch (pc) {
            case "wait_mcs": {
                String value = "node " + me + ".locked = " + st.get("node").at(c, idx, "locked").str();
                String pred = null;
                for (String d : cpus) {
                    TlaValue nd = st.get("node").get(d);
                    for (String j : nd.keys()) {
                        if (nodeName(nd.at(j, "next")).equals(me)) {
                            pred = d + "." + j;
                        }
                    }
                }
                if (pred == null) {
                    return new String[] {value, "no node links to " + me + ": nobody will hand the queue on"};
                }
                String[] owner = nodeOwner(s, pred);
                if (owner == null) {
                    return new String[] {value, "its predecessor " + pred + " left the queue without writing it"};
                }
                return new String[] {value, "only its predecessor " + pred + " (" + who(owner[0], owner[1])
                        + ") writes it, and " + blocked(s, owner[0], owner[1], c, x)};
            }
            case "handover", "handover_deadlock", "abort_signal": {
                String value = "node " + me + ".next = " + nodeName(st.get("node").at(c, idx, "next"));
                String tail = nodeName(st.get("lock").at(l, "tail"));
                if (tail.equals(me)) {
                    return new String[] {value, me + " is still " + l + "'s tail (" + word(s, l) + "): nobody queued"
                            + " behind it, so nobody will link into it"};
                }
                return new String[] {value, "no waiter between xchg_tail and link_prev names " + me
                        + " as its predecessor"};
            }
            default: {
                String value = word(s, l);
                String[] owner = null;
                for (String d : cpus) {
                    for (String y : CTXS) {
                        for (TlaValue o : ctx(s, d, y).get("owns").elements()) {
                            if (o.str().equals(l)) {
                                owner = new String[] {d, y};
                            }
                        }
                    }
                }
                String timed = f(rec, "ts").equals("none") ? "" : " (a timed wait: its timeout may still fire)";
                if (owner == null) {
                    return new String[] {value, "the word never reaches what it waits for" + timed};
                }
                return new String[] {value, l + " is held by " + who(owner[0], owner[1]) + ", and "
                        + blocked(s, owner[0], owner[1], c, x) + timed};
            }
        }
    }

    /** The CPU and context that use MCS node {@code name} (c.i) in state {@code s}, or null. */
    private String[] nodeOwner(int s, String name) {
        for (String d : cpus) {
            for (String y : CTXS) {
                TlaValue rec = ctx(s, d, y);
                if (active(rec) && (d + "." + f(rec, "idx")).equals(name)) {
                    return new String[] {d, y};
                }
            }
        }
        return null;
    }

    /** Why context (d, y) does not act for (c, x). */
    private String blocked(int s, String d, String y, String c, String x) {
        TlaValue rec = ctx(s, d, y);
        String pc = f(rec, "pc");
        if (d.equals(c) && CTXS.indexOf(y) < CTXS.indexOf(x)) {
            return "this " + x.toUpperCase(java.util.Locale.ROOT) + " interrupted it: it cannot run until the "
                    + x.toUpperCase(java.util.Locale.ROOT) + " returns";
        }
        if (!active(rec)) {
            return "it is done";
        }
        for (String z : CTXS) {
            if (CTXS.indexOf(z) > CTXS.indexOf(y) && active(ctx(s, d, z))) {
                return "it cannot run: " + who(d, z) + " interrupted it and does not return";
            }
        }
        return WAIT_CODE.containsKey(pc) ? "it is stuck itself in " + pc : "it is at " + pc;
    }

    private String summary(List<String> events, List<String> stuckEvents) {
        List<String> parts = new ArrayList<>(events.size() > 3 ? events.subList(0, 3) : events);
        parts.addAll(stuckEvents);
        String what = r.verdict().kind() == Verdict.Kind.LIVENESS ? r.verdict().property() + " violated"
                : r.verdict().property() + " violated at state " + r.trace().size();
        return model.name() + " (" + model.variant() + "): " + (parts.isEmpty() ? "" : String.join("; ", parts) + "; ")
                + what;
    }
}
