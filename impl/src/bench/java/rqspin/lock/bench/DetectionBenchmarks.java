package rqspin.lock.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.DeadlockException;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * Time to detect a deadlock with the kernel's defaults (system clock, T =
 * 250 ms, checks every 65,536 spins).
 *
 * <p>AA: one operation = cpu0 takes A, an NMI on cpu0 attempts A and gets
 * -EDEADLK, cpu0 releases A. ABBA: one operation = cpu0 holds A and a helper
 * thread (cpu1) holds B, both attempt the other lock at the same moment, and
 * the operation ends when cpu0's attempt returns (with -EDEADLK, or with the
 * lock once cpu1 got -EDEADLK and released B) and both released everything.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class DetectionBenchmarks {
    @Param({"V7_2", "V6_15"})
    public String version;

    Machine machine;
    RqSpinLock a;
    RqSpinLock b;
    Cpu cpu;
    Thread helper;
    final AtomicInteger round = new AtomicInteger();
    final AtomicInteger helperHolds = new AtomicInteger();
    final AtomicInteger helperDone = new AtomicInteger();
    volatile boolean stop;

    @Setup(Level.Trial)
    public void setup() {
        machine = Machine.of(2);
        Version v = Version.valueOf(version);
        a = new RqSpinLock(machine, v, "A");
        b = new RqSpinLock(machine, v, "B");
        cpu = machine.attach(0);
        helper = new Thread(this::helperLoop, "abba-helper");
        helper.setDaemon(true);
        helper.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop = true;
        helper.join();
        cpu.detach();
    }

    /** cpu1: per round, take B, wait for the attempt signal, attempt A, release. */
    private void helperLoop() {
        Cpu c = machine.attach(1);
        int seen = 0;
        while (!stop) {
            if (round.get() == seen) {
                Thread.onSpinWait();
                continue;
            }
            seen = round.get();
            try {
                b.lock(c);
            } catch (LockFailedException e) {
                throw new IllegalStateException(e.getMessage());
            }
            helperHolds.set(seen);
            try {
                a.lock(c);
                a.unlock(c);
            } catch (LockFailedException e) {
                // -EDEADLK: the ABBA was detected here
            }
            b.unlock(c);
            helperDone.set(seen);
        }
        c.detach();
    }

    @Benchmark
    public boolean aaInNmi() throws LockFailedException {
        a.lock(cpu);
        try {
            return cpu.callNested(Context.NMI, () -> {
                try {
                    a.lock(cpu);
                    a.unlock(cpu);
                    return false;
                } catch (DeadlockException e) {
                    return true;
                }
            });
        } finally {
            a.unlock(cpu);
        }
    }

    @Benchmark
    public boolean abba() throws LockFailedException {
        a.lock(cpu);
        int r = round.incrementAndGet();
        while (helperHolds.get() != r) {
            Thread.onSpinWait();
        }
        boolean detectedHere;
        try {
            b.lock(cpu);
            b.unlock(cpu);
            detectedHere = false;
        } catch (DeadlockException e) {
            detectedHere = true;
        }
        a.unlock(cpu);
        while (helperDone.get() != r) {
            Thread.onSpinWait();
        }
        return detectedHere;
    }
}
