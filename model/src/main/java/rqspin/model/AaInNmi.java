package rqspin.model;

import static rqspin.model.Harness.attempt;
import static rqspin.model.Harness.check;
import static rqspin.model.Harness.describe;

import java.util.concurrent.atomic.AtomicInteger;
import rqspin.lock.Context;
import rqspin.lock.Errno;
import rqspin.lock.LockFailedException;
import rqspin.lock.LockWord;
import rqspin.lock.Machine;
import rqspin.lock.ManualClock;
import rqspin.lock.RqSpinLock;

/**
 * AA in an NMI: cpu0 holds A; cpu1 waits for A as the pending waiter; an NMI
 * on cpu0 attempts A (it queues behind cpu1's pending bit). The harness then
 * moves time by 2 ms (V6_15 checks AA only after 1 ms; no deadline passes).
 *
 * <p>Checks: the NMI's attempt returns -EDEADLK; cpu1 acquires after cpu0
 * releases; mutual exclusion; every thread finishes; clean end state.
 */
public final class AaInNmi {
    private AaInNmi() {
    }

    /** Runs the scenario; throws AssertionError on a violated property. */
    public static void run(Harness.LockFactory locks) throws InterruptedException {
        ManualClock clock = Harness.clock(2);
        Machine m = Harness.machine(2, clock);
        RqSpinLock a = locks.create(m, "A");
        Harness.Guard guard = new Harness.Guard();
        AtomicInteger phase = new AtomicInteger();
        LockFailedException[] result = new LockFailedException[2];
        Throwable[] failures = new Throwable[2];
        Thread t0 = Harness.start(m, 0, failures, cpu -> {
            a.lock(cpu);
            guard.enter(cpu);
            phase.set(1);
            Harness.await(failures, () -> phase.get() == 2);
            result[0] = cpu.callNested(Context.NMI, () -> attempt(cpu, a, guard));
            phase.set(3);
            guard.leave();
            a.unlock(cpu);
        });
        Harness.await(failures, () -> phase.get() == 1);
        Thread t1 = Harness.start(m, 1, failures, cpu -> result[1] = attempt(cpu, a, guard));
        Harness.await(failures, () -> (a.lockWord() & LockWord.PENDING_MASK) != 0 && clock.hasRead(1));
        phase.set(2);
        Harness.await(failures, () -> clock.hasRead(0) || phase.get() == 3);
        clock.advance(2 * Harness.INTERVAL);
        Harness.join(failures, t0, t1);
        check(result[0] != null && result[0].errno() == Errno.EDEADLK,
                "AA in an NMI must return -EDEADLK, got " + describe(result[0]));
        check(result[1] == null, "cpu1 must acquire once cpu0 releases, got " + describe(result[1]));
        Harness.checkClean(m, a);
    }

    /** {@code AaInNmi [V6_15|V6_19]}. */
    public static void main(String[] args) throws InterruptedException {
        run(Harness.LockFactory.of(Harness.version(args)));
        System.out.println("AaInNmi " + Harness.version(args) + ": passed");
    }
}
