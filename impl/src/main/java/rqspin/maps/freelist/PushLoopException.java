package rqspin.maps.freelist;

/**
 * Thrown by a push whose fallback loop went round the given number of times
 * ({@link PcpuFreelist#stopFallbackAfter}) without placing its node: the
 * kernel's loop would go on for ever. A diagnostic of the twin, not kernel
 * behaviour; the node was not placed, so the caller still holds it
 * ({@link #node}).
 */
public final class PushLoopException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient PcpuFreelist.Node node;
    private final long rounds;

    PushLoopException(PcpuFreelist.Node node, long rounds, int cpu, int nrCpus) {
        super("__pcpu_freelist_push on cpu" + cpu + " went " + rounds + " times round its while (true) loop over "
                + (nrCpus - 1) + " other head(s) without placing " + node + ": the kernel would loop for ever");
        this.node = node;
        this.rounds = rounds;
    }

    /** The node that was not placed: the caller still holds it. */
    public PcpuFreelist.Node node() {
        return node;
    }

    /** How many rounds the loop went. */
    public long rounds() {
        return rounds;
    }
}
