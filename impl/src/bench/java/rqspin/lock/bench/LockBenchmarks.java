package rqspin.lock.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import rqspin.lock.Cpu;
import rqspin.lock.FastPathAblation;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.QSpinLock;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * Lock + unlock of an empty-ish critical section (one shared counter
 * increment), uncontended (1 thread) and contended (2 threads on one lock),
 * for RqSpinLock (V7_2, the newest, whose fast path is V6_19's, and V6_15; each
 * also on a machine without the misuse record), QSpinLock, ReentrantLock and synchronized,
 * with the kernel's defaults (system clock, T = 250 ms, checks every 65,536
 * spins, Thread.onSpinWait).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LockBenchmarks {

    /** The locks under test, shared by the benchmark's threads. */
    @State(Scope.Benchmark)
    public static class Locks {
        final Machine machine = Machine.of(4);
        final RqSpinLock rq72 = new RqSpinLock(machine, Version.V7_2, "rq72");
        final RqSpinLock rq615 = new RqSpinLock(machine, Version.V6_15, "rq615");
        final QSpinLock q = new QSpinLock(machine, "q");
        /** The same CPUs without the misuse record (Machine.Builder.misuseRecord(false)): the verifier's mode. */
        final Machine verified = Machine.builder(4).misuseRecord(false).build();
        final RqSpinLock rq72v = new RqSpinLock(verified, Version.V7_2, "rq72v");
        final RqSpinLock rq615v = new RqSpinLock(verified, Version.V6_15, "rq615v");
        /** Ablations of the uncontended path (see FastPathAblation). */
        final FastPathAblation noTable = new FastPathAblation();
        final FastPathAblation plainTable = new FastPathAblation();
        final FastPathAblation releaseTable = new FastPathAblation();
        final FastPathAblation opaqueTable = new FastPathAblation();
        final ReentrantLock reentrant = new ReentrantLock();
        final Object monitor = new Object();
        long counter;
    }

    /** Each benchmark thread runs as one CPU of each shared machine. */
    @State(Scope.Thread)
    public static class ThisCpu {
        Cpu cpu;
        Cpu vcpu;

        @Setup(Level.Trial)
        public void attach(Locks locks) {
            cpu = locks.machine.attach();
            vcpu = locks.verified.attach();
        }

        @TearDown(Level.Trial)
        public void detach() {
            cpu.detach();
            vcpu.detach();
        }
    }

    static long rq(Locks l, RqSpinLock lock, Cpu cpu) {
        try {
            lock.lock(cpu);
        } catch (LockFailedException e) {
            throw new IllegalStateException(e.getMessage());
        }
        long v = ++l.counter;
        lock.unlock(cpu);
        return v;
    }

    static long q(Locks l, Cpu cpu) {
        l.q.lock(cpu);
        long v = ++l.counter;
        l.q.unlock();
        return v;
    }

    static long reentrant(Locks l) {
        l.reentrant.lock();
        try {
            return ++l.counter;
        } finally {
            l.reentrant.unlock();
        }
    }

    static long sync(Locks l) {
        synchronized (l.monitor) {
            return ++l.counter;
        }
    }

    @Benchmark
    @Threads(1)
    public long uncontendedRqSpinLockV72(Locks l, ThisCpu c) {
        return rq(l, l.rq72, c.cpu);
    }

    @Benchmark
    @Threads(1)
    public long uncontendedRqSpinLockV615(Locks l, ThisCpu c) {
        return rq(l, l.rq615, c.cpu);
    }

    @Benchmark
    @Threads(1)
    public long uncontendedRqSpinLockV72NoRecord(Locks l, ThisCpu c) {
        return rq(l, l.rq72v, c.vcpu);
    }

    @Benchmark
    @Threads(1)
    public long uncontendedRqSpinLockV615NoRecord(Locks l, ThisCpu c) {
        return rq(l, l.rq615v, c.vcpu);
    }

    @Benchmark
    @Threads(1)
    public long uncontendedQSpinLock(Locks l, ThisCpu c) {
        return q(l, c.cpu);
    }

    @Benchmark
    @Threads(1)
    public long uncontendedReentrantLock(Locks l) {
        return reentrant(l);
    }

    @Benchmark
    @Threads(1)
    public long uncontendedSynchronized(Locks l) {
        return sync(l);
    }

    /** Ablation: QSpinLock's fast path without its CPU checks. */
    @Benchmark
    @Threads(1)
    public long uncontendedAblationNoTable(Locks l) {
        l.noTable.lockNoTable();
        long v = ++l.counter;
        l.noTable.unlockNoTable();
        return v;
    }

    /** Ablation: plus the held-lock table's four stores, plain. */
    @Benchmark
    @Threads(1)
    public long uncontendedAblationPlainTable(Locks l) {
        l.plainTable.lockPlainTable();
        long v = ++l.counter;
        l.plainTable.unlockPlainTable();
        return v;
    }

    /** Ablation: plus the held-lock table's four stores as RqSpinLock makes them (release stores). */
    @Benchmark
    @Threads(1)
    public long uncontendedAblationReleaseTable(Locks l) {
        l.releaseTable.lockReleaseTable();
        long v = ++l.counter;
        l.releaseTable.unlockReleaseTable();
        return v;
    }

    /** Ablation: plus the same four stores as opaque stores (WRITE_ONCE's match in Java). */
    @Benchmark
    @Threads(1)
    public long uncontendedAblationOpaqueTable(Locks l) {
        l.opaqueTable.lockOpaqueTable();
        long v = ++l.counter;
        l.opaqueTable.unlockOpaqueTable();
        return v;
    }

    @Benchmark
    @Threads(2)
    public long contendedRqSpinLockV72(Locks l, ThisCpu c) {
        return rq(l, l.rq72, c.cpu);
    }

    @Benchmark
    @Threads(2)
    public long contendedRqSpinLockV615(Locks l, ThisCpu c) {
        return rq(l, l.rq615, c.cpu);
    }

    @Benchmark
    @Threads(2)
    public long contendedQSpinLock(Locks l, ThisCpu c) {
        return q(l, c.cpu);
    }

    @Benchmark
    @Threads(2)
    public long contendedReentrantLock(Locks l) {
        return reentrant(l);
    }

    @Benchmark
    @Threads(2)
    public long contendedSynchronized(Locks l) {
        return sync(l);
    }

}
