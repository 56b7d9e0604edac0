package rqspin.storage;

import java.util.ArrayList;
import java.util.List;
import rqspin.kernel.Freeable;
import rqspin.kernel.Hlist;
import rqspin.kernel.Rcu;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.RqSpinLock;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.Violation;

/**
 * A local storage map ({@code struct bpf_local_storage_map}, e.g.
 * {@code BPF_MAP_TYPE_SK_STORAGE}): one value per owner, kept in the owners'
 * local storages and indexed by the map's buckets, and the operations of BPF
 * programs and syscalls on it.
 *
 * <pre>{@code
 * Kernel k = Kernel.builder(Machine.of(2)).protocol(Protocol.FINAL).build();
 * LocalStorageMap m = k.newMap("m1", 8);
 * Owner sk = k.newOwner("sk1", 4096);
 * Cpu cpu = k.machine().attach();
 * m.update(cpu, sk, value, LocalStorageMap.BPF_NOEXIST);   // bpf_local_storage_update
 * byte[] v = m.lookup(cpu, sk);                             // bpf_local_storage_lookup (cached)
 * m.delete(cpu, sk);                                        // bpf_selem_unlink
 * sk.destroy(cpu);                                          // bpf_sk_storage_free: bpf_local_storage_destroy
 * m.mapFree(cpu);                                           // bpf_local_storage_map_free
 * }</pre>
 *
 * <h2>Fields, and who writes them</h2>
 * {@code buckets[]} (each an RCU list of selems through {@code map_node}
 * and an {@link RqSpinLock} guarding it), {@code elem_size},
 * {@code cache_idx}, the record of special fields and whether the value has a
 * spin lock are fixed at creation. The list of a bucket is written under its
 * lock and walked under RCU.
 *
 * <h2>Operations (kernel function: Java method)</h2>
 * <ul>
 * <li>{@code bpf_local_storage_update} (with {@code bpf_local_storage_alloc},
 *     {@code bpf_selem_alloc}): {@link #update}. All-or-nothing.</li>
 * <li>{@code bpf_local_storage_lookup} (with caching): {@link #lookup} (a
 *     non-sleepable program, {@code rcu_read_lock}) and {@link #lookupSleepable}
 *     (a sleepable program, {@code rcu_read_lock_trace}).</li>
 * <li>{@code bpf_sk_storage_del} / {@code bpf_selem_unlink}: {@link #delete}.
 *     All-or-nothing.</li>
 * <li>{@code bpf_local_storage_map_free}: {@link #mapFree}.</li>
 * </ul>
 * An operation holds a reference on the map and on the owner while it runs
 * (as the kernel's map and socket refcounts do), so map_free and destroy
 * start only after the operations on their map or owner have ended; an
 * operation on a map or owner whose teardown has started is rejected with
 * {@link BadInputException}.
 */
public final class LocalStorageMap extends Freeable {
    /** Update flags ({@code BPF_ANY}, {@code BPF_NOEXIST}, {@code BPF_EXIST}, {@code BPF_F_LOCK}). */
    public static final long BPF_ANY = 0;
    /** Create a new element only. */
    public static final long BPF_NOEXIST = 1;
    /** Update an existing element only. */
    public static final long BPF_EXIST = 2;
    /** Update the value in place under its spin lock (maps with a spin lock only). */
    public static final long BPF_F_LOCK = 4;
    /** {@code BPF_LOCAL_STORAGE_MAX_VALUE_SIZE}: {@code U16_MAX - sizeof(struct bpf_local_storage_elem)}. */
    public static final int MAX_VALUE_SIZE = 0xFFFF - Selem.HEADER_SIZE;
    /** At most this many special fields per value ({@code BTF_FIELDS_MAX}). */
    public static final int MAX_SPECIAL_FIELDS = 11;

    /** {@code struct bpf_local_storage_map_bucket}: an RCU list and its lock. */
    static final class Bucket {
        final Hlist<Selem> list;
        final RqSpinLock lock;
        final int index;

        Bucket(Kernel k, LocalStorageMap m, int index) {
            this.index = index;
            this.list = new Hlist<>(k.audit, m, m.name() + ".buckets[" + index + "]");
            this.lock = new RqSpinLock(k.machine, k.lockVersion, "b->lock " + m.name() + "[" + index + "]");
        }
    }

    final Kernel kernel;
    private final Bucket[] buckets;
    private final int bucketLog;
    final int valueSize;
    final int elemSize;
    final int cacheIdx;
    final int nrSpecialFields;
    final boolean spinLock;
    final UseCount users = new UseCount();

    LocalStorageMap(Kernel kernel, String name, int valueSize, int nBuckets, int nrSpecialFields, boolean spinLock) {
        super(kernel.audit, name);
        this.kernel = kernel;
        this.valueSize = valueSize;
        this.elemSize = Selem.HEADER_SIZE + valueSize;
        this.nrSpecialFields = nrSpecialFields;
        this.spinLock = spinLock;
        this.bucketLog = Integer.numberOfTrailingZeros(nBuckets);
        this.buckets = new Bucket[nBuckets];
        for (int i = 0; i < nBuckets; i++) {
            buckets[i] = new Bucket(kernel, this, i);
        }
        this.cacheIdx = kernel.cacheIdxGet();
    }

    @Override
    public String kind() {
        return "smap";
    }

    /** An access to this map by the code of another class of the local storage (see {@link Freeable#use}). */
    void access(String what) {
        use(what);
    }

    /** Whether the value has a {@code bpf_spin_lock} ({@link #BPF_F_LOCK} updates are allowed). */
    public boolean hasSpinLock() {
        return spinLock;
    }

    /** The value size. */
    public int valueSize() {
        return valueSize;
    }

    /** {@code smap->elem_size}: what each selem charges its owner. */
    public int elemSize() {
        use("read elem_size");
        return elemSize;
    }

    /** {@code smap->cache_idx}. */
    public int cacheIdx() {
        use("read cache_idx");
        return cacheIdx;
    }

    /** Number of buckets. */
    public int nBuckets() {
        return buckets.length;
    }

    /** Whether {@link #mapFree} has started. */
    public boolean isClosed() {
        return users.isClosed();
    }

    /**
     * {@code select_bucket(smap, key)}: {@code hash_ptr(key, bucket_log)}; the
     * key is the selem [V3] or the local storage [FINAL].
     */
    Bucket selectBucket(Freeable key) {
        use("read buckets");
        if (bucketLog == 0 || key == null) {
            return buckets[0];
        }
        if (kernel.bucketHash != null) {
            return buckets[kernel.bucketHash.bucket(this, key, buckets.length)];
        }
        return buckets[hashBucket(key.name(), buckets.length)];
    }

    /**
     * The default {@code select_bucket} hash: {@code hash_32} (golden ratio)
     * of the key's name, as a bucket index of a map with {@code nBuckets}
     * buckets (a power of two).
     */
    public static int hashBucket(String keyName, int nBuckets) {
        int log = Integer.numberOfTrailingZeros(nBuckets);
        if (log == 0) {
            return 0;
        }
        int h = keyName.hashCode() * 0x61C88647; // hash_32 with GOLDEN_RATIO_32
        return h >>> (32 - log);
    }

    Bucket bucket(int i) {
        return buckets[i];
    }

    /** {@code mem_charge(smap, owner, size)}: {@code map_local_storage_charge} (sk: {@code sk_omem_alloc}). */
    void memCharge(Owner owner, int size) throws StorageException {
        use("read map.ops");
        if (!owner.charge(size)) {
            throw new StorageException(Err.ENOMEM, "charging " + size + " bytes to " + owner + " would exceed its limit "
                    + owner.limit());
        }
    }

    /** {@code mem_uncharge(smap, owner, size)}. */
    void memUncharge(Owner owner, int size) {
        use("read map.ops");
        if (owner == null) {
            kernel.audit.record(Violation.Property.P4_CHARGE_BALANCED, "mem_uncharge of " + size + " bytes with a NULL owner",
                    kernel.currentCpuOrNull());
            return;
        }
        owner.uncharge(size);
    }

    // ------------------------------------------------------------------ update

    /**
     * {@code bpf_local_storage_update(owner, smap, value, map_flags)}: sets
     * the owner's value in this map. All-or-nothing: on an exception nothing
     * changed (the charges taken meanwhile are given back).
     *
     * @param flags {@link #BPF_ANY}, {@link #BPF_NOEXIST} or {@link #BPF_EXIST}, optionally with {@link #BPF_F_LOCK}
     * @throws StorageException {@code ENOENT} ({@code BPF_EXIST}, no element), {@code EEXIST} ({@code BPF_NOEXIST},
     *         an element), {@code EAGAIN} (raced with a delete of the last element or another first update),
     *         {@code ENOMEM} (the owner's limit), {@code EDEADLK}/{@code ETIMEDOUT} (a lock attempt failed)
     * @throws BadInputException invalid flags, a value of the wrong size, a map being freed, an owner being
     *         destroyed, objects of another kernel, a CPU not run by this thread; nothing changed
     */
    public void update(Cpu cpu, Owner owner, byte[] value, long flags) throws StorageException {
        kernel.enter(cpu);
        kernel.checkOwner(owner);
        if (value == null) {
            throw new BadInputException(BadInputException.Kind.ILLEGAL_ARGUMENT, "value must not be null");
        }
        if (flags < 0 || (flags & ~BPF_F_LOCK) > BPF_EXIST) {
            throw new BadInputException(BadInputException.Kind.INVALID_FLAGS, "update flags 0x" + Long.toHexString(flags)
                    + ": BPF_EXIST and BPF_NOEXIST cannot both be set, other bits are unknown (-EINVAL)");
        }
        if ((flags & BPF_F_LOCK) != 0 && !spinLock) {
            throw new BadInputException(BadInputException.Kind.INVALID_FLAGS,
                    "BPF_F_LOCK on " + this + ", whose value has no bpf_spin_lock (-EINVAL)");
        }
        if (value.length != valueSize) {
            throw new BadInputException(BadInputException.Kind.VALUE_SIZE,
                    "value of " + value.length + " bytes for " + this + ", whose value size is " + valueSize);
        }
        kernel.startStep(cpu, Step.UPDATE_START, owner, this, () -> !users.isClosed() && !owner.users.isClosed());
        Throwable thrown = null;
        try {
            enterMapAndOwner(owner);
            kernel.rcu.readLock(cpu);
            try {
                doUpdate(cpu, owner, value, flags);
            } finally {
                leave(cpu, owner);
            }
        } catch (Throwable t) {
            thrown = t;
            throw t;
        } finally {
            kernel.opEnd(cpu, thrown);
        }
    }

    private void doUpdate(Cpu cpu, Owner owner, byte[] value, long flags) throws StorageException {
        Kernel k = kernel;
        LocalStorage ls = owner.storage();
        if (ls == null || ls.isEmpty()) {
            // very first element for the owner
            checkFlags(null, flags);
            k.step(cpu, Step.UPDATE_ALLOC_FIRST, owner);
            Selem x = selemAlloc(owner, value);
            try {
                storageAlloc(cpu, owner, x);
            } catch (StorageException e) {
                Selem.free(cpu, x, true, "bpf_local_storage_update (first selem not published)");
                memUncharge(owner, elemSize);
                throw e;
            }
            return;
        }
        Selem lockless = null;
        if ((flags & BPF_F_LOCK) != 0 && (flags & BPF_NOEXIST) == 0) {
            // hoping for an in-place update without local_storage->lock
            lockless = ls.lookup(cpu, this, false);
            checkFlags(lockless, flags);
            if (lockless != null && lockless.snode.isHashed()) {
                lockless.copyValueLocked(value);
                return;
            }
        } else if (k.mutation == Mutation.UPDATE_NO_RECHECK) {
            lockless = ls.lookup(cpu, this, false);
        }

        k.step(cpu, Step.UPDATE_SELEM_ALLOC, owner);
        Update u = new Update(selemAlloc(owner, value));
        Selem found = lockless;
        StorageException failure = null;
        try {
            Errno err = CriticalSection.locked(k, cpu, Step.UPDATE_LOCK_STORAGE, LockSite.UPDATE_STORAGE, ls.lock,
                    u.alloc, ls, () -> updateLocked(cpu, owner, ls, value, flags, found, u));
            if (err != null) {
                failure = k.lockError(err, LockSite.UPDATE_STORAGE, u.alloc);
            }
        } catch (StorageException e) {
            failure = e; // nothing was linked
        }
        if (u.oldToFree != null) {
            k.step(cpu, Step.UPDATE_FREE_OLD, u.oldToFree);
            Selem.free(cpu, u.oldToFree, false, "bpf_local_storage_update (old selem)");
        }
        if (u.alloc != null) {
            k.step(cpu, Step.UPDATE_FREE_NEW, u.alloc);
            memUncharge(owner, elemSize);
            Selem.free(cpu, u.alloc, true, "bpf_local_storage_update (new selem not linked)");
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * The part of {@code bpf_local_storage_update} under {@code local_storage->lock}:
     * look the old element up again, then link the new selem under the
     * bucket's lock ([V3] and the old selem's bucket's, if another).
     * {@code lockless} is the old element found without the lock (seeded bug
     * {@link Mutation#UPDATE_NO_RECHECK} only).
     *
     * @throws StorageException {@code EAGAIN}, {@code EEXIST}, {@code ENOENT}, or a failed bucket lock; nothing
     *         linked
     */
    private void updateLocked(Cpu cpu, Owner owner, LocalStorage ls, byte[] value, long flags, Selem lockless,
            Update u) throws StorageException {
        Kernel k = kernel;
        k.step(cpu, Step.UPDATE_LOOKUP_OLD, u.alloc);
        if (ls.isEmpty()) {
            // a parallel delete emptied it: the storage is going away
            throw new StorageException(Err.EAGAIN, owner + "'s local storage " + ls + " was emptied meanwhile");
        }
        Selem old = k.mutation == Mutation.UPDATE_NO_RECHECK ? lockless : ls.lookup(cpu, this, false);
        checkFlags(old, flags);
        if (old != null && (flags & BPF_F_LOCK) != 0) {
            old.copyValueLocked(value);
            return;
        }
        boolean v3 = k.protocol == Protocol.V3;
        Bucket b = selectBucket(v3 ? u.alloc : ls);
        Errno err = CriticalSection.locked(k, cpu, Step.UPDATE_LOCK_BUCKET, LockSite.UPDATE_BUCKET, b.lock, u.alloc,
                ls, () -> {
                    // v3 hashes the selem: the old one may sit in another bucket
                    Bucket oldBucket = v3 && old != null ? selectBucket(old) : b;
                    if (oldBucket == b) {
                        link(cpu, ls, b, old, b, u);
                        return;
                    }
                    Errno e = CriticalSection.locked(k, cpu, Step.UPDATE_LOCK_OLD_BUCKET, LockSite.UPDATE_OLD_BUCKET,
                            oldBucket.lock, old, ls, () -> link(cpu, ls, b, old, oldBucket, u));
                    if (e != null) {
                        throw k.lockError(e, LockSite.UPDATE_OLD_BUCKET, old);
                    }
                });
        if (err != null) {
            throw k.lockError(err, LockSite.UPDATE_BUCKET, u.alloc);
        }
    }

    /**
     * Under the storage's and the bucket locks: {@code bpf_selem_link_map_nolock},
     * {@code bpf_selem_link_storage_nolock} (publishes the new selem), then
     * the old selem's {@code bpf_selem_unlink_map_nolock} and
     * {@code bpf_selem_unlink_storage_nolock}.
     */
    private void link(Cpu cpu, LocalStorage ls, Bucket b, Selem old, Bucket oldBucket, Update u) {
        kernel.step(cpu, Step.UPDATE_LINK, u.alloc);
        Selem x = u.alloc;
        u.alloc = null;
        b.list.addHead(x.mapNode);
        ls.linkStorageNolock(x);
        if (old != null) {
            oldBucket.list.del(old.mapNode);
            ls.unlinkStorageNolock(cpu, old);
            u.oldToFree = old;
        }
    }

    /** One update's selems, for the code after its locks. Confined to the calling CPU. */
    private static final class Update {
        /** The new selem; null once it is linked. */
        Selem alloc;
        /** The element it replaced: unlinked under the locks, freed after them. */
        Selem oldToFree;

        Update(Selem alloc) {
            this.alloc = alloc;
        }
    }

    /** {@code bpf_selem_alloc}: charge {@code elem_size}, then the selem. */
    private Selem selemAlloc(Owner owner, byte[] value) throws StorageException {
        memCharge(owner, elemSize);
        return new Selem(kernel, this, owner, value);
    }

    /**
     * {@code bpf_local_storage_alloc}: charge and allocate the storage, link
     * the first selem to it without a lock (not published yet), lock the
     * bucket, link the selem to the map and publish the storage with a
     * cmpxchg of {@code owner->storage} from NULL. On failure (lock, or
     * another update published first: {@code EAGAIN}) the storage is freed and
     * uncharged; the caller frees the selem.
     */
    private void storageAlloc(Cpu cpu, Owner owner, Selem first) throws StorageException {
        Kernel k = kernel;
        memCharge(owner, LocalStorage.SIZE);
        LocalStorage ls = new LocalStorage(k, owner);
        ls.linkStorageNolock(first);
        Bucket b = selectBucket(k.protocol == Protocol.V3 ? first : ls);
        StorageException failure = null;
        try {
            Errno err = CriticalSection.locked(k, cpu, Step.STORAGE_ALLOC_LOCK_BUCKET, LockSite.STORAGE_ALLOC_BUCKET,
                    b.lock, first, ls, () -> {
                        k.step(cpu, Step.STORAGE_ALLOC_PUBLISH, first);
                        b.list.addHead(first.mapNode);
                        if (!owner.publishStorage(ls)) {
                            b.list.del(first.mapNode);
                            throw new StorageException(Err.EAGAIN, "another update published " + owner
                                    + "'s storage first");
                        }
                    });
            if (err != null) {
                failure = k.lockError(err, LockSite.STORAGE_ALLOC_BUCKET, first);
            }
        } catch (StorageException e) {
            failure = e;
        }
        if (failure != null) {
            k.step(cpu, Step.STORAGE_ALLOC_FREE, ls);
            LocalStorage.free(cpu, ls, true, "bpf_local_storage_alloc (uncharge:)");
            memUncharge(owner, LocalStorage.SIZE);
            throw failure;
        }
    }

    private static void checkFlags(Selem old, long flags) throws StorageException {
        StorageException e = flagsError(old, flags);
        if (e != null) {
            throw e;
        }
    }

    /** {@code check_flags}. */
    private static StorageException flagsError(Selem old, long flags) {
        long f = flags & ~BPF_F_LOCK;
        if (old != null && f == BPF_NOEXIST) {
            return new StorageException(Err.EEXIST, "BPF_NOEXIST: the element exists");
        }
        if (old == null && f == BPF_EXIST) {
            return new StorageException(Err.ENOENT, "BPF_EXIST: no element");
        }
        return null;
    }

    // ------------------------------------------------------------------ lookup

    /**
     * {@code bpf_local_storage_lookup(local_storage, smap, true)} as a BPF
     * program calls it: the owner's value in this map (a copy), or null. The
     * element found by a list walk is cached
     * ({@code __bpf_local_storage_insert_cache}, skipped if the lock fails).
     * Inside {@code rcu_read_lock}, as a non-sleepable program runs.
     *
     * @throws BadInputException a map being freed, an owner being destroyed, foreign objects
     */
    public byte[] lookup(Cpu cpu, Owner owner) {
        return lookup(cpu, owner, false);
    }

    /**
     * The same lookup from a sleepable BPF program ({@code bpf_task_storage_get}
     * in a sleepable LSM or tracing program): {@code __bpf_prog_enter_sleepable}
     * takes {@code rcu_read_lock_trace} instead of {@code rcu_read_lock}, and
     * {@code bpf_local_storage_lookup} walks {@code local_storage->list} under
     * {@code rcu_read_lock_trace_held()}. Everything else is as in
     * {@link #lookup(Cpu, Owner)}: the cache slot, the walk (one
     * {@link Step#LOOKUP_WALK} per selem), the caching, the references on the
     * map and the owner. Only {@code call_rcu_tasks_trace} callbacks wait for
     * this reader; a {@code call_rcu} callback (e.g. map_free's
     * {@code bpf_selem_free(selem, true)}) does not.
     *
     * @throws BadInputException a map being freed, an owner being destroyed, foreign objects
     */
    public byte[] lookupSleepable(Cpu cpu, Owner owner) {
        return lookup(cpu, owner, true);
    }

    private byte[] lookup(Cpu cpu, Owner owner, boolean sleepable) {
        kernel.enter(cpu);
        kernel.checkOwner(owner);
        kernel.startStep(cpu, sleepable ? Step.SLEEPABLE_LOOKUP_START : Step.LOOKUP_START, owner, this,
                () -> !users.isClosed() && !owner.users.isClosed());
        Throwable thrown = null;
        try {
            enterMapAndOwner(owner);
            if (sleepable) {
                kernel.rcu.readLockTrace(cpu);
                if (!kernel.preemptRcu) {
                    kernel.rcu.readLock(cpu); // not preemptible: a vanilla grace period waits for the walk
                }
            } else {
                kernel.rcu.readLock(cpu);
            }
            try {
                LocalStorage ls = owner.storage();
                Selem x = ls == null ? null : sleepable ? ls.lookupSleepable(cpu, this) : ls.lookup(cpu, this, true);
                kernel.step(cpu, Step.LOOKUP_USE, x);
                return x == null ? null : x.readValue(spinLock);
            } finally {
                leave(cpu, owner, sleepable);
            }
        } catch (Throwable t) {
            thrown = t;
            throw t;
        } finally {
            kernel.opEnd(cpu, thrown);
        }
    }

    // ------------------------------------------------------------------ delete

    /**
     * {@code bpf_sk_storage_del}: look the element up, then
     * {@code bpf_selem_unlink}. All-or-nothing.
     *
     * @throws StorageException {@code ENOENT} (no element), {@code EDEADLK}/{@code ETIMEDOUT} (a lock attempt
     *         failed; nothing changed)
     * @throws BadInputException a map being freed, an owner being destroyed, foreign objects
     */
    public void delete(Cpu cpu, Owner owner) throws StorageException {
        kernel.enter(cpu);
        kernel.checkOwner(owner);
        kernel.startStep(cpu, Step.DELETE_START, owner, this, () -> !users.isClosed() && !owner.users.isClosed());
        Throwable thrown = null;
        try {
            enterMapAndOwner(owner);
            kernel.rcu.readLock(cpu);
            try {
                LocalStorage ls = owner.storage();
                Selem x = ls == null ? null : ls.lookup(cpu, this, false);
                if (x == null) {
                    throw new StorageException(Err.ENOENT, "no element of " + owner + " in " + this);
                }
                LocalStorage.unlinkSelem(cpu, x);
            } finally {
                leave(cpu, owner);
            }
        } catch (Throwable t) {
            thrown = t;
            throw t;
        } finally {
            kernel.opEnd(cpu, thrown);
        }
    }

    private void enterMapAndOwner(Owner owner) {
        if (!users.tryAcquire()) {
            throw new BadInputException(BadInputException.Kind.MAP_FREED, "map " + this + " is being freed or was freed");
        }
        if (!owner.users.tryAcquire()) {
            users.release();
            throw new BadInputException(BadInputException.Kind.OWNER_DESTROYED,
                    "owner " + owner + " is being destroyed or was destroyed");
        }
    }

    private void leave(Cpu cpu, Owner owner) {
        leave(cpu, owner, false);
    }

    /** Leaves the read-side section ({@code rcu_read_unlock_trace} if {@code sleepable}) and drops the references. */
    private void leave(Cpu cpu, Owner owner, boolean sleepable) {
        try {
            if (sleepable) {
                kernel.rcu.readUnlockTrace(cpu);
                if (!kernel.preemptRcu) {
                    kernel.rcu.readUnlock(cpu);
                }
            } else {
                kernel.rcu.readUnlock(cpu);
            }
        } finally {
            owner.users.release();
            users.release();
        }
    }

    // ------------------------------------------------------------------ map_free

    /**
     * {@code bpf_local_storage_map_free}: the map's last reference is gone.
     * Release the cache slot and wait for readers ({@code synchronize_rcu});
     * unlink every selem of every bucket, inside a read-side section; wait
     * again ({@code synchronize_rcu}, {@code rcu_barrier_tasks_trace},
     * {@code rcu_barrier}: pending callbacks read {@code smap->record}); free
     * the buckets and the map.
     * <ul>
     * <li>[FINAL] RCU walk calling {@code bpf_selem_unlink_nofail(selem, b)};
     *     when {@code need_resched()} ({@link NeedResched}),
     *     {@code cond_resched_rcu()} and restart at the head of the bucket.</li>
     * <li>[V3] {@code while ((selem = first(b->list)))}:
     *     {@code bpf_selem_unlink_lockless(selem, &free_selem_list, MAP_FREE)},
     *     {@code bpf_selem_free_list(&free_selem_list)} (the list is declared
     *     once for the function and never emptied, as in the patch),
     *     {@code cond_resched_rcu()}.</li>
     * </ul>
     * A walk that makes no progress for {@link Kernel.Builder#walkLimit} visits
     * in a row is recorded as a P9 violation and abandoned (the kernel would
     * spin forever).
     *
     * @throws BadInputException if map_free already started, or the CPU is not run by this thread
     */
    public void mapFree(Cpu cpu) {
        kernel.enter(cpu);
        if (users.isClosed()) {
            throw new BadInputException(BadInputException.Kind.MAP_FREED, "map_free of " + this + " again");
        }
        Kernel k = kernel;
        k.await(cpu, Step.MAP_FREE_START, this, users::noUsers, null, null);
        if (!users.close()) {
            throw new BadInputException(BadInputException.Kind.MAP_FREED, "map_free of " + this + " again");
        }
        Throwable thrown = null;
        try {
            users.awaitNoUsers();
            k.cacheIdxFree(cacheIdx);
            k.step(cpu, Step.MAP_FREE_SYNCHRONIZE_RCU, this);
            Rcu.GracePeriod gp = k.rcu.startSynchronize(cpu);
            Rcu.GracePeriod gp2 = k.protocol == Protocol.FINAL ? walkFinal(cpu, gp) : walkV3(cpu, gp);
            k.await(cpu, Step.MAP_FREE_RCU_BARRIER, this, () -> k.rcu.ended(gp2), null, null);
            Rcu.Barrier bar = k.rcu.startBarrier(cpu); // rcu_barrier_tasks_trace(); rcu_barrier(): one wait for both
            k.await(cpu, Step.MAP_FREE_FREE, this, () -> k.rcu.done(bar), null, null);
            freeNow("bpf_local_storage_map_free on cpu" + cpu.id());
        } catch (Throwable t) {
            thrown = t;
            throw t;
        } finally {
            k.opEnd(cpu, thrown);
        }
    }

    private Hlist.Node<Selem> bucketFirst(Bucket b) {
        use("read buckets[].list");
        return b.list.first();
    }

    /**
     * rcu_read_lock() at bucket {@code i}: the first bucket's waits for the
     * first synchronize_rcu ({@code gp}).
     */
    private void rcuReadLockAt(Cpu cpu, int i, Rcu.GracePeriod gp) {
        Kernel k = kernel;
        if (i == 0) {
            k.await(cpu, Step.MAP_FREE_RCU_READ_LOCK, this, () -> k.rcu.ended(gp), null, null);
        } else {
            k.step(cpu, Step.MAP_FREE_RCU_READ_LOCK, this);
        }
        k.rcu.readLock(cpu);
    }

    /**
     * The end of bucket {@code i}, found by the walk: rcu_read_unlock(), and
     * after the last bucket the second synchronize_rcu starts (returned).
     */
    private Rcu.GracePeriod endOfBucket(Cpu cpu, int i) {
        Kernel k = kernel;
        k.rcu.readUnlock(cpu);
        if (i < buckets.length - 1) {
            return null;
        }
        k.step(cpu, Step.MAP_FREE_SYNCHRONIZE_RCU_2, this);
        return k.rcu.startSynchronize(cpu);
    }

    /**
     * The RCU walk of the final version, with restarts; returns the second
     * synchronize_rcu's grace period. One spec step per
     * {@link Step#MAP_FREE_WALK} (the next selem and the unlink's loads, or
     * the end of the bucket), {@link Step#MAP_FREE_NEXT} (need_resched, or
     * the next node) and {@link Step#MAP_FREE_COND_RESCHED_RCU}.
     */
    private Rcu.GracePeriod walkFinal(Cpu cpu, Rcu.GracePeriod gp) {
        Kernel k = kernel;
        Rcu.GracePeriod gp2 = null;
        for (int i = 0; i < buckets.length; i++) {
            Bucket b = buckets[i];
            rcuReadLockAt(cpu, i, gp);
            boolean reader = true;
            int idle = 0;
            try {
                Hlist.Node<Selem> n = bucketFirst(b);
                for (;;) {
                    k.step(cpu, Step.MAP_FREE_WALK, n == null ? this : n.elem());
                    if (n == null) {
                        reader = false;
                        gp2 = endOfBucket(cpu, i);
                        break;
                    }
                    Selem x = n.elem();
                    LocalStorage.unlinkNofail(cpu, x, b);
                    k.step(cpu, Step.MAP_FREE_NEXT, x);
                    idle = x.mapNode.listForAudit() == b.list ? idle + 1 : 0;
                    if (idle > k.walkLimit) {
                        noProgress(cpu, b, x, idle);
                        reader = false;
                        gp2 = endOfBucket(cpu, i);
                        break;
                    }
                    if (k.needResched.needResched(cpu, x)) {
                        if (k.preemptRcu) {
                            // CONFIG_PREEMPT_RCU: cond_resched_rcu() is empty; still a reader
                            k.step(cpu, Step.MAP_FREE_COND_RESCHED_RCU, x);
                            Thread.yield();
                        } else {
                            reader = false;
                            k.rcu.readUnlock(cpu);
                            k.step(cpu, Step.MAP_FREE_COND_RESCHED_RCU, x);
                            Thread.yield();
                            k.rcu.readLock(cpu);
                            reader = true;
                        }
                        n = bucketFirst(b); // restart
                        continue;
                    }
                    n = n.nextRcu();
                }
            } finally {
                if (reader) {
                    k.rcu.readUnlock(cpu);
                }
            }
        }
        return gp2;
    }

    /** The {@code while (first(b->list))} loop of v3; returns the second synchronize_rcu's grace period. */
    private Rcu.GracePeriod walkV3(Cpu cpu, Rcu.GracePeriod gp) {
        Kernel k = kernel;
        List<Selem> freeSelemList = new ArrayList<>(); // HLIST_HEAD(free_selem_list), never re-initialised
        Rcu.GracePeriod gp2 = null;
        for (int i = 0; i < buckets.length; i++) {
            Bucket b = buckets[i];
            rcuReadLockAt(cpu, i, gp);
            boolean reader = true;
            int idle = 0;
            try {
                for (;;) {
                    k.step(cpu, Step.MAP_FREE_WALK, this);
                    Hlist.Node<Selem> n = bucketFirst(b);
                    if (n == null) {
                        reader = false;
                        gp2 = endOfBucket(cpu, i);
                        break;
                    }
                    Selem x = n.elem();
                    LocalStorage.unlinkLockless(cpu, x, freeSelemList, LockSite.Function.MAP_FREE);
                    k.step(cpu, Step.MAP_FREE_NEXT, x);
                    LocalStorage.freeList(cpu, freeSelemList, false, "bpf_local_storage_map_free (free_selem_list)");
                    if (k.fixed(Fix.V3_REINIT_FREE_LIST)) {
                        freeSelemList.clear();
                    }
                    idle = x.mapNode.listForAudit() == b.list ? idle + 1 : 0;
                    if (idle > k.walkLimit) {
                        noProgress(cpu, b, x, idle);
                        reader = false;
                        gp2 = endOfBucket(cpu, i);
                        break;
                    }
                    reader = false;
                    k.rcu.readUnlock(cpu); // cond_resched_rcu
                    k.step(cpu, Step.MAP_FREE_COND_RESCHED_RCU, x);
                    Thread.yield();
                    k.rcu.readLock(cpu);
                    reader = true;
                }
            } finally {
                if (reader) {
                    k.rcu.readUnlock(cpu);
                }
            }
        }
        return gp2;
    }

    private void noProgress(Cpu cpu, Bucket b, Selem x, int visits) {
        kernel.audit.record(Violation.Property.P9_TEARDOWN_TERMINATES, "map_free(" + this + ") visited " + visits
                + " selems of bucket " + b.index + " in a row without unlinking one (last: " + x
                + "): the kernel would spin forever; walk abandoned", cpu);
    }

    // ------------------------------------------------------------------ views for tests

    /** {@code smap->cache_idx} (no access check). */
    public int cacheIdxForAudit() {
        return cacheIdx;
    }

    /** {@code b->lock} of bucket {@code i}. */
    public RqSpinLock bucketLockForAudit(int i) {
        return buckets[i].lock;
    }

    /** The selems on bucket {@code i} now (no access check; for tests). */
    public List<Selem> bucketForAudit(int i) {
        List<Selem> out = new ArrayList<>();
        for (Hlist.Node<Selem> n = buckets[i].list.first(); n != null; n = n.nextForAudit()) {
            out.add(n.elem());
        }
        return out;
    }
}
