package rqspin.maps.lpm;

/** The lock sites of the LPM trie: each {@code raw_res_spin_lock_irqsave(&trie->lock)}, named after its function. */
public enum TrieSite {
    /** {@code trie_update_elem}. */
    trie_update_elem,
    /** {@code trie_delete_elem}. */
    trie_delete_elem
}
