package rqspin.model;

import static rqspin.model.Harness.attempt;
import static rqspin.model.Harness.check;
import static rqspin.model.Harness.describe;

import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.FailureReason;
import rqspin.lock.LockFailedException;
import rqspin.lock.LockWord;
import rqspin.lock.Machine;
import rqspin.lock.ManualClock;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * A queue head times out with two waiters queued behind it. cpu0 (the
 * harness's main thread) holds L and does not release it; cpu1 waits as the
 * pending waiter, cpu2 as the queue head, cpu3 and cpu4 behind it. Once all
 * are in place (and the two timed waiters have armed their deadlines at time
 * 0), time jumps past 2T.
 *
 * <p>Checks: the pending waiter and the head return -ETIMEDOUT; both queued
 * waiters are cancelled by the cascade (-EDEADLK in V6_15 and V6_17,
 * -ETIMEDOUT from V6_19 on: Version.cascadeTimedOut); every thread finishes; the lock word is back to (0,0,1) (the
 * owner still holds it, pending cleared, tail reset) and the failed CPUs'
 * tables are empty; after the owner releases, the lock works again.
 */
public final class AbortCascade {
    private AbortCascade() {
    }

    /** Runs the scenario; throws AssertionError on a violated property. */
    public static void run(Harness.LockFactory locks) throws Exception {
        Harness.initFailureClasses();
        ManualClock clock = Harness.clock(5);
        Machine m = Harness.machine(5, clock);
        RqSpinLock l = locks.create(m, "L");
        Harness.Guard guard = new Harness.Guard();
        LockFailedException[] result = new LockFailedException[5];
        Throwable[] failures = new Throwable[5];
        Cpu owner = m.attach(0);
        l.lock(owner);
        Thread pending = Harness.start(m, 1, failures, cpu -> result[1] = attempt(cpu, l, guard));
        Harness.await(failures, () -> (l.lockWord() & LockWord.PENDING_MASK) != 0 && clock.hasRead(1));
        Thread head = Harness.start(m, 2, failures, cpu -> result[2] = attempt(cpu, l, guard));
        Harness.await(failures, () -> (l.lockWord() & LockWord.TAIL_MASK) == LockWord.encodeTail(2, 0) && clock.hasRead(2));
        Thread w1 = Harness.start(m, 3, failures, cpu -> result[3] = attempt(cpu, l, guard));
        Harness.await(failures, () -> (l.lockWord() & LockWord.TAIL_MASK) == LockWord.encodeTail(3, 0));
        Thread w2 = Harness.start(m, 4, failures, cpu -> result[4] = attempt(cpu, l, guard));
        Harness.await(failures, () -> (l.lockWord() & LockWord.TAIL_MASK) == LockWord.encodeTail(4, 0));
        clock.advance(3 * Harness.T);
        Harness.join(failures, pending, head, w1, w2);

        check(result[1] != null && result[1].reason() == FailureReason.TIMEOUT,
                "the pending waiter must time out, got " + describe(result[1]));
        check(result[2] != null && result[2].reason() == FailureReason.TIMEOUT,
                "the queue head must time out, got " + describe(result[2]));
        Version v = l.version();
        Errno cancelled = v.cascadeTimedOut() ? Errno.ETIMEDOUT : Errno.EDEADLK;
        for (int i = 3; i <= 4; i++) {
            check(result[i] != null && result[i].reason() == FailureReason.QUEUE_ABORTED
                            && result[i].errno() == cancelled,
                    "cpu" + i + " behind the head must be cancelled with -" + cancelled + ", got " + describe(result[i]));
        }
        check(l.lockWord() == LockWord.LOCKED_VAL,
                "after the cascade the word must be (0,0,1), is " + LockWord.describe(l.lockWord()));
        for (int i = 1; i <= 4; i++) {
            check(m.cpu(i).heldCount() == 0, "cpu" + i + " table not empty: " + m.cpu(i).heldLockIds());
        }
        l.unlock(owner);
        Harness.checkClean(m, l);
        check(attempt(owner, l, guard) == null, "the lock must work again after the cascade");
        owner.detach();
    }

    /** {@code AbortCascade [V6_15|V6_19]}. */
    public static void main(String[] args) throws Exception {
        run(Harness.LockFactory.of(Harness.version(args)));
        System.out.println("AbortCascade " + Harness.version(args) + ": passed");
    }
}
