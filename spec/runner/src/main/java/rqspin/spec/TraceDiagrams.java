package rqspin.spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@link Diagram} of a trace with the adapter of its mechanism:
 * {@link RqSpinLockDiagram} for {@code MCRqSpinLock.tla} (a column per CPU),
 * {@link LocalStorageDiagram} for {@code MCLocalStorage.tla} (a column per
 * process), and a generic one for any other spec (one column, each step's
 * changes). An adapter knows which variable is which CPU or process and
 * which values matter; everything else comes from the trace. The
 * simulation modules ({@code SimRqSpinLock.tla}, {@code SimLocalStorage.tla})
 * extend the MC modules with the same variables and get the same adapters.
 */
public final class TraceDiagrams {
    private TraceDiagrams() {}

    static boolean isRqSpinLock(String module) {
        return module.equals("MCRqSpinLock.tla") || module.equals("SimRqSpinLock.tla");
    }

    static boolean isLocalStorage(String module) {
        return module.equals("MCLocalStorage.tla") || module.equals("SimLocalStorage.tla");
    }

    /** The diagram of {@code r}'s trace (empty rows when there is none). */
    public static Diagram of(Manifest.Model model, TlcResult r) {
        List<Map<String, TlaValue>> states = parse(r.trace());
        String module = Path.of(model.module()).getFileName().toString();
        try {
            if (isRqSpinLock(module)) {
                return new RqSpinLockDiagram(model, r, states).build();
            }
            if (isLocalStorage(module)) {
                return new LocalStorageDiagram(model, r, states).build();
            }
        } catch (RuntimeException e) {
            // a trace the adapter does not understand (a renamed variable): the generic form still shows it
        }
        return generic(model, r, states);
    }

    /** What the spec's variable names mean, for the text trace of a mechanism (null: none known). */
    static String glossary(Manifest.Model model) {
        String module = Path.of(model.module()).getFileName().toString();
        if (isRqSpinLock(module)) {
            return String.join("\n",
                    "lock[L] = the lock word of L: locked, pending, tail (<<cpu, idx>> of the last queued MCS node; <<>> none)",
                    "node[c][i] = MCS node i of CPU c (rqnodes[i].mcs): locked (0 wait, 1 head, 2 abort), next",
                    "count[c] = rqnodes[0].count; rqh[c] = the held-lock table (rqspinlock_held_locks)",
                    "ctx[c][x] = context x (task, irq, nmi) of CPU c: pc (the kernel step it is at), lk (the lock of",
                    "  its operation), ip (its script position), ret (what res_spin_lock will return), why (the cause",
                    "  of a failure), idx (its MCS node), prev (the old tail), ts (its deadline: none, unarmed, armed,",
                    "  checked), owns (the locks it holds: ghost)");
        }
        if (isLocalStorage(module)) {
            return String.join("\n",
                    "sel[x] = selem x: smap, ls (->local_storage), inB/mnext (->map_node: its bucket, next),",
                    "  inL/lnext (->snode: its LS, next), bits (->state), cnt (v3 ->link_cnt), st (live, queued",
                    "  = call_rcu'd, freed = reclaimed), fields/frees (ghosts: bpf_obj_free_fields and free calls)",
                    "lsv[l] = local storage l: owner, first (head of its list), lock (holder of ->lock), cache,",
                    "  charge (->mem_charge), refcnt (->owner_refcnt), st, frees",
                    "bkt[m][i] = bucket i of map m (first, lock); smapSt[m] = the smap live or freed",
                    "own[o] = owner o: storage (owner->storage), st (alive, dying, freed), omem (sk_omem_alloc)",
                    "pc[p] = the kernel step process p is at; loc[p] = its locals (x the selem, ls, m the smap,",
                    "  b the bucket walked, nb the bucket locked, cur the walk's cursor, resched, rv its result)",
                    "readers, traceReaders = processes in rcu_read_lock / rcu_read_lock_trace sections;",
                    "  cbs = pending RCU callbacks; gpw[p] = the readers p's synchronize_rcu waits for",
                    "fails = failed lock attempts; warns = WARNs fired; usedAfterFree = freed objects accessed (ghost)");
        }
        return null;
    }

    static List<Map<String, TlaValue>> parse(List<TlcResult.State> trace) {
        List<Map<String, TlaValue>> out = new ArrayList<>();
        for (TlcResult.State s : trace) {
            Map<String, TlaValue> m = new LinkedHashMap<>();
            s.vars().forEach((k, v) -> m.put(k, TlaValue.parse(v)));
            out.add(m);
        }
        return out;
    }

    /** {@code model: verdict  (variant)}. */
    static String title(Manifest.Model model, TlcResult r) {
        return model.name() + ": " + r.verdict() + "  (" + model.variant() + ")";
    }

    /** What follows the last step of a liveness trace, in words. */
    static String loopLine(TlcResult r) {
        if (r.loop() == null) {
            return null;
        }
        if (r.loop().stuttering()) {
            return "then nothing moves: the behaviour stays in state " + r.trace().size() + " forever";
        }
        return "then " + r.loop().action() + " leads back to state " + r.loop().backTo() + ": states "
                + r.loop().backTo() + ".." + r.trace().size() + " repeat forever";
    }

    /** The property line of the ending. */
    static String violated(TlcResult r) {
        Verdict v = r.verdict();
        return switch (v.kind()) {
            case SAFETY -> "=> " + v.property() + " is violated by the step into state " + r.trace().size();
            case LIVENESS -> "=> " + v.property() + " is violated: the behaviour never gets there";
            case DEADLOCK -> "=> deadlock: no step is possible in state " + r.trace().size();
            default -> "=> " + v;
        };
    }

    /** One column; each step's action and what changed. */
    static Diagram generic(Manifest.Model model, TlcResult r, List<Map<String, TlaValue>> states) {
        List<Diagram.Row> rows = new ArrayList<>();
        for (int i = 1; i < r.trace().size(); i++) {
            TlcResult.State s = r.trace().get(i);
            List<Diagram.Line> lines = new ArrayList<>();
            lines.add(Diagram.Line.of(s.action(), Diagram.Style.STEP));
            for (TlaValue.Change c : TraceWriter.changes(r.trace().get(i - 1), s)) {
                lines.add(Diagram.Line.of(c.path() + ": " + c.before() + " -> " + c.after(), Diagram.Style.VALUE));
            }
            Map<String, List<Diagram.Line>> cells = new LinkedHashMap<>();
            cells.put("spec", lines);
            rows.add(new Diagram.Row(String.valueOf(s.number()), s.action(), cells));
        }
        List<String> ending = new ArrayList<>();
        if (loopLine(r) != null) {
            ending.add(loopLine(r));
        }
        ending.add(violated(r));
        Map<String, List<Diagram.Line>> stuck = new LinkedHashMap<>();
        if (r.loop() != null) {
            stuck.put("spec", List.of(Diagram.Line.of(r.loop().stuttering() ? "STUCK: no step changes the state"
                    : "LOOPS: " + r.loop().action() + " forever", Diagram.Style.STUCK)));
        }
        String summary = model.name() + ": " + r.verdict() + " after " + (r.trace().size() - 1) + " steps"
                + (r.loop() == null ? "" : r.loop().stuttering() ? ", then stutters" : ", then loops");
        List<String> legend = List.of("one row per step: the action and what changed (path: before -> after)");
        return new Diagram(title(model, r), summary, legend, List.of(new Diagram.Column("spec", model.module())),
                rows, ending, stuck);
    }
}
