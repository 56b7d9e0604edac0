package rqspin.storage.check;

/**
 * Seeded bugs, to show that a test or harness can fail. Each is kept with the
 * test that catches it. Never use one outside a test.
 */
public enum Mutation {
    /** The protocols as the design doc gives them. */
    NONE,
    /** [FINAL] nofail decides who frees by reading {@code selem->state} after its {@code atomic_or}
     *  instead of winning the {@code atomic_cmpxchg} to {@code SELEM_TOFREE}: both callers may see both
     *  bits and free (P1). */
    NOFAIL_NO_CMPXCHG,
    /** [FINAL] destroy clears smap when its b->lock fails (as map_free does): the special fields leak
     *  although map_free could still free them (C5's fix undone). */
    DESTROY_CLEARS_SMAP,
    /** [FINAL] map_free clears {@code selem->local_storage} even after its {@code local_storage->lock} attempt
     *  failed (the rule {@code !err || !in_map_free} undone): the revisit after a restart no longer unlinks the
     *  selem from the storage. A drift the conformance tools must catch. */
    MAP_FREE_CLEARS_LOCAL_STORAGE,
    /** [FINAL] map_free uncharges without pinning the owner ({@code refcount_inc_not_zero} skipped):
     *  it may uncharge an owner that destroy already let go (P4/P5). */
    NO_OWNER_PIN,
    /** [FINAL] destroy returns without waiting for {@code owner_refcnt} to reach 0. */
    DESTROY_NO_WAIT,
    /** {@code __bpf_local_storage_insert_cache} caches without the {@code selem_linked_to_storage} check:
     *  a deleted selem can be cached, then read after it was freed. */
    INSERT_CACHE_UNCHECKED,
    /** update does not look the old element up again under {@code local_storage->lock}: two updates
     *  may both link a selem for the same (owner, map). */
    UPDATE_NO_RECHECK,
    /** RCU callbacks run at {@code call_rcu} time, without waiting for a grace period. */
    RCU_NO_GRACE_PERIOD,
    /** {@code call_rcu_tasks_trace} waits for vanilla readers only, as {@code call_rcu} does: a
     *  sleepable program's walker is not waited for (the check of delete and update against it). */
    TASKS_TRACE_AS_RCU
}
