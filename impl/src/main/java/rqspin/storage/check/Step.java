package rqspin.storage.check;

/**
 * The steps of the kernel functions, named as the program counters of
 * spec/localstorage/LocalStorage.tla ({@code "map_free:walk"}, {@code "nofail:lock_bucket"},
 * ...). A {@link Tracer} sees each step before the CPU runs it: tests use it
 * to steer an interleaving (block a CPU at a step) and to print a trace in
 * kernel terms.
 */
public enum Step {
    // bpf_local_storage_update, bpf_local_storage_alloc
    UPDATE_START("update:start"),
    UPDATE_ALLOC_FIRST("update:alloc_first"),
    STORAGE_ALLOC_LOCK_BUCKET("storage_alloc:lock_bucket"),
    STORAGE_ALLOC_PUBLISH("storage_alloc:publish"),
    STORAGE_ALLOC_FREE("storage_alloc:free"),
    UPDATE_SELEM_ALLOC("update:selem_alloc"),
    UPDATE_LOCK_STORAGE("update:lock_storage"),
    UPDATE_LOOKUP_OLD("update:lookup_old"),
    UPDATE_LOCK_BUCKET("update:lock_bucket"),
    UPDATE_LOCK_OLD_BUCKET("update:lock_old_bucket"),
    UPDATE_LINK("update:link"),
    UPDATE_FREE_OLD("update:free_old"),
    UPDATE_FREE_NEW("update:free_new"),
    // bpf_selem_unlink (delete)
    DELETE_START("delete:start"),
    DELETE_LOCK_STORAGE("bpf_selem_unlink:lock_storage"),
    DELETE_LOCK_BUCKET("bpf_selem_unlink:lock_bucket"),
    DELETE_UNLINK("bpf_selem_unlink:unlink"),
    // bpf_local_storage_lookup
    LOOKUP_START("lookup:start"),
    /** The lockless walk of the storage list stands on a selem (subject). */
    LOOKUP_WALK("lookup:walk"),
    LOOKUP_INSERT_CACHE("lookup:insert_cache"),
    // bpf_local_storage_map_free
    MAP_FREE_START("map_free:cache_idx_free"),
    MAP_FREE_SYNCHRONIZE_RCU("map_free:synchronize_rcu"),
    MAP_FREE_RCU_READ_LOCK("map_free:rcu_read_lock"),
    MAP_FREE_WALK("map_free:walk"),
    MAP_FREE_NEXT("map_free:next"),
    /** Between {@code rcu_read_unlock} and {@code rcu_read_lock} of {@code cond_resched_rcu}: a grace period may end here. */
    MAP_FREE_COND_RESCHED_RCU("map_free:cond_resched_rcu"),
    MAP_FREE_SYNCHRONIZE_RCU_2("map_free:synchronize_rcu_2"),
    MAP_FREE_RCU_BARRIER("map_free:rcu_barrier"),
    MAP_FREE_FREE("map_free:free"),
    // bpf_sk_storage_free > bpf_local_storage_destroy
    DESTROY_START("destroy:start"),
    DESTROY_WALK("destroy:walk"),
    DESTROY_DEC_AND_TEST("destroy:dec_and_test"),
    DESTROY_WAIT_OWNER_REFCNT("destroy:wait_owner_refcnt"),
    DESTROY_RETURN("destroy:return"),
    DESTROY_AFTER_WALK("destroy:after_walk"),
    DESTROY_OWNER_UNCHARGE("destroy:owner_uncharge"),
    // bpf_selem_unlink_nofail [FINAL]
    NOFAIL_READ("nofail:read"),
    NOFAIL_LOCK_BUCKET("nofail:lock_bucket"),
    NOFAIL_UNLINK_MAP("nofail:unlink_map"),
    NOFAIL_CLEAR_SMAP("nofail:clear_smap"),
    NOFAIL_LOCK_STORAGE("nofail:lock_storage"),
    NOFAIL_UNLINK_STORAGE("nofail:unlink_storage"),
    /** In {@code bpf_selem_unlink_storage_nolock_misc} from map_free, after the pin, before the uncharge. */
    NOFAIL_UNCHARGE("nofail:uncharge"),
    NOFAIL_UNPIN_OWNER("nofail:unpin_owner"),
    NOFAIL_CLEAR_LOCAL_STORAGE("nofail:clear_local_storage"),
    NOFAIL_SET_STATE("nofail:set_state"),
    // bpf_selem_unlink_lockless [V3]
    LOCKLESS_READ("lockless:read"),
    LOCKLESS_LOCK_BUCKET("lockless:lock_bucket"),
    LOCKLESS_UNLINK_MAP("lockless:unlink_map"),
    LOCKLESS_LOCK_STORAGE("lockless:lock_storage"),
    LOCKLESS_UNLINK_STORAGE("lockless:unlink_storage"),
    LOCKLESS_DEC_LINK_CNT("lockless:dec_link_cnt"),
    /** A lock attempt failed (the subject is the {@link LockFailure}). */
    LOCK_FAILED("res_spin_lock failed"),
    /** An RCU callback runs ({@code bpf_selem_free_rcu}, {@code bpf_local_storage_free_rcu}); subject: the object. */
    RCU_CALLBACK("rcu callback");

    private final String label;

    Step(String label) {
        this.label = label;
    }

    /** The spec's program-counter name, e.g. {@code "nofail:lock_bucket"}. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
