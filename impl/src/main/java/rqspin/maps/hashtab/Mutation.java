package rqspin.maps.hashtab;

/** Seeded bugs of the hash map, each kept with the tests that catch it. */
public enum Mutation {
    /** The kernel's code. */
    NONE,
    /**
     * The update takes its new element from the free list before taking the
     * bucket lock, and a failed lock returns without pushing it back (a
     * failure path that forgets to undo): the element is lost.
     */
    LOCK_FAILURE_LEAKS_ELEM,
    /**
     * An update that replaces an element takes the new one from the free
     * list instead of the CPU's extra element, and drops the old one: it is
     * in no bucket, not on the free list and in no extra slot.
     */
    UPDATE_DROPS_OLD_ELEM
}
