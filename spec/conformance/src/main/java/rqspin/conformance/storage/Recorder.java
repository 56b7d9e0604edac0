package rqspin.conformance.storage;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import rqspin.conformance.Twin;
import rqspin.kernel.Freeable;
import rqspin.lock.Cpu;
import rqspin.lock.RqSpinLock;
import rqspin.storage.BadInputException;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorage;
import rqspin.storage.LocalStorageMap;
import rqspin.storage.Owner;
import rqspin.storage.Protocol;
import rqspin.storage.Selem;
import rqspin.storage.check.Step;
import rqspin.storage.check.StepGate;
import rqspin.spec.TraceValidation;

/**
 * A {@link StepGate} for free-running threads (the deterministic scenario
 * tests of the Java local storage): each spec step runs under one global
 * token, from its gate to the CPU's next gate (or the end of its
 * operation), so the steps of all CPUs form a linearization of the run, and
 * the state after each one is read exactly; the recorder keeps every step
 * as an event for trace validation, with that state. Waits (the enabling
 * condition of a step: a grace period, a barrier, owner_refcnt, the users of
 * a map or owner being torn down) happen without the token. An RCU callback
 * is a step of its own: run inside a step (by the rcu_read_unlock that ends
 * the step) it closes that step's event; run outside any operation (a
 * test's rcu_barrier) it takes the token for itself.
 *
 * <p>Each public operation is a process of the spec's world (p1, p2, ... in
 * the order they start): the recorded run becomes a scenario
 * ({@link #recorded}) with the objects the run made (their Java names),
 * nothing linked at start, the buckets of the Java hash, one process per
 * operation, and the run's charges in bytes. An operation the Java twin
 * rejected before its first step (a map or owner being torn down, bad
 * input) is no process: its event is dropped.
 *
 * <p>What the spec's world cannot hold makes the recording unusable, with
 * the reason ({@link #unusable}): maps of different value sizes or bucket
 * counts. A test that holds a CPU at a step inside a spec step (a point of
 * its Tracer that is no gate) would hold the token: such tests are not
 * recorded (RecordedStorageTestsTest lists them). Fields are guarded by the
 * token, except the registries (written on the allocating thread under the
 * token or before any operation).
 */
public final class Recorder implements StepGate, Kernel.Names {
    private final ReentrantLock token = new ReentrantLock(true);
    private final Map<String, LocalStorageMap> maps = new LinkedHashMap<>();
    private final Map<String, Owner> owners = new LinkedHashMap<>();
    private final Map<String, Selem> selems = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, LocalStorage> storages = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<RqSpinLock, Integer> holders = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Kernel kernel;
    private Observer observer;
    private final List<TraceValidation.Event> events = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final List<Proc> procs = new ArrayList<>();
    /** Per CPU, the process it runs now (null between operations). */
    private final Map<Integer, Proc> current = new TreeMap<>();
    /** Per CPU, the event of the step under way, closed at the CPU's next gate. */
    private final Map<Integer, Open> open = new TreeMap<>();
    private String unusable;
    /** Memory-safety violations (P1, P3, P5) the audit had at the last closed event. */
    private int memoryViolations;
    /** The event index at which the run hit its first memory-safety violation (-1: none): the recording ends there. */
    private int violationAt = -1;
    private String violation;

    /** A process: one operation, on one CPU. */
    private static final class Proc {
        final String id;
        final String kind;
        final int cpu;
        String owner;
        String map;
        String selem;
        String storage;
        int steps;
        int resched;
        boolean done;
        Throwable thrown;
        int firstEvent = -1;

        Proc(String id, String kind, int cpu) {
            this.id = id;
            this.kind = kind;
            this.cpu = cpu;
        }
    }

    /** A step under way: its action, process (or callback object) and the lock it attempts. */
    private record Open(String action, String proc, String obj, String lock, String label) {}

    /** A recorder for the next kernel: its settings get {@link #names} (this). */
    public Recorder() {
    }

    /** What the kernel's builder needs: the recorder names nothing, but learns what is allocated. */
    public Kernel.Builder prepare(Kernel.Builder b) {
        return b.names(this);
    }

    /** Starts recording {@code k} (built with {@link #prepare}). */
    public void attach(Kernel k) {
        this.kernel = k;
        this.observer = new Observer(k, maps, owners, selems, storages, null, null, k.machine().nrCpus(),
                this::procOfCpu, l -> holders.getOrDefault(l, -1), b -> b);
        k.setStepGate(this);
    }

    // ---------------------------------------------------------------- Kernel.Names

    @Override
    public String selem(Cpu cpu, Owner owner, LocalStorageMap map) {
        return null;
    }

    @Override
    public String storage(Cpu cpu, Owner owner) {
        return null;
    }

    @Override
    public void allocated(Freeable o) {
        if (o instanceof Selem x) {
            selems.put(x.name(), x);
            Proc p = cpuProc();
            if (p != null && p.kind.equals("update") && p.selem == null) {
                p.selem = x.name();
            }
        } else if (o instanceof LocalStorage l) {
            storages.put(l.name(), l);
            Proc p = cpuProc();
            if (p != null && p.kind.equals("update") && p.storage == null) {
                p.storage = l.name();
            }
        } else if (o instanceof LocalStorageMap m) {
            synchronized (maps) {
                maps.put(m.name(), m);
            }
        } else if (o instanceof Owner w) {
            synchronized (owners) {
                owners.put(w.name(), w);
            }
        }
    }

    private Proc cpuProc() {
        Kernel k = kernel;
        if (k == null || !k.machine().isAttached()) {
            return null;
        }
        return current.get(k.machine().current().id());
    }

    private String procOfCpu(int cpu) {
        Proc p = current.get(cpu);
        return p == null ? "cpu" + cpu : p.id;
    }

    // ---------------------------------------------------------------- StepGate, on the CPU threads

    @Override
    public void arrive(Cpu cpu, Step step, Object subject, Guard guard) {
        if (step == Step.RCU_CALLBACK) {
            token.lock(); // reentrant: inside a step the thread holds it already
            close(cpu.id(), null);
            open.put(cpu.id(), new Open("RcuCallback", null, ((Freeable) subject).name(), "none", "rcu callback"));
            return;
        }
        if (!step.gate()) {
            return;
        }
        if (token.isHeldByCurrentThread()) {
            close(cpu.id(), step);
            while (token.isHeldByCurrentThread()) {
                token.unlock();
            }
        }
        if (guard != null && guard.waits) {
            while (!guard.enabled.getAsBoolean() && (guard.escape == null || !guard.escape.getAsBoolean())) {
                kernel.rcu().poll(cpu);
                Thread.yield();
            }
        }
    }

    @Override
    public void depart(Cpu cpu, Step step, Object subject, Guard guard) {
        if (step == Step.RCU_CALLBACK || !step.gate()) {
            return;
        }
        for (;;) {
            token.lock();
            if (guard == null || !guard.waits || guard.enabled.getAsBoolean()
                    || (guard.escape != null && guard.escape.getAsBoolean())) {
                break;
            }
            token.unlock();
            Thread.yield();
        }
        Proc p = current.get(cpu.id());
        if (p == null || p.done) {
            p = new Proc("p" + (procs.size() + 1), kindOf(step), cpu.id());
            if (subject instanceof Owner w) {
                p.owner = w.name();
            }
            if (subject instanceof LocalStorageMap m) {
                p.map = m.name();
            }
            if (guard != null && guard.map instanceof LocalStorageMap m) {
                p.map = m.name();
            }
            p.firstEvent = events.size();
            procs.add(p);
            current.put(cpu.id(), p);
        }
        if (step == Step.MAP_FREE_COND_RESCHED_RCU) {
            p.resched++;
        }
        p.steps++;
        open.put(cpu.id(), new Open(step.action(), p.id, null,
                guard != null && guard.lock != null ? observer.lockName(guard.lock) : "none",
                step.label() + (subject instanceof Freeable f ? " " + f.name() : "")));
    }

    private static String kindOf(Step first) {
        return switch (first) {
            case UPDATE_START -> "update";
            case DELETE_START -> "delete";
            case LOOKUP_START -> "lookup";
            case SLEEPABLE_LOOKUP_START -> "sleepable_lookup";
            case MAP_FREE_START -> "map_free";
            case DESTROY_START -> "destroy";
            default -> throw new IllegalStateException("an operation begins with " + first);
        };
    }

    @Override
    public void callbackEnd(Cpu cpu, Object object) {
        if (!token.isHeldByCurrentThread()) {
            return;
        }
        close(cpu.id(), null);
        token.unlock(); // the lock taken by arrive(RCU_CALLBACK)
    }

    @Override
    public void lockHeld(Cpu cpu, RqSpinLock lock, boolean held) {
        if (held) {
            holders.put(lock, cpu.id());
        } else {
            holders.remove(lock);
        }
    }

    @Override
    public void opEnd(Cpu cpu, Throwable thrown) {
        if (!token.isHeldByCurrentThread()) {
            token.lock();
        }
        try {
            Proc p = current.get(cpu.id());
            if (p == null || p.done) {
                return;
            }
            p.done = true;
            p.thrown = thrown;
            if (thrown instanceof BadInputException && p.steps <= 1) {
                // rejected at its first step: no process of the spec's world
                open.remove(cpu.id());
                procs.remove(p);
                while (events.size() > p.firstEvent) {
                    events.remove(events.size() - 1);
                    log.remove(log.size() - 1);
                }
                current.remove(cpu.id());
                return;
            }
            close(cpu.id(), null);
        } finally {
            while (token.isHeldByCurrentThread()) {
                token.unlock();
            }
        }
    }

    /** Closes the event of {@code cpu}'s step under way, with the state now; {@code next}: the gate it reached. */
    private void close(int cpu, Step next) {
        Open o = open.remove(cpu);
        if (o == null) {
            return;
        }
        int mv = kernel.audit().count(rqspin.storage.check.Violation.Property.P1_NO_DOUBLE_FREE)
                + kernel.audit().count(rqspin.storage.check.Violation.Property.P3_FREE_FIELDS_ONCE)
                + kernel.audit().count(rqspin.storage.check.Violation.Property.P5_NO_USE_AFTER_FREE);
        if (mv > memoryViolations && violationAt < 0) {
            // this step is where the Java twin's sanitizer stopped it: the spec goes on, the twin does not
            violationAt = events.size();
            List<rqspin.storage.check.Violation> vs = kernel.audit().violations();
            violation = vs.isEmpty() ? "?" : vs.get(vs.size() - 1).toString();
        }
        memoryViolations = mv;
        if (violationAt >= 0) {
            return;
        }
        Map<String, Tla> st = observer.observe();
        st.values().removeIf(v -> v instanceof Tla.Mapping m && m.map.isEmpty());
        if (o.obj() != null) {
            // the callback is over (its Rcu entry goes when it returns)
            List<Tla> cbs = new ArrayList<>();
            for (Tla c : ((Tla.SetValue) st.get("cbs")).elems) {
                if (!c.get("obj").atom().equals("\"" + o.obj() + "\"")) {
                    cbs.add(c);
                }
            }
            st.put("cbs", Tla.set(cbs));
        }
        Map<String, String> obs = new LinkedHashMap<>();
        st.forEach((k, v) -> obs.put(k, v.toString()));
        List<String> params;
        if (o.proc() != null) {
            Proc p = current.get(cpu);
            params = List.of("\"" + o.proc() + "\"");
            obs.put("lock", Tla.str(o.lock()).toString());
            if (p != null && p.done) {
                obs.put("pc", "{\"done\"}");
                obs.put("rv", Tla.str(StorageWorld.rv(asSpec(p), p.thrown, p.steps)).toString());
            } else if (next != null) {
                List<Tla> pcs = new ArrayList<>();
                next.pcs().forEach(pc -> pcs.add(Tla.str(pc)));
                obs.put("pc", Tla.set(pcs).toString());
            }
        } else {
            params = List.of("\"" + o.obj() + "\"");
        }
        events.add(new TraceValidation.Event(o.action(), params, obs));
        log.add(String.format("%-6s %-28s", o.proc() != null ? o.proc() + "@" + "cpu" + cpu : "rcu", o.action())
                + " " + o.label());
    }

    private static StorageScenario.Proc asSpec(Proc p) {
        return new StorageScenario.Proc(p.id, p.kind, p.owner, p.map, p.selem, p.storage);
    }

    // ---------------------------------------------------------------- the recording

    /** Why the recording cannot be a behaviour of the spec's world, or null. */
    public String unusable() {
        token.lock();
        try {
            if (unusable != null) {
                return unusable;
            }
            java.util.Set<Integer> sizes = new java.util.TreeSet<>();
            java.util.Set<Integer> nbs = new java.util.TreeSet<>();
            for (LocalStorageMap m : maps.values()) {
                sizes.add(m.valueSize());
                nbs.add(m.nBuckets());
            }
            if (sizes.size() > 1) {
                return "maps of different value sizes " + sizes + ": the spec has one ElemSize";
            }
            if (nbs.size() > 1) {
                return "maps of different bucket counts " + nbs + ": the spec's BucketOf is one hash for every map";
            }
            for (Proc p : procs) {
                if (!p.done) {
                    return p.id + " (" + p.kind + " on cpu" + p.cpu + ") has not returned";
                }
            }
            return null;
        } finally {
            token.unlock();
        }
    }

    /** The Java twin's first memory-safety violation (the recording ends before its step), or null. */
    public String stoppedBy() {
        return violation;
    }

    /** The processes of the recording, one line each (for messages). */
    public List<String> processes() {
        List<String> out = new ArrayList<>();
        for (Proc p : procs) {
            out.add(asSpec(p) + " on cpu" + p.cpu + (p.thrown != null ? ", threw " + p.thrown.getClass().getSimpleName() : ""));
        }
        return out;
    }

    /** The Java side's violations the run's audit recorded, each "Property: what". */
    public List<String> violations() {
        List<String> out = new ArrayList<>();
        kernel.audit().violations().forEach(v -> out.add(v.property().specName() + ": " + v.what()));
        return out;
    }

    /**
     * The recording, with the constants of its world: cfg lines and the
     * definitions they name, to add to a base model of the same protocol
     * (ls_final_f2 or ls_v3_f1: their constants are replaced).
     */
    public Twin.Recorded recorded(String name) {
        token.lock();
        try {
            Kernel k = kernel;
            boolean v3 = k.protocol() == Protocol.V3;
            int nb = maps.isEmpty() ? 1 : maps.values().iterator().next().nBuckets();
            int elem = maps.isEmpty() ? 1 : maps.values().iterator().next().valueSize() + Selem.HEADER_SIZE;
            int failures = k.failures().failureCount();
            int resched = 0;
            for (Proc p : procs) {
                resched = Math.max(resched, p.resched);
            }
            Map<String, String> defs = new LinkedHashMap<>();
            defs.put("TV_Owners", set(owners.keySet()));
            defs.put("TV_Maps", set(maps.keySet()));
            defs.put("TV_Selems", set(new java.util.TreeSet<>(selems.keySet())));
            defs.put("TV_Storages", set(new java.util.TreeSet<>(storages.keySet())));
            defs.put("TV_SelemOwner", fn(selems, x -> x.owner().name()));
            defs.put("TV_SelemMap", fn(selems, x -> x.map().name()));
            defs.put("TV_StorageOwner", fn(storages, l -> l.allocatedFor().name()));
            defs.put("TV_InitLinked", "<<>>");
            defs.put("TV_InitStorage", "[o \\in TV_Owners |-> NULL]");
            defs.put("TV_NBuckets", Integer.toString(nb));
            StringBuilder hash = new StringBuilder("[k \\in TV_Selems \\cup TV_Storages |-> CASE ");
            List<String> cases = new ArrayList<>();
            for (String x : new java.util.TreeSet<>(selems.keySet())) {
                cases.add("k = \"" + x + "\" -> " + (LocalStorageMap.hashBucket(x, nb) + 1));
            }
            for (String l : new java.util.TreeSet<>(storages.keySet())) {
                cases.add("k = \"" + l + "\" -> " + (LocalStorageMap.hashBucket(l, nb) + 1));
            }
            cases.add("OTHER -> 1");
            hash.append(String.join(" [] ", cases)).append("]");
            defs.put("TV_BucketOf", cases.size() == 1 ? "[k \\in TV_Selems \\cup TV_Storages |-> 1]" : hash.toString());
            List<String> ps = new ArrayList<>();
            for (Proc p : procs) {
                ps.add("\"" + p.id + "\" :> [kind |-> \"" + p.kind + "\", owner |-> " + q(p.owner) + ", map |-> "
                        + q(p.map) + ", selem |-> " + q(p.selem) + ", storage |-> " + q(p.storage) + "]");
            }
            defs.put("TV_Procs", ps.isEmpty() ? "<<>>" : "(" + String.join(" @@ ", ps) + ")");
            List<String> extra = new ArrayList<>();
            extra.add("  Protocol = \"" + (v3 ? "v3" : "final") + "\"");
            extra.add("  MaxLockFailures = " + failures);
            extra.add("  MaxResched = " + resched);
            extra.add("  FailOnlyWhenContended = FALSE");
            extra.add("  PreemptRcu = " + (kernel.preemptRcu() ? "TRUE" : "FALSE"));
            extra.add("  RefcountTwoStep = " + (kernel.refcountTwoStep() ? "TRUE" : "FALSE"));
            extra.add("  ElemSize = " + elem);
            extra.add("  StorageSize = " + LocalStorage.SIZE);
            for (String c : List.of("Owners", "Maps", "Selems", "Storages", "SelemOwner", "SelemMap", "StorageOwner",
                    "InitLinked", "InitStorage", "NBuckets", "BucketOf", "Procs")) {
                extra.add("  " + c + " <- TV_" + c);
            }
            return new Twin.Recorded(name, List.copyOf(events), extra, defs, List.copyOf(log));
        } finally {
            token.unlock();
        }
    }

    /** The protocol of the recorded kernel. */
    public Protocol protocol() {
        return kernel.protocol();
    }

    /** The base model a recording of {@code protocol} is validated against (its constants are replaced). */
    public static String baseModel(Protocol protocol) {
        return protocol == Protocol.V3 ? "ls_v3_f1" : "ls_final_f2";
    }

    private static String q(String s) {
        return s == null ? "NULL" : "\"" + s + "\"";
    }

    private static String set(java.util.Collection<String> xs) {
        List<String> q = new ArrayList<>();
        xs.forEach(x -> q.add("\"" + x + "\""));
        return "{" + String.join(", ", q) + "}";
    }

    private static <T> String fn(Map<String, T> objs, java.util.function.Function<T, String> f) {
        if (objs.isEmpty()) {
            return "<<>>";
        }
        List<String> q = new ArrayList<>();
        for (String k : new java.util.TreeSet<>(objs.keySet())) {
            q.add("\"" + k + "\" :> \"" + f.apply(objs.get(k)) + "\"");
        }
        return "(" + String.join(" @@ ", q) + ")";
    }
}
