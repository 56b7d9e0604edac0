package rqspin.model;

import static rqspin.model.Harness.attempt;
import static rqspin.model.Harness.check;
import static rqspin.model.Harness.describe;

import java.util.concurrent.atomic.AtomicInteger;
import rqspin.lock.Errno;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.ManualClock;
import rqspin.lock.RqSpinLock;

/**
 * ABBA: cpu0 holds A and attempts B while cpu1 holds B and attempts A. Once
 * both wait, the harness moves time by 2 ms (the ABBA check runs at most
 * every 1 ms; no deadline passes).
 *
 * <p>Checks: at least one attempt returns -EDEADLK, the other acquires or
 * returns -EDEADLK; mutual exclusion; every thread finishes; nothing held.
 */
public final class Abba {
    private Abba() {
    }

    /** Runs the scenario; throws AssertionError on a violated property. */
    public static void run(Harness.LockFactory locks) throws InterruptedException {
        ManualClock clock = Harness.clock(2);
        Machine m = Harness.machine(2, clock);
        RqSpinLock a = locks.create(m, "A");
        RqSpinLock b = locks.create(m, "B");
        Harness.Guard guardA = new Harness.Guard();
        Harness.Guard guardB = new Harness.Guard();
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        LockFailedException[] second = new LockFailedException[2];
        Throwable[] failures = new Throwable[2];
        Thread t0 = Harness.start(m, 0, failures, cpu -> {
            a.lock(cpu);
            guardA.enter(cpu);
            holding.getAndIncrement();
            Harness.await(failures, () -> holding.get() == 2);
            second[0] = attempt(cpu, b, guardB);
            done.getAndIncrement();
            guardA.leave();
            a.unlock(cpu);
        });
        Thread t1 = Harness.start(m, 1, failures, cpu -> {
            b.lock(cpu);
            guardB.enter(cpu);
            holding.getAndIncrement();
            Harness.await(failures, () -> holding.get() == 2);
            second[1] = attempt(cpu, a, guardA);
            done.getAndIncrement();
            guardB.leave();
            b.unlock(cpu);
        });
        Harness.await(failures, () -> (clock.hasRead(0) && clock.hasRead(1)) || done.get() > 0);
        clock.advance(2 * Harness.INTERVAL);
        Harness.join(failures, t0, t1);
        boolean deadlock = (second[0] != null && second[0].errno() == Errno.EDEADLK)
                || (second[1] != null && second[1].errno() == Errno.EDEADLK);
        check(deadlock, "ABBA must give -EDEADLK to at least one attempt, got cpu0 " + describe(second[0])
                + ", cpu1 " + describe(second[1]));
        check((second[0] == null || second[0].errno() == Errno.EDEADLK)
                        && (second[1] == null || second[1].errno() == Errno.EDEADLK),
                "no deadline passed, yet cpu0 " + describe(second[0]) + ", cpu1 " + describe(second[1]));
        Harness.checkClean(m, a, b);
    }

    /** {@code Abba [V6_15|V6_19]}. */
    public static void main(String[] args) throws InterruptedException {
        run(Harness.LockFactory.of(Harness.version(args)));
        System.out.println("Abba " + Harness.version(args) + ": passed");
    }
}
