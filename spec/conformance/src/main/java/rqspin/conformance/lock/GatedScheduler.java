package rqspin.conformance.lock;

import java.util.function.BiConsumer;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.lock.Cpu;
import rqspin.lock.FailureReason;
import rqspin.lock.Machine;
import rqspin.lock.Step;
import rqspin.lock.StepGate;

/**
 * A {@link StepGate} that makes every CPU of a machine wait at each step
 * until a controller lets it take that one step: the controller decides
 * which CPU moves next, whether time passes for it (a deadlock check, a
 * deadline), and when an interrupt arrives.
 *
 * <p>Protocol. Each CPU runs on its own thread ({@link #start}): its task's
 * script, then it idles, taking interrupts. A CPU thread parks in
 * {@link #before} (and when idle) until the controller's {@link #command}
 * for it; it then runs to the end of its next step ({@link #took} or
 * {@link #waiting}) and on to its next gate, where it parks again, and the
 * command returns what it did. So exactly one CPU runs at a time, and the
 * controller reads the machine's state only while every CPU is parked. An
 * interrupt command is run by the parked thread itself from inside the gate
 * ({@link Cpu#runNested}): the nested context's script, step by step, then
 * the thread parks at the gate it came from.
 *
 * <p>Invariants: at most one CPU thread is not parked; a command completes
 * only when its CPU parks again; a CPU that reports two steps in one
 * command lacks a gate (reported as a failure). All fields are guarded by
 * this object's monitor.
 */
final class GatedScheduler implements StepGate {

    /** What time does for the CPU during a command. */
    enum Time {
        /** Nothing: its check_timeout sees no new time. */
        NONE,
        /** More than the deadlock-check interval: its check_timeout runs a deadlock check. */
        CHECK,
        /** Past every deadline: its check_timeout fails with -ETIMEDOUT. */
        EXPIRE
    }

    /** What a command did. */
    enum Kind {
        /** The CPU took a step. */
        TOOK,
        /** The CPU's wait found its condition false: no step. */
        WAITING,
        /** The CPU had nothing to run (every context it would run is done). */
        IDLE
    }

    /**
     * The outcome of one command.
     *
     * @param kind      took a step, waited, or idle
     * @param step      the step taken, or the step that ends the wait
     * @param lock      the lock it was on (null for an interrupt or idle)
     * @param ctx       the context that took it (null when idle)
     * @param timed     the wait measures time
     * @param mayExpire the wait had a clean deadlock check (its deadline may pass)
     * @param ret       what res_spin_lock returned after this step (null if it did not return)
     * @param failing   the failure this step decided for its attempt (null if none)
     */
    record Outcome(Kind kind, Step step, Object lock, Ctx ctx, boolean timed, boolean mayExpire, Integer ret,
                   FailureReason failing) {
        Outcome with(Integer r, FailureReason f) {
            return new Outcome(kind, step, lock, ctx, timed, mayExpire, r, f);
        }
    }

    /** Thrown in the CPU threads when the run is abandoned: unwinds them. */
    static final class Abandoned extends Error {
        Abandoned() {
            super("run abandoned", null, false, false);
        }
    }

    private record Command(Ctx interrupt, Time time) {}

    private static final class Slot {
        Thread thread;
        /** Times the CPU parked; a command completes when this grows. */
        long parks;
        boolean parked;
        boolean idle;
        Command command;
        boolean enteringInterrupt;
        Outcome outcome;
        Integer ret;
        FailureReason failing;
        int depth = 1;
        Throwable failure;
        boolean finished;
    }

    private final Slot[] slots;
    private final GateClock clock;
    private final long checkNanos;
    private final long expireNanos;
    private final long patienceMillis;
    /** Told of each step (but interrupt) on the CPU thread that took it, before the command completes. */
    private final BiConsumer<Cpu, Step> onStep;
    private boolean abandoned;
    private Machine machine;
    /** What an interrupt runs on a CPU thread (set by {@link #start}). */
    private BiConsumer<Cpu, Ctx> interruptBody;

    /**
     * @param checkNanos  how far a CHECK moves time (more than the deadlock-check interval)
     * @param expireNanos how far an EXPIRE moves time (past the longest deadline)
     * @param onStep      told of each step but interrupt, on the CPU thread, as it is taken
     */
    GatedScheduler(int cpus, GateClock clock, long checkNanos, long expireNanos, long patienceMillis,
                   BiConsumer<Cpu, Step> onStep) {
        this.onStep = onStep;
        slots = new Slot[cpus];
        for (int i = 0; i < cpus; i++) {
            slots[i] = new Slot();
        }
        this.clock = clock;
        this.checkNanos = checkNanos;
        this.expireNanos = expireNanos;
        this.patienceMillis = patienceMillis;
    }

    /**
     * Starts one thread per CPU, each attached to its CPU, running
     * {@code task} (its task's script) and then idling; returns when every
     * CPU is parked.
     *
     * @param interrupt runs a nested context's script on a CPU thread
     */
    void start(Machine m, BiConsumer<Cpu, Ctx> task, BiConsumer<Cpu, Ctx> interrupt) {
        this.machine = m;
        this.interruptBody = interrupt;
        for (int i = 0; i < slots.length; i++) {
            int id = i;
            Thread t = new Thread(() -> runCpu(id, task), "gated-cpu" + i);
            t.setDaemon(true);
            slots[i].thread = t;
        }
        for (Slot s : slots) {
            s.thread.start();
        }
        synchronized (this) {
            for (int i = 0; i < slots.length; i++) {
                awaitPark(i, 0);
            }
        }
    }

    private void runCpu(int id, BiConsumer<Cpu, Ctx> task) {
        Cpu cpu = machine.attach(id);
        try {
            task.accept(cpu, Ctx.task);
            for (;;) {
                Command c = park(cpu, true);
                if (c != null && c.interrupt != null) {
                    runInterrupt(cpu, c.interrupt);
                }
            }
        } catch (Abandoned a) {
            // the run is over
        } catch (Throwable t) {
            synchronized (this) {
                slots[id].failure = t;
            }
        } finally {
            synchronized (this) {
                slots[id].finished = true;
                slots[id].parks++;
                notifyAll();
            }
        }
    }

    private void runInterrupt(Cpu cpu, Ctx x) {
        synchronized (this) {
            slots[cpu.id()].enteringInterrupt = true;
        }
        cpu.runNested(x.java, () -> interruptBody.accept(cpu, x));
    }

    /** Parks the calling CPU until a command; returns it (after applying its time), or null for a STEP when idle. */
    private Command park(Cpu cpu, boolean idle) {
        Slot s = slots[cpu.id()];
        Command c;
        synchronized (this) {
            s.depth = cpu.nestingDepth();
            s.idle = idle;
            s.parked = true;
            s.parks++;
            notifyAll();
            while (s.command == null && !abandoned) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    throw new Abandoned();
                }
            }
            if (abandoned) {
                throw new Abandoned();
            }
            c = s.command;
            s.command = null;
            s.parked = false;
            if (c.interrupt == null) {
                if (idle) {
                    s.outcome = new Outcome(Kind.IDLE, null, null, null, false, false, null, null);
                    return null;
                }
                if (c.time == Time.CHECK) {
                    clock.advance(cpu.id(), s.depth, checkNanos);
                } else if (c.time == Time.EXPIRE) {
                    clock.advance(cpu.id(), s.depth, expireNanos);
                }
            }
        }
        return c;
    }

    // ---------------------------------------------------------------- StepGate, on the CPU threads

    @Override
    public void before(Cpu cpu) {
        synchronized (this) {
            if (slots[cpu.id()].enteringInterrupt) {
                return; // the interrupt step itself: the command that runs it is under way
            }
        }
        for (;;) {
            Command c = park(cpu, false);
            if (c.interrupt == null) {
                return;
            }
            runInterrupt(cpu, c.interrupt);
        }
    }


    @Override
    public synchronized void took(Cpu cpu, Step step, Object lock) {
        Slot s = slots[cpu.id()];
        if (step == Step.interrupt) {
            s.enteringInterrupt = false;
        } else {
            onStep.accept(cpu, step);
        }
        report(s, new Outcome(Kind.TOOK, step, lock, Ctx.of(cpu.context()), false, false, null, null));
    }

    @Override
    public synchronized void waiting(Cpu cpu, Step until, Object lock, boolean timed, boolean mayExpire) {
        report(slots[cpu.id()], new Outcome(Kind.WAITING, until, lock, Ctx.of(cpu.context()), timed, mayExpire, null,
                null));
    }

    @Override
    public synchronized void failing(Cpu cpu, Object lock, FailureReason reason) {
        slots[cpu.id()].failing = reason;
    }

    @Override
    public synchronized void returned(Cpu cpu, Object lock, int ret) {
        slots[cpu.id()].ret = ret;
    }

    private void report(Slot s, Outcome o) {
        if (s.outcome != null && s.failure == null) {
            s.failure = new IllegalStateException("two steps in one turn (" + s.outcome.step() + ", then " + o.step()
                    + "): a step gate is missing between them");
        }
        s.outcome = o;
    }

    // ---------------------------------------------------------------- the controller

    /** Whether CPU {@code cpu} is parked with all its contexts done (it can only take interrupts). */
    synchronized boolean idle(int cpu) {
        return slots[cpu].idle && slots[cpu].parked;
    }

    /** The nesting depth of the CPU's current context. */
    synchronized int depth(int cpu) {
        return slots[cpu].depth;
    }

    /** Lets CPU {@code cpu} take its next step, with {@code time}; returns what it did. */
    Outcome step(int cpu, Time time) throws InterruptedException {
        return command(cpu, new Command(null, time));
    }

    /** Runs an interrupt of context {@code x} on CPU {@code cpu}: returns its first step (interrupt). */
    Outcome interrupt(int cpu, Ctx x) throws InterruptedException {
        return command(cpu, new Command(x, Time.NONE));
    }

    private synchronized Outcome command(int cpu, Command c) throws InterruptedException {
        Slot s = slots[cpu];
        failIfBroken(cpu);
        if (!s.parked) {
            throw new IllegalStateException("cpu" + cpu + " is not parked at a step gate");
        }
        long parks = s.parks;
        s.outcome = null;
        s.ret = null;
        s.failing = null;
        s.command = c;
        notifyAll();
        awaitPark(cpu, parks);
        failIfBroken(cpu);
        Outcome o = s.outcome;
        if (o == null) {
            throw new IllegalStateException("cpu" + cpu + " came back to a gate without taking a step or waiting");
        }
        return o.with(s.ret, s.failing);
    }

    private void awaitPark(int cpu, long parks) {
        Slot s = slots[cpu];
        long deadline = System.currentTimeMillis() + patienceMillis;
        while (s.parks <= parks || (!s.parked && !s.finished)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new IllegalStateException("cpu" + cpu + " did not come back to a step gate within "
                        + patienceMillis + " ms: it runs without announcing its steps (stack: "
                        + stack(s.thread) + ")");
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
    }

    private void failIfBroken(int cpu) {
        Slot s = slots[cpu];
        if (s.failure != null) {
            throw new IllegalStateException("cpu" + cpu + " failed: " + s.failure, s.failure);
        }
        if (s.finished) {
            throw new IllegalStateException("cpu" + cpu + "'s thread has ended");
        }
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(8, st.length); i++) {
            b.append(i == 0 ? "" : " < ").append(st[i].getClassName().replaceAll(".*\\.", "")).append('.')
                    .append(st[i].getMethodName());
        }
        return b.toString();
    }

    /** The locks' private methods that call the gate: not where a CPU waits. */
    private static final java.util.Set<String> GATE_HELPERS = java.util.Set.of("before", "took", "waiting",
            "timedWaitGoesOn", "failing");

    /**
     * Where in the lock code CPU {@code cpu}, parked, is: the innermost
     * method of RqSpinLock or QSpinLock on its thread's stack
     * ({@code RqSpinLock.waitForNext}), or null.
     */
    synchronized String lockFrame(int cpu) {
        Slot s = slots[cpu];
        if (!s.parked) {
            return null;
        }
        for (StackTraceElement e : s.thread.getStackTrace()) {
            String c = e.getClassName();
            if ((c.equals("rqspin.lock.RqSpinLock") || c.equals("rqspin.lock.QSpinLock"))
                    && !GATE_HELPERS.contains(e.getMethodName())) {
                return c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
            }
        }
        return null;
    }

    /** Ends the run: every CPU thread unwinds from its gate; waits briefly for them. */
    void abandon() {
        synchronized (this) {
            abandoned = true;
            notifyAll();
        }
        for (Slot s : slots) {
            if (s.thread != null) {
                try {
                    s.thread.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "gated scheduler";
    }
}
