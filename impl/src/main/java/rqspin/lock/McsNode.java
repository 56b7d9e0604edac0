package rqspin.lock;

/**
 * One per-CPU MCS queue node ({@code struct mcs_spinlock} inside
 * {@code rqnodes[]} or qspinlock's {@code qnodes[]}).
 *
 * <p>Protocol: the owning CPU resets {@code locked} and {@code next} before it
 * publishes the node as the tail; its successor writes {@code next} once
 * (linking itself), and its predecessor writes {@code locked} once (1: "you
 * are the head", 2: "the queue is cancelled"). {@code count} is used only in
 * node 0 of each CPU, as the nesting depth of slow paths on that CPU.
 */
final class McsNode {
    /** RES_TIMEOUT_VAL: the value a leaving predecessor writes to cancel this waiter. */
    static final int ABORTED = 2;

    /** The successor; written by the successor's CPU (link) and by the owner (reset). */
    volatile McsNode next;
    /** 0 wait, 1 head, 2 aborted; written by the predecessor (signal) and by the owner (reset). */
    volatile int locked;
    /** Slow-path nesting depth (node 0 only); read and written only by the owning CPU's thread. */
    int count;

    final int cpu;
    final int idx;

    McsNode(int cpu, int idx) {
        this.cpu = cpu;
        this.idx = idx;
    }

    @Override
    public String toString() {
        return "node[cpu" + cpu + "][" + idx + "]";
    }
}
