package rqspin.model;

import static rqspin.model.Harness.attempt;
import static rqspin.model.Harness.check;
import static rqspin.model.Harness.describe;

import java.util.concurrent.atomic.AtomicInteger;
import rqspin.lock.Errno;
import rqspin.lock.LockFailedException;
import rqspin.lock.LockWord;
import rqspin.lock.Machine;
import rqspin.lock.ManualClock;
import rqspin.lock.RqSpinLock;

/**
 * The V6_19 head handover (7bd6e5ce5be6): a queue head that detects a
 * deadlock passes the head role to its successor instead of cancelling the
 * queue. cpu0 holds B; cpu1 waits for B as the pending waiter; cpu2 holds A
 * and becomes head of B's queue; cpu3 queues behind it (the successor,
 * unless {@code withSuccessor} is false); then cpu0 attempts A: an ABBA
 * between cpu0 and cpu2. Time moves by 2 ms (one ABBA check; no deadline).
 *
 * <p>Checks (V6_19): at least one of cpu0, cpu2 returns -EDEADLK; the
 * successor and the pending waiter acquire (the claim that a deadlock at the
 * head does not fail the waiters behind it); mutual exclusion; every thread
 * finishes; nothing held. In V6_15 the head cancels its queue, so the
 * successor can fail: the harness then reports that, as expected.
 *
 * <p>Without a successor (the finding of {@link #main} with
 * {@code no-successor}), time then also jumps past every deadline: a V6_19
 * head that detected the deadlock waits for a successor that never comes,
 * alone, forever; only termination and the clean end state are checked.
 */
public final class HeadHandover {
    private HeadHandover() {
    }

    /** Runs the scenario; throws AssertionError on a violated property. */
    public static void run(Harness.LockFactory locks, boolean withSuccessor) throws InterruptedException {
        int n = withSuccessor ? 4 : 3;
        Harness.initFailureClasses();
        ManualClock clock = Harness.clock(n);
        Machine m = Harness.machine(n, clock);
        RqSpinLock a = locks.create(m, "A");
        RqSpinLock b = locks.create(m, "B");
        Harness.Guard guardA = new Harness.Guard();
        Harness.Guard guardB = new Harness.Guard();
        AtomicInteger go = new AtomicInteger();
        AtomicInteger returned = new AtomicInteger(); // attempts of cpu0 and cpu2 that returned
        LockFailedException[] result = new LockFailedException[4];
        Throwable[] failures = new Throwable[4];
        Thread t0 = Harness.start(m, 0, failures, cpu -> {
            b.lock(cpu);
            guardB.enter(cpu);
            go.set(1);
            Harness.await(failures, () -> go.get() == 2);
            result[0] = attempt(cpu, a, guardA);
            returned.getAndIncrement();
            guardB.leave();
            b.unlock(cpu);
        });
        Harness.await(failures, () -> go.get() == 1);
        Thread t1 = Harness.start(m, 1, failures, cpu -> result[1] = attempt(cpu, b, guardB));
        Harness.await(failures, () -> (b.lockWord() & LockWord.PENDING_MASK) != 0 && clock.hasRead(1));
        Thread t2 = Harness.start(m, 2, failures, cpu -> {
            a.lock(cpu);
            guardA.enter(cpu);
            result[2] = attempt(cpu, b, guardB);
            returned.getAndIncrement();
            guardA.leave();
            a.unlock(cpu);
        });
        Harness.await(failures, () -> (b.lockWord() & LockWord.TAIL_MASK) == LockWord.encodeTail(2, 0) && clock.hasRead(2));
        Thread t3 = null;
        if (withSuccessor) {
            t3 = Harness.start(m, 3, failures, cpu -> result[3] = attempt(cpu, b, guardB));
            Harness.await(failures, () -> (b.lockWord() & LockWord.TAIL_MASK) == LockWord.encodeTail(3, 0));
        }
        go.set(2);
        Harness.await(failures, () -> (a.lockWord() & LockWord.PENDING_MASK) != 0 && clock.hasRead(0));
        clock.advance(2 * Harness.INTERVAL);
        if (!withSuccessor) {
            // Once one ABBA partner is back, time passes: every timed wait ends, so a CPU still
            // spinning then spins forever (and, once the others are done, alone).
            Harness.await(failures, () -> returned.get() > 0);
            clock.advance(100 * Harness.T);
        }
        if (withSuccessor) {
            Harness.join(failures, t0, t1, t2, t3);
        } else {
            Harness.join(failures, t0, t1, t2);
        }
        if (!withSuccessor) {
            Harness.checkClean(m, a, b); // any outcome may be a timeout now; only termination and cleanliness count
            return;
        }
        boolean deadlock = (result[0] != null && result[0].errno() == Errno.EDEADLK)
                || (result[2] != null && result[2].errno() == Errno.EDEADLK);
        check(deadlock, "the ABBA between cpu0 and cpu2 must give -EDEADLK to one of them, got cpu0 "
                + describe(result[0]) + ", cpu2 " + describe(result[2]));
        check(result[1] == null, "the pending waiter must acquire, got " + describe(result[1]));
        {
            check(result[3] == null, "the successor of a head that detected a deadlock must not fail, got "
                    + describe(result[3]));
        }
        Harness.checkClean(m, a, b);
    }

    /** {@code HeadHandover [V6_15|V6_19] [no-successor]}. */
    public static void main(String[] args) throws InterruptedException {
        boolean withSuccessor = !(args.length > 1 && args[1].equals("no-successor"));
        run(Harness.LockFactory.of(Harness.version(args)), withSuccessor);
        System.out.println("HeadHandover " + Harness.version(args) + (withSuccessor ? "" : " no-successor")
                + ": passed");
    }
}
