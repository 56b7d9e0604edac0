package rqspin.storage.check;

import java.util.List;

/**
 * The steps of the kernel functions of the local storage, each named after
 * the action of spec/localstorage/LocalStorage.tla that models it.
 *
 * <p>A <em>gate</em> step ({@link #gate()}) is where a spec step begins:
 * the code from one gate of a CPU to its next gate is exactly what the spec
 * action {@link #action()} does, taken at the spec program counter
 * {@link #pcs()}. Its label ({@link #label()}) names the kernel point. Every
 * action of the spec that models a kernel step has at least one gate step,
 * and every gate step's action is one of the spec's (a test fails when the
 * two sets differ). The other steps are <em>inside</em> a spec step: points
 * within the actions {@link #within()} (a lock attempt that failed, the
 * pinned uncharge, the clearing of a pointer, ...) that tests may still hold
 * a CPU at when no gated scheduler runs.
 *
 * <p>A {@link Tracer} sees every step before the CPU runs it: tests use it to
 * steer an interleaving (block a CPU at a step) and to print a trace in
 * kernel terms. A {@link StepGate} sees them too and decides, at each gate,
 * when the CPU may take it (the conformance tools' gated scheduler and
 * recorder).
 */
public enum Step {
    // bpf_local_storage_update, bpf_local_storage_alloc
    /** owner->storage, hlist_empty, bpf_selem_alloc (and for the first selem bpf_local_storage_alloc); rcu_read_lock. */
    UPDATE_START("update:start", "UpdateStart", "idle"),
    UPDATE_ALLOC_FIRST("update:alloc_first", in("UpdateStart")),
    STORAGE_ALLOC_LOCK_BUCKET("storage_alloc:lock_bucket", "StorageAllocLockBucket", "storage_alloc:lock_bucket"),
    STORAGE_ALLOC_PUBLISH("storage_alloc:publish", in("StorageAllocLockBucket")),
    STORAGE_ALLOC_FREE("storage_alloc:free", in("StorageAllocLockBucket")),
    UPDATE_SELEM_ALLOC("update:selem_alloc", in("UpdateStart")),
    UPDATE_LOCK_STORAGE("update:lock_storage", "UpdateLockStorage", "update:lock_storage"),
    UPDATE_LOOKUP_OLD("update:lookup_old", in("UpdateLockStorage")),
    UPDATE_LOCK_BUCKET("update:lock_bucket", "UpdateLockBucket", "update:lock_bucket"),
    /** [V3] the old selem's bucket, when it hashes elsewhere. */
    UPDATE_LOCK_OLD_BUCKET("update:lock_old_bucket", "UpdateLockOldBucket", "update:lock_old_bucket"),
    UPDATE_LINK("update:link", in("UpdateLockBucket", "UpdateLockOldBucket")),
    UPDATE_FREE_OLD("update:free_old", in("UpdateLockBucket", "UpdateLockOldBucket")),
    UPDATE_FREE_NEW("update:free_new", in("UpdateLockStorage", "UpdateLockBucket", "UpdateLockOldBucket")),
    // bpf_sk_storage_del > bpf_selem_unlink (delete)
    DELETE_START("delete:start", "DeleteStart", "idle"),
    DELETE_LOCK_STORAGE("bpf_selem_unlink:lock_storage", "DeleteLockStorage", "bpf_selem_unlink:lock_storage"),
    DELETE_LOCK_BUCKET("bpf_selem_unlink:lock_bucket", "DeleteLockBucket", "bpf_selem_unlink:lock_bucket"),
    DELETE_UNLINK("bpf_selem_unlink:unlink", in("DeleteLockBucket")),
    // bpf_local_storage_lookup
    LOOKUP_START("lookup:start", "LookupStart", "idle"),
    /**
     * The walk of the storage list stands on a selem (subject), inside the
     * step that calls {@code bpf_local_storage_lookup}: a non-sleepable
     * lookup's walk is one spec step (LookupStart), as are update's and
     * delete's.
     */
    LOOKUP_WALK("lookup:walk", in("LookupStart", "UpdateStart", "UpdateLockStorage", "DeleteStart")),
    /** A sleepable program's lookup: cache slot, then the head of the list; rcu_read_lock_trace. */
    SLEEPABLE_LOOKUP_START("sleepable_lookup:start", "SleepableLookupStart", "idle"),
    /** A sleepable program's walk stands on a selem (subject; null: the end of the list): one spec step per selem. */
    SLEEPABLE_LOOKUP_WALK("sleepable_lookup:walk", "SleepableLookupWalk", "sleepable_lookup:walk"),
    LOOKUP_INSERT_CACHE("lookup:insert_cache", "LookupInsertCache", "lookup:insert_cache"),
    /** The program reads the value it got (if any) and leaves its read-side section. */
    LOOKUP_USE("lookup:use_sdata", "LookupUse", "lookup:use_sdata"),
    // bpf_local_storage_map_free
    MAP_FREE_START("map_free:cache_idx_free", "MapFreeStart", "idle"),
    /** The first synchronize_rcu starts (its wait is the guard of the first MAP_FREE_RCU_READ_LOCK). */
    MAP_FREE_SYNCHRONIZE_RCU("map_free:synchronize_rcu", in("MapFreeStart")),
    /** rcu_read_lock and the head of a bucket (the first bucket: once the first synchronize_rcu returned). */
    MAP_FREE_RCU_READ_LOCK("map_free:rcu_read_lock", "MapFreeRcuLock", "map_free:synchronize_rcu",
            "map_free:rcu_read_lock"),
    /** The walk takes the next selem (subject), or finds the end of the bucket (subject: the map). */
    MAP_FREE_WALK("map_free:walk", "MapFreeWalk", "map_free:walk"),
    MAP_FREE_NEXT("map_free:next", "MapFreeNext", "map_free:next"),
    /** Between {@code rcu_read_unlock} and {@code rcu_read_lock} of {@code cond_resched_rcu}: a grace period may end here. */
    MAP_FREE_COND_RESCHED_RCU("map_free:cond_resched_rcu", "MapFreeCondResched", "map_free:cond_resched_rcu"),
    /** The end of the last bucket: rcu_read_unlock, the second synchronize_rcu starts. */
    MAP_FREE_SYNCHRONIZE_RCU_2("map_free:synchronize_rcu_2", in("MapFreeWalk")),
    /** The second synchronize_rcu returned: rcu_barrier_tasks_trace and rcu_barrier start. */
    MAP_FREE_RCU_BARRIER("map_free:rcu_barrier", "MapFreeSync2", "map_free:synchronize_rcu_2"),
    /** The barriers returned: free the buckets and the smap. */
    MAP_FREE_FREE("map_free:free", "MapFreeFree", "map_free:rcu_barrier"),
    // bpf_sk_storage_free > bpf_local_storage_destroy
    DESTROY_START("destroy:start", "DestroyStart", "idle"),
    DESTROY_WALK("destroy:walk", "DestroyWalk", "destroy:walk"),
    /** [FINAL] back from the unlink: the next selem of the list. */
    DESTROY_NEXT("destroy:next", "DestroyNext", "destroy:next"),
    DESTROY_DEC_AND_TEST("destroy:dec_and_test", "DestroyDecAndTest", "destroy:dec_and_test"),
    /** The wait for owner_refcnt to read 0 is over (the step that returns). */
    DESTROY_WAIT_OWNER_REFCNT("destroy:wait_owner_refcnt", "DestroyWaitRefcnt", "destroy:wait_owner_refcnt"),
    /** One {@code cpu_relax()} of that wait: a step that changes nothing. */
    DESTROY_SPIN("destroy:spin", "DestroySpin", "destroy:wait_owner_refcnt"),
    DESTROY_RETURN("destroy:return", in("DestroyDecAndTest", "DestroyWaitRefcnt")),
    DESTROY_AFTER_WALK("destroy:after_walk", "DestroyAfterWalk", "destroy:after_walk"),
    /** The caller subtracts what destroy returned; the owner is freed. */
    DESTROY_OWNER_UNCHARGE("destroy:owner_uncharge", in("DestroyDecAndTest", "DestroyWaitRefcnt", "DestroyAfterWalk")),
    /** owner->storage was NULL: nothing to destroy; the owner is freed. */
    DESTROY_NO_STORAGE("destroy:no_storage", "DestroyNoStorage", "destroy:owner_uncharge"),
    // bpf_selem_unlink_nofail [FINAL]
    /** The loads of local_storage and smap, inside the walk step that called the unlink. */
    NOFAIL_READ("nofail:read", in("MapFreeWalk", "DestroyWalk")),
    NOFAIL_LOCK_BUCKET("nofail:lock_bucket", "NofailLockBucket", "nofail:lock_bucket"),
    NOFAIL_UNLINK_MAP("nofail:unlink_map", in("NofailLockBucket")),
    NOFAIL_CLEAR_SMAP("nofail:clear_smap", in("NofailLockBucket")),
    NOFAIL_LOCK_STORAGE("nofail:lock_storage", "NofailLockStorage", "nofail:lock_storage"),
    NOFAIL_UNLINK_STORAGE("nofail:unlink_storage", in("NofailLockStorage")),
    /** In {@code bpf_selem_unlink_storage_nolock_misc} from map_free, after the pin, before the uncharge. */
    NOFAIL_UNCHARGE("nofail:uncharge", in("NofailLockStorage")),
    /** _misc's refcount_dec, then the unlink of snode, with local_storage->lock still held. */
    NOFAIL_UNPIN_OWNER("nofail:unpin_owner", "NofailUnpinOwner", "nofail:unpin_owner"),
    /**
     * With {@code refcountTwoStep}: refcount_dec's atomic_fetch_sub_release
     * stored 0; refcount_warn_saturate, then the unlink of snode, follow.
     */
    NOFAIL_REFCOUNT_SATURATE("nofail:refcount_saturate", "NofailUnpinOwner", "nofail:refcount_saturate"),
    NOFAIL_CLEAR_LOCAL_STORAGE("nofail:clear_local_storage", in("NofailLockStorage", "NofailUnpinOwner")),
    NOFAIL_SET_STATE("nofail:set_state", "NofailSetState", "nofail:set_state"),
    // bpf_selem_unlink_lockless [V3]
    LOCKLESS_READ("lockless:read", "LocklessRead", "lockless:read"),
    LOCKLESS_LOCK_BUCKET("lockless:lock_bucket", "LocklessLockBucket", "lockless:lock_bucket"),
    LOCKLESS_UNLINK_MAP("lockless:unlink_map", "LocklessUnlinkMap", "lockless:unlink_map"),
    LOCKLESS_LOCK_STORAGE("lockless:lock_storage", "LocklessLockStorage", "lockless:lock_storage"),
    LOCKLESS_UNLINK_STORAGE("lockless:unlink_storage", "LocklessUnlinkStorage", "lockless:unlink_storage"),
    LOCKLESS_DEC_LINK_CNT("lockless:dec_link_cnt", "LocklessDecLinkCnt", "lockless:dec_link_cnt"),
    /** A lock attempt failed (the subject is the {@link LockFailure}), inside the step that made it. */
    LOCK_FAILED("res_spin_lock failed", in("StorageAllocLockBucket", "UpdateLockStorage", "UpdateLockBucket",
            "UpdateLockOldBucket", "DeleteLockStorage", "DeleteLockBucket", "LookupInsertCache", "NofailLockBucket",
            "NofailLockStorage", "LocklessLockBucket", "LocklessLockStorage")),
    /**
     * An RCU callback runs ({@code bpf_selem_free_rcu}, {@code bpf_local_storage_free_rcu}); subject: the object.
     * A step of its own, of no process: the spec's RcuCallback (its Callbacks).
     */
    RCU_CALLBACK("rcu callback", "RcuCallback");

    private final String label;
    private final String action;
    private final List<String> pcs;
    private final List<String> within;

    /** A gate step: it begins the spec action {@code action}, taken at one of {@code pcs}. */
    Step(String label, String action, String... pcs) {
        this.label = label;
        this.action = action;
        this.pcs = List.of(pcs);
        this.within = List.of(action);
    }

    /** A step inside the spec actions {@code within}. */
    Step(String label, In within) {
        this.label = label;
        this.action = null;
        this.pcs = List.of();
        this.within = within.actions;
    }

    private static final class In {
        final List<String> actions;

        In(String... actions) {
            this.actions = List.of(actions);
        }
    }

    private static In in(String... actions) {
        return new In(actions);
    }

    /** The kernel point, e.g. {@code "nofail:lock_bucket"}. */
    public String label() {
        return label;
    }

    /** Whether a spec step begins here (a gated scheduler lets the CPU take it). */
    public boolean gate() {
        return action != null;
    }

    /** The spec action this gate step begins (e.g. {@code NofailLockBucket}); null for a step inside one. */
    public String action() {
        return action;
    }

    /** The spec program counters at which a gate step is taken (empty for a step inside one). */
    public List<String> pcs() {
        return pcs;
    }

    /** The spec actions this step is part of: its own action for a gate step. */
    public List<String> within() {
        return within;
    }

    @Override
    public String toString() {
        return label;
    }
}
