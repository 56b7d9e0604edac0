package rqspin.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The diagram adapter of BPF local storage ({@code spec/localstorage/LocalStorage.tla}):
 * a column per process ({@code pc[p]}: map_free, destroy, update, delete,
 * lookup; each stands for a CPU) and one for RCU callbacks. Each step is
 * shown in the kernel's words: the function it runs, the lock it attempts
 * and whether the attempt failed ({@code fails}), the selem fields it wrote
 * ({@code sel[x]}: {@code ->smap}, {@code ->local_storage}, the two hlist
 * nodes, the state bits or {@code link_cnt}), the frees ({@code call_rcu},
 * {@code kfree}), charges, WARNs, and any read of freed memory (the
 * {@code usedAfterFree} ghost). At the end of a liveness trace each process
 * says where it waits and why that never ends.
 */
final class LocalStorageDiagram {
    /**
     * The kernel function of each action of the spec, short (its header's
     * ACTIONS table has the long form).
     */
    static final Map<String, String> KERNEL = Map.ofEntries(
            Map.entry("MapFreeStart", "map_free: synchronize_rcu()"),
            Map.entry("MapFreeRcuLock", "rcu_read_lock(), bucket head"),
            Map.entry("MapFreeWalk", "map_free walk: next selem"),
            Map.entry("MapFreeNext", "need_resched()? / next"),
            Map.entry("MapFreeCondResched", "cond_resched_rcu(): restart"),
            Map.entry("MapFreeSync2", "synchronize_rcu(), rcu_barrier()"),
            Map.entry("MapFreeFree", "free the buckets and the smap"),
            Map.entry("DestroyStart", "destroy: owner->storage"),
            Map.entry("DestroyWalk", "destroy walk: next selem"),
            Map.entry("DestroyNext", "destroy: next selem"),
            Map.entry("DestroyDecAndTest", "refcount_dec_and_test(owner_refcnt)"),
            Map.entry("DestroyWaitRefcnt", "refcount_read(owner_refcnt) is 0"),
            Map.entry("DestroySpin", "refcount_read() != 0: cpu_relax()"),
            Map.entry("DestroyAfterWalk", "v3: free the list and the LS"),
            Map.entry("DestroyNoStorage", "no local storage: return"),
            Map.entry("NofailLockBucket", "unlink_nofail: b->lock"),
            Map.entry("NofailLockStorage", "unlink_nofail: local_storage->lock"),
            Map.entry("NofailUnpinOwner", "_misc: unpin owner, hlist_del(snode)"),
            Map.entry("NofailSetState", "unlink_nofail: state bit, free"),
            Map.entry("LocklessRead", "unlink_lockless: load smap, ls"),
            Map.entry("LocklessLockBucket", "unlink_lockless: b->lock"),
            Map.entry("LocklessUnlinkMap", "unlink_lockless: hlist_del(map_node)"),
            Map.entry("LocklessLockStorage", "unlink_lockless: local_storage->lock"),
            Map.entry("LocklessUnlinkStorage", "unlink_lockless: hlist_del(snode)"),
            Map.entry("LocklessDecLinkCnt", "atomic_dec_and_test(link_cnt)"),
            Map.entry("UpdateStart", "update: bpf_selem_alloc"),
            Map.entry("StorageAllocLockBucket", "local_storage_alloc: b->lock"),
            Map.entry("UpdateLockStorage", "update: local_storage->lock"),
            Map.entry("UpdateLockBucket", "update: b->lock, link new, unlink old"),
            Map.entry("UpdateLockOldBucket", "update: the old selem's b->lock"),
            Map.entry("DeleteStart", "delete: lookup"),
            Map.entry("DeleteLockStorage", "bpf_selem_unlink: local_storage->lock"),
            Map.entry("DeleteLockBucket", "bpf_selem_unlink_map: b->lock"),
            Map.entry("LookupStart", "lookup: cache slot, list walk"),
            Map.entry("SleepableLookupStart", "sleepable lookup: rcu_read_lock_trace()"),
            Map.entry("SleepableLookupWalk", "sleepable walk: next selem"),
            Map.entry("LookupInsertCache", "insert_cache: local_storage->lock"),
            Map.entry("LookupUse", "the program reads its sdata"),
            Map.entry("Callbacks", "RCU callback"));

    private final Manifest.Model model;
    private final TlcResult r;
    private final List<Map<String, TlaValue>> states;
    private final List<String> procs;

    LocalStorageDiagram(Manifest.Model model, TlcResult r, List<Map<String, TlaValue>> states) {
        this.model = model;
        this.r = r;
        this.states = states;
        this.procs = states.get(0).get("pc").keys();
    }

    private TlaValue v(int s, String var, String... path) {
        return states.get(s).get(var).at(path);
    }

    private static String str(TlaValue t) {
        return t == null ? "null" : t.str();
    }

    /** The kind of process {@code p}: the function its pc names, else its name's prefix. */
    private String kind(String p) {
        for (Map<String, TlaValue> s : states) {
            String pc = s.get("pc").get(p).str();
            int colon = pc.indexOf(':');
            if (colon > 0 && List.of("map_free", "destroy", "update", "lookup", "sleepable_lookup")
                    .contains(pc.substring(0, colon))) {
                return pc.substring(0, colon);
            }
            if (pc.startsWith("bpf_selem_unlink:")) {
                return "delete";
            }
        }
        if (p.startsWith("mf")) {
            return "map_free";
        }
        if (p.startsWith("ds")) {
            return "destroy";
        }
        return p.startsWith("up") ? "update" : p.startsWith("del") ? "delete" : p.startsWith("sl") ? "sleepable_lookup"
                : p.startsWith("lk") ? "lookup" : "process";
    }

    /** Its object: the map map_free frees, the owner destroy tears down, when the trace shows them. */
    private String object(String p, String kind) {
        for (Map<String, TlaValue> s : states) {
            TlaValue loc = s.get("loc").get(p);
            if (loc == null) {
                break;
            }
            if (kind.equals("map_free") && !str(loc.get("m")).equals("null")) {
                return str(loc.get("m"));
            }
            if (kind.equals("destroy") && !str(loc.get("stg")).equals("null")) {
                String o = str(states.get(0).get("lsv").at(str(loc.get("stg")), "owner"));
                return o.equals("null") ? str(loc.get("stg")) : o;
            }
        }
        return "";
    }

    Diagram build() {
        List<Diagram.Column> columns = new ArrayList<>();
        for (String p : procs) {
            String k = kind(p);
            columns.add(new Diagram.Column(p, p + ": " + k + "(" + object(p, k) + ")"));
        }
        boolean callbacks = r.trace().stream().anyMatch(s -> s.action().equals("Callbacks"));
        if (callbacks) {
            columns.add(new Diagram.Column("rcu", "RCU callbacks"));
        }
        List<Diagram.Row> rows = new ArrayList<>();
        List<String> events = new ArrayList<>();
        for (int i = 1; i < states.size(); i++) {
            TlcResult.State st = r.trace().get(i);
            String actor = st.action().equals("Callbacks") ? "rcu" : actor(i);
            Map<String, List<Diagram.Line>> cells = new LinkedHashMap<>();
            cells.put(actor == null ? procs.get(0) : actor, step(i, actor, st.action(), events));
            rows.add(new Diagram.Row(String.valueOf(st.number()), st.action(), cells));
        }
        Map<String, List<Diagram.Line>> stuck = new LinkedHashMap<>();
        List<String> stuckEvents = new ArrayList<>();
        if (r.loop() != null) {
            for (String p : procs) {
                stuck.put(p, stuck(p, stuckEvents));
            }
            List<Diagram.Line> left = leftBehind();
            if (callbacks || !left.isEmpty()) {
                stuck.put("rcu", left);
                if (!callbacks) {
                    columns.add(new Diagram.Column("rcu", "RCU callbacks"));
                }
            }
        }
        List<String> ending = new ArrayList<>();
        if (TraceDiagrams.loopLine(r) != null) {
            ending.add(TraceDiagrams.loopLine(r));
        }
        ending.add(TraceDiagrams.violated(r));
        List<String> legend = List.of(
                "each column is a process (it stands for a CPU); x1.. are selems (struct bpf_local_storage_elem),"
                        + " ls1.. local storages, o1.. owners, m1.. maps; b->lock m[i] is bucket i of map m",
                "FAILS: the rqspinlock attempt returned -EDEADLK or -ETIMEDOUT; call_rcu: queued for a free after"
                        + " a grace period; kfree: reclaimed");
        List<String> parts = new ArrayList<>(events.size() > 4 ? events.subList(0, 4) : events);
        parts.addAll(stuckEvents);
        String summary = model.name() + " (" + model.variant() + "): "
                + (parts.isEmpty() ? "" : String.join("; ", parts) + "; ") + r.verdict().property() + " violated";
        return new Diagram(TraceDiagrams.title(model, r), summary, legend, columns, rows, ending, stuck);
    }

    /** The process whose pc or locals changed in the step into state {@code i}. */
    private String actor(int i) {
        for (String p : procs) {
            if (!Objects.equals(String.valueOf(v(i - 1, "pc", p)), String.valueOf(v(i, "pc", p)))
                    || !Objects.equals(String.valueOf(v(i - 1, "loc", p)), String.valueOf(v(i, "loc", p)))) {
                return p;
            }
        }
        return null;
    }

    private List<Diagram.Line> step(int i, String p, String action, List<String> events) {
        List<Diagram.Line> out = new ArrayList<>();
        out.add(new Diagram.Line(KERNEL.getOrDefault(action, action), 0, Diagram.Style.STEP));
        // the lock attempt of this step, and whether it failed
        TlaValue f0 = states.get(i - 1).get("fails"), f1 = states.get(i).get("fails");
        String failed = null;
        if (f1 != null && f1.elements().size() > (f0 == null ? 0 : f0.elements().size())) {
            TlaValue rec = f1.elements().get(f1.elements().size() - 1);
            failed = str(rec.get("lock"));
            out.add(new Diagram.Line(failed + " FAILS", 1, Diagram.Style.ALARM));
            // with FailOnlyWhenContended, who contended: the holder, or the process stalled
            // holding it (its next step takes the lock); none recorded for "any failure"
            TlaValue holder = rec.get("holder"), stalled = rec.get("stalled");
            String h = holder == null ? null : str(holder);
            if (h != null && !h.isEmpty() && !h.equals("null")) {
                boolean st = stalled != null && "TRUE".equals(String.valueOf(stalled));
                out.add(new Diagram.Line(st ? "(" + h + " holds it, stalled: its next step takes it)" : "(held by " + h + ")",
                        2, Diagram.Style.ALARM));
            }
            events.add(p + " fails " + failed);
        } else if (p != null && !p.equals("rcu") && action.matches(".*Lock(Bucket|OldBucket|Storage)")) {
            out.add(new Diagram.Line(lockName(i - 1, p, action) + " taken", 1, Diagram.Style.VALUE));
        }
        // the WARNs that fired
        for (String w : added(v(i - 1, "warns"), v(i, "warns"))) {
            out.add(new Diagram.Line("WARN: " + w, 1, Diagram.Style.ALARM));
        }
        // selems
        TlaValue s0 = states.get(i - 1).get("sel"), s1 = states.get(i).get("sel");
        for (String x : s1.keys()) {
            TlaValue a = s0.get(x), b = s1.get(x);
            if (String.valueOf(a).equals(String.valueOf(b))) {
                continue;
            }
            selem(x, a, b, out, events, p);
        }
        // local storages
        TlaValue l0 = states.get(i - 1).get("lsv"), l1 = states.get(i).get("lsv");
        for (String l : l1.keys()) {
            TlaValue a = l0.get(l), b = l1.get(l);
            if (!String.valueOf(a).equals(String.valueOf(b))) {
                storage(l, a, b, out);
            }
        }
        // owners and maps
        TlaValue o0 = states.get(i - 1).get("own"), o1 = states.get(i).get("own");
        for (String o : o1.keys()) {
            TlaValue a = o0.get(o), b = o1.get(o);
            if (!str(a.get("storage")).equals(str(b.get("storage")))) {
                out.add(new Diagram.Line(o + "->storage = " + ptr(b.get("storage")), 1, Diagram.Style.VALUE));
            }
            if (a.get("omem").num(0) != b.get("omem").num(0)) {
                out.add(new Diagram.Line("uncharge " + o + ": " + a.get("omem").num(0) + " -> " + b.get("omem").num(0),
                        1, Diagram.Style.VALUE));
            }
            if (!str(a.get("st")).equals(str(b.get("st")))) {
                out.add(new Diagram.Line(o + " " + str(b.get("st")), 1, Diagram.Style.VALUE));
            }
        }
        TlaValue m0 = states.get(i - 1).get("smapSt"), m1 = states.get(i).get("smapSt");
        for (String m : m1.keys()) {
            if (!str(m0.get(m)).equals(str(m1.get(m)))) {
                out.add(new Diagram.Line("smap " + m + " " + str(m1.get(m)), 1, Diagram.Style.VALUE));
            }
        }
        // RCU read-side sections and grace periods of the actor
        if (p != null && !p.equals("rcu")) {
            rcu(i, p, "readers", "rcu_read_lock()", "rcu_read_unlock()", out);
            rcu(i, p, "traceReaders", "rcu_read_lock_trace()", "rcu_read_unlock_trace()", out);
            TlaValue g0 = v(i - 1, "gpw", p), g1 = v(i, "gpw", p);
            if (g1 != null && !String.valueOf(g0).equals(String.valueOf(g1)) && !g1.elements().isEmpty()) {
                out.add(new Diagram.Line("grace period waits for " + names(g1), 1, Diagram.Style.VALUE));
            }
            TlaValue rv0 = v(i - 1, "loc", p, "rv"), rv1 = v(i, "loc", p, "rv");
            if (rv1 != null && !str(rv0).equals(str(rv1)) && !str(rv1).equals("none")) {
                out.add(new Diagram.Line("= " + str(rv1), 1, str(rv1).equals("ok") ? Diagram.Style.RETURN
                        : Diagram.Style.ALARM));
            }
            if (v(i, "loc", p, "resched") != null
                    && v(i, "loc", p, "resched").num(0) > v(i - 1, "loc", p, "resched").num(0)) {
                out.add(new Diagram.Line("need_resched() is true", 1, Diagram.Style.VALUE));
            }
            String pc1 = str(v(i, "pc", p));
            if (pc1.equals("done") && !str(v(i - 1, "pc", p)).equals("done")) {
                out.add(new Diagram.Line("returns", 0, Diagram.Style.RETURN));
            }
        }
        // the use-after-free ghost
        for (String u : added(v(i - 1, "usedAfterFree"), v(i, "usedAfterFree"))) {
            out.add(new Diagram.Line("USE AFTER FREE: reads freed " + u, 1, Diagram.Style.ALARM));
            events.add((p == null ? "a step" : p) + " reads freed " + u);
        }
        return out;
    }

    private void rcu(int i, String p, String var, String lock, String unlock, List<Diagram.Line> out) {
        if (states.get(i).get(var) == null) {
            return;
        }
        boolean before = has(v(i - 1, var), p), after = has(v(i, var), p);
        if (before != after) {
            out.add(new Diagram.Line(after ? lock : unlock, 1, Diagram.Style.VALUE));
        }
    }

    private static boolean has(TlaValue set, String e) {
        if (set == null) {
            return false;
        }
        for (TlaValue v : set.elements()) {
            if (v.str().equals(e)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> added(TlaValue before, TlaValue after) {
        List<String> out = new ArrayList<>();
        if (after == null) {
            return out;
        }
        for (TlaValue v : after.elements()) {
            if (!has(before, v.str())) {
                out.add(v.str());
            }
        }
        return out;
    }

    private static String names(TlaValue set) {
        List<String> n = new ArrayList<>();
        for (TlaValue v : set.elements()) {
            n.add(v.str());
        }
        return String.join(", ", n);
    }

    private static String ptr(TlaValue v) {
        String s = str(v);
        return s.equals("null") ? "NULL" : s;
    }

    /** The lock a step attempts: b->lock of the bucket the process chose, or its LS's lock. */
    private String lockName(int s, String p, String action) {
        TlaValue loc = v(s, "loc", p);
        if (action.endsWith("Storage")) {
            String l = str(loc.get("ls"));
            if (l.equals("null")) {
                l = str(loc.get("stg"));
            }
            return "local_storage->lock " + l;
        }
        String m = str(loc.get("m"));
        long b = loc.get("nb") != null && loc.get("nb").num(0) > 0 ? loc.get("nb").num(0) : loc.get("b").num(0);
        return "b->lock " + m + "[" + b + "]";
    }

    private void selem(String x, TlaValue a, TlaValue b, List<Diagram.Line> out, List<String> events, String p) {
        String st0 = str(a.get("st")), st1 = str(b.get("st"));
        if (!st0.equals(st1)) {
            switch (st1) {
                case "live" -> out.add(new Diagram.Line("bpf_selem_alloc: " + x, 1, Diagram.Style.VALUE));
                case "queued" -> {
                    out.add(new Diagram.Line("bpf_selem_free(" + x + "): call_rcu", 1, Diagram.Style.VALUE));
                    events.add((p == null ? "" : p + " ") + "frees " + x);
                }
                case "freed" -> out.add(new Diagram.Line(x + " reclaimed (kfree)", 1, Diagram.Style.VALUE));
                default -> out.add(new Diagram.Line(x + " " + st1, 1, Diagram.Style.VALUE));
            }
        } else if (b.get("frees").num(0) > a.get("frees").num(0)) {
            out.add(new Diagram.Line("bpf_selem_free(" + x + ") AGAIN: double free", 1, Diagram.Style.ALARM));
            events.add((p == null ? "" : p + " ") + "frees " + x + " again");
        }
        if (!str(a.get("smap")).equals(str(b.get("smap")))) {
            out.add(new Diagram.Line(x + "->smap = " + ptr(b.get("smap")), 1, Diagram.Style.VALUE));
        }
        if (!str(a.get("ls")).equals(str(b.get("ls")))) {
            out.add(new Diagram.Line(x + "->local_storage = " + ptr(b.get("ls")), 1, Diagram.Style.VALUE));
        }
        if (a.get("inB").num(0) != b.get("inB").num(0)) {
            out.add(new Diagram.Line(b.get("inB").num(0) == 0 ? "hlist_del(" + x + "->map_node)"
                    : "link " + x + "->map_node into bucket " + b.get("inB").num(0), 1, Diagram.Style.VALUE));
        }
        if (!str(a.get("inL")).equals(str(b.get("inL")))) {
            out.add(new Diagram.Line(str(b.get("inL")).equals("null") ? "hlist_del(" + x + "->snode)"
                    : "link " + x + "->snode into " + str(b.get("inL")), 1, Diagram.Style.VALUE));
        }
        if (!String.valueOf(a.get("bits")).equals(String.valueOf(b.get("bits")))) {
            List<String> bits = new ArrayList<>();
            for (TlaValue t : b.get("bits").elements()) {
                bits.add(t.str().replace("SELEM_", ""));
            }
            out.add(new Diagram.Line(x + "->state = " + (bits.isEmpty() ? "0" : String.join("|", bits)), 1,
                    Diagram.Style.VALUE));
        }
        if (a.get("cnt").num(0) != b.get("cnt").num(0)) {
            out.add(new Diagram.Line(x + "->link_cnt = " + b.get("cnt").num(0), 1, Diagram.Style.VALUE));
        }
        if (b.get("fields").num(0) > a.get("fields").num(0)) {
            out.add(new Diagram.Line("bpf_obj_free_fields(" + x + ")", 1, b.get("fields").num(0) > 1
                    ? Diagram.Style.ALARM : Diagram.Style.VALUE));
        }
    }

    private void storage(String l, TlaValue a, TlaValue b, List<Diagram.Line> out) {
        String st0 = str(a.get("st")), st1 = str(b.get("st"));
        if (!st0.equals(st1)) {
            out.add(new Diagram.Line(switch (st1) {
                case "live" -> "bpf_local_storage_alloc: " + l;
                case "queued" -> "bpf_local_storage_free(" + l + "): call_rcu";
                case "freed" -> l + " reclaimed (kfree)";
                default -> l + " " + st1;
            }, 1, Diagram.Style.VALUE));
        } else if (b.get("frees").num(0) > a.get("frees").num(0)) {
            out.add(new Diagram.Line("bpf_local_storage_free(" + l + ") AGAIN", 1, Diagram.Style.ALARM));
        }
        if (!str(a.get("owner")).equals(str(b.get("owner")))) {
            out.add(new Diagram.Line(l + "->owner = " + ptr(b.get("owner")), 1, Diagram.Style.VALUE));
        }
        if (a.get("refcnt").num(0) != b.get("refcnt").num(0)) {
            out.add(new Diagram.Line(l + "->owner_refcnt = " + refcount(b.get("refcnt")), 1,
                    b.get("refcnt").num(0) == 1000 ? Diagram.Style.ALARM : Diagram.Style.VALUE));
        }
        if (a.get("charge").num(0) != b.get("charge").num(0)) {
            out.add(new Diagram.Line(l + "->mem_charge = " + b.get("charge").num(0), 1, Diagram.Style.VALUE));
        }
        if (!String.valueOf(a.get("cache")).equals(String.valueOf(b.get("cache")))) {
            for (String m : b.get("cache").keys()) {
                if (!str(a.at("cache", m)).equals(str(b.at("cache", m)))) {
                    out.add(new Diagram.Line(l + "->cache[" + m + "] = " + ptr(b.at("cache", m)), 1,
                            Diagram.Style.VALUE));
                }
            }
        }
    }

    /** Refcount.tla's SATURATED (1000) is REFCOUNT_SATURATED. */
    private static String refcount(TlaValue v) {
        return v.num(0) == 1000 ? "REFCOUNT_SATURATED" : String.valueOf(v.num(0));
    }

    // ---------------------------------------------------------------- liveness

    private List<Diagram.Line> stuck(String p, List<String> events) {
        int last = states.size() - 1;
        String pc = str(v(last, "pc", p));
        List<Diagram.Line> out = new ArrayList<>();
        if (pc.equals("done") || pc.equals("idle")) {
            out.add(Diagram.Line.of(pc.equals("done") ? "done: returned" : "never started", Diagram.Style.VALUE));
            return out;
        }
        if (!sameThroughLoop(p)) {
            out.add(Diagram.Line.of("LOOPS: " + p + " keeps stepping in the cycle but never returns",
                    Diagram.Style.STUCK));
            events.add(p + " loops forever");
            return out;
        }
        out.add(Diagram.Line.of("STUCK at " + pc, Diagram.Style.STUCK));
        events.add("then " + p + " waits forever at " + pc);
        if (pc.equals("destroy:wait_owner_refcnt")) {
            String l = str(v(last, "loc", p, "stg"));
            TlaValue rc = v(last, "lsv", l, "refcnt");
            out.add(Diagram.Line.of("spins on refcount_read(&" + l + "->owner_refcnt) = " + refcount(rc),
                    Diagram.Style.STUCK));
            out.add(Diagram.Line.of(rc.num(0) == 1000
                    ? "because a saturated refcount never changes again: nobody will make it 0"
                    : "because no process holds a reference it will drop", Diagram.Style.STUCK));
        } else if (pc.startsWith("map_free:synchronize_rcu") || pc.equals("map_free:rcu_barrier")) {
            TlaValue g = v(last, "gpw", p);
            out.add(Diagram.Line.of("waits for a grace period: readers " + (g == null ? "?" : names(g)),
                    Diagram.Style.STUCK));
            out.add(Diagram.Line.of("because they never leave their read-side sections", Diagram.Style.STUCK));
        } else {
            out.add(Diagram.Line.of("no step of " + p + " is enabled there", Diagram.Style.STUCK));
        }
        return out;
    }

    private boolean sameThroughLoop(String p) {
        if (r.loop() == null || r.loop().stuttering()) {
            return true;
        }
        String lastPc = String.valueOf(v(states.size() - 1, "pc", p));
        for (int s = Math.max(0, r.loop().backTo() - 1); s < states.size(); s++) {
            if (!String.valueOf(v(s, "pc", p)).equals(lastPc)) {
                return false;
            }
        }
        return true;
    }

    /** What stays allocated at the end: selems and local storages never freed. */
    private List<Diagram.Line> leftBehind() {
        int last = states.size() - 1;
        List<Diagram.Line> out = new ArrayList<>();
        TlaValue sel = states.get(last).get("sel");
        for (String x : sel.keys()) {
            if (str(sel.at(x, "st")).equals("live")) {
                String where = !str(sel.at(x, "inL")).equals("null") ? " (on " + str(sel.at(x, "inL")) + "'s list)"
                        : sel.at(x, "inB").num(0) > 0 ? " (on its bucket)" : "";
                out.add(Diagram.Line.of("never freed: " + x + where, Diagram.Style.STUCK));
            }
        }
        TlaValue lsv = states.get(last).get("lsv");
        for (String l : lsv.keys()) {
            if (str(lsv.at(l, "st")).equals("live")) {
                out.add(Diagram.Line.of("never freed: " + l, Diagram.Style.STUCK));
            }
        }
        TlaValue cbs = states.get(last).get("cbs");
        if (cbs != null && !cbs.elements().isEmpty()) {
            out.add(Diagram.Line.of("pending callbacks: " + cbs.elements().size(), Diagram.Style.VALUE));
        }
        return out;
    }
}
