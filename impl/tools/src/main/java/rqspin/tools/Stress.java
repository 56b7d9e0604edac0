package rqspin.tools;

import java.io.PrintStream;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.SpinHint;
import rqspin.storage.BadInputException;
import rqspin.storage.Err;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorage;
import rqspin.storage.LocalStorageMap;
import rqspin.storage.LockSite;
import rqspin.storage.NeedResched;
import rqspin.storage.Owner;
import rqspin.storage.Protocol;
import rqspin.storage.Selem;
import rqspin.storage.StorageException;
import rqspin.storage.check.Audit;
import rqspin.storage.check.MemorySafetyError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The stress run: {@code --threads} CPUs run {@code --ops} random operations
 * (update with every flag, lookup, delete, and now and then destroy of an
 * owner or map_free of a map, each replaced by a fresh one) over
 * {@code --owners} owners and {@code --maps} maps, while every lock attempt
 * fails with probability {@code --fail-rate}
 * ({@link rqspin.storage.check.FailureInjector#failRandomly}, seeded). At the end every owner is destroyed and every map freed, and the
 * audit counts leaks (allowed only after a lock failure), double frees, uses
 * after free and accounting errors.
 *
 * <pre>
 * mvn -B -q -pl impl/tools -am package -DskipTests
 * java -cp impl/target/classes:impl/tools/target/classes rqspin.tools.Stress \
 *     --protocol final --threads 8 --ops 1000000 --seed 42
 * </pre>
 * Exit status: 0 no bug (no double free, use after free, accounting error or
 * other violation, and every leak after a failure); 1 bugs (expected for
 * {@code --protocol v3}); 2 bad arguments (one line on stderr). The command
 * line is read by picocli: every option also takes the form
 * {@code --option=value}. A run longer than a few seconds reports its
 * progress on stderr.
 */
public final class Stress {

    /** The settings of a run. */
    public static final class Config {
        Protocol protocol = Protocol.FINAL;
        int threads = 8;
        long ops = 1_000_000;
        long seed = 42;
        int owners = 64;
        int maps = 8;
        double failRate = 0.001;
        /** Sites whose attempts may fail; empty: all. */
        LockSite[] failSites = new LockSite[0];
        double reschedRate = 0.01;
        /** Per 10,000 operations: destroy of an owner, map_free of a map. */
        int destroyPer10k = 10;
        int mapFreePer10k = 2;

        /** Defaults: final, 8 threads, 10^6 operations, seed 42, 64 owners, 8 maps, fail rate 0.001. */
        public Config() {
        }

        /** Sets the protocol. */
        public Config protocol(Protocol p) {
            this.protocol = p;
            return this;
        }

        /** Sets the number of threads. */
        public Config threads(int n) {
            this.threads = n;
            return this;
        }

        /** Sets the number of operations. */
        public Config ops(long n) {
            this.ops = n;
            return this;
        }

        /** Sets the seed. */
        public Config seed(long s) {
            this.seed = s;
            return this;
        }

        /** Sets the failure probability of a lock attempt. */
        public Config failRate(double p) {
            this.failRate = p;
            return this;
        }

        /** Restricts the random failures to these sites (none given: every site). */
        public Config failSites(LockSite... sites) {
            this.failSites = sites.clone();
            return this;
        }

        /** Sets how many of 10,000 operations are a map_free. */
        public Config mapFreePer10k(int n) {
            this.mapFreePer10k = n;
            return this;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT,
                    "protocol %s, %d threads, %d operations, %d owners, %d maps, fail rate %s at %s, resched rate %s, seed %d",
                    protocol, threads, ops, owners, maps, failRate,
                    failSites.length == 0 ? "every site" : java.util.Arrays.toString(failSites), reschedRate, seed);
        }
    }

    /**
     * What a run found (a record: the tools never run under Java PathFinder).
     *
     * @param report the audit at the end
     * @param operations counts of the operations' outcomes, by name
     * @param millis wall time in ms
     */
    public record Result(Audit.Report report, String operations, long millis) {
        /** No bug: see {@link Audit.Report#clean()}. */
        public boolean clean() {
            return report.clean();
        }
    }

    private static final String[] COUNTERS = {"update ok", "update ENOENT", "update EEXIST", "update EAGAIN",
        "update ENOMEM", "update lock failure", "lookup hit", "lookup miss", "delete ok", "delete ENOENT",
        "delete lock failure", "destroy", "map_free", "rejected (owner or map gone)", "memory-safety error"};
    private static final int UPDATE = 0;
    private static final int LOOKUP_HIT = 6;
    private static final int LOOKUP_MISS = 7;
    private static final int DELETE_OK = 8;
    private static final int DELETE_ENOENT = 9;
    private static final int DELETE_LOCK = 10;
    private static final int DESTROY = 11;
    private static final int MAP_FREE = 12;
    private static final int REJECTED = 13;
    private static final int MEMORY_ERROR = 14;

    private Stress() {
    }

    /** Runs a stress run and returns what it found. */
    public static Result run(Config cfg) throws InterruptedException {
        return run(cfg, null, false);
    }

    /** A run longer than this many seconds reports its progress. */
    static final int QUIET_SECONDS = 3;

    /**
     * Runs a stress run; when it lasts longer than {@link #QUIET_SECONDS},
     * reports the operations done so far and the time to {@code progress}
     * (null: nowhere): on a terminal one line rewritten every second,
     * otherwise a line every ten seconds.
     */
    public static Result run(Config cfg, PrintStream progress, boolean terminal) throws InterruptedException {
        return run(cfg, progress, terminal, QUIET_SECONDS * 1000L, terminal ? 1000L : 10_000L);
    }

    /** The same with the reporter's timing: its first line after {@code firstMillis}, then every {@code everyMillis}. */
    static Result run(Config cfg, PrintStream progress, boolean terminal, long firstMillis, long everyMillis)
            throws InterruptedException {
        // more threads than cores: waiters yield instead of pausing, or a preempted queue holds everyone up
        Machine machine = Machine.builder(cfg.threads + 1).spinHint(SpinHint.YIELD).build();
        Kernel k = Kernel.builder(machine).protocol(cfg.protocol)
                .needResched(NeedResched.random(cfg.seed ^ 0x7F4A7C15L, cfg.reschedRate)).build();
        k.failures().failRandomly(cfg.seed, cfg.failRate, cfg.failSites);
        AtomicReferenceArray<Owner> owners = new AtomicReferenceArray<>(cfg.owners);
        AtomicReferenceArray<LocalStorageMap> maps = new AtomicReferenceArray<>(cfg.maps);
        for (int i = 0; i < cfg.maps; i++) {
            maps.set(i, newMap(k, i));
        }
        int limit = LocalStorage.SIZE + (cfg.maps - 2) * (Selem.HEADER_SIZE + 24);
        for (int i = 0; i < cfg.owners; i++) {
            owners.set(i, k.newOwner(null, limit));
        }
        AtomicLongArray counts = new AtomicLongArray(COUNTERS.length);
        Thread[] workers = new Thread[cfg.threads];
        long start = System.nanoTime();
        for (int t = 0; t < cfg.threads; t++) {
            final int id = t;
            long n = cfg.ops / cfg.threads + (t < cfg.ops % cfg.threads ? 1 : 0);
            workers[t] = new Thread(() -> {
                Cpu cpu = machine.attach(id);
                try {
                    work(k, cpu, new SplittableRandom(cfg.seed * 31 + id), n, cfg, owners, maps, limit, counts);
                } finally {
                    cpu.detach();
                }
            }, "stress-cpu" + t);
            workers[t].start();
        }
        Thread reporter = progress == null ? null : reporter(cfg, counts, start, progress, terminal,
                firstMillis, everyMillis);
        try {
            for (Thread w : workers) {
                w.join();
            }
        } finally {
            if (reporter != null) {
                reporter.interrupt();
                reporter.join();
            }
        }
        Cpu cpu = machine.attach(cfg.threads);
        try {
            for (int i = 0; i < cfg.owners; i++) {
                final int j = i;
                teardown(() -> owners.get(j).destroy(cpu), counts);
            }
            for (int i = 0; i < cfg.maps; i++) {
                final int j = i;
                teardown(() -> maps.get(j).mapFree(cpu), counts);
            }
            k.rcu().barrier(cpu);
        } finally {
            cpu.detach();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        StringBuilder ops = new StringBuilder();
        for (int i = 0; i < COUNTERS.length; i++) {
            if (i > 0) {
                ops.append(", ");
            }
            ops.append(COUNTERS[i]).append(' ').append(counts.get(i));
        }
        return new Result(k.audit().report(), ops.toString(), millis);
    }

    /** The progress reporter of a run (a daemon thread; interrupt it to stop it and clear its line). */
    private static Thread reporter(Config cfg, AtomicLongArray counts, long start, PrintStream out, boolean terminal,
                                   long firstMillis, long everyMillis) {
        Thread t = new Thread(() -> {
            int width = 0;
            try {
                Thread.sleep(firstMillis);
                for (boolean first = true; ; first = false) {
                    if (!first) {
                        Thread.sleep(everyMillis);
                    }
                    long done = 0;
                    for (int i = 0; i < COUNTERS.length - 1; i++) {
                        done += counts.get(i);
                    }
                    String line = String.format(Locale.ROOT, "stress: %,d of %,d operations (%d%%), %d s, %,d lock"
                            + " failures so far", done, cfg.ops, done * 100 / Math.max(1, cfg.ops),
                            (System.nanoTime() - start) / 1_000_000_000L,
                            counts.get(5) + counts.get(10));
                    if (terminal) {
                        out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
                        width = line.length();
                    } else {
                        out.println(line);
                    }
                    out.flush();
                }
            } catch (InterruptedException e) {
                if (terminal && width > 0) {
                    out.print("\r" + " ".repeat(width) + "\r");
                    out.flush();
                }
            }
        }, "stress-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static LocalStorageMap newMap(Kernel k, int i) {
        int valueSize = 8 + 8 * (i % 3);
        int buckets = 1 << (1 + i % 3);
        return k.newMap(null, valueSize, buckets, 1 + i % 2, i % 2 == 1);
    }

    private static void teardown(Runnable r, AtomicLongArray counts) {
        try {
            r.run();
        } catch (BadInputException e) {
            counts.getAndIncrement(REJECTED); // torn down already by a worker that crashed in it (v3)
        } catch (MemorySafetyError e) {
            counts.getAndIncrement(MEMORY_ERROR);
        }
    }

    private static void work(Kernel k, Cpu cpu, SplittableRandom rnd, long n, Config cfg,
            AtomicReferenceArray<Owner> owners, AtomicReferenceArray<LocalStorageMap> maps, int limit,
            AtomicLongArray counts) {
        for (long i = 0; i < n; i++) {
            int r = rnd.nextInt(10_000);
            int oi = rnd.nextInt(cfg.owners);
            int mi = rnd.nextInt(cfg.maps);
            Owner o = owners.get(oi);
            LocalStorageMap m = maps.get(mi);
            try {
                if (r < cfg.destroyPer10k) {
                    Owner fresh = k.newOwner(null, limit);
                    if (owners.compareAndSet(oi, o, fresh)) {
                        o.destroy(cpu);
                        counts.getAndIncrement(DESTROY);
                    }
                } else if (r < cfg.destroyPer10k + cfg.mapFreePer10k) {
                    if (maps.compareAndSet(mi, m, newMap(k, mi))) {
                        m.mapFree(cpu);
                        counts.getAndIncrement(MAP_FREE);
                    }
                } else if (r < 4_000) {
                    long flags = rnd.nextInt(3); // BPF_ANY, BPF_NOEXIST, BPF_EXIST
                    if (m.hasSpinLock() && flags != LocalStorageMap.BPF_NOEXIST && rnd.nextInt(4) == 0) {
                        flags |= LocalStorageMap.BPF_F_LOCK;
                    }
                    byte[] v = new byte[m.valueSize()];
                    v[0] = (byte) r;
                    m.update(cpu, o, v, flags);
                    counts.getAndIncrement(UPDATE);
                } else if (r < 7_000) {
                    counts.getAndIncrement(m.lookup(cpu, o) != null ? LOOKUP_HIT : LOOKUP_MISS);
                } else {
                    m.delete(cpu, o);
                    counts.getAndIncrement(DELETE_OK);
                }
            } catch (StorageException e) {
                counts.getAndIncrement(outcome(r, e.err()));
            } catch (BadInputException e) {
                counts.getAndIncrement(REJECTED);
            } catch (MemorySafetyError e) {
                counts.getAndIncrement(MEMORY_ERROR); // recorded by the audit already
            }
        }
    }

    private static int outcome(int r, Err e) {
        if (r < 4_000) {
            switch (e) {
                case ENOENT:
                    return 1;
                case EEXIST:
                    return 2;
                case EAGAIN:
                    return 3;
                case ENOMEM:
                    return 4;
                default:
                    return 5;
            }
        }
        return e == Err.ENOENT ? DELETE_ENOENT : DELETE_LOCK;
    }

    /** Prints the result of a run; returns the exit status (0 clean, 1 bugs). */
    public static int print(Config cfg, Result res, PrintStream out) {
        Audit.Report r = res.report();
        out.println("rqspin storage stress: " + cfg);
        out.println("operations: " + res.operations());
        out.printf(Locale.ROOT, "time: %.1f s%n", res.millis() / 1000.0);
        out.print(r);
        boolean clean = r.clean();
        out.println("verdict: " + (clean ? "OK: no double free, no use after free, no accounting error, "
                + "every leak after a lock failure" : "BUGS FOUND" + (cfg.protocol == Protocol.V3
                        ? " (expected for the v3 protocol)" : "")));
        return clean ? 0 : 1;
    }

    /** Command line; see the class comment. */
    public static void main(String[] args) throws InterruptedException {
        Args.main("stress", args, Stress::parse, Stress::usage,
                cfg -> print(cfg, run(cfg, System.err, System.console() != null), System.out));
    }

    static final String USAGE = "usage: Stress [--protocol final|v3] [--threads N] [--ops N] [--seed N] [--owners N] "
            + "[--maps N] [--fail-rate P] [--fail-sites SITE,...] [--resched-rate P]";

    /** The options as picocli reads them (every one also as --option=value). */
    @Command(name = "Stress", sortOptions = false, usageHelpWidth = 100, synopsisHeading = "", customSynopsis = USAGE,
            description = "  the stress run of the local storage: random operations on CPUs while lock attempts fail",
            footer = "exit codes: 0 no bug, 1 bugs found, 2 bad arguments")
    static final class Cli {
        @Option(names = "--protocol", paramLabel = "final|v3", description = "the unlink protocol (default: final)")
        String protocol = "final";
        @Option(names = "--threads", paramLabel = "N", description = "CPUs, 1..1024 (default: 8)")
        String threads = "8";
        @Option(names = "--ops", paramLabel = "N", description = "operations in all (default: 1000000)")
        String ops = "1000000";
        @Option(names = "--seed", paramLabel = "N", description = "the random seed (default: 42)")
        String seed = "42";
        @Option(names = "--owners", paramLabel = "N", description = "owners (default: 64)")
        String owners = "64";
        @Option(names = "--maps", paramLabel = "N", description = "maps, at least 3 (default: 8)")
        String maps = "8";
        @Option(names = "--fail-rate", paramLabel = "P", description = "probability that a lock attempt fails"
                + " (default: 0.001)")
        String failRate = "0.001";
        @Option(names = "--fail-sites", paramLabel = "SITE,...", description = "the lock sites that may fail"
                + " (default: every site)")
        String failSites;
        @Option(names = "--resched-rate", paramLabel = "P", description = "probability of need_resched (default: 0.01)")
        String reschedRate = "0.01";
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
        if (o.protocol.equalsIgnoreCase("final")) {
            c.protocol = Protocol.FINAL;
        } else if (o.protocol.equalsIgnoreCase("v3")) {
            c.protocol = Protocol.V3;
        } else {
            throw new IllegalArgumentException("--protocol must be final or v3, got '" + o.protocol + "'");
        }
        c.threads = (int) Args.number("--threads", o.threads, 1, 1024);
        c.ops = Args.number("--ops", o.ops, 1, Long.MAX_VALUE);
        c.seed = Args.number("--seed", o.seed, Long.MIN_VALUE, Long.MAX_VALUE);
        c.owners = (int) Args.number("--owners", o.owners, 1, 1 << 20);
        c.maps = (int) Args.number("--maps", o.maps, 3, 1024);
        c.failRate = Args.probability("--fail-rate", o.failRate);
        if (o.failSites != null) {
            c.failSites = sites(o.failSites);
        }
        c.reschedRate = Args.probability("--resched-rate", o.reschedRate);
        return c;
    }

    private static LockSite[] sites(String v) {
        String[] parts = v.split(",");
        LockSite[] out = new LockSite[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = LockSite.valueOf(parts[i].trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--fail-sites: unknown site '" + parts[i] + "'; sites: "
                        + java.util.Arrays.toString(LockSite.values()));
            }
        }
        return out;
    }
}
