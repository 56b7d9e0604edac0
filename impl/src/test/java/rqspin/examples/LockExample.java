package rqspin.examples;

import java.io.PrintStream;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.DeadlockException;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * The rqspinlock examples of impl/README.md: the regions between the
 * {@code // [name]} and {@code // [/name]} lines are quoted there verbatim
 * (DocExamplesTest checks it) and run by ExamplesTest, which checks what the
 * comments claim.
 */
public final class LockExample {
    private LockExample() {
    }

    /** Takes and releases A, then an NMI on the same CPU attempts A while the task holds it; returns A. */
    static RqSpinLock run(PrintStream out) throws LockFailedException {
        // [basic]
        Machine m = Machine.of(2);                      // 2 CPUs; system clock, T = 250 ms, checks every 65,536 spins
        RqSpinLock a = new RqSpinLock(m, Version.V6_19, "A");
        Cpu cpu = m.attach();                           // this thread now runs as cpu0
        try {
            a.lock(cpu);                                // res_spin_lock
            try {
                out.println("cpu0 holds " + a);         // the critical section
            } finally {
                a.unlock(cpu);                          // res_spin_unlock
            }
        } catch (LockFailedException e) {               // -EDEADLK or -ETIMEDOUT: the lock is not held
            out.println(e.getMessage());
        }
        // [/basic]
        try {
            // [aa-in-nmi]
            a.lock(cpu);                                // the task holds A
            try {
                cpu.runNested(Context.NMI, () -> a.lock(cpu)); // an NMI on cpu0 takes A: a qspinlock would spin forever
            } catch (DeadlockException e) {             // rqspinlock returns -EDEADLK at once
                out.println(e.getMessage());            // res_spin_lock(A) on cpu0 in NMI returned -EDEADLK: AA ...
            }
            a.unlock(cpu);                              // the task still holds A, and releases it
            // [/aa-in-nmi]
        } finally {
            cpu.detach();
        }
        return a;
    }

    /** Runs the example. */
    public static void main(String[] args) throws LockFailedException {
        run(System.out);
    }
}
