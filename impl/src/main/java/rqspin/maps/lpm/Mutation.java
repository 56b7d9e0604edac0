package rqspin.maps.lpm;

/** Seeded bugs of the LPM trie, each kept with the tests that catch it. */
public enum Mutation {
    /** The kernel's code. */
    NONE,
    /** A failed trie lock returns without freeing the node allocated before it (a failure path that forgets to undo). */
    LOCK_FAILURE_LEAKS_NODE,
    /** An update that replaces a node does not give the new node the old one's children: the subtree is lost. */
    UPDATE_DROPS_CHILDREN
}
