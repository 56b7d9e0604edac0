package rqspin.maps.hashtab;

/**
 * The lock sites of the hash map: every call of {@code htab_lock_bucket}
 * in kernel/bpf/hashtab.c for {@code BPF_MAP_TYPE_HASH}, named after the
 * function that makes it.
 */
public enum HtabSite {
    /** {@code htab_map_update_elem}. */
    htab_map_update_elem,
    /** {@code htab_map_delete_elem}. */
    htab_map_delete_elem,
    /** {@code __htab_map_lookup_and_delete_elem}. */
    __htab_map_lookup_and_delete_elem,
    /** {@code __htab_map_lookup_and_delete_batch}, once per non-empty bucket. */
    __htab_map_lookup_and_delete_batch
}
