package rqspin.storage;

/**
 * Candidate fixes of the findings, as the spec checks them
 * (spec/localstorage/MCLocalStorage.tla: one-line overrides of named steps,
 * models ls_fix_*, and the override that the v3 models of C7 and C8 use). Off by default: the Java twin is the merged code;
 * a fix is switched on with {@link Kernel.Builder#fix}, so that a finding's
 * reproducer can run on the fixed form too.
 */
public enum Fix {
    /**
     * {@code NofailUnpinRef <- FixUnpinMayReachZero} (ls_fix_hang):
     * {@code bpf_selem_unlink_storage_nolock_misc} drops its owner pin with
     * a decrement that may reach 0 ({@code refcount_dec_and_test}, result
     * ignored) instead of {@code refcount_dec}, so destroy's wait for 0 ends.
     */
    UNPIN_MAY_REACH_ZERO,
    /**
     * {@code NofailSetsBit <- FixNoMapBitAfterFailure} (ls_fix_restart):
     * map_free does not OR {@code SELEM_MAP_UNLINKED} while the selem is
     * still on a bucket (its {@code b->lock} failed, now or on an earlier
     * visit), so nobody frees a selem that map_free's walk can still reach;
     * it leaks under the WARN that already fired.
     */
    NO_MAP_BIT_AFTER_FAILURE,
    /**
     * {@code CbVanilla <- FixFreeAfterTasksTrace} (ls_fix_sleepable): every
     * {@code bpf_selem_free} / {@code bpf_local_storage_free} with
     * {@code reuse_now = true} waits for a Tasks Trace grace period
     * ({@code call_rcu_tasks_trace}) instead of a vanilla one, so a
     * sleepable walker never reads what map_free freed.
     */
    FREE_AFTER_TASKS_TRACE,
    /**
     * {@code NofailTakesSnode <- FixMapFreeLeavesSnodeWithoutSmap}
     * (ls_fix_unpublished): when the smap that map_free loaded at the top of
     * {@code bpf_selem_unlink_nofail} is NULL (its {@code b->lock} failed on
     * an earlier visit, and {@code bpf_selem_unlink_storage_nolock_misc} is
     * skipped), map_free neither unlinks {@code snode} nor clears
     * {@code selem->local_storage}: destroy of the dying owner unlinks the
     * selem and frees the local storage, which map_free would otherwise free
     * while {@code owner->storage} still points to it.
     */
    MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP,
    /**
     * {@code NofailWarnsStorage <- FixWarnDestroyStorageFailure}
     * (ls_fix_warn_destroy): {@code WARN_ON_ONCE(err && !in_map_free)} after
     * destroy's {@code local_storage->lock} attempt in
     * {@code bpf_selem_unlink_nofail}, the WARN [PR] asks for: the C10 leak
     * (destroy cannot retry; it is the list's last walker) is reported.
     */
    WARN_DESTROY_STORAGE_FAILURE,
    /**
     * {@code WarnPrints <- FixWarnEveryLeak} (ls_fix_warn_every): each WARN
     * prints every time it fires ({@code WARN_ON}, or a ratelimited message
     * naming the selem, instead of {@code WARN_ON_ONCE}), so a second leak
     * under the same WARN site is reported too.
     */
    WARN_EVERY_LEAK,
    /**
     * [V3] {@code MapFreeListAfterFree <- ReinitFreeList} (ls_v3_c7, ls_v3_c8):
     * map_free re-initialises its to-free list after each
     * {@code bpf_selem_free_list}, which keeps the reviewers' scenarios (C7,
     * C8) apart from the stale-list double free of v3 (ls_v3_freelist).
     */
    V3_REINIT_FREE_LIST
}
