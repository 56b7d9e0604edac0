package rqspin.storage;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import rqspin.kernel.Freeable;
import rqspin.kernel.Hlist;
import rqspin.kernel.Rcu;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;
import rqspin.storage.check.Audit;
import rqspin.storage.check.FailureInjector;
import rqspin.storage.check.LockFailure;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.StepGate;
import rqspin.storage.check.Tracer;
import rqspin.storage.check.Violation;

/**
 * Everything the local storage shares across owners and maps: the CPUs
 * ({@link Machine}), the protocol ({@link Protocol#V3} or
 * {@link Protocol#FINAL}, the spec's constant), the {@link Rcu}, the
 * {@link FailureInjector} through which every lock attempt goes, the
 * {@link Audit} that records what went wrong, the {@code cache_idx}
 * allocator, and an optional {@link Tracer}. Owners and maps are created
 * here.
 *
 * <pre>{@code
 * Kernel k = Kernel.builder(Machine.of(2)).protocol(Protocol.FINAL).build();
 * k.failures().failAt(LockSite.MAP_FREE_BUCKET, Errno.ETIMEDOUT);   // map_free's b->lock fails
 * ... update, lookup, delete, destroy, mapFree ...
 * k.rcu().barrier(cpu);
 * Audit.Report r = k.audit().report();   // leaks, double frees, uses after free, ...
 * }</pre>
 *
 * <p>Fixed at construction except the tracer and the step gate (volatile)
 * and the {@code cache_idx} usage counts (guarded by their array's monitor,
 * the kernel's {@code idx_lock}).
 */
public final class Kernel {
    /** The WARN of {@code bpf_selem_unlink_nofail} when map_free fails b->lock (C5's accepted leak). */
    public static final String WARN_MAP_FREE = "WARN_ON_ONCE(err && in_map_free)";
    /**
     * The WARN that {@link Fix#WARN_DESTROY_STORAGE_FAILURE} adds where
     * destroy fails {@code local_storage->lock} (none in the merged code;
     * [PR] proposes it for the C10 leak). The spec's WarnDestroyLS.
     */
    public static final String WARN_DESTROY_STORAGE = "WARN: destroy failed local_storage->lock [PR]";
    /** Default walk limit: visits without progress before map_free is declared stuck (P9). */
    public static final int DEFAULT_WALK_LIMIT = 10_000;

    final Machine machine;
    final Protocol protocol;
    final Version lockVersion;
    final Mutation mutation;
    final Rcu rcu;
    final FailureInjector failures = new FailureInjector();
    final Audit audit;
    final NeedResched needResched;
    final int walkLimit;
    /** Kernel configuration: CONFIG_PREEMPT_RCU (the spec's PreemptRcu). */
    final boolean preemptRcu;
    /** refcount_dec shows the 0 it stores before it saturates (the spec's RefcountTwoStep). */
    final boolean refcountTwoStep;
    final Names names;
    final BucketHash bucketHash;
    private final boolean[] fixes = new boolean[Fix.values().length];
    private volatile Tracer tracer;
    private volatile StepGate gate;
    private final AtomicInteger selemIds = new AtomicInteger();
    private final AtomicInteger storageIds = new AtomicInteger();
    private final AtomicInteger ownerIds = new AtomicInteger();
    private final AtomicInteger mapIds = new AtomicInteger();
    /** {@code idx_usage_counts} of {@code struct bpf_local_storage_cache}; guarded by itself. */
    private final int[] cacheIdxUsage = new int[LocalStorage.CACHE_SIZE];

    private Kernel(Builder b) {
        this.machine = b.machine;
        this.protocol = b.protocol;
        this.lockVersion = b.lockVersion;
        this.mutation = b.mutation;
        this.needResched = b.needResched;
        this.walkLimit = b.walkLimit;
        this.preemptRcu = b.preemptRcu;
        this.refcountTwoStep = b.refcountTwoStep;
        this.names = b.names;
        this.bucketHash = b.bucketHash;
        for (Fix f : b.fixes) {
            fixes[f.ordinal()] = true;
        }
        this.audit = new Audit(this);
        this.rcu = new Rcu(machine, mutation == Mutation.RCU_NO_GRACE_PERIOD ? Rcu.Mutation.NO_GRACE_PERIOD
                : mutation == Mutation.TASKS_TRACE_AS_RCU ? Rcu.Mutation.TASKS_TRACE_AS_RCU : Rcu.Mutation.NONE);
    }

    /**
     * A builder for a kernel on {@code machine}'s CPUs.
     *
     * @throws BadInputException if machine is null
     */
    public static Builder builder(Machine machine) {
        if (machine == null) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "machine must not be null");
        }
        return new Builder(machine);
    }

    /** The CPUs. */
    public Machine machine() {
        return machine;
    }

    /** The teardown protocol. */
    public Protocol protocol() {
        return protocol;
    }

    /** Whether this kernel is built with CONFIG_PREEMPT_RCU (the spec's PreemptRcu). */
    public boolean preemptRcu() {
        return preemptRcu;
    }

    /** Whether refcount_dec shows the 0 it stores before it saturates (the spec's RefcountTwoStep). */
    public boolean refcountTwoStep() {
        return refcountTwoStep;
    }

    /** The RCU of these CPUs. */
    public Rcu rcu() {
        return rcu;
    }

    /** The hook through which lock attempts fail, and the record of failures. */
    public FailureInjector failures() {
        return failures;
    }

    /** The record of violations, WARNs, frees and leaks. */
    public Audit audit() {
        return audit;
    }

    /** The seeded bug, {@link Mutation#NONE} normally. */
    public Mutation mutation() {
        return mutation;
    }

    /** Installs a tracer (null removes it). */
    public void setTracer(Tracer t) {
        this.tracer = t;
    }

    /** Installs a step gate (null removes it): the conformance tools' gated scheduler or recorder. */
    public void setStepGate(StepGate g) {
        this.gate = g;
    }

    /** Whether candidate fix {@code f} is on. */
    public boolean fixed(Fix f) {
        return fixes[f.ordinal()];
    }

    /**
     * The names of the selems and local storages a kernel allocates (the
     * conformance tools give them the spec's names). Called on the
     * allocating thread; {@code cpu} is its CPU, or null.
     */
    public interface Names {
        /** The name of the selem {@code bpf_selem_alloc} makes for {@code owner} in {@code map}, or null for the default. */
        String selem(Cpu cpu, Owner owner, LocalStorageMap map);

        /** The name of the local storage {@code bpf_local_storage_alloc} makes for {@code owner}, or null for the default. */
        String storage(Cpu cpu, Owner owner);

        /** The selem, local storage, owner or map just made (a selem's or LS's name was asked for first). */
        default void allocated(Freeable object) {
        }
    }

    /**
     * {@code select_bucket}'s hash: the bucket (0 .. nBuckets-1) of
     * {@code key} (a selem [V3] or a local storage [FINAL]) in {@code map}.
     * The default is {@code hash_32} of the key's name; the conformance
     * tools use the spec's {@code BucketOf}.
     */
    @FunctionalInterface
    public interface BucketHash {
        int bucket(LocalStorageMap map, Freeable key, int nBuckets);
    }

    /**
     * A new owner (a socket) whose charges may reach {@code limit} bytes.
     *
     * @throws BadInputException if the limit is negative or the name empty
     */
    public Owner newOwner(String name, int limit) {
        if (limit < 0) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "limit must be >= 0, got " + limit);
        }
        Owner o = new Owner(this, checkName(name, "o" + ownerIds.incrementAndGet()), limit);
        allocated(o);
        return o;
    }

    /** A new owner without a practical charge limit. */
    public Owner newOwner(String name) {
        return newOwner(name, Integer.MAX_VALUE);
    }

    /**
     * A new map ({@code bpf_local_storage_map_alloc}): {@code valueSize}
     * bytes per value, {@code nBuckets} buckets, {@code nrSpecialFields}
     * special fields per value (kptrs and the like, released by
     * {@code bpf_obj_free_fields}), and a {@code bpf_spin_lock} in the value
     * if {@code spinLock} (then {@link LocalStorageMap#BPF_F_LOCK} updates
     * are allowed).
     *
     * @throws BadInputException ({@code VALUE_SIZE}) a value size of 0 or above
     *         {@link LocalStorageMap#MAX_VALUE_SIZE}; ({@code MAP_PARAMETER}) a bucket count that is not a power of
     *         two in 1..65536, or special fields outside 0..{@link LocalStorageMap#MAX_SPECIAL_FIELDS}
     */
    public LocalStorageMap newMap(String name, int valueSize, int nBuckets, int nrSpecialFields, boolean spinLock) {
        if (valueSize <= 0 || valueSize > LocalStorageMap.MAX_VALUE_SIZE) {
            throw new BadInputException(BadInputException.Kind.VALUE_SIZE, "value size must be in 1.."
                    + LocalStorageMap.MAX_VALUE_SIZE + " (BPF_LOCAL_STORAGE_MAX_VALUE_SIZE), got " + valueSize);
        }
        if (nBuckets < 1 || nBuckets > 65536 || Integer.bitCount(nBuckets) != 1) {
            throw new BadInputException(BadInputException.Kind.MAP_PARAMETER,
                    "bucket count must be a power of two in 1..65536, got " + nBuckets);
        }
        if (nrSpecialFields < 0 || nrSpecialFields > LocalStorageMap.MAX_SPECIAL_FIELDS) {
            throw new BadInputException(BadInputException.Kind.MAP_PARAMETER, "special fields must be in 0.."
                    + LocalStorageMap.MAX_SPECIAL_FIELDS + ", got " + nrSpecialFields);
        }
        LocalStorageMap m = new LocalStorageMap(this, checkName(name, "m" + mapIds.incrementAndGet()), valueSize, nBuckets,
                nrSpecialFields, spinLock);
        allocated(m);
        return m;
    }

    /**
     * A map as the kernel sizes it: {@code max(2, roundup_pow_of_two(nr_cpus))}
     * buckets, one special field, no spin lock.
     */
    public LocalStorageMap newMap(String name, int valueSize) {
        int n = Math.max(2, Integer.highestOneBit(Math.max(1, machine.nrCpus() - 1)) << 1);
        return newMap(name, valueSize, Math.min(n, 65536), 1, false);
    }

    private static String checkName(String name, String dflt) {
        if (name == null) {
            return dflt;
        }
        if (name.isEmpty()) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "name must not be empty");
        }
        return name;
    }

    // ------------------------------------------------------------------ package internals

    int nextSelemId() {
        return selemIds.getAndIncrement() + 1;
    }

    int nextStorageId() {
        return storageIds.getAndIncrement() + 1;
    }

    /** A CPU of this machine (cheap check for internal entry points). */
    Cpu checkCpu(Cpu cpu) {
        if (cpu == null || cpu.machine() != machine) {
            throw new BadInputException(BadInputException.Kind.FOREIGN,
                    cpu == null ? "cpu must not be null" : cpu + " belongs to another machine");
        }
        return cpu;
    }

    /** The public entry check: a CPU of this machine, run by the calling thread. */
    Cpu enter(Cpu cpu) {
        checkCpu(cpu);
        if (!machine.isAttached() || machine.current() != cpu) {
            throw new BadInputException(BadInputException.Kind.FOREIGN,
                    "thread " + Thread.currentThread().getName() + " does not run cpu" + cpu.id());
        }
        return cpu;
    }

    void checkOwner(Owner o) {
        if (o == null) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "owner must not be null");
        }
        if (o.kernel != this) {
            throw new BadInputException(BadInputException.Kind.FOREIGN, "owner " + o + " belongs to another kernel");
        }
        if (o.isFreeQueued()) {
            throw new BadInputException(BadInputException.Kind.OWNER_DESTROYED, "owner " + o + " was destroyed");
        }
    }

    /** The CPU of the calling thread, or null (for messages). */
    Cpu currentCpuOrNull() {
        return machine.isAttached() ? machine.current() : null;
    }

    String selemName(Owner owner, LocalStorageMap map) {
        String n = names == null ? null : names.selem(currentCpuOrNull(), owner, map);
        return n != null ? n : "x" + nextSelemId();
    }

    String storageName(Owner owner) {
        String n = names == null ? null : names.storage(currentCpuOrNull(), owner);
        return n != null ? n : "ls" + nextStorageId();
    }

    /** A new selem, local storage, owner or map (told to {@link Names#allocated}). */
    void allocated(Freeable o) {
        if (names != null) {
            names.allocated(o);
        }
    }

    /** {@code cpu} is about to run {@code s} (a step without a lock or an enabling condition). */
    void step(Cpu cpu, Step s, Object subject) {
        announce(cpu, s, subject, null);
    }

    /** {@code cpu} is about to run {@code s}, whose first act is an attempt on {@code lock}. */
    void lockStep(Cpu cpu, Step s, Object subject, RqSpinLock lock) {
        StepGate g = gate;
        announce(cpu, s, subject, g == null ? null : new StepGate.Guard(lock, null, false, null, null));
    }

    /**
     * {@code cpu} is about to run {@code s}, the first step of an operation
     * on {@code owner} and {@code map}, which the spec takes only while
     * {@code enabled} holds (no teardown of its map or owner has started).
     * Nobody waits for it: if it is false the Java twin goes on to reject the
     * operation.
     */
    void startStep(Cpu cpu, Step s, Owner owner, LocalStorageMap map, BooleanSupplier enabled) {
        StepGate g = gate;
        announce(cpu, s, owner, g == null ? null : new StepGate.Guard(null, enabled, false, null, map));
    }

    private void announce(Cpu cpu, Step s, Object subject, StepGate.Guard guard) {
        StepGate g = gate;
        if (g != null) {
            g.arrive(cpu, s, subject, guard);
        }
        Tracer t = tracer;
        if (t != null) {
            t.at(cpu, s, subject);
        }
        if (g != null) {
            g.depart(cpu, s, subject, guard);
        }
    }

    /**
     * {@code cpu} takes {@code s} once {@code enabled} holds: the step gate
     * decides when; without one, the CPU waits here (running ready RCU
     * callbacks, and announcing {@code spin} once to the tracer if it has to
     * wait), unless {@code escape} holds (a wait the kernel would never end:
     * the caller records it).
     */
    void await(Cpu cpu, Step s, Object subject, BooleanSupplier enabled, BooleanSupplier escape, Step spin) {
        StepGate g = gate;
        StepGate.Guard guard = null;
        if (g != null) {
            guard = new StepGate.Guard(null, enabled, true, escape, null);
            g.arrive(cpu, s, subject, guard);
        } else {
            boolean spun = false;
            while (!enabled.getAsBoolean() && (escape == null || !escape.getAsBoolean())) {
                if (!spun && spin != null) {
                    spun = true;
                    Tracer t = tracer;
                    if (t != null) {
                        t.at(cpu, spin, subject);
                    }
                }
                rcu.poll(cpu);
                Thread.yield();
            }
        }
        Tracer t = tracer;
        if (t != null) {
            t.at(cpu, s, subject);
        }
        if (g != null) {
            g.depart(cpu, s, subject, guard);
        }
    }

    /** {@code cpu} took ({@code held}) or is about to release {@code lock}. */
    void lockHeld(Cpu cpu, RqSpinLock lock, boolean held) {
        StepGate g = gate;
        if (g != null) {
            g.lockHeld(cpu, lock, held);
        }
    }

    /** An RCU callback that freed {@code object} is over (it began with {@link Step#RCU_CALLBACK}). */
    void callbackEnd(Cpu cpu, Object object) {
        StepGate g = gate;
        if (g != null) {
            g.callbackEnd(cpu, object);
        }
    }

    /** A public operation on {@code cpu} is over. */
    void opEnd(Cpu cpu, Throwable thrown) {
        StepGate g = gate;
        if (g != null) {
            g.opEnd(cpu, thrown);
        }
    }

    /**
     * {@code raw_res_spin_lock_irqsave(lock)} of the local storage: the
     * injector may make it fail without touching the lock; otherwise the
     * real {@link RqSpinLock}. Returns null when the lock is held, or the
     * errno; every failure is recorded, marks the objects it concerned (for
     * P7), and is shown to the tracer. Called only by
     * {@link CriticalSection#locked}, which runs the critical section.
     */
    Errno lock(Cpu cpu, LockSite site, RqSpinLock lock, Selem x, LocalStorage ls) {
        int number = failures.nextAttempt();
        Errno e = failures.decide(site, cpu.id(), x, ls, number);
        boolean injected = e != null;
        if (!injected) {
            try {
                lock.lock(cpu);
                return null;
            } catch (LockFailedException ex) {
                e = ex.errno();
            }
        }
        LockFailure f = new LockFailure(site, e, injected, cpu.id(), lock.toString(), x != null ? x.name() : null, number);
        failures.record(f);
        if (x != null) {
            x.failureSeen = true;
            x.auditOwner.failureSeen = true;
        }
        if (ls != null) {
            ls.failureSeen = true;
            ls.auditOwner.failureSeen = true;
        }
        step(cpu, Step.LOCK_FAILED, f);
        return e;
    }

    /**
     * P2 at {@code bpf_selem_free} (and again at reclaim, with
     * {@code reclaimed}): the selem must be on no live list: a bucket of a
     * map not yet freed, or the list of a local storage not yet handed to
     * {@code bpf_local_storage_free} (the spec's OnLiveList). This includes
     * the list of a storage that a dying owner left behind after a failed
     * lock (C10): the storage is leaked, but its list still holds the freed
     * selem (found by conformance: the Java check used to leave such a list
     * out, the spec's P2 counts it, in ls_final_f1_p2). Here, not in {@link Selem}: under Java
     * PathFinder these audit-only reads must not be scheduling points, and
     * the storage harnesses make {@code Kernel}'s methods atomic.
     */
    void checkUnlinkedAtFree(Selem x, String by, Cpu cpu, boolean reclaimed) {
        String what = reclaimed ? " is reclaimed" : " frees " + x.name();
        Hlist<Selem> b = x.mapNode.listForAudit();
        if (b != null && !b.holder().isFreed()) {
            audit.record(Violation.Property.P2_FREE_ONLY_UNLINKED, by + what + " while it is still on " + b, cpu);
        }
        Hlist<Selem> l = x.snode.listForAudit();
        if (l != null && !l.holder().isFreeQueued()) {
            audit.record(Violation.Property.P2_FREE_ONLY_UNLINKED, by + what + " while it is still on " + l, cpu);
        }
    }

    StorageException lockError(Errno e, LockSite site, Selem x) {
        return new StorageException(Err.of(e), site, site.describe() + " for " + x + " failed");
    }

    /** {@code bpf_local_storage_cache_idx_get}: the least used slot. */
    int cacheIdxGet() {
        synchronized (cacheIdxUsage) {
            int res = 0;
            int min = Integer.MAX_VALUE;
            for (int i = 0; i < cacheIdxUsage.length; i++) {
                if (cacheIdxUsage[i] < min) {
                    min = cacheIdxUsage[i];
                    res = i;
                    if (min == 0) {
                        break;
                    }
                }
            }
            cacheIdxUsage[res]++;
            return res;
        }
    }

    /** {@code bpf_local_storage_cache_idx_free}. */
    void cacheIdxFree(int idx) {
        synchronized (cacheIdxUsage) {
            cacheIdxUsage[idx]--;
        }
    }

    @Override
    public String toString() {
        return "Kernel[" + protocol + ", " + machine.nrCpus() + " CPUs" + (mutation != Mutation.NONE ? ", " + mutation : "")
                + "]";
    }

    /** Settings of a {@link Kernel}; every setter checks its argument ({@link BadInputException}). */
    public static final class Builder {
        private final Machine machine;
        private Protocol protocol = Protocol.FINAL;
        private Version lockVersion = Version.V6_19;
        private Mutation mutation = Mutation.NONE;
        private NeedResched needResched = NeedResched.NEVER;
        private int walkLimit = DEFAULT_WALK_LIMIT;
        private boolean preemptRcu;
        private boolean refcountTwoStep;
        private Names names;
        private BucketHash bucketHash;
        private final java.util.List<Fix> fixes = new java.util.ArrayList<>();

        private Builder(Machine machine) {
            this.machine = machine;
        }

        /** The teardown protocol (default {@link Protocol#FINAL}). */
        public Builder protocol(Protocol p) {
            this.protocol = nonNull(p);
            return this;
        }

        /** The rqspinlock version of the bucket and storage locks (default {@link Version#V6_19}). */
        public Builder lockVersion(Version v) {
            this.lockVersion = nonNull(v);
            return this;
        }

        /** A seeded bug (tests only). */
        public Builder mutation(Mutation m) {
            this.mutation = nonNull(m);
            return this;
        }

        /** {@code need_resched()} in map_free's walk (default {@link NeedResched#NEVER}). */
        public Builder needResched(NeedResched n) {
            this.needResched = nonNull(n);
            return this;
        }

        /** Visits without progress before a map_free walk is declared stuck (P9); default 10,000. */
        public Builder walkLimit(int n) {
            if (n < 1) {
                throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "walk limit must be >= 1, got " + n);
            }
            this.walkLimit = n;
            return this;
        }

        /**
         * Kernel configuration CONFIG_PREEMPT_RCU (default false). True:
         * {@code cond_resched_rcu()} is empty, so map_free restarts its walk
         * without leaving its read-side section, and a sleepable program's
         * lookup is held only by {@code rcu_read_lock_trace} (it may be
         * preempted). False: {@code cond_resched_rcu()} leaves the section,
         * and nothing preempts a sleepable program's lookup, so a vanilla
         * grace period waits for it as for a vanilla reader.
         */
        public Builder preemptRcu(boolean on) {
            this.preemptRcu = on;
            return this;
        }

        /**
         * refcount_t as include/linux/refcount.h has it (default false): a
         * refcount_dec that saturates stores its result (0) before
         * refcount_warn_saturate stores REFCOUNT_SATURATED, and another CPU
         * may read the 0 in between (a gate step of its own). False: the
         * two stores are one step.
         */
        public Builder refcountTwoStep(boolean on) {
            this.refcountTwoStep = on;
            return this;
        }

        /** Switches candidate fix {@code f} on (default: none, the merged code). */
        public Builder fix(Fix f) {
            fixes.add(nonNull(f));
            return this;
        }

        /** The names of the selems and local storages it allocates (default: x1, x2, ..., ls1, ...). */
        public Builder names(Names n) {
            this.names = nonNull(n);
            return this;
        }

        /** {@code select_bucket}'s hash (default: {@code hash_32} of the key's name). */
        public Builder bucketHash(BucketHash h) {
            this.bucketHash = nonNull(h);
            return this;
        }

        /** The kernel. */
        public Kernel build() {
            return new Kernel(this);
        }

        private static <T> T nonNull(T t) {
            if (t == null) {
                throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "argument must not be null");
            }
            return t;
        }
    }
}
