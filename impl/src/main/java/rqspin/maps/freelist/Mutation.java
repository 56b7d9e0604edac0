package rqspin.maps.freelist;

/**
 * Seeded bugs of the Java twin, each kept with the test that catches it
 * (impl's stress test, and spec/conformance's trace validation, which builds
 * a mutated free list with {@link PcpuFreelist#mutant}). The spec's mutants
 * (spec/freelist/MCPcpuFreelist.tla) are the same bugs in the model.
 */
public enum Mutation {
    /** The kernel's code. */
    NONE,
    /** A push whose first attempt fails drops the node instead of looping over the other heads. */
    PUSH_DROPS_ON_FAILURE,
    /** The pop unlinks two nodes and returns one. */
    POP_DROPS_ELEMENT,
    /**
     * The pop unlinks the first node before it attempts the lock and, when the
     * attempt fails, forgets to put it back: a failure path that does not undo.
     */
    POP_UNLINKS_BEFORE_LOCK,
    /** The pop returns NULL at its first failed attempt without trying the other heads. */
    POP_GIVES_UP
}
