package rqspin.model;

import java.util.concurrent.atomic.AtomicInteger;
import rqspin.lock.Cpu;
import rqspin.lock.FailureReason;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.ManualClock;
import rqspin.lock.RqSpinLock;
import rqspin.lock.SpinHint;
import rqspin.lock.Version;

/**
 * What every harness shares: a small machine whose time is a
 * {@link ManualClock} (moved only by the harness's main thread, so the state
 * space of Java PathFinder stays finite), threads that run as CPUs, a
 * critical-section guard that detects two CPUs inside at once, and checks
 * that throw {@link AssertionError}.
 *
 * <p>Everything here stays inside what JPF's model of the JDK supports:
 * plain threads and join, {@link AtomicInteger} get/set/getAndIncrement,
 * no spin hint (a bare re-read), no java.util.concurrent
 * synchronizers. JPF (run with vm.shared.skip_finals=false) switches threads
 * at every shared access; for HeadHandover and AbortCascade, at every access
 * that another thread can conflict with (jpf/lock-por.properties lists the
 * immutable and thread-confined state it leaves out, and makes one
 * evaluation of an {@link #await} condition one step). The same code runs
 * under Lincheck's model checker in the default build.
 */
public final class Harness {
    /** T of every harness: 10 ms of the manual clock. */
    public static final long T = 10_000_000L;
    /** The deadlock-check interval (the kernel's 1 ms). */
    public static final long INTERVAL = 1_000_000L;

    private Harness() {
    }

    /** Creates the locks of a scenario; tests in package rqspin.lock pass seeded mutants. */
    @FunctionalInterface
    public interface LockFactory {
        /** A new lock on {@code machine}. */
        RqSpinLock create(Machine machine, String name);

        /** The real algorithm of version {@code v}. */
        static LockFactory of(Version v) {
            return (m, name) -> new RqSpinLock(m, v, name);
        }
    }

    /** A CPU thread's body. */
    @FunctionalInterface
    public interface CpuBody {
        /** Runs on the thread attached to {@code cpu}. */
        void run(Cpu cpu) throws Exception;
    }

    /** A machine of {@code nrCpus} CPUs on {@code clock}: T = 10 ms, checks on every iteration, no spin hint. */
    public static Machine machine(int nrCpus, ManualClock clock) {
        return Machine.builder(nrCpus).clock(clock).timeoutNanos(T).deadlockCheckIntervalNanos(INTERVAL)
                .checkPeriod(1).spinHint(SpinHint.NONE).build();
    }

    /** Starts a thread that attaches itself to CPU {@code id} and runs {@code body}; failures are kept for {@link #join}. */
    public static Thread start(Machine m, int id, Throwable[] failures, CpuBody body) {
        Thread t = new Thread(() -> {
            Cpu cpu = m.attach(id);
            try {
                body.run(cpu);
            } catch (Throwable e) {
                failures[id] = e;
            }
        }, "cpu" + id);
        t.start();
        return t;
    }

    /**
     * Waits for every thread, then rethrows the first failure of a CPU
     * thread. Written without loops: JPF's EndlessLoopDetector counts a
     * thread's backward jumps at one loop across states, so a loop around a
     * blocking join would be reported as endless in a long search.
     */
    public static void join(Throwable[] failures, Thread... threads) throws InterruptedException {
        joinFrom(threads, 0);
        rethrowFrom(failures, 0);
    }

    private static void joinFrom(Thread[] threads, int i) throws InterruptedException {
        if (i < threads.length) {
            threads[i].join();
            joinFrom(threads, i + 1);
        }
    }

    private static void rethrowFrom(Throwable[] failures, int i) {
        if (i == failures.length) {
            return;
        }
        Throwable f = failures[i];
        if (f instanceof AssertionError) {
            throw (AssertionError) f;
        }
        if (f != null) {
            throw new AssertionError("a CPU thread failed: " + f, f);
        }
        rethrowFrom(failures, i + 1);
    }

    /**
     * Spins (yielding) until {@code condition} holds; throws if a CPU thread
     * failed meanwhile (otherwise a failure before a staging point would
     * look like a run that never ends).
     */
    public static void await(Throwable[] failures, Condition condition) {
        while (!condition.holds()) {
            for (Throwable f : failures) {
                if (f != null) {
                    throw new AssertionError("a CPU thread failed while the harness waited: " + f, f);
                }
            }
            Thread.yield();
        }
    }

    /** A condition awaited by the harness's main thread. */
    @FunctionalInterface
    public interface Condition {
        /** Whether the awaited state is reached. */
        boolean holds();
    }

    /** Throws {@link AssertionError} with {@code message} unless {@code condition}. */
    public static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    /** Outcome of one attempt: null = acquired (and released at once), else the failure. */
    public static LockFailedException attempt(Cpu cpu, RqSpinLock lock, Guard guard) {
        try {
            lock.lock(cpu);
        } catch (LockFailedException e) {
            return e;
        }
        guard.enter(cpu);
        guard.leave();
        lock.unlock(cpu);
        return null;
    }

    /** Text of an outcome for messages. */
    public static String describe(LockFailedException e) {
        return e == null ? "acquired" : "-" + e.errno() + " (" + e.reason() + ")";
    }

    /**
     * Detects two CPUs in a critical section at once: a plain counter,
     * incremented on entry and decremented on exit; JPF and Lincheck explore
     * the interleavings of its accesses.
     */
    public static final class Guard {
        private int inside;

        /** Enter the critical section guarded by the lock just taken. */
        public void enter(Cpu cpu) {
            int n = inside + 1;
            inside = n;
            if (n != 1) { // the message only on failure: JPF would build it on every entry of every path
                throw new AssertionError("mutual exclusion violated: " + cpu + " entered with " + (n - 1)
                        + " CPU(s) inside");
            }
        }

        /** Leave it, before unlocking. */
        public void leave() {
            inside = inside - 1;
        }
    }

    /** Checks that every lock is free and every CPU's held-lock table is empty. */
    public static void checkClean(Machine m, RqSpinLock... locks) {
        for (RqSpinLock l : locks) {
            check(l.lockWord() == 0, l + " left in state " + rqspin.lock.LockWord.describe(l.lockWord()));
        }
        for (int i = 0; i < m.nrCpus(); i++) {
            check(m.cpu(i).heldCount() == 0, "cpu" + i + " table not empty: " + m.cpu(i).heldLockIds());
        }
    }

    /** The version named by {@code args[0]}, V6_19 if absent. */
    public static Version version(String[] args) {
        return args.length > 0 ? Version.valueOf(args[0]) : Version.V6_19;
    }

    /**
     * Initialises, in the calling thread, the classes that a failing attempt
     * uses first: the failure reasons, their errnos and the switch table that
     * maps one to the other. A harness calls it before it starts its CPUs;
     * otherwise the first failure on each path runs their class
     * initialisation, whose locking JPF interleaves with the other CPUs
     * although it is no part of the lock.
     */
    public static void initFailureClasses() {
        for (FailureReason r : FailureReason.values()) {
            for (Version v : Version.values()) {
                r.errno(v);
            }
        }
    }

    /** A clock for harness machines. */
    public static ManualClock clock(int nrCpus) {
        return new ManualClock(nrCpus);
    }

}
