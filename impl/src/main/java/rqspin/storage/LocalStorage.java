package rqspin.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import rqspin.kernel.Freeable;
import rqspin.kernel.Hlist;
import rqspin.kernel.Rcu;
import rqspin.kernel.Refcount;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.RqSpinLock;
import rqspin.storage.check.Mutation;
import rqspin.storage.check.Step;
import rqspin.storage.check.Violation;

/**
 * An owner's local storage ({@code struct bpf_local_storage}): the list of
 * the owner's selems across all maps, and the teardown unlink functions of
 * both protocols.
 *
 * <h2>Fields, and who writes them</h2>
 * <ul>
 * <li>{@code list}: the selems, through {@code snode}; written under
 *     {@code lock}, walked under RCU ({@code rcu_read_lock}) or, by a
 *     sleepable program, under RCU Tasks Trace only
 *     ({@code rcu_read_lock_trace}).</li>
 * <li>{@code lock}: an {@link RqSpinLock}; guards {@code list}, {@code cache}
 *     and {@code mem_charge}. Lock order: this lock, then a bucket's.</li>
 * <li>{@code owner}: back pointer; cleared under {@code lock} when the last
 *     selem is unlinked by delete or map_free [FINAL], or by destroy [V3].</li>
 * <li>{@code cache[16]}: lookup hints, one slot per {@code smap->cache_idx};
 *     written under {@code lock}, read without it. They own nothing.</li>
 * <li>[FINAL] {@code mem_charge}: the bytes charged to the owner for this
 *     storage and its linked selems; under {@code lock}. destroy returns it.</li>
 * <li>[FINAL] {@code owner_refcnt} ({@link Refcount}, starts at 1): map_free
 *     pins the owner with {@code refcount_inc_not_zero} while it uncharges;
 *     destroy drops the initial reference and waits for 0.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * Published in {@code owner->storage} from its first selem until the last is
 * unlinked (or the owner dies); freed by whoever unlinks the last selem under
 * {@code lock} [FINAL], or always by destroy [V3]; freed once, after a grace
 * period.
 *
 * <h2>Protocol (kernel function: Java method)</h2>
 * <ul>
 * <li>{@code bpf_selem_unlink_nofail}: {@link #unlinkNofail} [FINAL]</li>
 * <li>{@code bpf_selem_unlink_lockless}: {@link #unlinkLockless} [V3]</li>
 * <li>{@code bpf_local_storage_destroy}: {@link #destroy}</li>
 * <li>{@code bpf_local_storage_lookup}, {@code __bpf_local_storage_insert_cache}:
 *     {@link #lookup}, {@link #insertCache}</li>
 * <li>{@code bpf_selem_link_storage_nolock}, {@code bpf_selem_unlink_storage_nolock},
 *     {@code bpf_selem_unlink_storage_nolock_misc}: {@link #linkStorageNolock},
 *     {@link #unlinkStorageNolock}, {@link #unlinkStorageNolockMisc}</li>
 * <li>{@code bpf_selem_unlink} (delete): {@link #unlinkSelem}</li>
 * <li>{@code bpf_local_storage_free}: {@link #free}</li>
 * </ul>
 */
public final class LocalStorage extends Freeable {
    /** {@code BPF_LOCAL_STORAGE_CACHE_SIZE}. */
    public static final int CACHE_SIZE = 16;
    /** {@code sizeof(struct bpf_local_storage)} (x86-64, about): the charge of the header. */
    public static final int SIZE = 176;

    final Kernel kernel;
    final Hlist<Selem> list;
    final RqSpinLock lock;
    private volatile Owner owner;
    private final AtomicReference<Selem>[] cache;
    private volatile int memCharge;
    final Refcount ownerRefcnt;
    /** Audit only: the owner it was allocated for. */
    final Owner auditOwner;
    /** Audit only (not a kernel field): a failed lock attempt concerned this object, which makes a leak of it one that P7 allows. */
    volatile boolean failureSeen;

    /** {@code bpf_local_storage_alloc} after the charge: owner set, {@code mem_charge = sizeof}, refcount 1. */
    @SuppressWarnings("unchecked")
    LocalStorage(Kernel kernel, Owner owner) {
        super(kernel.audit, kernel.storageName(owner));
        this.kernel = kernel;
        this.list = new Hlist<>(kernel.audit, this, name() + "->list");
        this.lock = new RqSpinLock(kernel.machine, kernel.lockVersion, "local_storage->lock " + name());
        this.owner = owner;
        this.cache = new AtomicReference[CACHE_SIZE];
        for (int i = 0; i < CACHE_SIZE; i++) {
            cache[i] = new AtomicReference<>();
        }
        this.memCharge = kernel.protocol == Protocol.FINAL ? SIZE : 0;
        this.ownerRefcnt = new Refcount(kernel.audit, this, 1);
        this.auditOwner = owner;
        kernel.audit.allocated(this);
        kernel.allocated(this);
    }

    @Override
    public String kind() {
        return "local_storage";
    }

    // ------------------------------------------------------------------ fields

    Hlist.Node<Selem> first() {
        use("read list.first");
        return list.first();
    }

    boolean isEmpty() {
        use("read list.first");
        return list.isEmpty();
    }

    Owner owner() {
        use("read owner");
        return owner;
    }

    void setOwner(Owner o) {
        use("write owner");
        owner = o;
    }

    int memCharge() {
        use("read mem_charge");
        return memCharge;
    }

    private void addMemCharge(int delta) {
        use("write mem_charge");
        memCharge = memCharge + delta;
    }

    private Selem cacheSlot(int idx) {
        use("read cache[]");
        return cache[idx].get();
    }

    private void setCacheSlot(int idx, Selem x) {
        use("write cache[]");
        cache[idx].set(x);
    }

    // ------------------------------------------------------------------ lookup

    /**
     * {@code bpf_local_storage_lookup(local_storage, smap, cacheit_lockit)}:
     * the cache slot if it holds an selem of {@code smap}, else a walk of the
     * list; a hit found by the walk is cached if {@code cacheit}. No lock
     * (except for caching); the caller is inside a read-side section,
     * vanilla or (a sleepable program) Tasks Trace.
     */
    Selem lookup(Cpu cpu, LocalStorageMap smap, boolean cacheit) {
        Selem cached = cacheSlot(smap.cacheIdx());
        if (cached != null && cached.smap() == smap) {
            return cached;
        }
        Selem found = null;
        for (Hlist.Node<Selem> n = first(); n != null; n = n.nextRcu()) {
            kernel.step(cpu, Step.LOOKUP_WALK, n.elem());
            if (n.elem().smap() == smap) {
                found = n.elem();
                break;
            }
        }
        if (found != null && cacheit) {
            insertCache(cpu, smap, found);
        }
        return found;
    }

    /**
     * {@code bpf_local_storage_lookup(local_storage, smap, true)} from a
     * sleepable program: the cache slot, else a walk of the list under
     * {@code rcu_read_lock_trace} only, one {@link Step#SLEEPABLE_LOOKUP_WALK}
     * per selem (the spec's step: a sleepable program may be preempted
     * between two selems), and the caching of what it found.
     */
    Selem lookupSleepable(Cpu cpu, LocalStorageMap smap) {
        Selem cached = cacheSlot(smap.cacheIdx());
        if (cached != null && cached.smap() == smap) {
            return cached;
        }
        Selem found = null;
        Hlist.Node<Selem> n = first();
        for (;;) {
            kernel.step(cpu, Step.SLEEPABLE_LOOKUP_WALK, n == null ? null : n.elem());
            if (n == null) {
                break;
            }
            if (n.elem().smap() == smap) {
                found = n.elem();
                break;
            }
            n = n.nextRcu();
        }
        if (found != null) {
            insertCache(cpu, smap, found);
        }
        return found;
    }

    /**
     * {@code __bpf_local_storage_insert_cache}: under {@code lock}, so that an
     * selem deleted meanwhile is not cached (it would be used after free by a
     * later lookup); if the lock fails, nothing is cached.
     */
    void insertCache(Cpu cpu, LocalStorageMap smap, Selem x) {
        CriticalSection.locked(kernel, cpu, Step.LOOKUP_INSERT_CACHE, LockSite.LOOKUP_CACHE, lock, x, this, () -> {
            if (kernel.mutation == Mutation.INSERT_CACHE_UNCHECKED || x.snode.isHashed()) {
                setCacheSlot(smap.cacheIdx(), x);
            }
        });
    }

    // ------------------------------------------------------------------ link / unlink under the lock

    /** {@code bpf_selem_link_storage_nolock}: [FINAL] {@code mem_charge += elem_size}; link snode. */
    void linkStorageNolock(Selem x) {
        LocalStorageMap m = x.smap();
        if (kernel.protocol == Protocol.FINAL) {
            addMemCharge(m.elemSize());
        }
        x.setLocalStorage(this);
        list.addHead(x.snode);
    }

    /**
     * {@code bpf_selem_unlink_storage_nolock}: the caller holds {@code lock}
     * and frees {@code x} afterwards. Returns whether {@code x} was the last
     * selem (the caller then frees this storage).
     */
    boolean unlinkStorageNolock(Cpu cpu, Selem x) {
        LocalStorageMap m = x.smap();
        use("read list.first");
        boolean freeLocalStorage = list.isSingular(x.snode);
        unlinkStorageNolockMisc(cpu, x, m, freeLocalStorage, false);
        list.del(x.snode);
        return freeLocalStorage;
    }

    /**
     * {@code bpf_selem_unlink_storage_nolock_misc(selem, smap, ls, free_ls, pin_owner)},
     * under {@code lock}: clear the cache slot, then uncharge
     * {@code elem_size} (plus the header if it is the last selem) from the
     * owner and from {@code mem_charge}, and unpublish the storage if it is
     * the last. With {@code pin_owner} (map_free [FINAL]) the owner is pinned
     * by {@code refcount_inc_not_zero(owner_refcnt)} around the uncharge, and
     * nothing is uncharged if destroy already dropped the last reference.
     */
    private void unlinkStorageNolockMisc(Cpu cpu, Selem x, LocalStorageMap m, boolean freeLocalStorage,
            boolean pinOwner) {
        Owner o = owner();
        int uncharge = m.elemSize();
        int idx = m.cacheIdx();
        if (cacheSlot(idx) == x) {
            setCacheSlot(idx, null);
        }
        boolean pinned = pinOwner && kernel.mutation != Mutation.NO_OWNER_PIN;
        if (pinned && !ownerRefcnt.incNotZero()) {
            return;
        }
        uncharge += freeLocalStorage ? SIZE : 0;
        if (pinOwner) {
            kernel.step(cpu, Step.NOFAIL_UNCHARGE, x);
        }
        m.memUncharge(owner(), uncharge);
        if (kernel.protocol == Protocol.FINAL) {
            addMemCharge(-uncharge);
        }
        if (freeLocalStorage) {
            setOwner(null);
            o.clearStorage(); // after this the owner may be freed
        }
        if (pinned) {
            kernel.step(cpu, Step.NOFAIL_UNPIN_OWNER, x);
            if (kernel.fixed(Fix.UNPIN_MAY_REACH_ZERO)) {
                ownerRefcnt.decAndTest(); // the fix: a decrement that may reach 0 (result ignored)
            } else if (kernel.refcountTwoStep) {
                // atomic_fetch_sub_release stores 0 before refcount_warn_saturate: destroy may read it
                ownerRefcnt.dec(() -> kernel.step(cpu, Step.NOFAIL_REFCOUNT_SATURATE, x));
            } else {
                ownerRefcnt.dec();
            }
        }
    }

    // ------------------------------------------------------------------ bpf_selem_unlink (delete)

    /**
     * {@code bpf_selem_unlink}: {@code local_storage->lock}, then
     * {@code bpf_selem_unlink_map} ({@code b->lock}), unlink both nodes,
     * uncharge; free the selem (and the storage with its last selem) after a
     * tasks-trace grace period. Either lock failure returns the error with
     * nothing changed.
     */
    static void unlinkSelem(Cpu cpu, Selem x) throws StorageException {
        Kernel k = x.kernel;
        if (!x.snode.isHashed()) { // selem_linked_to_storage_lockless
            return;
        }
        LocalStorage ls = x.localStorage();
        Unlinked u = new Unlinked();
        Errno err = CriticalSection.locked(k, cpu, Step.DELETE_LOCK_STORAGE, LockSite.DELETE_STORAGE, ls.lock, x, ls,
                () -> {
                    if (!x.snode.isHashed()) {
                        return;
                    }
                    // bpf_selem_unlink_map: always from the map first, the storage list owns the selem
                    LocalStorageMap m = x.smap();
                    LocalStorageMap.Bucket b = m.selectBucket(k.protocol == Protocol.V3 ? x : x.localStorage());
                    Errno e = CriticalSection.locked(k, cpu, Step.DELETE_LOCK_BUCKET, LockSite.DELETE_BUCKET, b.lock,
                            x, ls, () -> {
                                k.step(cpu, Step.DELETE_UNLINK, x);
                                b.list.del(x.mapNode);
                            });
                    if (e != null) {
                        throw k.lockError(e, LockSite.DELETE_BUCKET, x); // nothing unlinked
                    }
                    u.lastSelem = ls.unlinkStorageNolock(cpu, x);
                    u.nodes = 2;
                });
        if (err != null) {
            throw k.lockError(err, LockSite.DELETE_STORAGE, x);
        }
        if (u.nodes == 2) {
            Selem.free(cpu, x, false, "bpf_selem_unlink");
        }
        if (u.lastSelem) {
            free(cpu, ls, false, "bpf_selem_unlink (last selem)");
        }
    }

    /**
     * What one call of delete or of a teardown unlink did under its locks,
     * for the code after them. Confined to the calling CPU.
     */
    private static final class Unlinked {
        /** Nodes ({@code map_node}, {@code snode}) this call unlinked. */
        int nodes;
        /** This call unlinked the storage's last selem: it frees the storage too. */
        boolean lastSelem;
    }

    // ------------------------------------------------------------------ bpf_selem_unlink_nofail [FINAL]

    /**
     * {@code bpf_selem_unlink_nofail(selem, b)} [FINAL]: unlink {@code x}
     * from its bucket and its storage, tolerating lock failures. {@code b} is
     * map_free's bucket, null when destroy calls.
     * <ol>
     * <li>Read {@code local_storage} and {@code smap}.</li>
     * <li>If smap is set: lock the bucket (map_free's, or the storage's hash);
     *     if linked, unlink {@code map_node} and free the special fields
     *     (under b->lock, so exactly once). On failure
     *     {@code WARN_ON_ONCE(err && in_map_free)}. Clear smap unless destroy
     *     failed (map_free may still free the fields).</li>
     * <li>If local_storage is set: lock it; if linked, note whether it is the
     *     last selem, uncharge with the owner pinned (map_free only, if smap
     *     was set), unlink {@code snode}. Clear local_storage unless map_free
     *     failed.</li>
     * <li>Unless both nodes were unlinked here, OR this caller's bit into
     *     {@code state}; free if both were unlinked here, or if this caller
     *     wins the cmpxchg from both bits to {@code SELEM_TOFREE}. Free the
     *     storage if its last selem was unlinked here.</li>
     * </ol>
     */
    static void unlinkNofail(Cpu cpu, Selem x, LocalStorageMap.Bucket bMapFree) {
        Kernel k = x.kernel;
        boolean inMapFree = bMapFree != null;
        Unlinked u = new Unlinked();
        k.step(cpu, Step.NOFAIL_READ, x);
        LocalStorage ls = x.localStorage();
        LocalStorageMap smap = x.smap();

        if (smap != null) {
            LocalStorageMap.Bucket b = inMapFree ? bMapFree : destroyBucket(cpu, x, smap, ls);
            Errno err = CriticalSection.locked(k, cpu, Step.NOFAIL_LOCK_BUCKET,
                    inMapFree ? LockSite.MAP_FREE_BUCKET : LockSite.DESTROY_BUCKET, b.lock, x, ls, () -> {
                        k.step(cpu, Step.NOFAIL_UNLINK_MAP, x);
                        if (x.mapNode.isHashed()) {
                            b.list.del(x.mapNode);
                            x.freeFields(smap, inMapFree ? "map_free" : "destroy");
                            u.nodes++;
                        }
                    });
            if (err != null && inMapFree) {
                k.audit.warn(Kernel.WARN_MAP_FREE, x.name()); // WARN_ON_ONCE(err && in_map_free)
            }
            if (err == null || inMapFree || k.mutation == Mutation.DESTROY_CLEARS_SMAP) {
                k.step(cpu, Step.NOFAIL_CLEAR_SMAP, x);
                x.setSmap(null);
            }
        }

        if (ls != null) {
            // Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP: map_free without the smap (so without _misc) leaves
            // snode and selem->local_storage to destroy (the spec's NofailTakesSnode)
            boolean takes = !(inMapFree && smap == null && k.fixed(Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP));
            Errno err = CriticalSection.locked(k, cpu, Step.NOFAIL_LOCK_STORAGE,
                    inMapFree ? LockSite.MAP_FREE_STORAGE : LockSite.DESTROY_STORAGE, ls.lock, x, ls, () -> {
                        k.step(cpu, Step.NOFAIL_UNLINK_STORAGE, x);
                        if (takes && x.snode.isHashed()) {
                            ls.use("read list.first");
                            u.lastSelem = ls.list.isSingular(x.snode);
                            // destroy may skip the owner's pointers: the owner is going away
                            if (smap != null && inMapFree) {
                                ls.unlinkStorageNolockMisc(cpu, x, smap, u.lastSelem, true);
                            }
                            ls.list.del(x.snode);
                            u.nodes++;
                        }
                    });
            if (err != null && !inMapFree && k.fixed(Fix.WARN_DESTROY_STORAGE_FAILURE)) {
                k.audit.warn(Kernel.WARN_DESTROY_STORAGE, x.name()); // the fix: WARN_ON_ONCE(err && !in_map_free)
            }
            if ((err == null && takes) || !inMapFree || k.mutation == Mutation.MAP_FREE_CLEARS_LOCAL_STORAGE) {
                k.step(cpu, Step.NOFAIL_CLEAR_LOCAL_STORAGE, x);
                x.setLocalStorage(null);
            }
        }

        k.step(cpu, Step.NOFAIL_SET_STATE, x);
        boolean free;
        int bit = inMapFree ? Selem.SELEM_MAP_UNLINKED : Selem.SELEM_STORAGE_UNLINKED;
        x.access("atomic_or(selem->state)");
        boolean setsBit = u.nodes != 2;
        if (setsBit && inMapFree && k.fixed(Fix.NO_MAP_BIT_AFTER_FAILURE) && x.mapNode.isHashed()) {
            setsBit = false; // the fix: map_free's b->lock failed, the selem is still on the bucket
        }
        if (setsBit) {
            atomicOr(x, bit);
        }
        if (k.mutation == Mutation.NOFAIL_NO_CMPXCHG) {
            k.step(cpu, Step.NOFAIL_SET_STATE, x); // the window between the or and the read
            free = u.nodes == 2 || x.state.get() == Selem.SELEM_UNLINKED;
        } else {
            free = u.nodes == 2 || x.state.compareAndSet(Selem.SELEM_UNLINKED, Selem.SELEM_TOFREE);
        }
        if (free) {
            Selem.free(cpu, x, true, inMapFree ? "bpf_selem_unlink_nofail(map_free)" : "bpf_selem_unlink_nofail(destroy)");
        }
        if (u.lastSelem) {
            free(cpu, ls, true, inMapFree ? "bpf_selem_unlink_nofail(map_free)" : "bpf_selem_unlink_nofail(destroy)");
        }
    }

    /** destroy's bucket: {@code select_bucket(smap, local_storage)} (a NULL local_storage is a list-integrity bug). */
    private static LocalStorageMap.Bucket destroyBucket(Cpu cpu, Selem x, LocalStorageMap smap, LocalStorage ls) {
        if (ls == null) {
            x.kernel.audit.record(Violation.Property.LIST_INTEGRITY, "select_bucket(smap, NULL) in destroy for " + x, cpu);
        }
        return smap.selectBucket(ls);
    }

    /** {@code atomic_or} (a CAS loop: Java PathFinder lacks the bitwise-or access modes). */
    private static void atomicOr(Selem x, int bit) {
        for (;;) {
            int s = x.state.get();
            if (x.state.compareAndSet(s, s | bit)) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ bpf_selem_unlink_lockless [V3]

    /**
     * {@code bpf_selem_unlink_lockless(selem, to_free, caller)} [V3], as in
     * the patch of 2025-12-18:
     * <ol>
     * <li>Read {@code local_storage} and {@code smap}.</li>
     * <li>If smap is set: lock the bucket (hash of the selem); if linked,
     *     unlink {@code map_node}, free the special fields, clear smap. If the
     *     lock failed and the caller is map_free, clear smap anyway (nobody
     *     can free the special fields afterwards: C5).</li>
     * <li>Destroy only (map_free never touches the storage list: C6): lock
     *     the storage, unlink {@code snode} (no uncharge, no cache clearing),
     *     and clear local_storage whatever the lock did.</li>
     * <li>If both nodes were unlinked here, or {@code atomic_dec_and_test(link_cnt)},
     *     add the selem to {@code toFree}.</li>
     * </ol>
     */
    static void unlinkLockless(Cpu cpu, Selem x, List<Selem> toFree, LockSite.Function caller) {
        Kernel k = x.kernel;
        boolean mapFree = caller == LockSite.Function.MAP_FREE;
        Unlinked u = new Unlinked();
        k.step(cpu, Step.LOCKLESS_READ, x);
        LocalStorage ls = x.localStorage();
        LocalStorageMap smap = x.smap();

        if (smap != null) {
            LocalStorageMap.Bucket b = smap.selectBucket(x);
            Errno err = CriticalSection.locked(k, cpu, Step.LOCKLESS_LOCK_BUCKET,
                    mapFree ? LockSite.MAP_FREE_BUCKET : LockSite.DESTROY_BUCKET, b.lock, x, ls, () -> {
                        k.step(cpu, Step.LOCKLESS_UNLINK_MAP, x);
                        if (x.mapNode.isHashed()) {
                            b.list.del(x.mapNode);
                            x.freeFields(smap, mapFree ? "map_free" : "destroy");
                            x.setSmap(null);
                            u.nodes++;
                        }
                    });
            if (err != null && mapFree) {
                x.setSmap(null);
            }
        }

        if (ls != null && !mapFree) {
            CriticalSection.locked(k, cpu, Step.LOCKLESS_LOCK_STORAGE, LockSite.DESTROY_STORAGE, ls.lock, x, ls, () -> {
                k.step(cpu, Step.LOCKLESS_UNLINK_STORAGE, x);
                ls.list.del(x.snode);
                u.nodes++;
            });
            x.setLocalStorage(null); // whatever the lock did
        }

        k.step(cpu, Step.LOCKLESS_DEC_LINK_CNT, x);
        x.access("atomic_dec_and_test(selem->link_cnt)");
        if (u.nodes == 2 || x.linkCnt.getAndAdd(-1) == 1) {
            toFree.add(x);
        }
    }

    /** {@code bpf_selem_free_list(list, reuse_now)}: free every selem of the list (the list is not emptied). */
    static void freeList(Cpu cpu, List<Selem> toFree, boolean reuseNow, String by) {
        for (Selem x : toFree) {
            Selem.free(cpu, x, reuseNow, by);
        }
    }

    // ------------------------------------------------------------------ bpf_local_storage_destroy

    /**
     * {@code bpf_local_storage_destroy}: the owner is going away; the caller
     * is inside a read-side section and uncharges the returned bytes from
     * the owner.
     * <ul>
     * <li>[FINAL] Walk the list (RCU) calling {@link #unlinkNofail} with no
     *     bucket; drop the initial {@code owner_refcnt}; if map_free holds a
     *     pin, spin until the count reads 0 (then a full barrier); return
     *     {@code mem_charge}. (If the count saturated, it never reads 0: the
     *     kernel spins forever; the Java twin records a P9 violation and
     *     stops waiting.) The storage is freed by whoever unlinked its
     *     last selem.</li>
     * <li>[V3] Walk the list (next read first), summing {@code selem->size}
     *     and calling {@link #unlinkLockless}; add the header size, clear
     *     {@code owner}, free the to-free list, and always free the storage.
     *     Return the total.</li>
     * </ul>
     */
    int destroy(Cpu cpu) {
        Kernel k = kernel;
        Hlist.Node<Selem> n = first();
        if (k.protocol == Protocol.FINAL) {
            for (;;) {
                k.step(cpu, Step.DESTROY_WALK, n == null ? this : n.elem());
                if (n == null) {
                    break;
                }
                unlinkNofail(cpu, n.elem(), null);
                k.step(cpu, Step.DESTROY_NEXT, n.elem());
                n = n.nextRcu();
                if (n == null) {
                    break;
                }
            }
            k.step(cpu, Step.DESTROY_DEC_AND_TEST, this);
            if (!ownerRefcnt.decAndTest() && k.mutation != Mutation.DESTROY_NO_WAIT) {
                // while (refcount_read(&local_storage->owner_refcnt)) cpu_relax();
                k.await(cpu, Step.DESTROY_WAIT_OWNER_REFCNT, this, () -> ownerRefcnt.readForAudit() == 0,
                        () -> ownerRefcnt.readForAudit() < 0, Step.DESTROY_SPIN);
                int r = ownerRefcnt.read();
                if (r != 0) {
                    // saturated: a refcount_t never comes back to 0 (the Java twin stops here)
                    k.audit.record(Violation.Property.P9_TEARDOWN_TERMINATES, "bpf_local_storage_destroy of "
                            + name() + " waits for owner_refcnt to read 0, but it saturated (" + r
                            + "): the kernel would spin forever; wait abandoned", cpu);
                }
            }
            k.step(cpu, Step.DESTROY_RETURN, this);
            return memCharge();
        }
        List<Selem> toFree = new ArrayList<>();
        int total = 0;
        for (;;) {
            k.step(cpu, Step.DESTROY_WALK, n == null ? this : n.elem());
            if (n == null) {
                break;
            }
            Hlist.Node<Selem> next = n.nextRcu(); // hlist_for_each_entry_safe
            Selem x = n.elem();
            total += x.size();
            unlinkLockless(cpu, x, toFree, LockSite.Function.DESTROY);
            n = next;
        }
        k.step(cpu, Step.DESTROY_AFTER_WALK, this);
        total += SIZE;
        setOwner(null);
        freeList(cpu, toFree, false, "bpf_local_storage_destroy");
        free(cpu, this, false, "bpf_local_storage_destroy");
        return total;
    }

    // ------------------------------------------------------------------ bpf_local_storage_free

    /**
     * {@code bpf_local_storage_free(local_storage, reuse_now)}: reclaim after
     * a vanilla RCU or a tasks-trace grace period.
     */
    static void free(Cpu cpu, LocalStorage ls, boolean reuseNow, String by) {
        if (ls == null) {
            return;
        }
        ls.queueFree(by + " on cpu" + cpu.id());
        ls.kernel.rcu.call(cpu, reuseNow && !ls.kernel.fixed(Fix.FREE_AFTER_TASKS_TRACE) ? Rcu.Flavor.RCU
                : Rcu.Flavor.TASKS_TRACE, ls, c -> ls.freeRcu(c));
    }

    /** {@code bpf_local_storage_free_rcu}. */
    private void freeRcu(Cpu cpu) {
        kernel.step(cpu, Step.RCU_CALLBACK, this);
        try {
            reclaim();
        } finally {
            kernel.callbackEnd(cpu, this);
        }
    }

    // ------------------------------------------------------------------ views for tests (no poison check)

    /** [FINAL] {@code mem_charge} now. */
    public int memChargeForAudit() {
        return memCharge;
    }

    /** {@code cache[idx]} now (no access check). */
    public Selem cacheForAudit(int idx) {
        return cache[idx].get();
    }

    /** [FINAL] {@code owner_refcnt} now ({@link rqspin.kernel.Refcount#SATURATED} once saturated). */
    public int ownerRefcntForAudit() {
        return ownerRefcnt.readForAudit();
    }

    /** {@code local_storage->lock}. */
    public RqSpinLock lockForAudit() {
        return lock;
    }

    /** The selems on the list now, first first (no access check; for tests). */
    public List<Selem> selemsForAudit() {
        List<Selem> out = new ArrayList<>();
        for (Hlist.Node<Selem> n = list.first(); n != null; n = n.nextForAudit()) {
            out.add(n.elem());
        }
        return out;
    }

    /** {@code owner} now. */
    public Owner ownerForAudit() {
        return owner;
    }

    /** The owner it was allocated for (audit only). */
    public Owner allocatedFor() {
        return auditOwner;
    }

    /** Whether a failed lock attempt concerned it (what makes a leak one that P7 allows); audit only. */
    public boolean failureSeen() {
        return failureSeen;
    }
}
