package rqspin.conformance.lock;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import rqspin.conformance.lock.LockScenario.Ctx;
import rqspin.conformance.lock.LockScenario.Op;
import rqspin.lock.FailureReason;
import rqspin.lock.Step;

/**
 * The ground truth beside a run of the Java twin, in the spec's terms, and
 * the Java side's checks of the spec's properties on it: which context owns
 * which lock (from the lock word: the step that sets a locked byte acquires
 * it, the step that clears it releases it), which operation of its script
 * each context is at (as the spec's program counter: a context is in its
 * next attempt as soon as its previous operation returned), and how each
 * failed attempt failed. It also shadows the few program counters of the
 * spec that its properties read ({@link Context#pendingBit},
 * {@link Context#inQueue}, {@link Context#waitsNext}, {@link Context#coming}),
 * from the steps and the lock words before and after them.
 *
 * <p>Written by the CPU threads (the script runner: {@link #begin},
 * {@link #at}, {@link #failed}, {@link #done}; the gate: {@link #stepped})
 * and by the controller ({@link #onStep}), never at the same time (one
 * runs while the others are parked); all methods are synchronized for
 * visibility.
 */
final class Ghost {
    enum Status { IDLE, ACTIVE, DONE }

    private static final class Context {
        Status status = Status.IDLE;
        /** The operation the context is at (null when not active). */
        Op op;
        /** After a failed attempt: releasing what it holds. */
        boolean releasing;
        /** No step of the current operation taken yet. */
        boolean atStart;
        /** Length of the CPU's table when the context started (the spec's base). */
        int base;
        final List<String> owns = new ArrayList<>();
        /** The lock of the attempt that failed. */
        String failedLock;
        /** The attempt set the pending bit from 0 and has not cleared it (spec: PendingPcs, undo_pending). */
        boolean pendingBit;
        /** x86: the old pending bit of the btsl, for the read that follows (spec: pend). */
        int pend;
        /** The attempt is in the lock's MCS queue, from xchg_tail until it leaves (spec: QueuedPcs). */
        boolean inQueue;
        /** The index of its node while in the queue. */
        int node = -1;
        /** It waits, without a clock, for its successor to link (spec: WaitsForSuccessor). */
        boolean waitsNext;
        /** It is on its way into the queue (spec pcs set_pending_read, undo_pending, queue, trylock_cold, xchg_tail). */
        boolean coming;

        void clearShadow() {
            pendingBit = false;
            pend = 0;
            inQueue = false;
            node = -1;
            waitsNext = false;
            coming = false;
        }
    }

    private final LockScenario sc;
    private final Context[][] ctx;
    private final List<String> violations = new ArrayList<>();

    Ghost(LockScenario sc) {
        this.sc = sc;
        ctx = new Context[sc.nrCpus()][Ctx.values().length];
        for (Context[] row : ctx) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new Context();
            }
        }
    }

    private Context of(int c, Ctx x) {
        return ctx[c][x.ordinal()];
    }

    // ---------------------------------------------------------------- from the CPU threads

    /** Context {@code x} of CPU {@code c} starts its script. */
    synchronized void begin(int c, Ctx x) {
        of(c, x).status = Status.ACTIVE;
    }

    /** The context is now at operation {@code op} (the spec's Begin). */
    synchronized void at(int c, Ctx x, Op op, boolean releasing) {
        Context k = of(c, x);
        k.op = op;
        k.releasing = releasing;
        k.atStart = true;
        k.clearShadow();
    }

    /** The context ran its script to the end. */
    synchronized void done(int c, Ctx x) {
        Context k = of(c, x);
        k.status = Status.DONE;
        k.op = null;
    }

    /** The context took a step of its current operation (called by the gate, on the CPU thread). */
    synchronized void stepped(int c, Ctx x) {
        of(c, x).atStart = false;
    }

    // ---------------------------------------------------------------- queries

    synchronized Status status(int c, Ctx x) {
        return of(c, x).status;
    }

    synchronized Op op(int c, Ctx x) {
        return of(c, x).op;
    }

    synchronized List<String> owns(int c, Ctx x) {
        return List.copyOf(of(c, x).owns);
    }

    /** The running context of CPU c: the highest active one, or null. */
    synchronized Ctx running(int c) {
        Ctx r = null;
        for (Ctx x : Ctx.values()) {
            if (of(c, x).status == Status.ACTIVE) {
                r = x;
            }
        }
        return r;
    }

    /** The lock the context's current attempt is on, or null (not in an attempt). */
    private String attempt(Context k) {
        return k.status == Status.ACTIVE && k.op != null && k.op.lock() && !k.releasing ? k.op.lockName() : null;
    }

    synchronized boolean inAttempt(int c, Ctx x) {
        return attempt(of(c, x)) != null;
    }

    /** The spec's CtxWaitLock: the lock context k attempts and does not own, or null. */
    private String waitLock(Context k) {
        String l = attempt(k);
        return l != null && !k.owns.contains(l) ? l : null;
    }

    /**
     * The spec's CtxWaitsFor(<<c, x>>), as indices c * |Ctx| + ordinal: the
     * owners of the lock the context attempts and does not own, and, when it
     * is preempted, the active contexts above it on its CPU.
     */
    private Set<Integer> waitsFor(int c, Ctx x) {
        Set<Integer> out = new LinkedHashSet<>();
        int n = Ctx.values().length;
        Context k = of(c, x);
        String l = waitLock(k);
        if (l != null) {
            for (int d = 0; d < sc.nrCpus(); d++) {
                for (Ctx y : Ctx.values()) {
                    if (of(d, y).owns.contains(l)) {
                        out.add(d * n + y.ordinal());
                    }
                }
            }
        }
        if (k.status == Status.ACTIVE && running(c) != x) {
            for (Ctx y : Ctx.values()) {
                if (y.ordinal() > x.ordinal() && of(c, y).status == Status.ACTIVE) {
                    out.add(c * n + y.ordinal());
                }
            }
        }
        return out;
    }

    /** The spec's OnCycle(c, x): context x of c reaches itself in the waits-for relation over contexts. */
    private boolean onCycle(int c, Ctx x) {
        int n = Ctx.values().length;
        int me = c * n + x.ordinal();
        Set<Integer> seen = new LinkedHashSet<>();
        List<Integer> todo = new ArrayList<>(waitsFor(c, x));
        while (!todo.isEmpty()) {
            int w = todo.remove(todo.size() - 1);
            if (w == me) {
                return true;
            }
            if (seen.add(w)) {
                todo.addAll(waitsFor(w / n, Ctx.values()[w % n]));
            }
        }
        return false;
    }

    /**
     * The spec's HeldHere(c, l): a context of c owns l, or one underneath the
     * running context sits on l's pending bit or in l's queue.
     */
    private boolean heldHere(int c, String l) {
        Ctx run = running(c);
        for (Ctx y : Ctx.values()) {
            Context k = of(c, y);
            if (k.owns.contains(l) || (y != run && l.equals(attempt(k)) && (k.pendingBit || k.inQueue))) {
                return true;
            }
        }
        return false;
    }

    /** The spec's Fallback(x, i): no MCS node for the attempt. */
    private boolean fallback(Ctx x, int idx) {
        rqspin.lock.Version v = sc.version();
        return idx >= sc.nrNodes() || (sc.resilient() && x == Ctx.nmi
                && (v.nmiFallbackAlways() || (v.nmiFallbackNested() && idx > 0)));
    }

    private static boolean contended(int w) {
        return (w & ~rqspin.lock.LockWord.LOCKED_MASK) != 0;
    }

    /**
     * Follows the spec's program counter of context k (of CPU c, context x)
     * over step {@code step} on lock word {@code wb} to {@code wa} (what the
     * shadow flags need), with {@code failing} the failure the step decided.
     */
    private void shadow(int c, Ctx x, Context k, Step step, Snapshot before, int wb, int wa, FailureReason failing) {
        int pendingVal = rqspin.lock.LockWord.PENDING_VAL;
        boolean acquired = (wb & 0xff) == 0 && (wa & 0xff) != 0;
        switch (step) {
            case fastpath_cmpxchg -> {
                if (!acquired && !sc.tas().equals("virt")) {
                    k.coming = wb != pendingVal && contended(wb); // SlowStart: queue; (0,1,0) re-reads first
                }
            }
            case pending_reread -> k.coming = contended(wa);
            case queued_fetch_set_pending_acquire -> {
                k.pendingBit = (wb & pendingVal) == 0;
                if (sc.x86SetPending()) {
                    k.pend = wb & pendingVal;
                    k.coming = true; // set_pending_read
                } else {
                    k.coming = contended(wb);
                }
            }
            case queued_fetch_set_pending_read -> k.coming = contended(k.pend | (wa & ~pendingVal));
            case clear_pending, clear_pending_set_locked -> k.pendingBit = false;
            case check_deadlock_AA_queue -> k.coming = false;
            case grab_mcs_node -> {
                int idx = Integer.parseInt(before.count.get(sc.cpuName(c)).atom());
                if (fallback(x, idx)) {
                    k.coming = false;
                }
            }
            case queued_spin_trylock -> {
                if (acquired) {
                    k.coming = false;
                }
            }
            case xchg_tail -> {
                k.coming = false;
                k.inQueue = true;
                k.node = rqspin.lock.LockWord.tailIdx(wa);
            }
            case claim_cmpxchg -> {
                if (acquired) {
                    k.inQueue = false;
                }
            }
            case set_locked -> k.waitsNext = true;
            case try_cmpxchg_tail -> {
                if ((wb & rqspin.lock.LockWord.TAIL_MASK) != 0 && (wa & rqspin.lock.LockWord.TAIL_MASK) == 0) {
                    k.inQueue = false; // it was the tail and reset it
                } else {
                    k.waitsNext = true; // abort_signal, or [v7.2] handover_deadlock_wait
                }
            }
            case arch_mcs_spin_unlock_contended, abort_signal_next -> {
                k.inQueue = false;
                k.waitsNext = false;
            }
            default -> { }
        }
        if (failing != null && k.inQueue && failing.errno(sc.version()) == rqspin.lock.Errno.EDEADLK
                && failing != FailureReason.QUEUE_ABORTED && sc.version().headHandsOver()
                && !sc.version().deadlockResetsTail()) {
            k.waitsNext = true; // v6.19, v7.0: handover_deadlock waits for a successor
        }
    }

    // ---------------------------------------------------------------- from the controller

    /**
     * Context {@code x} of CPU {@code c} took {@code step} on {@code lock},
     * going from {@code before} to {@code after}; {@code failing} is the
     * failure the step decided for its attempt (null if none), {@code ret}
     * what its res_spin_lock returned after the step (null if it did not
     * return). Updates ownership and checks the properties, the error ones
     * on the step that decides the error, as the spec does (its NewError);
     * returns the violations this step shows (each starting with the spec
     * property's name).
     */
    synchronized List<String> onStep(int c, Ctx x, Step step, String lock, Snapshot before, Snapshot after,
                                     FailureReason failing, Integer ret) {
        List<String> found = new ArrayList<>();
        Context k = of(c, x);
        String who = sc.cpuName(c) + " " + x;
        if (step == Step.interrupt) {
            k.base = heldLength(after, c);
        }
        if (lock != null && step != Step.interrupt) {
            shadow(c, x, k, step, before, before.words.get(lock), after.words.get(lock), failing);
        }
        if (failing != null) {
            String l = attempt(k);
            k.failedLock = l;
            found.addAll(errorChecks(c, x, step, l, failing));
        }
        if (lock != null) {
            int was = before.words.get(lock) & 0xff;
            int now = after.words.get(lock) & 0xff;
            if (was == 0 && now != 0) {
                for (int d = 0; d < sc.nrCpus(); d++) {
                    for (Ctx y : Ctx.values()) {
                        if (of(d, y).owns.contains(lock)) {
                            found.add("MutualExclusion: " + who + " acquires " + lock + ", which "
                                    + sc.cpuName(d) + " " + y + " owns");
                        }
                    }
                }
                k.owns.add(lock);
            } else if (was != 0 && now == 0) {
                for (int d = 0; d < sc.nrCpus(); d++) {
                    for (Ctx y : Ctx.values()) {
                        of(d, y).owns.remove(lock);
                    }
                }
            }
        }
        if (ret != null) {
            k.clearShadow();
        }
        if (ret != null && ret != 0) {
            String l = k.failedLock;
            List<String> mine = tableAboveBase(after, c, k);
            if (k.owns.contains(l) || !mine.equals(k.owns)) {
                found.add("FailedAttemptClean: " + who + "'s res_spin_lock(" + l + ") returned " + errno(ret)
                        + " leaving its table entries " + mine + " for what it owns, " + k.owns);
            }
        }
        found.addAll(stateChecks(after));
        violations.addAll(found);
        return found;
    }

    /**
     * DeadlockIsReal, DetectionIsReal, AAIsReal, AAIsDetected on the step
     * that decides the failure of context x's attempt on {@code l}.
     */
    private List<String> errorChecks(int c, Ctx x, Step step, String l, FailureReason why) {
        List<String> found = new ArrayList<>();
        String who = sc.cpuName(c) + " " + x;
        String errno = why.errno(sc.version()) == rqspin.lock.Errno.EDEADLK ? "-EDEADLK" : "-ETIMEDOUT";
        String what = who + "'s res_spin_lock(" + l + ") fails with " + errno + " at " + step + " (" + why + ")";
        if (errno.equals("-EDEADLK")) {
            if (!onCycle(c, x)) {
                found.add("DeadlockIsReal: " + what + ", while " + who + " is on no waits-for cycle");
                if (why == FailureReason.AA || why == FailureReason.ABBA) {
                    found.add("DetectionIsReal: " + what + ", with no waits-for cycle through " + who);
                }
            }
            if (why == FailureReason.AA && !heldHere(c, l)) {
                found.add("AAIsReal: " + what + ": no context of " + sc.cpuName(c) + " owns " + l
                        + " or sits on its pending bit or in its queue underneath");
            }
        } else if (heldHere(c, l)) {
            found.add("AAIsDetected: " + what + ": " + l + " is held by a context of " + sc.cpuName(c)
                    + " (owned, or its pending bit or queue node underneath): an AA deadlock left to the timeout");
        }
        return found;
    }

    /** The invariants checked after every step: HeldTableMatches, QuiescentLockWordClean. */
    private List<String> stateChecks(Snapshot s) {
        List<String> found = new ArrayList<>();
        for (int c = 0; c < sc.nrCpus(); c++) {
            Ctx x = running(c);
            int len = heldLength(s, c);
            if (x == null || !sc.resilient()) {
                if (len != 0) {
                    found.add("HeldTableMatches: " + sc.cpuName(c) + " runs no attempt"
                            + (sc.resilient() ? "" : " (qspinlock has no table)") + ", yet its held-lock table is "
                            + s.held.get(sc.cpuName(c)));
                }
                continue;
            }
            Context k = of(c, x);
            if (k.atStart && k.op != null) {
                List<String> mine = tableAboveBase(s, c, k);
                if (!mine.equals(k.owns)) {
                    found.add("HeldTableMatches: " + sc.cpuName(c) + " " + x + " starts " + k.op
                            + " holding " + k.owns + ", but its entries in the held-lock table are " + mine);
                }
            }
        }
        s.words.forEach((l, w) -> {
            boolean inFlight = false;
            for (int c = 0; c < sc.nrCpus(); c++) {
                for (Ctx x : Ctx.values()) {
                    inFlight |= l.equals(attempt(of(c, x)));
                }
            }
            if (!inFlight && (w & ~0xff) != 0) {
                found.add("QuiescentLockWordClean: no attempt on " + l + " in flight, yet it is "
                        + rqspin.lock.LockWord.describe(w));
            }
        });
        found.addAll(queueLive(s));
        return found;
    }

    /**
     * The spec's QueueLive: per lock, the tail names the node of a context in
     * the queue, and a context that waits for its successor without a clock
     * has one coming (its node's next, a tail past it, or a locker on its way).
     */
    private List<String> queueLive(Snapshot s) {
        List<String> found = new ArrayList<>();
        s.words.forEach((l, w) -> {
            int tail = w & rqspin.lock.LockWord.TAIL_MASK;
            boolean tailLive = tail == 0;
            boolean coming = false;
            for (int c = 0; c < sc.nrCpus(); c++) {
                for (Ctx x : Ctx.values()) {
                    Context k = of(c, x);
                    if (!l.equals(attempt(k))) {
                        continue;
                    }
                    tailLive |= k.inQueue && tail != 0 && rqspin.lock.LockWord.tailCpu(tail) == c
                            && rqspin.lock.LockWord.tailIdx(tail) == k.node;
                    coming |= k.coming;
                }
            }
            if (!tailLive) {
                found.add("QueueLive: " + l + " is " + rqspin.lock.LockWord.describe(w)
                        + ", whose tail is the node of no waiter in its queue");
            }
            for (int c = 0; c < sc.nrCpus(); c++) {
                for (Ctx x : Ctx.values()) {
                    Context k = of(c, x);
                    if (!k.waitsNext || !l.equals(attempt(k))) {
                        continue;
                    }
                    boolean linked = !s.node.get(sc.cpuName(c)).get(Integer.toString(k.node)).get("next").elems()
                            .isEmpty();
                    boolean past = tail != 0 && (rqspin.lock.LockWord.tailCpu(tail) != c
                            || rqspin.lock.LockWord.tailIdx(tail) != k.node);
                    if (!linked && !past && !coming) {
                        found.add("QueueLive: " + sc.cpuName(c) + " " + x + " waits for a successor on " + l
                                + " (no clock), but it is the tail, its node has no next and nobody is on the way"
                                + " into the queue");
                    }
                }
            }
        });
        return found;
    }

    private int heldLength(Snapshot s, int c) {
        return Integer.parseInt(s.held.get(sc.cpuName(c)).elems().get(0).atom());
    }

    private List<String> tableAboveBase(Snapshot s, int c, Context k) {
        List<Tla> slots = s.held.get(sc.cpuName(c)).elems().get(1).elems();
        List<String> out = new ArrayList<>();
        for (int i = k.base; i < slots.size(); i++) {
            out.add(slots.get(i).atom());
        }
        return out;
    }

    /** Every violation seen so far, first first. */
    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    static String errno(int ret) {
        return switch (ret) {
            case 0 -> "0";
            case -35 -> "-EDEADLK";
            case -110 -> "-ETIMEDOUT";
            default -> Integer.toString(ret);
        };
    }
}
