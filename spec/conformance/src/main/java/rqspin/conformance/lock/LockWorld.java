package rqspin.conformance.lock;

import rqspin.spec.Tla;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rqspin.conformance.lock.GatedScheduler.Kind;
import rqspin.conformance.lock.GatedScheduler.Outcome;
import rqspin.conformance.lock.GatedScheduler.Time;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.conformance.lock.LockScenario.Op;
import rqspin.lock.Cpu;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.QSpinLock;
import rqspin.lock.RqSpinLock;
import rqspin.lock.SpinHint;
import rqspin.lock.Step;
import rqspin.spec.TraceValidation;

/**
 * One gated run of the Java twin in the spec's closed world: a machine of
 * the scenario's CPUs and sizes, its locks, one thread per CPU running the
 * scripts of its task (and of its IRQ and NMI, when the controller sends
 * them), the {@link GatedScheduler} that lets them move one step at a time,
 * and the {@link Ghost} that checks the spec's properties on the way.
 *
 * <p>The controller (the thread that made this object) calls {@link #step}
 * and {@link #interrupt}; each returns what the CPU did, and after a step
 * the run has the state it reached ({@link #state()}), the event for trace
 * validation ({@link #events()}) and a log line. Close it to end the CPU
 * threads. Not thread-safe: one controller.
 */
final class LockWorld implements AutoCloseable {

    /** Makes the locks of a run (the real ones, or a seeded mutant's). */
    @FunctionalInterface
    interface LockFactory {
        Object create(Machine machine, String name, LockScenario sc);
    }

    /** The real locks: RqSpinLock of the scenario's version, or QSpinLock when not resilient. */
    static final LockFactory REAL = (m, name, sc) -> sc.resilient()
            ? new RqSpinLock(m, sc.version(), name) : new QSpinLock(m, name);

    /** T of the runs: a deadline only passes when the scheduler says so. */
    static final long T = 250_000_000L;
    static final long INTERVAL = 1_000_000L;

    final LockScenario sc;
    private final GatedScheduler sched;
    private final Machine machine;
    private final List<Object> locks = new ArrayList<>();
    private final Ghost ghost;
    private Snapshot state;
    private final List<TraceValidation.Event> events = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    /** Per step taken: its lock and what it changed, for a reproducer's comments. */
    private final List<String> notes = new ArrayList<>();

    LockWorld(LockScenario sc, LockFactory factory) {
        this(sc, factory, 20_000);
    }

    LockWorld(LockScenario sc, LockFactory factory, long patienceMillis) {
        this.sc = sc;
        this.ghost = new Ghost(sc);
        GateClock clock = new GateClock(sc.nrCpus());
        this.sched = new GatedScheduler(sc.nrCpus(), clock, INTERVAL + 1, 4 * T + 1, patienceMillis,
                (cpu, step) -> ghost.stepped(cpu.id(), Ctx.of(cpu.context())));
        this.machine = Machine.builder(sc.nrCpus()).clock(clock).timeoutNanos(T)
                .deadlockCheckIntervalNanos(INTERVAL).checkPeriod(1).spinHint(SpinHint.NONE)
                .heldLockSlots(sc.nrHeld()).mcsNodes(sc.nrNodes())
                .virtTasFallback(sc.tas().equals("virt")).queuedSpinlocks(!sc.tas().equals("native"))
                .x86SetPending(sc.x86SetPending()).abbaScanStepwise(sc.abbaStepwise())
                .stepGate(sched).build();
        for (String name : sc.locks()) {
            locks.add(factory.create(machine, name, sc));
        }
        this.state = Snapshot.of(sc, machine, locks);
        sched.start(machine, this::runContext, this::runContext);
    }

    // ---------------------------------------------------------------- on the CPU threads

    /** Runs the script of context {@code x} on {@code cpu}: the spec's scripts semantics. */
    private void runContext(Cpu cpu, Ctx x) {
        int c = cpu.id();
        List<Op> ops = sc.script(c, x);
        if (ops.isEmpty()) {
            ghost.done(c, x);
            return;
        }
        ghost.begin(c, x);
        Deque<Integer> owned = new ArrayDeque<>();
        for (Op op : ops) {
            ghost.at(c, x, op, false);
            int l = sc.locks().indexOf(op.lockName());
            if (op.lock()) {
                try {
                    lock(cpu, locks.get(l));
                    owned.push(l);
                } catch (LockFailedException e) {
                    while (!owned.isEmpty()) { // release what it holds, LIFO, and stop
                        int h = owned.pop();
                        ghost.at(c, x, new Op(false, sc.locks().get(h)), true);
                        unlock(cpu, locks.get(h));
                    }
                    ghost.done(c, x);
                    return;
                }
            } else {
                unlock(cpu, locks.get(l));
                owned.pop();
            }
        }
        ghost.done(c, x);
    }

    private static void lock(Cpu cpu, Object l) throws LockFailedException {
        if (l instanceof RqSpinLock r) {
            r.lock(cpu);
        } else {
            ((QSpinLock) l).lock(cpu);
        }
    }

    private static void unlock(Cpu cpu, Object l) {
        if (l instanceof RqSpinLock r) {
            r.unlock(cpu);
        } else {
            ((QSpinLock) l).unlock();
        }
    }

    // ---------------------------------------------------------------- the controller

    /** Lets CPU {@code cpu} take its next step with {@code time}. */
    Outcome step(int cpu, Time time) throws InterruptedException {
        return after(cpu, sched.step(cpu, time));
    }

    /** Interrupts CPU {@code cpu} with context {@code x} (its IRQ or NMI script). */
    Outcome interrupt(int cpu, Ctx x) throws InterruptedException {
        return after(cpu, sched.interrupt(cpu, x));
    }

    private Outcome after(int cpu, Outcome o) {
        if (o.kind() != Kind.TOOK) {
            return o;
        }
        Snapshot before = state;
        state = Snapshot.of(sc, machine, locks);
        String lockName = lockName(o.lock());
        List<String> v = ghost.onStep(cpu, o.ctx(), o.step(), lockName, before, state, o.failing(), o.ret());
        Map<String, String> obs = new LinkedHashMap<>(state.observed());
        if (o.ret() != null) {
            obs.put("ret", "\"" + Ghost.errno(o.ret()) + "\"");
        }
        events.add(new TraceValidation.Event(o.step().name(), List.of(sc.cpuName(cpu), o.ctx().tla()), obs));
        log.add(describe(cpu, o, before, state) + (v.isEmpty() ? "" : "   <-- " + String.join("; ", v)));
        String effects = effects(o, before, state);
        notes.add((lockName != null ? "on " + lockName + ": " : "") + (effects.isEmpty() ? "no change" : effects)
                + (v.isEmpty() ? "" : "  <-- " + v.get(0).substring(0, v.get(0).indexOf(':'))));
        return o;
    }

    String lockName(Object lock) {
        int i = locks.indexOf(lock);
        return i < 0 ? null : sc.locks().get(i);
    }

    /** A step in kernel terms: {@code c1 task  xchg_tail(A)   A: (0,1,1) -> (cpu0/0,1,1)}. */
    String describe(int cpu, Outcome o, Snapshot before, Snapshot after) {
        StringBuilder b = new StringBuilder(String.format("%-3s %-4s %s", sc.cpuName(cpu), o.ctx(),
                o.step() + (o.lock() != null ? "(" + lockName(o.lock()) + ")" : "")));
        String ch = effects(o, before, after);
        if (!ch.isEmpty()) {
            while (b.length() < 46) {
                b.append(' ');
            }
            b.append(ch);
        }
        return b.toString();
    }

    /** What a step changed, in kernel terms: lock words, nodes, counts, tables, the failure it decided, the return. */
    private String effects(Outcome o, Snapshot before, Snapshot after) {
        List<String> ch = new ArrayList<>();
        before.words.forEach((l, w) -> {
            int n = after.words.get(l);
            if (n != w) {
                ch.add(l + " " + word(w) + " -> " + word(n));
            }
        });
        for (String c : sc.cpus()) {
            Map<String, Tla> nb = before.node.get(c).asMap();
            Map<String, Tla> na = after.node.get(c).asMap();
            for (String i : na.keySet()) {
                for (String f : List.of("locked", "next")) {
                    Tla x = nb.get(i).get(f);
                    Tla y = na.get(i).get(f);
                    if (!x.equals(y)) {
                        ch.add(c + " node" + i + "." + f + " " + node(x) + " -> " + node(y));
                    }
                }
            }
            if (!before.count.get(c).equals(after.count.get(c))) {
                ch.add(c + " count " + before.count.get(c) + " -> " + after.count.get(c));
            }
            if (!before.held.get(c).equals(after.held.get(c))) {
                ch.add(c + " held " + held(before.held.get(c)) + " -> " + held(after.held.get(c)));
            }
        }
        if (o.failing() != null) {
            ch.add("fails: " + Replayer.errno(sc, o.failing()) + " (" + Replayer.why(o.failing()) + ")");
        }
        if (o.ret() != null) {
            ch.add("returns " + Ghost.errno(o.ret()));
        }
        return String.join(", ", ch);
    }

    /** A lock word as (tail, pending, locked), the tail as the spec names the node: (c2/0,1,1). */
    String word(int w) {
        int tail = w & rqspin.lock.LockWord.TAIL_MASK;
        int cpu = tail == 0 ? -1 : rqspin.lock.LockWord.tailCpu(w);
        String t = tail == 0 ? "0" : cpu >= 0 && cpu < sc.nrCpus()
                ? sc.cpuName(cpu) + "/" + rqspin.lock.LockWord.tailIdx(w) : Integer.toHexString(tail);
        return "(" + t + "," + ((w & rqspin.lock.LockWord.PENDING_MASK) >>> 8) + ","
                + (w & rqspin.lock.LockWord.LOCKED_MASK) + ")";
    }

    /** A node's field as the kernel would print it: a number, or the node a next points to (c2/0), or NULL. */
    private static String node(Tla v) {
        if (v instanceof Tla.Tuple t) {
            return t.elems().isEmpty() ? "NULL" : t.elems().get(0) + "/" + t.elems().get(1);
        }
        return v.toString();
    }

    /** A table as [A, B], with its count when more entries are counted than stored. */
    private static String held(Tla v) {
        List<Tla> p = v.elems();
        List<String> slots = new ArrayList<>();
        p.get(1).elems().forEach(e -> slots.add(e.toString()));
        String cnt = p.get(0).atom();
        return "[" + String.join(", ", slots) + "]" + (Integer.parseInt(cnt) != slots.size() ? " (cnt " + cnt + ")" : "");
    }

    Snapshot state() {
        return state;
    }

    Ghost ghost() {
        return ghost;
    }

    List<TraceValidation.Event> events() {
        return List.copyOf(events);
    }

    List<String> log() {
        return List.copyOf(log);
    }

    /** Per step taken: its lock and what it changed. */
    List<String> notes() {
        return List.copyOf(notes);
    }

    /** The lock method CPU {@code cpu} is parked in ({@code RqSpinLock.waitForNext}), or null. */
    String lockFrame(int cpu) {
        return sched.lockFrame(cpu);
    }

    boolean idle(int cpu) {
        return sched.idle(cpu);
    }

    int depth(int cpu) {
        return sched.depth(cpu);
    }

    @Override
    public void close() {
        sched.abandon();
    }
}
