package rqspin.conformance.storage;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import rqspin.conformance.storage.StorageScenario.Proc;
import rqspin.kernel.Freeable;
import rqspin.kernel.Rcu;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.storage.Fix;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorage;
import rqspin.storage.LocalStorageMap;
import rqspin.storage.Owner;
import rqspin.storage.Protocol;
import rqspin.storage.Selem;
import rqspin.storage.StorageException;
import rqspin.storage.check.Leak;
import rqspin.storage.check.MemorySafetyError;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.StepGate;
import rqspin.storage.check.Violation;
import rqspin.spec.TraceValidation;

/**
 * One gated run of the Java local storage in the spec's closed world: a
 * kernel with the scenario's maps (one special field each) and owners, the
 * selems of InitLinked linked at start by updates on the controller's CPU
 * (with the spec's names and buckets), one CPU per process running its one
 * operation, parked at each gate step ({@link GatedCpus}), the RCU in
 * deferred mode (callbacks run when the controller says), lock failures
 * and need_resched decided by the controller.
 *
 * <p>The controller (the thread that made this object) calls {@link #step}
 * and {@link #callback}; after each, the run has the values of the spec's
 * variables the Java twin can report ({@link #observe}), the event for
 * trace validation ({@link #events()}), a log line in kernel terms, and the
 * Java side's checks of the spec's properties ({@link #violations()}: the
 * twin's audit, plus P2_LSFreeOnlyUnpublished, P8 and the leak and liveness
 * properties, judged on the Java state). Close it to end the CPU threads.
 * Not thread-safe: one controller.
 */
final class StorageWorld implements AutoCloseable {

    /** The Java twin to run: a seeded mutant (Mutation), and fixes beyond the model's. */
    record Variant(Mutation mutation, List<Fix> fixes) {
        static final Variant REAL = new Variant(Mutation.NONE, List.of());

        @Override
        public String toString() {
            return (mutation == Mutation.NONE ? "the Java twin" : "mutant " + mutation) + (fixes.isEmpty() ? "" : " + " + fixes);
        }
    }

    /** What the controller decides for a step: whether its lock attempt fails, what need_resched says. */
    record Plan(boolean fail, boolean resched) {
        static final Plan PLAIN = new Plan(false, false);
    }

    /** What a command did. */
    record Outcome(String proc, Step took, Step next, boolean done, Throwable thrown, String error) {}

    /** The value size of every map: elem_size = Selem.HEADER_SIZE + 8. */
    static final int VALUE_SIZE = 8;

    final StorageScenario sc;
    final Variant variant;
    final Machine machine;
    final Kernel kernel;
    final GatedCpus cpus;
    private final Cpu controller;
    final Map<String, LocalStorageMap> maps = new LinkedHashMap<>();
    final Map<String, Owner> owners = new LinkedHashMap<>();
    final Map<String, Selem> selems = new HashMap<>();
    final Map<String, LocalStorage> storages = new HashMap<>();
    private final int javaElem;
    private boolean setup = true;
    private String setupSelem;
    private final boolean[] failNext;
    private final boolean[] reschedNext;
    private final int[] resched;
    private final int[] steps;
    /** Per process, the selems of its (owner, map) on both lists when it started (P8). */
    private final Map<String, Set<String>> linkedAtStart = new HashMap<>();
    private final List<TraceValidation.Event> events = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private int auditSeen;
    private Map<String, Tla> state;
    private final Observer observer;

    StorageWorld(StorageScenario sc, Variant variant) {
        this(sc, variant, 20_000);
    }

    StorageWorld(StorageScenario sc, Variant variant, long patienceMillis) {
        this.sc = sc;
        this.variant = variant;
        int n = sc.nrProcs();
        this.failNext = new boolean[n];
        this.reschedNext = new boolean[n];
        this.resched = new int[n];
        this.steps = new int[n];
        this.machine = Machine.builder(n + 1).timeoutNanos(50_000_000L).build();
        Kernel.Builder kb = Kernel.builder(machine).protocol(sc.protocol()).mutation(variant.mutation())
                .names(new Names()).needResched((cpu, x) -> answerResched(cpu)).preemptRcu(sc.preemptRcu())
                .refcountTwoStep(sc.refcountTwoStep())
                .bucketHash((map, key, nb) -> sc.bucketOf().getOrDefault(key.name(), 1) - 1);
        for (Fix f : sc.fixes()) {
            kb.fix(f);
        }
        for (Fix f : variant.fixes()) {
            kb.fix(f);
        }
        this.kernel = kb.build();
        kernel.failures().failWhen(a -> a.cpu() < n && consumeFail(a.cpu()), Errno.ETIMEDOUT);
        for (String m : sc.maps()) {
            maps.put(m, kernel.newMap(m, VALUE_SIZE, sc.nBuckets(), 1, false));
        }
        for (String o : sc.owners()) {
            owners.put(o, kernel.newOwner(o));
        }
        this.javaElem = maps.values().iterator().next().elemSize();
        this.observer = new Observer(kernel, maps, owners, selems, storages, sc.selems(), sc.storages(), n,
                this::procOfCpu, this::holder, this::charge);
        this.controller = machine.attach(n);
        try {
            for (String x : sc.initLinked()) {
                setupSelem = x;
                maps.get(sc.selemMap().get(x)).update(controller, owners.get(sc.selemOwner().get(x)),
                        new byte[VALUE_SIZE], LocalStorageMap.BPF_ANY);
            }
        } catch (StorageException e) {
            throw new IllegalStateException("the initial state could not be built: " + e, e);
        }
        setup = false;
        kernel.rcu().setDeferred(true);
        this.cpus = new GatedCpus(n, n, patienceMillis);
        kernel.setStepGate(cpus);
        GatedCpus.Op[] ops = new GatedCpus.Op[n];
        for (int i = 0; i < n; i++) {
            Proc p = sc.proc(i);
            ops[i] = cpu -> run(cpu, p);
        }
        cpus.start(machine, ops);
        this.state = observe(null);
    }

    /** The names of what the Java twin allocates: the spec's. */
    private final class Names implements Kernel.Names {
        @Override
        public String selem(Cpu cpu, Owner owner, LocalStorageMap map) {
            if (setup) {
                return setupSelem;
            }
            return cpu == null || cpu.id() >= sc.nrProcs() ? null : sc.proc(cpu.id()).selem();
        }

        @Override
        public String storage(Cpu cpu, Owner owner) {
            if (setup) {
                return sc.initStorage().get(owner.name());
            }
            return cpu == null || cpu.id() >= sc.nrProcs() ? null : sc.proc(cpu.id()).storage();
        }

        @Override
        public void allocated(Freeable o) {
            if (o instanceof Selem x) {
                selems.put(x.name(), x);
            } else if (o instanceof LocalStorage l) {
                storages.put(l.name(), l);
            }
        }
    }

    private synchronized boolean consumeFail(int cpu) {
        boolean f = failNext[cpu];
        failNext[cpu] = false;
        return f;
    }

    private synchronized boolean answerResched(Cpu cpu) {
        if (cpu.id() >= reschedNext.length) {
            return false;
        }
        boolean r = reschedNext[cpu.id()];
        reschedNext[cpu.id()] = false;
        return r;
    }

    /** What process {@code p} runs on its CPU. */
    private void run(Cpu cpu, Proc p) throws Exception {
        byte[] v = new byte[VALUE_SIZE];
        switch (p.kind()) {
            case "map_free" -> maps.get(p.map()).mapFree(cpu);
            case "destroy" -> owners.get(p.owner()).destroy(cpu);
            case "update" -> maps.get(p.map()).update(cpu, owners.get(p.owner()), v, LocalStorageMap.BPF_ANY);
            case "delete" -> maps.get(p.map()).delete(cpu, owners.get(p.owner()));
            case "lookup" -> maps.get(p.map()).lookup(cpu, owners.get(p.owner()));
            case "sleepable_lookup" -> maps.get(p.map()).lookupSleepable(cpu, owners.get(p.owner()));
            default -> throw new IllegalArgumentException("process " + p.id() + " of unknown kind " + p.kind());
        }
    }

    // ---------------------------------------------------------------- where the CPUs are

    /** The gate process CPU {@code cpu} is parked at, or null when its operation is over. */
    Step at(int cpu) {
        GatedCpus.Slot s = cpus.slot(cpu);
        return s.done ? null : s.step;
    }

    boolean done(int cpu) {
        return cpus.slot(cpu).done;
    }

    /** The lock the gate step of {@code cpu} attempts first, or null. */
    RqSpinLock lockOf(int cpu) {
        StepGate.Guard g = cpus.slot(cpu).guard;
        return g == null ? null : g.lock;
    }

    /** The spec's name of a lock of the run (BName, LName: "b->lock m1[1]", "local_storage->lock ls1"), or "none". */
    String lockName(RqSpinLock l) {
        return observer.lockName(l);
    }

    /** Whether the lock of {@code cpu}'s gate step is held (by another CPU): the attempt can only fail. */
    boolean lockBusy(int cpu) {
        RqSpinLock l = lockOf(cpu);
        return l != null && l.isLocked();
    }

    /**
     * Whether the spec's step at {@code cpu}'s gate is enabled by its
     * condition (a lock attempt: the lock is free; or the step's enabling
     * condition). A lock attempt that is to fail needs no free lock.
     */
    boolean enabled(int cpu) {
        GatedCpus.Slot s = cpus.slot(cpu);
        if (s.done) {
            return false;
        }
        StepGate.Guard g = s.guard;
        if (g == null) {
            return true;
        }
        if (g.lock != null && g.lock.isLocked()) {
            return false;
        }
        return g.enabled == null || g.enabled.getAsBoolean();
    }

    /** Whether the Java twin would stop waiting at {@code cpu}'s gate although the spec's condition is false. */
    boolean escapes(int cpu) {
        GatedCpus.Slot s = cpus.slot(cpu);
        return !s.done && s.guard != null && s.guard.escape != null && s.guard.escape.getAsBoolean();
    }

    /** What {@code cpu}'s gate waits for, in kernel terms (for messages). */
    String waitsFor(int cpu) {
        GatedCpus.Slot s = cpus.slot(cpu);
        if (s.done) {
            return "nothing (done)";
        }
        StepGate.Guard g = s.guard;
        if (g == null) {
            return "nothing";
        }
        if (g.lock != null && g.lock.isLocked()) {
            int h = cpus.holder(g.lock);
            return g.lock.name() + " (held by " + (h >= 0 ? sc.procIds().get(h) : "?") + ")";
        }
        return switch (s.step) {
            case MAP_FREE_START -> "the operations on its map to end";
            case DESTROY_START -> "the operations on its owner to end";
            case MAP_FREE_RCU_READ_LOCK, MAP_FREE_RCU_BARRIER -> "a grace period (synchronize_rcu)";
            case MAP_FREE_FREE -> "the callbacks queued before rcu_barrier";
            case DESTROY_WAIT_OWNER_REFCNT -> "owner_refcnt to read 0 (it reads "
                    + refcnt(storageOf(s.subject)) + ")";
            default -> "its map and owner to be in use (no teardown started)";
        };
    }

    private static LocalStorage storageOf(Object subject) {
        return subject instanceof LocalStorage l ? l : null;
    }

    private int refcnt(LocalStorage l) {
        return observer.refcnt(l);
    }

    /** The pending RCU callbacks, in the order they were queued. */
    List<Rcu.Pending> callbacks() {
        return kernel.rcu().pendingForAudit();
    }

    /** Whether a pending callback only reclaims memory (an LS, or an selem whose smap is NULL): the spec runs it at once. */
    static boolean reclaimOnly(Rcu.Pending c) {
        return c.subject() instanceof LocalStorage || ((Selem) c.subject()).smapForAudit() == null;
    }

    // ---------------------------------------------------------------- the controller's commands

    /** Lets the process of {@code cpu} take the step at its gate, as {@code plan} says. */
    Outcome step(int cpu, Plan plan) {
        Proc p = sc.proc(cpu);
        GatedCpus.Slot s = cpus.slot(cpu);
        if (s.done) {
            return new Outcome(p.id(), null, null, true, s.thrown, p.id() + " has nothing left to run");
        }
        Step took = s.step;
        Object subject = s.subject;
        String lock = lockName(lockOf(cpu));
        if (steps[cpu] == 0) {
            linkedAtStart.put(p.id(), linkedBoth(p.owner(), p.map()));
        }
        int failuresBefore = kernel.failures().failureCount();
        synchronized (this) {
            failNext[cpu] = plan.fail();
            reschedNext[cpu] = plan.resched();
        }
        Map<String, Tla> before = state;
        int violationsBefore = violations.size();
        try {
            cpus.go(cpu);
        } catch (IllegalStateException e) {
            return new Outcome(p.id(), took, null, false, null, "the Java twin broke: " + e.getMessage());
        }
        steps[cpu]++;
        String error = null;
        synchronized (this) {
            if (failNext[cpu]) {
                error = "the plan was a failed lock attempt, but " + p.id() + "'s " + took.action()
                        + " made no lock attempt";
                failNext[cpu] = false;
            }
            if (plan.resched() && reschedNext[cpu]) {
                error = "the plan was need_resched, but " + p.id() + "'s " + took.action() + " did not ask";
                reschedNext[cpu] = false;
            }
        }
        if (error == null && kernel.failures().failureCount() != failuresBefore + (plan.fail() ? 1 : 0)) {
            error = "a lock attempt failed that the plan did not fail: "
                    + kernel.failures().failures().get(kernel.failures().failureCount() - 1);
        }
        if (s.done) {
            if (s.thrown instanceof MemorySafetyError mse) {
                violations.add(mse.violation().property().specName() + ": " + mse.violation().what());
            } else if (s.thrown != null && !(s.thrown instanceof StorageException)) {
                error = "the Java twin threw " + s.thrown;
            }
            checkAllOrNothing(p, s.thrown);
        }
        state = observe(p.id());
        collectAudit();
        checkPublished();
        Map<String, String> obs = new LinkedHashMap<>();
        state.forEach((k, v) -> obs.put(k, v.toString()));
        obs.put("lock", Tla.str(lock).toString());
        events.add(new TraceValidation.Event(took.action(), List.of("\"" + p.id() + "\""), obs));
        String eff = Effects.of(before, state);
        String fail = plan.fail() ? "lock attempt fails (-ETIMEDOUT); " : "";
        String what = String.format("%-5s %-26s", p.id(), took.action() + "(" + name(subject) + ")")
                + (lock.equals("none") ? "" : " " + lock + ":");
        log.add(what + " " + fail + (eff.isEmpty() ? "no change" : eff)
                + (s.done ? "  [returns" + (s.thrown != null ? ": " + s.thrown.getClass().getSimpleName() : "") + "]" : ""));
        notes.add(took.label() + (subject != null ? " " + name(subject) : "") + ": " + fail
                + (eff.isEmpty() ? "no change" : eff) + mark(violationsBefore));
        return new Outcome(p.id(), took, s.done ? null : s.step, s.done, s.thrown, error);
    }

    /** Runs the pending callback that frees {@code obj} (it must have ended its grace period). */
    Outcome callback(String obj) {
        Rcu.Pending c = null;
        for (Rcu.Pending x : callbacks()) {
            if (name(x.subject()).equals(obj)) {
                c = x;
                break;
            }
        }
        if (c == null) {
            return new Outcome(null, Step.RCU_CALLBACK, null, false, null, "no callback of " + obj + " is pending");
        }
        if (!c.ended()) {
            return new Outcome(null, Step.RCU_CALLBACK, null, false, null, "the callback of " + obj
                    + " still waits for " + procsOf(c.waitsFor()) + " to leave their read-side sections");
        }
        Map<String, Tla> before = state;
        int violationsBefore = violations.size();
        Throwable thrown = null;
        try {
            kernel.rcu().invoke(c.subject(), controller);
        } catch (MemorySafetyError e) {
            thrown = e;
            violations.add(e.violation().property().specName() + ": " + e.violation().what());
        }
        state = observe(null);
        collectAudit();
        checkPublished();
        Map<String, String> obs = new LinkedHashMap<>();
        state.forEach((k, v) -> obs.put(k, v.toString()));
        events.add(new TraceValidation.Event("RcuCallback", List.of("\"" + obj + "\""), obs));
        String eff = Effects.of(before, state);
        log.add(String.format("%-5s %-26s", "rcu", "RcuCallback(" + obj + ")") + " "
                + (eff.isEmpty() ? "no change" : eff));
        notes.add(c.flavor().kernelName() + " callback of " + obj + ": " + (eff.isEmpty() ? "no change" : eff)
                + mark(violationsBefore));
        return new Outcome(null, Step.RCU_CALLBACK, null, false, thrown, null);
    }

    /** "  <-- the first violation the last command added", or "". */
    private String mark(int before) {
        if (violations.size() <= before) {
            return "";
        }
        String v = violations.get(before);
        int colon = v.indexOf(':');
        return "  <-- " + v.substring(0, colon) + ":" + v.substring(colon + 1).replaceFirst(", freed by .*", "");
    }

    /** Forces {@code cpu} past its gate although its condition is false (the Java twin's escape from an endless wait). */
    Outcome force(int cpu) {
        Proc p = sc.proc(cpu);
        GatedCpus.Slot s = cpus.slot(cpu);
        Step took = s.step;
        try {
            cpus.go(cpu);
        } catch (IllegalStateException e) {
            return new Outcome(p.id(), took, null, false, null, "the Java twin broke: " + e.getMessage());
        }
        collectAudit();
        return new Outcome(p.id(), took, s.done ? null : s.step, s.done, s.thrown, null);
    }

    int resched(int cpu) {
        return resched[cpu];
    }

    void countResched(int cpu) {
        resched[cpu]++;
    }

    int steps(int cpu) {
        return steps[cpu];
    }

    // ---------------------------------------------------------------- the spec's variables, as the Java twin reports them

    String name(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Freeable f) {
            return f.name();
        }
        return o.toString();
    }

    /** A charge in the spec's units: Java bytes a*elem_size + b*sizeof(LS) as a*ElemSize + b*StorageSize. */
    int charge(int bytes) {
        for (int b = 0; b <= 4; b++) {
            for (int sign : new int[] {1, -1}) {
                int rest = bytes - sign * b * LocalStorage.SIZE;
                if (rest % javaElem == 0) {
                    return rest / javaElem * sc.elemSize() + sign * b * sc.storageSize();
                }
            }
        }
        throw new IllegalStateException("a charge of " + bytes + " bytes is no small sum of " + javaElem + " and "
                + LocalStorage.SIZE);
    }

    private int holder(RqSpinLock l) {
        return cpus == null ? -1 : cpus.holder(l);
    }

    private String procOfCpu(int cpu) {
        return cpu >= 0 && cpu < sc.nrProcs() ? sc.procIds().get(cpu) : "cpu" + cpu;
    }

    private Tla procsOf(Set<Integer> cpuIds) {
        List<Tla> out = new ArrayList<>();
        for (int c : cpuIds) {
            out.add(Tla.str(procOfCpu(c)));
        }
        return Tla.set(out);
    }

    /**
     * The spec's variables as the Java twin has them now ({@code acting}: the
     * process that just took a step, whose pc and return value are observed).
     */
    Map<String, Tla> observe(String acting) {
        Map<String, Tla> o = observer.observe();
        if (acting != null) {
            int cpu = sc.cpuOf(acting);
            GatedCpus.Slot s = cpus.slot(cpu);
            List<Tla> pcs = new ArrayList<>();
            if (s.done) {
                pcs.add(Tla.str("done"));
            } else {
                s.step.pcs().forEach(pc -> pcs.add(Tla.str(pc)));
            }
            o.put("pc", Tla.set(pcs));
            if (s.done) {
                o.put("rv", Tla.str(rv(sc.proc(cpu), s.thrown, steps[cpu])));
            }
        }
        return o;
    }

    /** The spec's rv of an operation that ended after {@code steps} steps, throwing {@code thrown} (or not). */
    static String rv(Proc p, Throwable thrown, int steps) {
        if (!p.kind().equals("update") && !p.kind().equals("delete")) {
            return "none";
        }
        if (steps <= 1 && p.kind().equals("delete")) {
            return "none"; // bpf_sk_storage_del's early returns: P8 does not judge them
        }
        if (thrown == null) {
            return "ok";
        }
        if (thrown instanceof StorageException e) {
            return switch (e.err()) {
                case EAGAIN -> "eagain";
                case EDEADLK, ETIMEDOUT -> "err";
                default -> "none";
            };
        }
        return "none";
    }

    /** The state after the last command. */
    Map<String, Tla> state() {
        return state;
    }

    // ---------------------------------------------------------------- the Java side's checks

    private void collectAudit() {
        List<Violation> vs = kernel.audit().violations();
        for (int k = auditSeen; k < vs.size(); k++) {
            Violation v = vs.get(k);
            String prop = v.property().specName();
            if (v.property() == Violation.Property.P2_FREE_ONLY_UNLINKED && v.what().contains(" is reclaimed")) {
                prop = "P2_NoReclaimedOnLiveList";
            }
            String msg = prop + ": " + v.what();
            if (!violations.contains(msg)) {
                violations.add(msg);
            }
        }
        auditSeen = vs.size();
    }

    /** P2_LSFreeOnlyUnpublished: the LS an alive owner points to is not freed. */
    private void checkPublished() {
        for (Owner w : owners.values()) {
            LocalStorage l = w.storageForAudit();
            if (!w.isDestroyed() && !w.isFreed() && l != null && l.isFreeQueued()) {
                String msg = "P2_LSFreeOnlyUnpublished: " + l.name() + " was freed (" + l.freedBy() + ") while its alive owner "
                        + w.name() + " still points to it";
                if (!violations.contains(msg)) {
                    violations.add(msg);
                }
            }
        }
    }

    private Set<String> linkedBoth(String owner, String map) {
        Set<String> out = new LinkedHashSet<>();
        if (owner == null || map == null) {
            return out;
        }
        for (Selem x : selems.values()) {
            if (x.owner().name().equals(owner) && x.map().name().equals(map) && x.linkedToMapForAudit()
                    && x.linkedToStorageForAudit()) {
                out.add(x.name());
            }
        }
        return out;
    }

    private boolean unlinkedBoth(Selem x) {
        LocalStorage l = x.storageListForAudit();
        return !x.linkedToMapForAudit() && (l == null || l.isFreeQueued());
    }

    private boolean linkedBoth(Selem x) {
        return x.linkedToMapForAudit() && x.linkedToStorageForAudit();
    }

    /** P8 on the Java state an update or a delete left when it returned. */
    private void checkAllOrNothing(Proc p, Throwable thrown) {
        String rv = rv(p, thrown, steps[sc.cpuOf(p.id())]);
        Set<String> before = linkedAtStart.getOrDefault(p.id(), Set.of());
        String bad = null;
        if (p.kind().equals("update")) {
            Selem x = selems.get(p.selem());
            if (rv.equals("ok")) {
                if (x == null || !linkedBoth(x)) {
                    bad = "update returned 0, but " + p.selem() + " is not on both lists";
                }
                for (String y : before) {
                    if (!unlinkedBoth(selems.get(y))) {
                        bad = "update returned 0, but the old " + y + " is still linked";
                    }
                }
            } else if (!rv.equals("none")) {
                if (x != null && !unlinkedBoth(x)) {
                    bad = "update returned " + rv + ", but " + p.selem() + " is linked";
                }
                for (String y : before) {
                    if (!linkedBoth(selems.get(y))) {
                        bad = "update returned " + rv + ", but the old " + y + " is not on both lists any more";
                    }
                }
            }
        } else if (p.kind().equals("delete")) {
            for (String y : before) {
                Selem x = selems.get(y);
                if (rv.equals("ok") && !unlinkedBoth(x)) {
                    bad = "delete returned 0, but " + y + " is still linked";
                } else if (rv.equals("err") && !linkedBoth(x)) {
                    bad = "delete failed, but " + y + " is not on both lists any more";
                }
            }
        }
        if (bad != null) {
            violations.add("P8_AllOrNothing: " + bad);
        }
    }

    /** Whether nothing runs and no callback is pending (the spec's Quiescent). */
    boolean quiescent() {
        for (int c = 0; c < sc.nrProcs(); c++) {
            if (!cpus.slot(c).done && cpus.slot(c).started && steps[c] > 0) {
                return false;
            }
        }
        return callbacks().isEmpty();
    }

    /**
     * The leak properties on the Java state (P6, P7): the twin's audit's
     * leaks (those it finds when they happen, and, when nothing runs, the
     * objects nothing live can reach), and the charges of alive owners that
     * do not add up; a selem on the list of its alive owner's published LS
     * lingers (destroy will still free it) and is not lost.
     *
     * @param liveness also judge P6 (the end of a liveness trace: nothing will change any more)
     */
    List<String> leakViolations(boolean liveness) {
        List<String> leaked = new ArrayList<>();
        List<String> lost = new ArrayList<>();
        List<String> unwarned = new ArrayList<>();
        List<String> unreported = new ArrayList<>();
        boolean q = quiescent();
        List<Leak> leaks = q ? kernel.audit().report().leakList() : finalLeaks();
        for (Leak l : leaks) {
            String what = l.kind() + " " + l.object() + " (" + l.detail() + ")";
            leaked.add(what);
            if (!(l.kind() == Leak.Kind.SELEM
                    && (lingering(selems.get(l.object())) || awaitsMapFree(selems.get(l.object()))))) {
                lost.add(what);
                if (!covered(l.kind(), l.object(), false)) {
                    unwarned.add(what);
                }
                if (!covered(l.kind(), l.object(), true)) {
                    unreported.add(what);
                }
            }
        }
        if (q) {
            for (Owner w : owners.values()) {
                if (w.isFreed() || w.isDestroyed()) {
                    continue;
                }
                int expected = w.storageForAudit() != null ? LocalStorage.SIZE : 0;
                for (Selem x : selems.values()) {
                    if (x.owner() == w && !x.isFreeQueued() && x.linkedToStorageForAudit()) {
                        expected += javaElem;
                    }
                }
                if (w.charged() != expected) {
                    String what = "charge of owner " + w.name() + " (" + w.charged() + " bytes, expected " + expected + ")";
                    leaked.add(what);
                    lost.add(what);
                    if (!covered(Leak.Kind.CHARGE, w.name(), false)) {
                        unwarned.add(what);
                    }
                    if (!covered(Leak.Kind.CHARGE, w.name(), true)) {
                        unreported.add(what);
                    }
                }
            }
        }
        List<String> out = new ArrayList<>();
        boolean failed = kernel.failures().failureCount() > 0;
        if (!leaked.isEmpty() && !failed) {
            out.add("P7_LeakOnlyAfterLockFailure: leaked without a lock failure: " + String.join(", ", leaked));
            if (liveness) {
                out.add("P6_NoLeakWithoutFailure: never freed, with every lock taken: " + String.join(", ", leaked));
            }
        }
        if (!unwarned.isEmpty()) {
            out.add("P7_LeakWarned: lost for good and no WARN fired for it: " + String.join(", ", unwarned));
        }
        if (!unreported.isEmpty()) {
            out.add("P7_LeakReported: lost for good and no WARN printed for it: " + String.join(", ", unreported));
        }
        return out;
    }

    /**
     * The spec's Covered: special fields of x by map_free's WARN for x; any
     * other leak by a WARN that fired (printed) for an selem or the local
     * storage of the same owner.
     */
    private boolean covered(Leak.Kind kind, String object, boolean printedOnly) {
        String owner = switch (kind) {
            case SELEM, SPECIAL_FIELDS -> sc.selemOwner().get(object);
            case LOCAL_STORAGE -> sc.storageOwner().get(object);
            case CHARGE -> object;
        };
        for (var f : kernel.audit().warnFirings()) {
            if (printedOnly && !f.printed()) {
                continue;
            }
            if (kind == Leak.Kind.SPECIAL_FIELDS) {
                if (f.about().equals(object) && f.text().equals(Kernel.WARN_MAP_FREE)) {
                    return true;
                }
            } else if (owner != null && (owner.equals(sc.selemOwner().get(f.about()))
                    || owner.equals(sc.storageOwner().get(f.about())))) {
                return true;
            }
        }
        return false;
    }

    private List<Leak> finalLeaks() {
        List<Leak> out = new ArrayList<>();
        for (Leak l : kernel.audit().report().leakList()) {
            if (l.kind() == Leak.Kind.SPECIAL_FIELDS || l.kind() == Leak.Kind.CHARGE) {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * The spec's AwaitsMapFree: live and still on a bucket of a map that is
     * not freed; that map's map_free will unlink and free it.
     */
    private static boolean awaitsMapFree(Selem x) {
        return x != null && !x.isFreeQueued() && x.linkedToMapForAudit() && !x.map().isFreed();
    }

    /** The spec's Lingering: live, its owner alive, on the list of the LS its owner publishes, which is live. */
    private static boolean lingering(Selem x) {
        if (x == null || x.isFreeQueued() || x.owner().isDestroyed()) {
            return false;
        }
        LocalStorage l = x.storageListForAudit();
        return l != null && l == x.owner().storageForAudit() && !l.isFreeQueued();
    }

    /** The Java side's violations so far, each "Property: what", in the order seen. */
    List<String> violations() {
        return List.copyOf(violations);
    }

    List<TraceValidation.Event> events() {
        return List.copyOf(events);
    }

    List<String> log() {
        return List.copyOf(log);
    }

    /** Per step taken: what it did, in kernel terms (a reproducer's comments). */
    List<String> notes() {
        return List.copyOf(notes);
    }

    @Override
    public void close() {
        cpus.abandon();
        try {
            controller.detach();
        } catch (RuntimeException e) {
            // a controller CPU inside a callback that threw: nothing to undo
        }
    }

    /** The changes between two observations, in kernel terms: "x1.smap m1 -> null, ...". */
    static final class Effects {
        private Effects() {}

        static String of(Map<String, Tla> before, Map<String, Tla> after) {
            List<String> out = new ArrayList<>();
            for (String var : List.of("sel", "lsv", "own", "bkt", "smapSt")) {
                Map<String, Tla> b = before.get(var).asMap();
                Map<String, Tla> a = after.get(var).asMap();
                for (String k : a.keySet()) {
                    Tla x = b.get(k);
                    Tla y = a.get(k);
                    if (y.equals(x)) {
                        continue;
                    }
                    if (var.equals("smapSt")) {
                        out.add(k + " " + x + " -> " + y);
                        continue;
                    }
                    if (var.equals("bkt")) {
                        List<Tla> xs = x.elems();
                        List<Tla> ys = y.elems();
                        for (int i = 0; i < ys.size(); i++) {
                            fields(k + "[" + (i + 1) + "]", xs.get(i), ys.get(i), out);
                        }
                        continue;
                    }
                    fields(k, x, y, out);
                }
            }
            for (String var : List.of("readers", "traceReaders", "warns", "nfails")) {
                if (!after.get(var).equals(before.get(var))) {
                    out.add(var + " " + before.get(var) + " -> " + after.get(var));
                }
            }
            Map<String, Tla> cb = callbacksByObj(before.get("cbs"));
            Map<String, Tla> ca = callbacksByObj(after.get("cbs"));
            for (Map.Entry<String, Tla> c : ca.entrySet()) {
                Tla was = cb.get(c.getKey());
                if (was == null) {
                    out.add("callback of " + c.getKey() + " queued, waits for " + c.getValue().get("wait"));
                } else if (!was.equals(c.getValue())) {
                    out.add("callback of " + c.getKey() + " waits for " + c.getValue().get("wait"));
                }
            }
            for (String c : cb.keySet()) {
                if (!ca.containsKey(c)) {
                    out.add("callback of " + c + " ran");
                }
            }
            return String.join(", ", out).replace("\"", "");
        }

        private static Map<String, Tla> callbacksByObj(Tla cbs) {
            Map<String, Tla> out = new TreeMap<>();
            for (Tla c : ((Tla.SetValue) cbs).elems) {
                out.put(c.get("obj").atom(), c);
            }
            return out;
        }

        private static void fields(String prefix, Tla x, Tla y, List<String> out) {
            Map<String, Tla> xm = new TreeMap<>(x.asMap());
            Map<String, Tla> ym = y.asMap();
            for (Map.Entry<String, Tla> f : ym.entrySet()) {
                Tla old = xm.get(f.getKey());
                if (!f.getValue().equals(old)) {
                    out.add(prefix + "." + f.getKey() + " " + old + " -> " + f.getValue());
                }
            }
        }
    }
}
