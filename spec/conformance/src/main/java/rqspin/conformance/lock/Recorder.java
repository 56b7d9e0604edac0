package rqspin.conformance.lock;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import rqspin.conformance.Twin;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.conformance.lock.LockScenario.Op;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.QSpinLock;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Step;
import rqspin.lock.StepGate;
import rqspin.lock.Version;
import rqspin.spec.TraceValidation;

/**
 * A {@link StepGate} for free-running threads (deterministic tests, samples
 * of other runs): each step runs under one global token, so the steps of
 * all CPUs form a linearization of the run, and the state after each one is
 * read exactly; the recorder keeps every step as an event for trace
 * validation, with that state, and the operations each context ran, which
 * become the scripts of the spec's closed world ({@link #recorded}).
 *
 * <p>Protocol: {@link #before} takes the token (fair, so a spinning CPU
 * lets the others in), {@link #took} and {@link #waiting} give it back.
 * Locks are known by their names, which must be the scenario's (A, B).
 * What the spec's world cannot hold (a SOFTIRQ, an interrupt entered twice
 * or doing nothing, another lock name, a context that goes on after a
 * failed attempt other than by releasing what it holds) makes the
 * recording unusable, with the reason ({@link #unusable}).
 *
 * <p>Fields are guarded by the token, except the machine, set once.
 */
public final class Recorder implements StepGate {
    private final ReentrantLock token = new ReentrantLock(true);
    private final List<String> lockNames;
    /** Java lock names recorded under a spec name (Lincheck's "L" as "A"). */
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private final List<Object> locks = new ArrayList<>();
    private volatile Machine machine;
    private final List<TraceValidation.Event> events = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    /** Per CPU and context: the operations so far, and the one under way. */
    private final Map<String, CtxRecord> contexts = new LinkedHashMap<>();
    private Version version;
    private Boolean resilient;
    private String unusable;
    /** Violations of HeldTableMatches seen at the start of an operation. */
    private final List<String> violations = new ArrayList<>();
    /** The state after the last step (null before the first). */
    private Snapshot last;
    private int nrHeld = 31;
    private int nrNodes = 4;

    private static final class CtxRecord {
        final List<Op> ops = new ArrayList<>();
        final List<String> held = new ArrayList<>();
        Op current;
        boolean failed;
        /** The lock of the failed attempt (the script must still release it to be well formed). */
        String failedLock;
        int interrupts;
        int lastEvent = -1;
        /** The length of the CPU's table when the context started (the spec's base). */
        int base;
    }

    /** A recorder for a world whose locks are named {@code lockNames} (A, B). */
    public Recorder(List<String> lockNames) {
        this.lockNames = List.copyOf(lockNames);
        for (int i = 0; i < lockNames.size(); i++) {
            locks.add(null);
        }
    }

    /** Records the Java lock named {@code javaName} as the spec's lock {@code specName}. */
    public Recorder alias(String javaName, String specName) {
        aliases.put(javaName, specName);
        return this;
    }

    /** The sizes the machine was built with, if not the kernel's (31 slots, 4 nodes). */
    public Recorder sizes(int heldSlots, int mcsNodes) {
        this.nrHeld = heldSlots;
        this.nrNodes = mcsNodes;
        return this;
    }

    @Override
    public void before(Cpu cpu) {
        token.lock();
    }

    @Override
    public void took(Cpu cpu, Step step, Object lock) {
        try {
            record(cpu, step, lock);
        } finally {
            if (token.isHeldByCurrentThread()) {
                token.unlock();
            }
        }
    }

    @Override
    public void waiting(Cpu cpu, Step until, Object lock, boolean timed, boolean mayExpire) {
        if (token.isHeldByCurrentThread()) {
            token.unlock();
        }
    }

    @Override
    public void returned(Cpu cpu, Object lock, int ret) {
        token.lock();
        try {
            Ctx x = Ctx.of(cpu.context());
            CtxRecord r = contexts.get(key(cpu.id(), x));
            if (r == null || r.current == null) {
                return;
            }
            if (r.lastEvent >= 0) {
                TraceValidation.Event e = events.get(r.lastEvent);
                Map<String, String> o = new LinkedHashMap<>(e.observed());
                o.put("ret", "\"" + Ghost.errno(ret) + "\"");
                events.set(r.lastEvent, new TraceValidation.Event(e.action(), e.params(), o));
            }
            if (ret == 0) {
                r.held.add(r.current.lockName());
            } else {
                r.failed = true;
                r.failedLock = r.current.lockName();
            }
            r.current = null;
        } finally {
            token.unlock();
        }
    }

    private static String key(int cpu, Ctx x) {
        return cpu + "/" + x;
    }

    private void record(Cpu cpu, Step step, Object lock) {
        if (machine == null) {
            machine = cpu.machine();
        }
        Ctx x = Ctx.of(cpu.context());
        if (x == null) {
            unusable("a step in " + cpu.context() + ", which the spec has no context for");
            return;
        }
        if (cpu.id() >= 3) {
            unusable("cpu" + cpu.id() + ": the spec's world has three CPUs");
            return;
        }
        CtxRecord r = contexts.computeIfAbsent(key(cpu.id(), x), k -> new CtxRecord());
        String name = null;
        if (step == Step.interrupt) {
            if (++r.interrupts > 1) {
                unusable("cpu" + cpu.id() + " enters " + x + " twice: each spec context runs its script once");
            }
        } else {
            name = nameOf(lock);
            if (name == null) {
                return;
            }
            boolean unlockStep = step == Step.res_spin_unlock_release || step == Step.res_spin_unlock_pop;
            if (r.current == null) {
                heldTableMatches(cpu.id(), x, r);
                r.current = new Op(!unlockStep, name);
                if (r.failed && (!unlockStep || r.held.isEmpty() || !r.held.get(r.held.size() - 1).equals(name))) {
                    unusable("cpu" + cpu.id() + " " + x + " goes on with " + r.current
                            + " after a failed attempt: the spec's context only releases what it holds, LIFO");
                }
                r.ops.add(r.current);
            }
            if (unlockStep && lastUnlockStep(lock, step)) {
                r.held.remove(name);
                r.current = null;
            }
        }
        Snapshot s = Snapshot.of(scenario(List.of()), machine, locks);
        if (step == Step.interrupt) {
            r.base = Integer.parseInt(s.held.get("c" + (cpu.id() + 1)).elems().get(0).atom());
        }
        last = s;
        r.lastEvent = events.size();
        events.add(new TraceValidation.Event(step.name(), List.of("c" + (cpu.id() + 1), x.tla()), s.observed()));
        log.add("c" + (cpu.id() + 1) + " " + x + " " + step + (name != null ? "(" + name + ")" : "") + "   " + s.words());
    }

    /**
     * The spec's HeldTableMatches at the start of an operation of context x:
     * the entries it pushed (above its base) are the locks it holds.
     */
    private void heldTableMatches(int cpu, Ctx x, CtxRecord r) {
        if (last == null || !Boolean.TRUE.equals(resilient)) {
            return;
        }
        List<Tla> slots = last.held.get("c" + (cpu + 1)).elems().get(1).elems();
        List<String> mine = new ArrayList<>();
        for (int i = r.base; i < slots.size(); i++) {
            mine.add(slots.get(i).atom());
        }
        if (!mine.equals(r.held)) {
            violations.add("HeldTableMatches: c" + (cpu + 1) + " " + x + " starts an operation holding " + r.held
                    + ", but its entries in the held-lock table are " + mine);
        }
    }

    /** The violations of HeldTableMatches seen at the start of each operation, in order. */
    public List<String> violations() {
        token.lock();
        try {
            return List.copyOf(violations);
        } finally {
            token.unlock();
        }
    }

    private boolean lastUnlockStep(Object lock, Step step) {
        if (lock instanceof RqSpinLock r) {
            return r.version().earlyEntry() ? step == Step.res_spin_unlock_pop
                    : step == Step.res_spin_unlock_release;
        }
        return true;
    }

    private String nameOf(Object lock) {
        int i = locks.indexOf(lock);
        if (i >= 0) {
            return lockNames.get(i);
        }
        String name = lock instanceof RqSpinLock r ? r.name() : ((QSpinLock) lock).name();
        name = aliases.getOrDefault(name, name);
        i = lockNames.indexOf(name);
        if (i < 0 || locks.get(i) != null) {
            unusable("lock " + name + ": the spec's world has the locks " + lockNames);
            return null;
        }
        locks.set(i, lock);
        Version v = lock instanceof RqSpinLock r ? r.version() : Version.V6_19;
        boolean res = lock instanceof RqSpinLock;
        if ((version != null && version != v) || (resilient != null && resilient != res)) {
            unusable("locks of two versions in one run");
        }
        version = v;
        resilient = res;
        return name;
    }

    private void unusable(String why) {
        if (unusable == null) {
            unusable = why;
        }
    }

    /** Why the recording cannot be checked against the spec, or null. */
    public String unusable() {
        token.lock();
        try {
            return unusable;
        } finally {
            token.unlock();
        }
    }

    /** The steps recorded so far, in kernel terms. */
    public List<String> log() {
        token.lock();
        try {
            return List.copyOf(log);
        } finally {
            token.unlock();
        }
    }

    /** The number of events recorded. */
    public int size() {
        token.lock();
        try {
            return events.size();
        } finally {
            token.unlock();
        }
    }

    /**
     * The scenario the recording ran in: the machine's CPUs, the locks, the
     * version of its locks, and as scripts the operations each context ran,
     * completed by the releases, LIFO, of what it held at the end (and of
     * the lock of a failed attempt, which the spec's script must release too
     * to be well formed; the spec never runs them).
     */
    LockScenario scenario(String name) {
        return scenario(List.of(name));
    }

    private LockScenario scenario(List<String> nameOrNone) {
        int n = machine == null ? 1 : Math.min(3, machine.nrCpus()); // the spec's world has c1..c3
        for (String k : contexts.keySet()) {
            n = Math.max(n, Math.min(3, Integer.parseInt(k.substring(0, k.indexOf('/'))) + 1));
        }
        List<String> cpus = new ArrayList<>();
        List<Map<Ctx, List<Op>>> scripts = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            cpus.add("c" + (c + 1));
            Map<Ctx, List<Op>> m = new LinkedHashMap<>();
            for (Ctx x : Ctx.values()) {
                CtxRecord r = contexts.get(key(c, x));
                List<Op> ops = new ArrayList<>();
                if (r != null) {
                    ops.addAll(r.ops);
                    List<String> open = new ArrayList<>(r.held);
                    if (r.failedLock != null) {
                        open.add(r.failedLock);
                    } else if (r.current != null && r.current.lock()) {
                        open.add(r.current.lockName());
                    }
                    for (int i = open.size() - 1; i >= 0; i--) {
                        ops.add(new Op(false, open.get(i)));
                    }
                }
                m.put(x, List.copyOf(ops));
            }
            scripts.add(m);
        }
        return new LockScenario(nameOrNone.isEmpty() ? "recording" : nameOrNone.get(0), cpus, lockNames,
                version == null ? Version.V6_19 : version, resilient == null || resilient,
                tasFallback(),
                nrHeld, nrNodes, scripts, List.of());
    }

    /** The machine's TAS fallback, as the spec names it (Machine says it only in its description). */
    private String tasFallback() {
        String m = machine == null ? "" : machine.toString();
        return m.contains(", TAS fallback") ? "virt" : m.contains(", TAS only") ? "native" : "none";
    }

    /**
     * The recording as a trace for {@link rqspin.conformance.Twin}'s checks:
     * its events, and the cfg lines and definitions that make the spec's world
     * the recording's (CPUs, locks, TAS fallback, sizes, and its scripts as
     * {@code TV_Scripts}).
     */
    public Twin.Recorded recorded(String name) {
        token.lock();
        try {
            LockScenario sc = scenario(name);
            List<String> extra = new ArrayList<>();
            extra.add("  CPUs = {" + String.join(", ", sc.cpus()) + "}");
            extra.add("  Locks = {" + String.join(", ", sc.locks()) + "}");
            extra.add("  TasFallback = \"" + sc.tas() + "\"");
            extra.add("  SetPending = \"" + (sc.x86SetPending() ? "x86" : "fetch_or") + "\"");
            extra.add("  AbbaScan = \"" + (sc.abbaStepwise() ? "stepwise" : "atomic") + "\"");
            extra.add("  NrHeld = " + sc.nrHeld());
            extra.add("  NrNodes = " + sc.nrNodes());
            extra.add("  Scripts <- TV_Scripts");
            return new Twin.Recorded(name, List.copyOf(events), extra, Map.of("TV_Scripts", sc.scriptsTla()),
                    List.copyOf(log));
        } finally {
            token.unlock();
        }
    }
}
