package rqspin.tools;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.FailureReason;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.SpinHint;
import rqspin.lock.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The torture run of the lock, after locktorture's {@code raw_res_spin_lock}
 * mode (kernel/locking/locktorture.c, torture_raw_res_spin_write_lock, added
 * by a6884f6f1dd5 "rqspinlock: Add locktorture support", the 6.15 rqspinlock
 * series): {@code --cpus}
 * writer CPUs take {@link RqSpinLock}s of one {@link Version} over and over
 * and hold each for {@code --hold-us} microseconds, now and then (probability
 * {@code --long-hold-rate} per acquisition) for {@code --long-hold-ms}
 * milliseconds. With {@code --locks} of 2 or more a quarter of the
 * acquisitions take a second lock inside the first, in either order, so ABBA
 * deadlocks happen; with {@code --nested} the critical section is now and
 * then interrupted by an NMI (a nested context on the same CPU,
 * {@link Cpu#runNested}) that takes a random lock, possibly one its CPU
 * holds: an AA deadlock the lock must report as {@code -EDEADLK}.
 *
 * <p>Inside every critical section an exclusion check (as locktorture has one): each lock has an owner
 * field, set by compare-and-set from free to the holder on entry, checked at
 * the end of the hold and cleared by compare-and-set on exit. A failed
 * compare-and-set or a changed owner is an exclusion violation: two holders
 * at once.
 *
 * <p>Unlike locktorture, whose writer does not act on an error of
 * {@code writelock()}, a failed attempt here is counted by errno and by reason
 * ({@link FailureReason}) and the lock is not released. The summary gives
 * acquisitions, failures, the longest wait of an attempt that succeeded and
 * of one that failed, and the violations. Exit status: 0 no violation; 1 an
 * exclusion violation or an unexpected exception in a CPU; 2 bad arguments
 * (one line on stderr, nothing run). The progress line goes to stderr, the
 * summary to stdout.
 */
public final class Torture {

    /** What the torture run locks: {@link RqSpinLock} normally, a broken lock in the tests. */
    interface TortureLock {
        void lock(Cpu cpu) throws LockFailedException;

        void unlock(Cpu cpu);
    }

    /** Makes the lock with the given index. */
    interface LockFactory {
        TortureLock make(Machine m, Version v, int index);
    }

    /** The real lock: {@code res_spin_lock} / {@code res_spin_unlock}. */
    static final LockFactory RQSPINLOCK = (m, v, i) -> {
        RqSpinLock l = new RqSpinLock(m, v, "torture" + i);
        return new TortureLock() {
            @Override
            public void lock(Cpu cpu) throws LockFailedException {
                l.lock(cpu);
            }

            @Override
            public void unlock(Cpu cpu) {
                l.unlock(cpu);
            }
        };
    };

    /** The settings of a run. */
    public static final class Config {
        int cpus = 4;
        int locks = 2;
        /** Run time in ms, unless {@link #ops} is set. */
        long durationMillis = 10_000;
        /** Outer acquisitions in all (0: run for {@link #durationMillis}). */
        long ops;
        long holdMicros = 2;
        double longHoldRate = 0.0001;
        long longHoldMillis = 100;
        boolean nested;
        /** Probability that a critical section is interrupted by an NMI (with --nested). */
        double nmiRate = 0.05;
        Version version = Version.V7_2;
        /**
         * check_timeout on every this-many-th wait iteration (the kernel: 65,536). A waiter here yields on
         * every iteration, which costs far more than a cpu_relax(), so the default is 64: with the kernel's
         * period a deadlock is seen only after tens of milliseconds.
         */
        int checkPeriod = 64;
        long seed = 42;
        /** Milliseconds between progress lines (0: none); the command line gives seconds. */
        long progressMillis = 5_000;
        LockFactory factory = RQSPINLOCK;

        /** Defaults: 4 CPUs, 2 locks, 10 s, hold 2 us, long hold 100 ms at rate 0.0001, v7.2, seed 42. */
        public Config() {
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "version %s, %d CPUs, %d locks, %s, hold %d us, long hold %d ms at rate %s,"
                    + " nested NMIs %s, check period %d, seed %d", version.spec(), cpus, locks,
                    ops > 0 ? ops + " acquisitions" : durationMillis / 1000.0 + " s", holdMicros, longHoldMillis,
                    longHoldRate, nested ? "on (rate " + nmiRate + ")" : "off", checkPeriod, seed);
        }
    }

    /**
     * What a run found.
     *
     * @param attempts lock attempts (outer, second lock and NMI together)
     * @param acquisitions attempts that took the lock
     * @param nmiAttempts attempts made in an NMI
     * @param nmiAcquisitions of those, the ones that took the lock
     * @param byErrno failures by {@link Errno} ordinal
     * @param byReason failures by {@link FailureReason} ordinal
     * @param nmiByReason of those, the failures of attempts made in an NMI
     * @param longHolds holds of {@code --long-hold-ms}
     * @param maxWaitAcquiredNanos longest attempt that took the lock
     * @param maxWaitFailedNanos longest attempt that failed
     * @param violations exclusion violations
     * @param error the first unexpected exception of a CPU, or null
     * @param millis wall time in ms
     */
    public record Result(long attempts, long acquisitions, long nmiAttempts, long nmiAcquisitions, long[] byErrno,
                         long[] byReason, long[] nmiByReason, long longHolds, long maxWaitAcquiredNanos, long maxWaitFailedNanos,
                         long violations, Throwable error, long millis) {
        /** Failed attempts. */
        public long failures() {
            return Arrays.stream(byErrno).sum();
        }

        /** No violation and no unexpected exception. */
        public boolean clean() {
            return violations == 0 && error == null;
        }
    }

    private static final int ATTEMPTS = 0;
    private static final int ACQUIRED = 1;
    private static final int NMI_ATTEMPTS = 2;
    private static final int NMI_ACQUIRED = 3;
    private static final int LONG_HOLDS = 4;
    private static final int VIOLATIONS = 5;
    private static final int OUTER = 6;

    private Torture() {
    }

    /** The shared state of a run. */
    private static final class Run {
        final Config cfg;
        final TortureLock[] locks;
        /** Per lock: 0 free, else 1 + cpu * 8 + nesting depth of the holder. */
        final AtomicInteger[] owner;
        final AtomicLongArray counts = new AtomicLongArray(7);
        final AtomicLongArray byErrno = new AtomicLongArray(Errno.values().length);
        final AtomicLongArray byReason = new AtomicLongArray(FailureReason.values().length);
        final AtomicLongArray nmiByReason = new AtomicLongArray(FailureReason.values().length);
        final AtomicLong maxWaitAcquired = new AtomicLong();
        final AtomicLong maxWaitFailed = new AtomicLong();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile boolean stop;

        Run(Config cfg, Machine m) {
            this.cfg = cfg;
            locks = new TortureLock[cfg.locks];
            owner = new AtomicInteger[cfg.locks];
            for (int i = 0; i < cfg.locks; i++) {
                locks[i] = cfg.factory.make(m, cfg.version, i);
                owner[i] = new AtomicInteger();
            }
        }
    }

    /** Runs a torture run without progress lines. */
    public static Result run(Config cfg) throws InterruptedException {
        return run(cfg, null);
    }

    /** Runs a torture run; every {@code cfg.progressMillis} a progress line to {@code progress} (null: none). */
    public static Result run(Config cfg, PrintStream progress) throws InterruptedException {
        // more CPUs than cores: waiters yield instead of pausing, as in Stress
        Machine machine = Machine.builder(cfg.cpus).spinHint(SpinHint.YIELD)
                .checkPeriod(cfg.checkPeriod).build();
        Run run = new Run(cfg, machine);
        Thread[] workers = new Thread[cfg.cpus];
        long start = System.nanoTime();
        for (int t = 0; t < cfg.cpus; t++) {
            final int id = t;
            long n = cfg.ops == 0 ? Long.MAX_VALUE : cfg.ops / cfg.cpus + (t < cfg.ops % cfg.cpus ? 1 : 0);
            workers[t] = new Thread(() -> {
                Cpu cpu = machine.attach(id);
                try {
                    writer(run, cpu, new SplittableRandom(cfg.seed * 31 + id), n);
                } catch (Throwable e) {
                    run.error.compareAndSet(null, e);
                    run.stop = true;
                } finally {
                    try {
                        cpu.detach();
                    } catch (RuntimeException e) {
                        run.error.compareAndSet(null, e);
                    }
                }
            }, "torture-cpu" + t);
            workers[t].start();
        }
        long deadline = cfg.ops == 0 ? start + cfg.durationMillis * 1_000_000L : Long.MAX_VALUE;
        long nextProgress = start + cfg.progressMillis * 1_000_000L;
        while (true) {
            boolean alive = false;
            for (Thread w : workers) {
                alive |= w.isAlive();
            }
            long now = System.nanoTime();
            if (!alive) {
                break;
            }
            if (now >= deadline) {
                run.stop = true;
            }
            if (progress != null && cfg.progressMillis > 0 && now >= nextProgress) {
                progress.println(progressLine(run, now - start));
                progress.flush();
                nextProgress += cfg.progressMillis * 1_000_000L;
            }
            Thread.sleep(10);
        }
        for (Thread w : workers) {
            w.join();
        }
        long[] errnos = new long[Errno.values().length];
        for (int i = 0; i < errnos.length; i++) {
            errnos[i] = run.byErrno.get(i);
        }
        long[] reasons = new long[FailureReason.values().length];
        long[] nmiReasons = new long[reasons.length];
        for (int i = 0; i < reasons.length; i++) {
            reasons[i] = run.byReason.get(i);
            nmiReasons[i] = run.nmiByReason.get(i);
        }
        AtomicLongArray c = run.counts;
        return new Result(c.get(ATTEMPTS), c.get(ACQUIRED), c.get(NMI_ATTEMPTS), c.get(NMI_ACQUIRED), errnos, reasons, nmiReasons,
                c.get(LONG_HOLDS), run.maxWaitAcquired.get(), run.maxWaitFailed.get(), c.get(VIOLATIONS),
                run.error.get(), (System.nanoTime() - start) / 1_000_000);
    }

    static String progressLine(Run run, long elapsedNanos) {
        AtomicLongArray c = run.counts;
        return String.format(Locale.ROOT, "torture: %.1f s, %,d acquisitions, %,d failures, %d exclusion violations",
                elapsedNanos / 1e9, c.get(ACQUIRED), c.get(ATTEMPTS) - c.get(ACQUIRED), c.get(VIOLATIONS));
    }

    /** One writer CPU: locktorture's lock_torture_writer loop, with a second lock and NMIs. */
    private static void writer(Run run, Cpu cpu, SplittableRandom rnd, long n) throws Exception {
        Config cfg = run.cfg;
        for (long i = 0; i < n && !run.stop; i++) {
            run.counts.getAndIncrement(OUTER);
            int a = rnd.nextInt(cfg.locks);
            if (!acquire(run, cpu, a, false)) {
                continue;
            }
            try {
                int b = -1;
                if (cfg.locks >= 2 && rnd.nextInt(4) == 0) {
                    b = (a + 1 + rnd.nextInt(cfg.locks - 1)) % cfg.locks;
                    if (!acquire(run, cpu, b, false)) {
                        b = -1;
                    }
                }
                try {
                    hold(run, cpu, rnd);
                    if (cfg.nested && rnd.nextDouble() < cfg.nmiRate) {
                        int x = rnd.nextInt(cfg.locks);
                        cpu.runNested(Context.NMI, () -> {
                            if (acquire(run, cpu, x, true)) {
                                try {
                                    hold(run, cpu, null);
                                } finally {
                                    release(run, cpu, x);
                                }
                            }
                        });
                    }
                } finally {
                    if (b >= 0) {
                        release(run, cpu, b);
                    }
                }
            } finally {
                release(run, cpu, a);
            }
        }
    }

    private static int me(Cpu cpu) {
        return 1 + cpu.id() * 8 + cpu.nestingDepth();
    }

    /** One attempt: true if the lock is held (and the exclusion check's owner set). */
    private static boolean acquire(Run run, Cpu cpu, int i, boolean nmi) {
        run.counts.getAndIncrement(ATTEMPTS);
        if (nmi) {
            run.counts.getAndIncrement(NMI_ATTEMPTS);
        }
        long t0 = System.nanoTime();
        try {
            run.locks[i].lock(cpu);
        } catch (LockFailedException e) {
            max(run.maxWaitFailed, System.nanoTime() - t0);
            run.byErrno.getAndIncrement(e.errno().ordinal());
            run.byReason.getAndIncrement(e.reason().ordinal());
            if (nmi) {
                run.nmiByReason.getAndIncrement(e.reason().ordinal());
            }
            return false;
        }
        max(run.maxWaitAcquired, System.nanoTime() - t0);
        run.counts.getAndIncrement(ACQUIRED);
        if (nmi) {
            run.counts.getAndIncrement(NMI_ACQUIRED);
        }
        if (!run.owner[i].compareAndSet(0, me(cpu))) {
            run.counts.getAndIncrement(VIOLATIONS); // another holder is inside
            run.owner[i].set(me(cpu));
        }
        return true;
    }

    private static void release(Run run, Cpu cpu, int i) {
        if (!run.owner[i].compareAndSet(me(cpu), 0)) {
            run.counts.getAndIncrement(VIOLATIONS); // another holder entered while this one held the lock
        }
        run.locks[i].unlock(cpu);
    }

    /** The hold: a busy wait (udelay), long now and then (mdelay); the owners must not change meanwhile. */
    private static void hold(Run run, Cpu cpu, SplittableRandom rnd) {
        Config cfg = run.cfg;
        long nanos = cfg.holdMicros * 1_000L;
        if (rnd != null && cfg.longHoldRate > 0 && rnd.nextDouble() < cfg.longHoldRate) {
            nanos = cfg.longHoldMillis * 1_000_000L;
            run.counts.getAndIncrement(LONG_HOLDS);
        }
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    private static void max(AtomicLong m, long v) {
        long cur;
        while (v > (cur = m.get()) && !m.compareAndSet(cur, v)) {
            // retry
        }
    }

    /** Prints the summary of a run; returns the exit status (0 no violation, 1 violations or an error). */
    public static int print(Config cfg, Result r, PrintStream out) {
        out.println("rqspin torture: " + cfg);
        out.printf(Locale.ROOT, "attempts: %,d (in NMIs: %,d)%n", r.attempts(), r.nmiAttempts());
        out.printf(Locale.ROOT, "acquisitions: %,d (in NMIs: %,d), long holds: %,d%n", r.acquisitions(),
                r.nmiAcquisitions(), r.longHolds());
        StringBuilder errnos = new StringBuilder();
        for (Errno e : Errno.values()) {
            errnos.append(errnos.length() == 0 ? "" : ", ").append(e).append(' ').append(r.byErrno()[e.ordinal()]);
        }
        StringBuilder reasons = new StringBuilder();
        for (FailureReason f : FailureReason.values()) {
            reasons.append(reasons.length() == 0 ? "" : ", ").append(f).append(' ').append(r.byReason()[f.ordinal()]);
        }
        StringBuilder nmiReasons = new StringBuilder();
        for (FailureReason f : FailureReason.values()) {
            nmiReasons.append(nmiReasons.length() == 0 ? "" : ", ").append(f).append(' ')
                    .append(r.nmiByReason()[f.ordinal()]);
        }
        out.printf(Locale.ROOT, "failures: %,d (%s; by reason: %s)%n", r.failures(), errnos, reasons);
        out.printf(Locale.ROOT, "failures in NMIs: %,d (by reason: %s)%n", Arrays.stream(r.nmiByReason()).sum(),
                nmiReasons);
        out.printf(Locale.ROOT, "max wait: %.3f ms acquired, %.3f ms failed%n", r.maxWaitAcquiredNanos() / 1e6,
                r.maxWaitFailedNanos() / 1e6);
        out.println("exclusion violations: " + r.violations());
        out.printf(Locale.ROOT, "time: %.1f s%n", r.millis() / 1000.0);
        if (r.error() != null) {
            out.println("error in a CPU: " + r.error());
        }
        boolean clean = r.clean();
        out.println("verdict: " + (clean ? "OK: no exclusion violation" : "FAILED"));
        return clean ? 0 : 1;
    }

    /** Command line; see the class comment. */
    public static void main(String[] args) throws InterruptedException {
        Args.main("torture", args, Torture::parse, Torture::usage, cfg -> print(cfg, run(cfg, System.err), System.out));
    }

    static final String USAGE = "usage: Torture [--cpus N] [--locks K] [--duration SECONDS | --ops N] [--hold-us N] "
            + "[--long-hold-rate P] [--long-hold-ms N] [--nested] [--nmi-rate P] [--version V] [--check-period N] "
            + "[--seed N] [--progress-interval SECONDS]";

    /** The options as picocli reads them (every one also as --option=value). */
    @Command(name = "Torture", sortOptions = false, usageHelpWidth = 100, synopsisHeading = "", customSynopsis = USAGE,
            description = "  the torture run of rqspinlock (after locktorture's raw_res_spin_lock mode)",
            footer = "exit codes: 0 no exclusion violation, 1 violations or an error in a CPU, 2 bad arguments")
    static final class Cli {
        @Option(names = "--cpus", paramLabel = "N", description = "writer CPUs, 1..256 (default: 4)")
        String cpus = "4";
        @Option(names = "--locks", paramLabel = "K", description = "locks, 1..1024 (default: 2)")
        String locks = "2";
        @Option(names = "--duration", paramLabel = "SECONDS", description = "run time, a decimal number (default: 10)")
        String duration;
        @Option(names = "--ops", paramLabel = "N", description = "outer acquisitions in all, instead of --duration")
        String ops;
        @Option(names = "--hold-us", paramLabel = "N", description = "hold time in us, 0..1000000 (default: 2)")
        String holdUs = "2";
        @Option(names = "--long-hold-rate", paramLabel = "P", description = "probability of a long hold (default: 0.0001)")
        String longHoldRate = "0.0001";
        @Option(names = "--long-hold-ms", paramLabel = "N", description = "long hold time in ms, 0..10000 (default: 100)")
        String longHoldMs = "100";
        @Option(names = "--nested", description = "NMIs that take locks interrupt critical sections")
        boolean nested;
        @Option(names = "--nmi-rate", paramLabel = "P", description = "probability of an NMI per critical section,"
                + " with --nested (default: 0.05)")
        String nmiRate = "0.05";
        @Option(names = "--version", paramLabel = "V", description = "the lock version: v6.15, v6.17, v6.19, v7.0,"
                + " v7.2 (default: v7.2)")
        String version = "v7.2";
        @Option(names = "--check-period", paramLabel = "N", description = "check_timeout every N-th wait iteration,"
                + " a power of two in 1..65536 (default: 64; the kernel: 65536)")
        String checkPeriod = "64";
        @Option(names = "--seed", paramLabel = "N", description = "the random seed (default: 42)")
        String seed = "42";
        @Option(names = "--progress-interval", paramLabel = "SECONDS", description = "seconds between progress lines"
                + " on stderr, 0 none (default: 5)")
        String progress = "5";
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
        boolean help;
    }

    static String usage() {
        return Args.usage(new Cli());
    }

    /** Parses the arguments; null for --help. A problem is an {@link IllegalArgumentException} of one line. */
    static Config parse(String[] args) {
        Cli o = new Cli();
        Args.parseInto(o, args);
        if (o.help) {
            return null;
        }
        Config c = new Config();
        c.cpus = (int) Args.number("--cpus", o.cpus, 1, 256);
        c.locks = (int) Args.number("--locks", o.locks, 1, 1024);
        if (o.duration != null && o.ops != null) {
            throw new IllegalArgumentException("give --duration or --ops, not both");
        }
        if (o.duration != null) {
            double s;
            try {
                s = Double.parseDouble(o.duration);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--duration must be a number of seconds, got '" + o.duration + "'");
            }
            if (!(s > 0 && s <= 1_000_000)) {
                throw new IllegalArgumentException("--duration must be in (0,1000000] seconds, got " + o.duration);
            }
            c.durationMillis = Math.max(1, Math.round(s * 1000));
        }
        if (o.ops != null) {
            c.ops = Args.number("--ops", o.ops, 1, Long.MAX_VALUE);
        }
        c.holdMicros = Args.number("--hold-us", o.holdUs, 0, 1_000_000);
        c.longHoldRate = Args.probability("--long-hold-rate", o.longHoldRate);
        c.longHoldMillis = Args.number("--long-hold-ms", o.longHoldMs, 0, 10_000);
        c.nested = o.nested;
        c.nmiRate = Args.probability("--nmi-rate", o.nmiRate);
        c.version = Version.ofSpec(o.version.toLowerCase(Locale.ROOT));
        if (c.version == null) {
            throw new IllegalArgumentException("--version must be one of " + versions() + ", got '" + o.version + "'");
        }
        c.checkPeriod = (int) Args.number("--check-period", o.checkPeriod, 1, 1 << 16);
        if (Integer.bitCount(c.checkPeriod) != 1) {
            throw new IllegalArgumentException("--check-period must be a power of two, got " + c.checkPeriod);
        }
        c.seed = Args.number("--seed", o.seed, Long.MIN_VALUE, Long.MAX_VALUE);
        c.progressMillis = Args.number("--progress-interval", o.progress, 0, 86_400) * 1000;
        return c;
    }

    private static String versions() {
        StringBuilder b = new StringBuilder();
        for (Version v : Version.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(v.spec());
        }
        return b.toString();
    }
}
