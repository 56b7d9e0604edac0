package rqspin.conformance.freelist;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import rqspin.conformance.Twin;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.freelist.LockFailure;
import rqspin.maps.freelist.Mutation;
import rqspin.maps.freelist.PcpuFreelist;
import rqspin.spec.TraceValidation;

/**
 * Records a run of the Java twin of percpu_freelist
 * ({@link PcpuFreelist}) on a {@link FreelistScenario}, as a trace for
 * {@code spec/freelist/TracePcpuFreelist.tla}.
 *
 * <p>Each CPU is a thread attached to a {@link Machine}; every step of the
 * twin (its {@code StepHook}, named as the spec's actions) and every start
 * of an operation ({@code StartOp}) waits at a gate until a seeded scheduler
 * lets it go, so exactly one step runs at a time and the run is the
 * interleaving the scheduler chose. The NMI of a CPU arrives, through
 * {@code Cpu.runNested}, at a gate of its task chosen by the seed, and runs
 * its whole script there. When a step has ended (the next gate is reached),
 * the recorder reads what it did: the twin's lists ({@code head}), the head
 * the step touched ({@code cur}), what a lock attempt returned ({@code err}:
 * from the twin's record of failed attempts), and at each {@code StartOp}
 * the context's hand and the last pop's result.
 *
 * <p>Failures: the scheduler injects {@code -ETIMEDOUT} into a chosen lock
 * attempt (the twin's {@code FailureInjector}, on the next attempt only), at
 * most {@code MaxFail} times per run, never into an attempt on a head its
 * own CPU holds (there the twin's rqspinlock itself returns
 * {@code -EDEADLK}, AA). An attempt on a head another CPU holds is let go
 * only with an injected failure, as the spec's lock contract allows: the
 * twin never spins on a lock in a recorded run. A run in which every CPU
 * waits for such a head and the budget is spent is dropped ({@link #run}
 * returns null): the spec would have it wait too.
 */
public final class FreelistRecorder {
    /** Thrown on a CPU thread when the run is dropped. */
    private static final class Dropped extends RuntimeException {
        Dropped() {
            super("run dropped", null, false, false);
        }
    }

    /** A step waiting at its gate: the context, the action, the head (-1 for StartOp), values known before. */
    private record Park(int cpu, String ctx, String action, int head, Map<String, String> known) {
        boolean attempt() {
            return action.equals("___pcpu_freelist_push") || action.equals("___pcpu_freelist_pop_lock")
                    || (action.equals("__pcpu_freelist_push") && head != cpu);
        }
    }

    private final FreelistScenario sc;
    private final PcpuFreelist fl;
    private final Machine machine;
    private final Random rnd;
    private final double pInject;
    private final Map<Integer, PcpuFreelist.Node> nodes = new HashMap<>();
    private final int[] owner;
    private final Park[] pending;
    private final boolean[] granted;
    private final boolean[] finished;
    private final int[] nmiAt;
    private final List<TraceValidation.Event> events = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private Park running;
    private boolean runningInjected;
    private int failsAtGrant;
    private int injected;
    private boolean dropped;
    private final List<Throwable> errors = new ArrayList<>();

    /** A step a replay makes the twin take: the context, the action, and whether its lock attempt is to fail. */
    public record Forced(int cpu, String ctx, String action, boolean inject) {}

    private List<Forced> forced;
    private int forcedAt;
    private String mismatch;

    private FreelistRecorder(FreelistScenario sc, long seed, double pInject, Mutation mutation) {
        this.sc = sc;
        this.rnd = new Random(seed);
        this.pInject = pInject;
        // a long timeout: no recorded attempt waits for another CPU, so the only real failure is the AA of an
        // NMI, which must be seen as -EDEADLK even if a loaded machine deschedules the CPU thread for long
        this.machine = Machine.builder(sc.nrCpus()).timeoutNanos(60_000_000_000L).build();
        this.fl = PcpuFreelist.mutant(machine, Version.V6_15, mutation).stopFallbackAfter(64);
        if (sc.populate() == null) {
            for (PcpuFreelist.Node n : fl.populate(sc.nrElems())) {
                nodes.put(n.id(), n);
            }
        } else {
            for (PcpuFreelist.Node n : fl.newNodes(sc.nrElems())) {
                nodes.put(n.id(), n);
            }
            for (int d = 0; d < sc.nrCpus(); d++) { // each head's list, pushed last node first on its own CPU
                List<Integer> l = sc.populate().get(d);
                Cpu cpu = machine.attach(d);
                try {
                    for (int k = l.size() - 1; k >= 0; k--) {
                        fl.push(cpu, nodes.get(l.get(k)));
                    }
                } finally {
                    cpu.detach();
                }
            }
        }
        int n = sc.nrCpus();
        owner = new int[n];
        java.util.Arrays.fill(owner, -1);
        pending = new Park[n];
        granted = new boolean[n];
        finished = new boolean[n];
        nmiAt = new int[n];
        for (int c = 0; c < n; c++) {
            // the task's gates: a StartOp per operation and the last one, about 8 steps per operation
            nmiAt[c] = rnd.nextInt(sc.script(c, "task").size() * 8 + 2);
        }
        fl.setStepHook((cpu, step, head) -> gate(cpu, ctxName(cpu), step.name(), head, Map.of()));
    }

    /**
     * One run of the scenario with the twin built with {@code mutation}
     * ({@link Mutation#NONE}: the real one), scheduled and injected from
     * {@code seed}; {@code pInject} is the chance that a lock attempt gets an
     * injected failure while the budget lasts. Null when the run is dropped.
     */
    public static Twin.Recorded run(FreelistScenario sc, long seed, double pInject, Mutation mutation) {
        return new FreelistRecorder(sc, seed, pInject, mutation).record(seed, mutation);
    }

    /**
     * What a replay gives: the events the twin recorded for the steps it took
     * (observed as in a recorded run), its steps, why it stopped early (null
     * when it took every forced step), and the gates the CPUs wait at after
     * the last step (the values known there: a {@code StartOp}'s hand and the
     * result of the context's last pop).
     */
    public record Replay(List<TraceValidation.Event> events, List<String> log, String mismatch,
                         List<TraceValidation.Event> waiting) {}

    /**
     * Makes the twin take exactly {@code steps}, in order (a spec trace), with
     * the NMI of each CPU arriving where the trace starts it: before the
     * task's gate {@code nmiAt[cpu]} (the number of the task's steps before
     * the NMI's first; never if none).
     */
    public static Replay replay(FreelistScenario sc, List<Forced> steps, Mutation mutation) {
        FreelistRecorder r = new FreelistRecorder(sc, 0, 0, mutation);
        r.forced = List.copyOf(steps);
        for (int c = 0; c < sc.nrCpus(); c++) {
            int k = 0;
            boolean found = false;
            for (Forced f : steps) {
                if (f.cpu() != c) {
                    continue;
                }
                if (f.ctx().equals("nmi")) {
                    found = true;
                    break;
                }
                k++;
            }
            r.nmiAt[c] = found ? k : Integer.MAX_VALUE;
        }
        r.record(0, mutation);
        return new Replay(List.copyOf(r.events), List.copyOf(r.log), r.mismatch, List.copyOf(r.waitingAtEnd));
    }

    private final List<TraceValidation.Event> waitingAtEnd = new ArrayList<>();

    private Twin.Recorded record(long seed, Mutation mutation) {
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < sc.nrCpus(); c++) {
            int id = c;
            Thread t = new Thread(() -> cpuThread(id), "fl-cpu" + c);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        boolean ok = schedule();
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        synchronized (this) {
            if (!errors.isEmpty()) {
                throw new IllegalStateException("a CPU of the recorded run failed: " + errors.get(0), errors.get(0));
            }
        }
        if (!ok) {
            return null;
        }
        return new Twin.Recorded(sc.model() + " seed " + seed + (mutation == Mutation.NONE ? "" : " " + mutation),
                List.copyOf(events), List.of(), Map.of(), List.copyOf(log));
    }

    // ---------------------------------------------------------------- the CPUs

    private static String ctxName(Cpu cpu) {
        return cpu.context() == Context.NMI ? "nmi" : "task";
    }

    private void cpuThread(int c) {
        Cpu cpu = machine.attach(c);
        try {
            Ctx task = new Ctx(sc.hand(c, "task"));
            boolean[] nmiRan = {false};
            runScript(cpu, "task", task, nmiRan);
            if (!nmiRan[0]) {
                nmi(cpu, nmiRan);
            }
        } catch (Dropped d) {
            // the scheduler gave up on this run
        } catch (Throwable e) {
            synchronized (this) {
                errors.add(e);
                dropped = true;
                notifyAll();
            }
        } finally {
            boolean drop;
            synchronized (this) {
                finishRunning();
                finished[c] = true;
                notifyAll();
                drop = dropped;
            }
            if (!drop) {
                cpu.detach(); // a dropped run may end with a lock held: its Machine is thrown away
            }
        }
    }

    /** A context's hand (node numbers, the last taken last) and the last pop's result. */
    private static final class Ctx {
        final List<Integer> hand;
        int lastRet;
        int taskGates;

        Ctx(List<Integer> start) {
            hand = new ArrayList<>(start);
        }
    }

    private final Map<Integer, Ctx> taskCtx = new HashMap<>();
    private final Map<Integer, boolean[]> nmiFlags = new HashMap<>();

    private void runScript(Cpu cpu, String ctx, Ctx me, boolean[] nmiRan) {
        int c = cpu.id();
        if (ctx.equals("task")) {
            synchronized (this) {
                taskCtx.put(c, me);
                nmiFlags.put(c, nmiRan);
            }
        }
        for (String op : sc.script(c, ctx)) {
            gate(cpu, ctx, "StartOp", -1, startObs(me));
            if (op.equals("pop")) {
                PcpuFreelist.Node n = fl.pop(cpu);
                me.lastRet = n == null ? 0 : n.id();
                if (n != null) {
                    me.hand.add(n.id());
                }
            } else if (!me.hand.isEmpty()) {
                int id = me.hand.remove(me.hand.size() - 1);
                fl.push(cpu, nodes.get(id));
            }
        }
        gate(cpu, ctx, "StartOp", -1, startObs(me)); // the script has ended: the context is done
    }

    private static Map<String, String> startObs(Ctx me) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("hand", me.hand.stream().map(String::valueOf).collect(Collectors.joining(", ", "<<", ">>")));
        o.put("ret", String.valueOf(me.lastRet));
        return o;
    }

    private void nmi(Cpu cpu, boolean[] nmiRan) {
        nmiRan[0] = true;
        if (sc.script(cpu.id(), "nmi").isEmpty()) {
            return;
        }
        cpu.runNested(Context.NMI, () -> runScript(cpu, "nmi", new Ctx(sc.hand(cpu.id(), "nmi")), nmiRan));
    }

    /** A gate: the NMI may arrive first (at a task's gate), then the step waits for the scheduler. */
    private void gate(Cpu cpu, String ctx, String action, int head, Map<String, String> known) {
        int c = cpu.id();
        if (ctx.equals("task")) {
            Ctx task;
            boolean[] ran;
            synchronized (this) {
                task = taskCtx.get(c);
                ran = nmiFlags.get(c);
            }
            if (task != null && !ran[0] && task.taskGates++ == nmiAt[c]) {
                nmi(cpu, ran);
            }
        }
        park(new Park(c, ctx, action, head, known));
    }

    private synchronized void park(Park p) {
        finishRunning();
        pending[p.cpu()] = p;
        notifyAll();
        while (!granted[p.cpu()] && !dropped) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Dropped();
            }
        }
        if (dropped) {
            throw new Dropped();
        }
        granted[p.cpu()] = false;
        pending[p.cpu()] = null;
        running = p;
        failsAtGrant = fl.failures().failures().size();
    }

    /** The step that ran has ended: record it with what it did. */
    private void finishRunning() {
        Park p = running;
        if (p == null) {
            return;
        }
        running = null;
        Map<String, String> o = new LinkedHashMap<>(p.known());
        StringBuilder line = new StringBuilder("cpu" + p.cpu() + " " + p.ctx() + " " + p.action());
        if (!p.action().equals("StartOp")) {
            o.put("cur", String.valueOf(p.head()));
            line.append(" head").append(p.head());
        }
        if (p.attempt()) {
            List<LockFailure> f = fl.failures().failures();
            String err = f.size() > failsAtGrant ? "-" + f.get(f.size() - 1).errno().name() : "0";
            o.put("err", "\"" + err + "\"");
            line.append(" = ").append(err).append(runningInjected ? " (injected)" : "");
            if (err.equals("0")) {
                owner[p.head()] = p.cpu();
            }
        }
        if (p.action().equals("raw_res_spin_unlock")) {
            owner[p.head()] = -1;
        }
        List<List<Integer>> lists = fl.snapshot();
        StringBuilder h = new StringBuilder("(");
        for (int d = 0; d < lists.size(); d++) {
            h.append(d == 0 ? "" : " @@ ").append(d).append(" :> ")
                    .append(lists.get(d).stream().map(String::valueOf).collect(Collectors.joining(", ", "<<", ">>")));
        }
        o.put("head", h.append(")").toString());
        line.append("  lists ").append(lists);
        if (p.action().equals("StartOp")) {
            line.append("  hand ").append(p.known().get("hand")).append(" last pop ").append(p.known().get("ret"));
        }
        events.add(new TraceValidation.Event(p.action(), List.of(String.valueOf(p.cpu()), "\"" + p.ctx() + "\""), o));
        log.add(line.toString());
    }

    // ---------------------------------------------------------------- the scheduler

    /** Lets one gate go at a time until every CPU ended; false when the run was dropped. */
    private synchronized boolean schedule() {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            while (!dropped && someRunning()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    dropped = true;
                    notifyAll();
                    throw new IllegalStateException("a recorded run of " + sc.model() + " did not reach a gate in 60 s: "
                            + log);
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (dropped) {
                return false;
            }
            List<Park> ready = new ArrayList<>();
            List<Park> blocked = new ArrayList<>();
            for (Park p : pending) {
                if (p == null) {
                    continue;
                }
                boolean waits = p.attempt() && owner[p.head()] >= 0 && owner[p.head()] != p.cpu();
                (waits ? blocked : ready).add(p);
            }
            if (ready.isEmpty() && blocked.isEmpty()) {
                if (forced != null && forcedAt < forced.size()) {
                    mismatch = "every CPU of the twin ended before step " + (forcedAt + 1) + " " + forced.get(forcedAt);
                }
                return true; // every CPU ended
            }
            Park go;
            boolean inject;
            if (forced != null) {
                if (forcedAt == forced.size()) {
                    for (Park p : pending) {
                        if (p != null) {
                            waitingAtEnd.add(new TraceValidation.Event(p.action(),
                                    List.of(String.valueOf(p.cpu()), "\"" + p.ctx() + "\""), p.known()));
                        }
                    }
                    dropped = true;
                    notifyAll();
                    return false;
                }
                Forced f = forced.get(forcedAt);
                go = null;
                for (Park p : pending) {
                    if (p != null && p.cpu() == f.cpu() && p.ctx().equals(f.ctx()) && p.action().equals(f.action())) {
                        go = p;
                    }
                }
                if (go == null) {
                    List<String> at = new ArrayList<>();
                    for (Park p : pending) {
                        if (p != null) {
                            at.add("cpu" + p.cpu() + " " + p.ctx() + " at " + p.action());
                        }
                    }
                    mismatch = "step " + (forcedAt + 1) + ": the twin cannot take " + f + ": its CPUs wait at " + at;
                    dropped = true;
                    notifyAll();
                    return false;
                }
                forcedAt++;
                inject = f.inject();
            } else if (!ready.isEmpty()) {
                go = ready.get(rnd.nextInt(ready.size()));
                inject = go.attempt() && owner[go.head()] < 0 && injected < sc.maxFail() && rnd.nextDouble() < pInject;
            } else if (injected < sc.maxFail()) {
                go = blocked.get(rnd.nextInt(blocked.size()));
                inject = true;
            } else {
                dropped = true;
                notifyAll();
                return false;
            }
            if (inject) {
                fl.failures().failNth(fl.failures().attempts() + 1, Errno.ETIMEDOUT);
                injected++;
            }
            runningInjected = inject;
            granted[go.cpu()] = true;
            pending[go.cpu()] = null;
            notifyAll();
        }
    }

    /** Some CPU that has not ended is between gates. */
    private boolean someRunning() {
        for (int c = 0; c < pending.length; c++) {
            if (!finished[c] && pending[c] == null) {
                return true;
            }
        }
        return false;
    }
}
