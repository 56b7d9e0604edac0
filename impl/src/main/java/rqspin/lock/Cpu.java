package rqspin.lock;

import java.util.ArrayList;
import java.util.List;

/**
 * One CPU of a {@link Machine}: its MCS nodes (4 for {@link RqSpinLock}, 4 for
 * {@link QSpinLock}), its held-lock table, and the stack of contexts running
 * on it. A CPU is run by the one thread attached to it; nested contexts (IRQ,
 * NMI) run on that same thread, through {@link #runNested} or from a
 * {@link ContentionHook} at the slow path's tracepoints.
 *
 * <p>Who writes what: {@code owner} is written under the machine's monitor by
 * attach/detach, always by the thread that attaches or detaches itself. It is
 * a plain field, read without the monitor only to ask "is it me?": a thread
 * always sees its own last write, and no other thread ever writes its
 * {@code Thread} there, so the answer is exact without a volatile read on
 * every lock and unlock. The MCS nodes and the held-lock table are written by this
 * CPU's thread and read (and, for a node's {@code next}/{@code locked},
 * written) by other CPUs following the queue protocol. Everything else (the
 * context stack, the hook, the record of which context holds which lock, the
 * logical time) is confined to this CPU's thread.
 *
 * <p>The record of held locks per context is not part of the kernel
 * algorithm: it is the Java stand-in for the BPF verifier, used only to
 * reject misuse ({@link LockMisuseException}) before anything changes. It is
 * unbounded, so misuse is caught also beyond the table's 31 entries. A machine
 * built without it ({@link Machine.Builder#misuseRecord}) trusts its callers as
 * the kernel trusts a verified program: the record stays empty.
 */
public final class Cpu {
    private final Machine machine;
    private final int id;
    /** The attached thread; null when free. */
    Thread owner;

    final McsNode[] rqNodes = new McsNode[LockWord.MAX_NODES];
    final McsNode[] qNodes = new McsNode[LockWord.MAX_NODES];
    final HeldLocks held;

    // ---- confined to the owner thread ----
    private Context[] contexts = {Context.TASK, null, null, null};
    private boolean[] hookActive = new boolean[4];
    /** Index of the innermost context in {@link #contexts}. */
    private int depth;
    private ContentionHook hook;
    /**
     * The locks held, oldest first, from index 1 (index 0 is a sentinel that
     * matches no key): each entry is {@link #ownedKey} of the holding
     * context's depth and the lock's id (longs, not references: no GC write
     * barrier on the fast path).
     */
    private long[] owned = new long[8];
    /** Index of the most recent entry of {@link #owned}; 0 when none is held. */
    private int ownedTop;
    /** {@code depth} in the high half of a key: {@code (long) depth << 32}. */
    private long depthKey;
    private long logicalTime;

    Cpu(Machine machine, int id) {
        this.machine = machine;
        this.id = id;
        this.held = new HeldLocks(machine.nrHeld);
        for (int i = 0; i < LockWord.MAX_NODES; i++) {
            rqNodes[i] = new McsNode(id, i);
            qNodes[i] = new McsNode(id, i);
        }
    }

    /** The CPU number. */
    public int id() {
        return id;
    }

    /** The machine this CPU belongs to. */
    public Machine machine() {
        return machine;
    }

    /** The innermost context now running on this CPU. Only the CPU's thread may ask. */
    public Context context() {
        checkOwner();
        return contexts[depth];
    }

    /** Number of contexts on the stack, 1 when only TASK runs. Only the CPU's thread may ask. */
    public int nestingDepth() {
        checkOwner();
        return depth + 1;
    }

    /** The held-lock table's count (may exceed 31). Readable from any thread. */
    public int heldCount() {
        return held.count();
    }

    /** The recorded entries of the held-lock table, bottom first, as lock ids (0 = NULL). Readable from any thread. */
    public List<Integer> heldLockIds() {
        List<Integer> ids = new ArrayList<>();
        for (int v : held.snapshot()) {
            ids.add(v);
        }
        return ids;
    }

    /**
     * For checkers (read under a {@link StepGate}, between steps): the
     * {@code locked} value of MCS node {@code idx} of this CPU, of
     * {@code rqnodes[]} ({@link RqSpinLock}) or, if not {@code resilient},
     * {@code qnodes[]} ({@link QSpinLock}): 0 wait, 1 head, 2 aborted.
     */
    public int mcsNodeLocked(boolean resilient, int idx) {
        return (resilient ? rqNodes : qNodes)[idx].locked;
    }

    /**
     * For checkers: the {@code next} pointer of that MCS node, as the tail
     * code of the node it points to ({@link LockWord#encodeTail}), or 0 for
     * NULL.
     */
    public int mcsNodeNext(boolean resilient, int idx) {
        McsNode n = (resilient ? rqNodes : qNodes)[idx].next;
        return n == null ? 0 : LockWord.encodeTail(n.cpu, n.idx);
    }

    /** For checkers: {@code rqnodes[0].count} (or {@code qnodes[0].count}), the slow-path nesting depth. */
    public int mcsNodeCount(boolean resilient) {
        return (resilient ? rqNodes : qNodes)[0].count;
    }

    /**
     * Attaches {@code hook} to this CPU's tracepoints (null detaches).
     *
     * @throws LockMisuseException if the calling thread is not this CPU
     */
    public void setContentionHook(ContentionHook hook) {
        checkOwner();
        this.hook = hook;
    }

    /**
     * Runs {@code body} in a nested context on this CPU, as an interrupt would:
     * same thread, same held-lock table and nodes, {@code ctx} on top of the
     * context stack. The body must release every lock it takes. Entering the
     * context is the step {@link Step#interrupt}.
     *
     * @throws IllegalArgumentException if {@code ctx} cannot interrupt the current context
     * @throws LockMisuseException if the calling thread is not this CPU, or
     *         ({@code HELD_AT_CONTEXT_EXIT}) the body returned holding a lock it took
     */
    public <X extends Exception> void runNested(Context ctx, NestedAction<X> body) throws X {
        callNested(ctx, () -> {
            body.run();
            return null;
        });
    }

    /** As {@link #runNested}, returning the body's result. */
    public <T, X extends Exception> T callNested(Context ctx, NestedCall<T, X> body) throws X {
        checkOwner();
        if (ctx == null || !ctx.mayInterrupt(contexts[depth])) {
            throw new IllegalArgumentException(ctx + " cannot interrupt " + contexts[depth] + " on cpu" + id);
        }
        if (body == null) {
            throw new IllegalArgumentException("body must not be null");
        }
        StepGate gate = machine.gate;
        if (gate != null) {
            gate.before(this);
        }
        pushContext(ctx);
        if (gate != null) {
            gate.took(this, Step.interrupt, null);
        }
        boolean normal = false;
        T result;
        try {
            result = body.call();
            normal = true;
        } finally {
            int leaked = ownedInFrame(depth);
            popContext();
            if (normal && leaked > 0) {
                throw new LockMisuseException(LockMisuseException.Kind.HELD_AT_CONTEXT_EXIT,
                        ctx + " on cpu" + id + " ended holding " + leaked + " lock(s) it took");
            }
        }
        return result;
    }

    /**
     * Releases this CPU for another thread.
     *
     * @throws LockMisuseException if the calling thread is not this CPU ({@code NOT_THIS_CPU}) or the CPU
     *         still holds locks or runs a nested context ({@code BUSY})
     */
    public void detach() {
        checkOwner();
        if (depth != 0 || ownedTop != 0) {
            throw new LockMisuseException(LockMisuseException.Kind.BUSY,
                    "cpu" + id + " still holds " + ownedTop + " lock(s) at nesting depth " + (depth + 1));
        }
        hook = null;
        machine.detach(this);
    }

    @Override
    public String toString() {
        return "cpu" + id;
    }

    // ---- package-private: used by the locks on the owner thread ----

    /** Throws unless the calling thread runs this CPU. */
    void checkOwner() {
        if (owner != Thread.currentThread()) {
            Thread o = owner;
            throw new LockMisuseException(LockMisuseException.Kind.NOT_THIS_CPU,
                    "thread " + Thread.currentThread().getName() + " is not cpu" + id
                            + (o == null ? " (cpu" + id + " is not attached)" : " (cpu" + id + " runs " + o.getName() + ")"));
        }
    }

    Context currentContext() {
        return contexts[depth];
    }

    boolean inNmi() {
        return contexts[depth] == Context.NMI;
    }

    /** The hook to run at a tracepoint, or null (none, or already running in this context). */
    ContentionHook hookToRun() {
        return hook != null && !hookActive[depth] ? hook : null;
    }

    void setHookActive(boolean active) {
        hookActive[depth] = active;
    }

    long advanceLogicalTime(long tick) {
        logicalTime += tick;
        return logicalTime;
    }

    /** The entry of {@link #owned} for lock {@code lockId} held by the current context. */
    private long ownedKey(int lockId) {
        return depthKey | (lockId & 0xffff_ffffL);
    }

    private static int keyDepth(long key) {
        return (int) (key >>> 32);
    }

    private static int keyId(long key) {
        return (int) key;
    }

    /** Record that the current context now holds {@code lock}. */
    void pushOwned(RqSpinLock lock) {
        int t = ownedTop + 1;
        long[] o = owned;
        if (t == o.length) {
            o = owned = java.util.Arrays.copyOf(o, t * 2);
        }
        o[t] = ownedKey(lock.id);
        ownedTop = t;
    }

    /**
     * Whether the current context may unlock {@code lock} now: it holds it and
     * it is its most recent lock. The fast check of {@link RqSpinLock#unlock}.
     */
    boolean ownsTop(RqSpinLock lock) {
        return owned[ownedTop] == ownedKey(lock.id);
    }

    /**
     * The misuse that {@link #ownsTop} rejected: out of order if the current
     * context holds {@code lock} under its most recent lock, else not held.
     */
    LockMisuseException unlockMisuse(RqSpinLock lock) {
        int depth = this.depth;
        for (int i = ownedTop; i > 0 && keyDepth(owned[i]) == depth; i--) {
            if (keyId(owned[i]) == lock.id) {
                return new LockMisuseException(LockMisuseException.Kind.OUT_OF_ORDER,
                        "unlock of " + lock + " on cpu" + id + " in " + contexts[depth]
                                + " out of order: the most recent lock taken is lock id " + keyId(owned[ownedTop]));
            }
        }
        return new LockMisuseException(LockMisuseException.Kind.NOT_HELD,
                "unlock of " + lock + " on cpu" + id + " in " + contexts[depth] + ", which does not hold it");
    }

    void popOwned() {
        ownedTop--;
    }

    /** Number of locks held by this CPU in any context. */
    int ownedCount() {
        return ownedTop;
    }

    private int ownedInFrame(int d) {
        int n = 0;
        for (int i = ownedTop; i > 0 && keyDepth(owned[i]) >= d; i--) {
            if (keyDepth(owned[i]) == d) {
                n++;
            }
        }
        return n;
    }

    private void pushContext(Context ctx) {
        if (depth + 1 == contexts.length) {
            contexts = java.util.Arrays.copyOf(contexts, contexts.length * 2);
            hookActive = java.util.Arrays.copyOf(hookActive, hookActive.length * 2);
        }
        depth++;
        depthKey = (long) depth << 32;
        contexts[depth] = ctx;
        hookActive[depth] = false;
    }

    private void popContext() {
        contexts[depth] = null;
        depth--;
        depthKey = (long) depth << 32;
    }

    /** A body without result for {@link #runNested}. */
    @FunctionalInterface
    public interface NestedAction<X extends Exception> {
        /** Runs in the nested context. */
        void run() throws X;
    }

    /** A body with a result for {@link #callNested}. */
    @FunctionalInterface
    public interface NestedCall<T, X extends Exception> {
        /** Runs in the nested context. */
        T call() throws X;
    }
}
