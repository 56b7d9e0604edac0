package rqspin.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;

/**
 * Test fixture: a kernel on a small machine, the test thread as cpu0, and
 * helpers to run a body on another CPU's thread.
 */
final class World implements AutoCloseable {
    final Machine machine;
    final Kernel kernel;
    final Cpu cpu0;
    final Gate gate = new Gate();
    private final List<Thread> threads = new ArrayList<>();

    World(Protocol p) {
        this(Kernel.builder(Machine.of(4)).protocol(p));
    }

    /**
     * Told of each world's kernel settings before the kernel is built (null:
     * nobody): the conformance module's recorder names what the kernel
     * allocates and installs its step gate through it.
     */
    static volatile java.util.function.Consumer<Kernel.Builder> onBuild;
    /** Told of each world's kernel once it is built (null: nobody). */
    static volatile java.util.function.Consumer<Kernel> onKernel;

    World(Kernel.Builder b) {
        java.util.function.Consumer<Kernel.Builder> ob = onBuild;
        if (ob != null) {
            ob.accept(b);
        }
        this.kernel = b.build();
        java.util.function.Consumer<Kernel> ok = onKernel;
        if (ok != null) {
            ok.accept(kernel);
        }
        this.machine = kernel.machine();
        this.cpu0 = machine.attach(0);
        kernel.setTracer(gate);
    }

    static byte[] val(int v) {
        return new byte[] {(byte) v, 0, 0, 0, 0, 0, 0, 0};
    }

    /** A body run by a CPU's thread. */
    interface Body {
        void run(Cpu cpu) throws Exception;
    }

    /** A body running on its own thread. */
    final class Run {
        final Thread thread;
        final AtomicReference<Throwable> failure;

        Run(Thread thread, AtomicReference<Throwable> failure) {
            this.thread = thread;
            this.failure = failure;
        }

        /** Waits for the body; returns what it threw, or null. */
        Throwable join() throws InterruptedException {
            thread.join(20_000);
            if (thread.isAlive()) {
                throw new AssertionError(thread.getName() + " did not finish; trace:\n" + gate.trace());
            }
            return failure.get();
        }

        boolean isAlive() {
            return thread.isAlive();
        }
    }

    /** Starts {@code body} on a new thread attached to cpu {@code id}. */
    Run start(int id, Body body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            Cpu c = machine.attach(id);
            try {
                body.run(c);
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                c.detach();
            }
        }, "cpu" + id);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return new Run(t, failure);
    }

    /** Waits for every started thread. */
    void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join(20_000);
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not finish; trace:\n" + gate.trace());
            }
        }
        threads.clear();
    }

    /** Runs every pending RCU callback (the test thread must be outside a read-side section). */
    void quiesce() {
        kernel.rcu().barrier(cpu0);
    }

    @Override
    public void close() {
        if (machine.isAttached()) {
            cpu0.detach();
        }
    }
}
