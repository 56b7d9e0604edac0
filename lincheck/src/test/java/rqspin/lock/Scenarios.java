package rqspin.lock;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resilience scenarios for {@link ResilienceTest}: small concurrent programs
 * that start their own threads (one per CPU), check their outcome and throw
 * {@link AssertionError} when a property is violated. Lincheck's
 * {@code runConcurrentTest} explores their interleavings.
 *
 * <p>Time is the per-CPU logical clock: 1 ms per read, T = 10 ms, checks on
 * every iteration. A pending waiter therefore runs its first deadlock check
 * on its third clock read and gives up on its eleventh: every run is finite
 * and deterministic given the interleaving.
 */
final class Scenarios {
    static final long TICK = 1_000_000L;
    static final long T = 10 * TICK;

    private Scenarios() {
    }

    static Machine machine(int cpus) {
        return Machine.builder(cpus).clock(Clock.logical(TICK)).timeoutNanos(T).checkPeriod(1).build();
    }

    /** Runs each body on its own thread attached to CPU i, and waits for all. */
    static void onCpus(Machine m, CpuBody... bodies) {
        Thread[] threads = new Thread[bodies.length];
        Throwable[] failure = new Throwable[1];
        for (int i = 0; i < bodies.length; i++) {
            int id = i;
            threads[i] = new Thread(() -> {
                Cpu cpu = m.attach(id);
                try {
                    bodies[id].run(cpu);
                } catch (Throwable t) {
                    synchronized (failure) {
                        if (failure[0] == null) {
                            failure[0] = t;
                        }
                    }
                } finally {
                    if (m.isAttached()) {
                        m.detach(cpu);
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        if (failure[0] instanceof AssertionError) {
            throw (AssertionError) failure[0];
        }
        if (failure[0] != null) {
            throw new AssertionError("a CPU thread failed: " + failure[0], failure[0]);
        }
    }

    /** The result of one attempt: null on success (the lock is then released at once), else the failure. */
    static LockFailedException attempt(Cpu cpu, RqSpinLock lock) {
        try {
            lock.lock(cpu);
        } catch (LockFailedException e) {
            return e;
        }
        lock.unlock(cpu);
        return null;
    }

    /**
     * After any failed attempt the lock still works for everyone: every CPU
     * in turn takes and releases every lock, and nothing stays held.
     */
    static void assertUsableByEveryone(Machine m, RqSpinLock... locks) {
        for (RqSpinLock l : locks) {
            if (l.lockWord() != 0) {
                throw new AssertionError(l + " left in state " + LockWord.describe(l.lockWord()));
            }
        }
        for (int id = 0; id < m.nrCpus(); id++) {
            Cpu cpu = m.attach(id);
            try {
                if (cpu.heldCount() != 0) {
                    throw new AssertionError(cpu + " table not empty: " + cpu.heldLockIds());
                }
                for (RqSpinLock l : locks) {
                    LockFailedException e = attempt(cpu, l);
                    if (e != null) {
                        throw new AssertionError(cpu + " cannot take " + l + " after the scenario: " + e.getMessage());
                    }
                }
            } finally {
                cpu.detach();
            }
        }
    }

    static void spinUntil(AtomicInteger flag, int value) {
        while (flag.get() < value) {
            Thread.onSpinWait();
        }
    }

    /**
     * AA in a nested context: cpu0 holds A and an NMI on cpu0 attempts A,
     * while cpu1 contends for A. The NMI must get EDEADLK (AA, or in V6_15
     * possibly a cancelled queue, which is EDEADLK too).
     */
    static void aaInNmi(Version v, Mutation mutation) {
        Machine m = machine(2);
        RqSpinLock a = new RqSpinLock(m, v, "A", mutation);
        LockFailedException[] inNmi = new LockFailedException[1];
        onCpus(m, cpu -> {
            a.lock(cpu);
            try {
                inNmi[0] = cpu.callNested(Context.NMI, () -> attempt(cpu, a));
            } finally {
                a.unlock(cpu);
            }
        }, cpu -> attempt(cpu, a));
        if (inNmi[0] == null || inNmi[0].errno() != Errno.EDEADLK) {
            throw new AssertionError("AA in an NMI must return -EDEADLK, got "
                    + (inNmi[0] == null ? "the lock" : inNmi[0].getMessage()));
        }
        assertUsableByEveryone(m, a);
    }

    /**
     * ABBA: cpu0 holds A and attempts B, cpu1 holds B and attempts A, both
     * holding their first lock before attempting the second. At least one
     * attempt returns EDEADLK and no lock stays held.
     */
    static void abba(Version v, Mutation mutation) {
        Machine m = machine(2);
        RqSpinLock a = new RqSpinLock(m, v, "A", mutation);
        RqSpinLock b = new RqSpinLock(m, v, "B", mutation);
        AtomicInteger holding = new AtomicInteger();
        LockFailedException[] second = new LockFailedException[2];
        onCpus(m, cpu -> {
            a.lock(cpu);
            holding.getAndIncrement();
            spinUntil(holding, 2);
            second[0] = attempt(cpu, b);
            a.unlock(cpu);
        }, cpu -> {
            b.lock(cpu);
            holding.getAndIncrement();
            spinUntil(holding, 2);
            second[1] = attempt(cpu, a);
            b.unlock(cpu);
        });
        boolean deadlockReported = (second[0] != null && second[0].errno() == Errno.EDEADLK)
                || (second[1] != null && second[1].errno() == Errno.EDEADLK);
        if (!deadlockReported) {
            throw new AssertionError("ABBA must give -EDEADLK to at least one attempt, got cpu0: "
                    + describe(second[0]) + ", cpu1: " + describe(second[1]));
        }
        assertUsableByEveryone(m, a, b);
    }

    /**
     * ABBA without a rendezvous: any interleaving of A-then-B against
     * B-then-A. Every attempt ends; failures are only ABBA deadlocks or
     * timeouts; nothing stays held.
     */
    static void abbaUnforced(Version v) {
        Machine m = machine(2);
        RqSpinLock a = new RqSpinLock(m, v, "A");
        RqSpinLock b = new RqSpinLock(m, v, "B");
        onCpus(m, cpu -> nested(cpu, a, b), cpu -> nested(cpu, b, a));
        assertUsableByEveryone(m, a, b);
    }

    private static void nested(Cpu cpu, RqSpinLock first, RqSpinLock second) {
        try {
            first.lock(cpu);
        } catch (LockFailedException e) {
            expectOnly(e, FailureReason.TIMEOUT);
            return;
        }
        try {
            LockFailedException e = attempt(cpu, second);
            if (e != null) {
                expectOnly(e, FailureReason.ABBA, FailureReason.TIMEOUT);
            }
        } finally {
            first.unlock(cpu);
        }
    }

    private static void expectOnly(LockFailedException e, FailureReason... allowed) {
        for (FailureReason r : allowed) {
            if (e.reason() == r) {
                return;
            }
        }
        throw new AssertionError("unexpected failure: " + e.getMessage());
    }

    /**
     * A waiter behind an owner that never releases (until the waiter gave
     * up) returns ETIMEDOUT; then the owner releases and the lock works.
     */
    static void stuckOwner(Version v, Mutation mutation) {
        Machine m = machine(2);
        RqSpinLock a = new RqSpinLock(m, v, "A", mutation);
        AtomicInteger phase = new AtomicInteger();
        LockFailedException[] waiter = new LockFailedException[1];
        onCpus(m, cpu -> {
            a.lock(cpu);
            phase.set(1);
            spinUntil(phase, 2); // hold until the waiter gave up
            a.unlock(cpu);
        }, cpu -> {
            spinUntil(phase, 1);
            waiter[0] = attempt(cpu, a);
            phase.set(2);
        });
        if (waiter[0] == null || waiter[0].errno() != Errno.ETIMEDOUT) {
            throw new AssertionError("a waiter behind a stuck owner must return -ETIMEDOUT, got " + describe(waiter[0]));
        }
        assertUsableByEveryone(m, a);
    }

    static String describe(LockFailedException e) {
        return e == null ? "the lock" : "-" + e.errno() + " (" + e.reason() + ")";
    }

    /** A CPU thread's body. */
    @FunctionalInterface
    interface CpuBody {
        void run(Cpu cpu) throws Exception;
    }
}
