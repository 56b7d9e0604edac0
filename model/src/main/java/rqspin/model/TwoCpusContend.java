package rqspin.model;

import static rqspin.model.Harness.attempt;
import static rqspin.model.Harness.check;
import static rqspin.model.Harness.describe;

import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.ManualClock;
import rqspin.lock.RqSpinLock;

/**
 * Two CPUs contend for one lock, each taking and releasing it twice (fast
 * path, pending waiter, queue head: whichever the interleaving gives). Time
 * never moves, so no attempt may give up.
 *
 * <p>Checks: mutual exclusion (guard), every attempt acquires, every thread
 * finishes, the lock word and tables end clean.
 */
public final class TwoCpusContend {
    private TwoCpusContend() {
    }

    /** Runs the scenario; throws AssertionError on a violated property. */
    public static void run(Harness.LockFactory locks) throws InterruptedException {
        ManualClock clock = Harness.clock(2);
        Machine m = Harness.machine(2, clock);
        RqSpinLock l = locks.create(m, "L");
        Harness.Guard guard = new Harness.Guard();
        LockFailedException[] failed = new LockFailedException[2];
        Throwable[] failures = new Throwable[2];
        Harness.CpuBody body = cpu -> {
            for (int i = 0; i < 2; i++) {
                LockFailedException e = attempt(cpu, l, guard);
                if (e != null) {
                    failed[cpu.id()] = e;
                }
            }
        };
        Thread t0 = Harness.start(m, 0, failures, body);
        Thread t1 = Harness.start(m, 1, failures, body);
        Harness.join(failures, t0, t1);
        check(failed[0] == null && failed[1] == null,
                "with time standing still every attempt must acquire: cpu0 " + describe(failed[0]) + ", cpu1 "
                        + describe(failed[1]));
        Harness.checkClean(m, l);
    }

    /** {@code TwoCpusContend [V6_15|V6_19]}. */
    public static void main(String[] args) throws InterruptedException {
        run(Harness.LockFactory.of(Harness.version(args)));
        System.out.println("TwoCpusContend " + Harness.version(args) + ": passed");
    }
}
