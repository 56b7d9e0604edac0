package rqspin.storage;

/**
 * The teardown protocol of a {@link Kernel}: the spec's {@code Protocol}
 * constant ({@code "v3"} or {@code "final"} in spec/localstorage/LocalStorage.tla). Every
 * place where the two differ is marked {@code [V3]} / {@code [FINAL]} in the
 * code.
 *
 * <table>
 * <caption>What each protocol does</caption>
 * <tr><th>aspect</th><th>{@link #V3}</th><th>{@link #FINAL}</th></tr>
 * <tr><td>teardown unlink</td><td>{@code bpf_selem_unlink_lockless} with {@code link_cnt} (starts at 2)</td>
 *     <td>{@code bpf_selem_unlink_nofail} with per-caller state bits and a single CAS winner</td></tr>
 * <tr><td>bucket ({@code select_bucket})</td><td>hash of the selem</td><td>hash of the local storage;
 *     map_free passes its own bucket</td></tr>
 * <tr><td>map_free</td><td>{@code while (first(b->list))}: only unlinks map_node, clears smap even when
 *     b->lock failed, frees its to-free list and calls {@code cond_resched_rcu} after every selem</td>
 *     <td>RCU walk of the bucket, unlinks both nodes, uncharges with the owner pinned
 *     ({@code owner_refcnt}), restarts at the head after {@code cond_resched_rcu}</td></tr>
 * <tr><td>destroy</td><td>sums {@code selem->size}, always frees the local storage, returns the total</td>
 *     <td>drops the initial {@code owner_refcnt}, waits for map_free's pins, returns {@code mem_charge}</td></tr>
 * </table>
 */
public enum Protocol {
    /** "[PATCH bpf-next v3 10/16]" and 11/16 (2025-12-18): {@code bpf_selem_unlink_lockless}. */
    V3,
    /** The merged code (commit 5d800f87d0a5, 2026-02-06): {@code bpf_selem_unlink_nofail}. */
    FINAL
}
