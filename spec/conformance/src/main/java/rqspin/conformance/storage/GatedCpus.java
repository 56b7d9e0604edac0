package rqspin.conformance.storage;

import java.util.LinkedHashMap;
import java.util.Map;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.storage.check.Step;
import rqspin.storage.check.StepGate;

/**
 * A {@link StepGate} that makes each CPU of a run wait at every gate step
 * of the local storage until a controller lets it take that one step: the
 * controller decides which CPU moves next (and, through the world, whether
 * its lock attempt fails and what need_resched says).
 *
 * <p>Protocol. Each process CPU runs on its own thread ({@link #start}): its
 * one operation, parked at each gate; when the operation is over the thread
 * ends. A command ({@link #go}) lets a parked CPU run from its gate to its
 * next gate (or to the end of its operation) and returns when it is parked
 * again or done, so exactly one CPU runs at a time, and the controller reads
 * the kernel's state only while every CPU is parked or done. Steps inside a
 * spec step ({@link Step#gate()} false) do not park, nor does an RCU
 * callback (the controller runs them, on its own CPU, which never parks).
 *
 * <p>All fields are guarded by this object's monitor.
 */
final class GatedCpus implements StepGate {

    /** Thrown in the CPU threads when the run is abandoned: unwinds them. */
    static final class Abandoned extends Error {
        Abandoned() {
            super("run abandoned", null, false, false);
        }
    }

    /** Where a CPU is: parked at a gate, or done with what its operation threw. */
    static final class Slot {
        Thread thread;
        /** Times the CPU parked or finished; a command completes when this grows. */
        long parks;
        boolean parked;
        boolean started;
        boolean done;
        Step step;
        Object subject;
        Guard guard;
        boolean command;
        /** What the operation threw (null if it returned or is not done). */
        Throwable thrown;
        /** The thread itself failed outside the operation (a bug of the tools). */
        Throwable broken;
    }

    private final Slot[] slots;
    private final int controllerCpu;
    private final long patienceMillis;
    private final Map<RqSpinLock, Integer> holders = new LinkedHashMap<>();
    private boolean abandoned;

    /** {@code cpus} process CPUs (0..cpus-1); {@code controllerCpu} never parks. */
    GatedCpus(int cpus, int controllerCpu, long patienceMillis) {
        slots = new Slot[cpus];
        for (int i = 0; i < cpus; i++) {
            slots[i] = new Slot();
        }
        this.controllerCpu = controllerCpu;
        this.patienceMillis = patienceMillis;
    }

    /** What a process CPU runs: its operation. */
    @FunctionalInterface
    interface Op {
        void run(Cpu cpu) throws Exception;
    }

    /** Starts one thread per process CPU, each attached to its CPU, running {@code ops[i]}; returns when each is parked at its first gate. */
    void start(Machine m, Op[] ops) {
        for (int i = 0; i < slots.length; i++) {
            int id = i;
            Thread t = new Thread(() -> runCpu(m, id, ops[id]), "gated-storage-cpu" + i);
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

    private void runCpu(Machine m, int id, Op op) {
        Cpu cpu = m.attach(id);
        Throwable thrown = null;
        boolean abandonedHere = false;
        try {
            op.run(cpu);
        } catch (Abandoned a) {
            abandonedHere = true;
        } catch (Throwable t) {
            thrown = t;
        }
        synchronized (this) {
            Slot s = slots[id];
            if (abandonedHere || abandoned) {
                s.done = true;
            } else {
                s.thrown = thrown instanceof Abandoned ? null : thrown;
                s.done = true;
                s.parked = false;
                s.step = null;
            }
            s.parks++;
            notifyAll();
        }
        try {
            cpu.detach();
        } catch (RuntimeException e) {
            // a CPU that still holds a lock after an abandoned run cannot detach: the thread ends all the same
        }
    }

    // ---------------------------------------------------------------- StepGate, on the CPU threads

    @Override
    public void arrive(Cpu cpu, Step step, Object subject, Guard guard) {
        if (!step.gate() || step == Step.RCU_CALLBACK || cpu.id() == controllerCpu || cpu.id() >= slots.length) {
            return;
        }
        Slot s = slots[cpu.id()];
        synchronized (this) {
            if (abandoned) {
                throw new Abandoned();
            }
            s.step = step;
            s.subject = subject;
            s.guard = guard;
            s.parked = true;
            s.started = true;
            s.parks++;
            notifyAll();
            while (!s.command && !abandoned) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    throw new Abandoned();
                }
            }
            if (abandoned) {
                throw new Abandoned();
            }
            s.command = false;
            s.parked = false;
        }
    }

    @Override
    public synchronized void lockHeld(Cpu cpu, RqSpinLock lock, boolean held) {
        if (held) {
            holders.put(lock, cpu.id());
        } else {
            holders.remove(lock);
        }
    }

    // ---------------------------------------------------------------- the controller

    /** The CPU that holds {@code lock} across steps (parked inside its critical section), or -1. */
    synchronized int holder(RqSpinLock lock) {
        Integer c = holders.get(lock);
        return c == null ? -1 : c;
    }

    /** Where CPU {@code cpu} is (read only while it is parked or done). */
    synchronized Slot slot(int cpu) {
        return slots[cpu];
    }

    /** Lets parked CPU {@code cpu} take its step; returns when it is parked again or done. */
    synchronized void go(int cpu) {
        Slot s = slots[cpu];
        failIfBroken(cpu);
        if (!s.parked || s.done) {
            throw new IllegalStateException("cpu" + cpu + " is not parked at a gate");
        }
        long parks = s.parks;
        s.command = true;
        notifyAll();
        awaitPark(cpu, parks);
        failIfBroken(cpu);
    }

    private void awaitPark(int cpu, long parks) {
        Slot s = slots[cpu];
        long deadline = System.currentTimeMillis() + patienceMillis;
        while (s.parks <= parks) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new IllegalStateException("cpu" + cpu + " did not come back to a gate within " + patienceMillis
                        + " ms (stack: " + stack(s.thread) + ")");
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
        if (slots[cpu].broken != null) {
            throw new IllegalStateException("cpu" + cpu + " failed: " + slots[cpu].broken, slots[cpu].broken);
        }
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(10, st.length); i++) {
            b.append(i == 0 ? "" : " < ").append(st[i].getClassName().replaceAll(".*\\.", "")).append('.')
                    .append(st[i].getMethodName());
        }
        return b.toString();
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
        return "gated CPUs";
    }
}
