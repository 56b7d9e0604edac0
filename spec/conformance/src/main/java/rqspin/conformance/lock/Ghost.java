package rqspin.conformance.lock;

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
 * failed attempt failed.
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

    /** The spec's WaitLock(c): the lock the running context attempts and does not own, or null. */
    private String waitLock(int c) {
        Ctx x = running(c);
        if (x == null) {
            return null;
        }
        Context k = of(c, x);
        String l = attempt(k);
        return l != null && !k.owns.contains(l) ? l : null;
    }

    private Set<Integer> waitsFor(int c) {
        Set<Integer> out = new LinkedHashSet<>();
        String l = waitLock(c);
        if (l != null) {
            for (int d = 0; d < sc.nrCpus(); d++) {
                for (Ctx y : Ctx.values()) {
                    if (of(d, y).owns.contains(l)) {
                        out.add(d);
                    }
                }
            }
        }
        return out;
    }

    /** The spec's OnCycle(c): c reaches itself in the waits-for relation. */
    private boolean onCycle(int c) {
        Set<Integer> seen = new LinkedHashSet<>();
        List<Integer> todo = new ArrayList<>(waitsFor(c));
        while (!todo.isEmpty()) {
            int d = todo.remove(todo.size() - 1);
            if (d == c) {
                return true;
            }
            if (seen.add(d)) {
                todo.addAll(waitsFor(d));
            }
        }
        return false;
    }

    private boolean ownCpuHolds(int c, String l) {
        for (Ctx y : Ctx.values()) {
            if (of(c, y).owns.contains(l)) {
                return true;
            }
        }
        return false;
    }

    /** The spec's HeldOrPreempted(c, l). */
    private boolean heldOrPreempted(int c, String l) {
        Ctx run = running(c);
        for (Ctx y : Ctx.values()) {
            Context k = of(c, y);
            if (k.owns.contains(l) || (l.equals(attempt(k)) && y != run)) {
                return true;
            }
        }
        return false;
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
            if (!onCycle(c)) {
                found.add("DeadlockIsReal: " + what + ", while " + sc.cpuName(c) + " is on no waits-for cycle");
                if (why == FailureReason.AA || why == FailureReason.ABBA) {
                    found.add("DetectionIsReal: " + what + ", with no waits-for cycle through " + sc.cpuName(c));
                }
            }
            if (why == FailureReason.AA && !heldOrPreempted(c, l)) {
                found.add("AAIsReal: " + what + ": no context of " + sc.cpuName(c) + " holds " + l
                        + " or attempts it underneath");
            }
        } else if (ownCpuHolds(c, l)) {
            found.add("AAIsDetected: " + what + ": " + l + " is held by a context of " + sc.cpuName(c)
                    + ": an AA deadlock left to the timeout");
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
        boolean inFlight = false;
        for (int c = 0; c < sc.nrCpus(); c++) {
            for (Ctx x : Ctx.values()) {
                inFlight |= attempt(of(c, x)) != null;
            }
        }
        if (!inFlight) {
            s.words.forEach((l, w) -> {
                if ((w & ~0xff) != 0) {
                    found.add("QuiescentLockWordClean: no attempt in flight, yet " + l + " is "
                            + rqspin.lock.LockWord.describe(w));
                }
            });
        }
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
