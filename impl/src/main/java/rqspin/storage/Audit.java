package rqspin.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Java twin's KASAN and kmemleak: records every violation of a safety
 * property as it happens ({@link Violation}), every WARN, every allocation
 * and free, and finds the leaks ({@link Leak}) of a quiescent kernel.
 *
 * <ul>
 * <li>Use after free (P5) and double free (P1) are recorded by
 *     {@link Freeable} and then thrown ({@link UseAfterFreeError},
 *     {@link DoubleFreeError}).</li>
 * <li>Freeing an selem still linked into a live list (P2), releasing special
 *     fields twice or after the map was freed (P3), uncharging an owner below
 *     zero (P4), a teardown walk that makes no progress (P9) and list
 *     corruption are recorded where they happen.</li>
 * <li>Special fields of an selem reclaimed without {@code bpf_obj_free_fields}
 *     and bytes still charged to an owner when it is freed are leaks recorded
 *     when they become final; the rest of the leaks are found by
 *     {@link #report()} among the objects not yet freed (selems and local
 *     storages that no live owner and map can reach).</li>
 * </ul>
 * Every leak says whether P7 allows it: a failed lock attempt concerned the
 * object ({@link Freeable#failureSeen()}).
 *
 * <p>All state is guarded by this object's monitor.
 */
public final class Audit {
    /** Violations and leaks kept in full (all are counted). */
    static final int KEEP = 256;

    private final Kernel kernel;
    private final List<Violation> violations = new ArrayList<>();
    private final int[] violationCounts = new int[Violation.Property.values().length];
    private final List<Leak> finalLeaks = new ArrayList<>();
    private int finalLeakCount;
    private int finalLeakUnexplained;
    private int finalLeakFields;
    private final Map<String, Integer> warns = new LinkedHashMap<>();
    private final Set<Freeable> live = new LinkedHashSet<>();
    private int seq;
    private int selemsAllocated;
    private int selemsFreed;
    private int storagesAllocated;
    private int storagesFreed;
    private int fieldsAcquired;
    private int fieldsReleased;

    Audit(Kernel kernel) {
        this.kernel = kernel;
    }

    // ------------------------------------------------------------------ records

    synchronized void allocated(Freeable o) {
        live.add(o);
        if (o instanceof Selem) {
            selemsAllocated++;
            fieldsAcquired += ((Selem) o).nrSpecialFields;
        } else if (o instanceof LocalStorage) {
            storagesAllocated++;
        }
    }

    synchronized void reclaimed(Freeable o) {
        live.remove(o);
        if (o instanceof Selem) {
            selemsFreed++;
        } else if (o instanceof LocalStorage) {
            storagesFreed++;
        }
    }

    synchronized void fieldsReleased(int n) {
        fieldsReleased += n;
    }

    /** Records a violation and returns it. */
    Violation record(Violation.Property p, String what, rqspin.lock.Cpu cpu) {
        synchronized (this) {
            Violation v = new Violation(p, what, cpu != null ? cpu.id() : -1, ++seq);
            violationCounts[p.ordinal()]++;
            if (violations.size() < KEEP) {
                violations.add(v);
            }
            return v;
        }
    }

    void useAfterFree(Freeable o, String access, String freedBy) {
        Violation v = record(Violation.Property.P5_NO_USE_AFTER_FREE,
                "use after free: " + access + " of " + o.kind() + " " + o.name() + ", freed by " + freedBy
                        + (kernel.currentCpuOrNull() != null ? " (access on cpu" + kernel.currentCpuOrNull().id() + ")" : ""),
                null);
        throw new UseAfterFreeError(v);
    }

    void doubleFree(Freeable o, String by, String firstBy, boolean reclaimed) {
        Violation v = record(Violation.Property.P1_NO_DOUBLE_FREE,
                "double free: " + by + " frees " + o.kind() + " " + o.name() + ", already freed by " + firstBy
                        + (reclaimed ? " (and reclaimed)" : " (grace period not over)"),
                null);
        throw new DoubleFreeError(v);
    }

    void fieldsTwice(Selem x, String by) {
        Violation v = record(Violation.Property.P3_FREE_FIELDS_ONCE,
                "bpf_obj_free_fields ran twice on " + x.name() + " (second time: " + by + ")", null);
        throw new DoubleFreeError(v);
    }

    /**
     * P2 at {@code bpf_selem_free} (and again at reclaim, with
     * {@code reclaimed}): the selem must be on no list that anyone can still
     * walk: a bucket of a map not yet freed, or the list of a local storage
     * that is not freed and whose owner is not being destroyed. (A storage
     * left behind by a dying owner after a failed lock, C10, is a leak that
     * nobody walks: not counted here.)
     */
    void checkUnlinkedAtFree(Selem x, String by, rqspin.lock.Cpu cpu, boolean reclaimed) {
        String what = reclaimed ? " is reclaimed" : " frees " + x.name();
        Hlist b = x.mapNode.listForAudit();
        if (b != null && !b.holder.isFreed()) {
            record(Violation.Property.P2_FREE_ONLY_UNLINKED,
                    by + what + " while it is still on " + b, cpu);
        }
        Hlist l = x.snode.listForAudit();
        if (l != null && l.holder.life() == Freeable.LIVE && !((LocalStorage) l.holder).auditOwner.isDestroyed()) {
            record(Violation.Property.P2_FREE_ONLY_UNLINKED,
                    by + what + " while it is still on " + l, cpu);
        }
    }

    /** A WARN (WARN_ON_ONCE, refcount_t): counted per text. */
    synchronized void warn(String text) {
        warns.merge(text, 1, Integer::sum);
    }

    /** A leak that is final when it happens (special fields, charges of a freed owner). */
    synchronized void leak(Leak l) {
        finalLeakCount++;
        finalLeakFields += l.fields();
        if (!l.allowed()) {
            finalLeakUnexplained++;
        }
        if (finalLeaks.size() < KEEP) {
            finalLeaks.add(l);
        }
    }

    // ------------------------------------------------------------------ queries

    /** Number of violations of {@code p} so far. */
    public synchronized int count(Violation.Property p) {
        return violationCounts[p.ordinal()];
    }

    /** The first {@value #KEEP} violations, in order. */
    public synchronized List<Violation> violations() {
        return new ArrayList<>(violations);
    }

    /** The WARNs so far, with how often each fired. */
    public synchronized Map<String, Integer> warns() {
        return new LinkedHashMap<>(warns);
    }

    /** How often {@code text} was WARNed. */
    public synchronized int warnCount(String text) {
        return warns.getOrDefault(text, 0);
    }

    /**
     * The state of the kernel: counts, violations, and the leaks. Meaningful
     * for leaks when the kernel is quiescent (no operation running, no RCU
     * callback pending, e.g. after {@link Rcu#barrier}).
     */
    public Report report() {
        List<Freeable> snapshot;
        Report r = new Report();
        synchronized (this) {
            snapshot = new ArrayList<>(live);
            r.violationCounts = violationCounts.clone();
            r.violations = new ArrayList<>(violations);
            r.warns = new LinkedHashMap<>(warns);
            r.leaks.addAll(finalLeaks);
            r.leakCount = finalLeakCount;
            r.unexplainedLeaks = finalLeakUnexplained;
            r.leakedFields = finalLeakFields;
            r.selemsAllocated = selemsAllocated;
            r.selemsFreed = selemsFreed;
            r.storagesAllocated = storagesAllocated;
            r.storagesFreed = storagesFreed;
            r.fieldsAcquired = fieldsAcquired;
            r.fieldsReleased = fieldsReleased;
        }
        for (Freeable o : snapshot) {
            Leak l = leakOf(o);
            if (l != null) {
                r.leakCount++;
                r.leakedFields += l.fields();
                if (!l.allowed()) {
                    r.unexplainedLeaks++;
                }
                if (r.leaks.size() < KEEP) {
                    r.leaks.add(l);
                }
            }
            if (o.life() == Freeable.QUEUED) {
                r.pendingFrees++;
            }
        }
        r.failures = kernel.failures.failureCount();
        r.injected = kernel.failures.injectedCount();
        r.attempts = kernel.failures.attempts();
        return r;
    }

    /** A not-yet-freed object that nothing live can reach any more. */
    private static Leak leakOf(Freeable o) {
        if (o.life() != Freeable.LIVE) {
            return null;
        }
        if (o instanceof Selem) {
            Selem x = (Selem) o;
            boolean mapGone = x.auditMap.isFreed();
            boolean ownerGone = x.auditOwner.isFreed();
            boolean linked = x.mapNode.listForAudit() != null && x.snode.listForAudit() != null;
            if (!mapGone && !ownerGone && linked) {
                return null;
            }
            String why = (mapGone ? "map " + x.auditMap + " freed" : ownerGone ? "owner " + x.auditOwner + " freed"
                    : "unlinked") + "; on bucket list: " + (x.mapNode.listForAudit() != null) + ", on storage list: "
                    + (x.snode.listForAudit() != null);
            return new Leak(Leak.Kind.SELEM, x.name(), x.failureSeen || x.auditOwner.failureSeen, why,
                    x.fieldsFreedForAudit() == 0 ? x.nrSpecialFields : 0);
        }
        if (o instanceof LocalStorage) {
            LocalStorage ls = (LocalStorage) o;
            Owner ow = ls.auditOwner;
            boolean published = !ow.isFreed() && ow.storageForAudit() == ls;
            if (published && !ls.list.isEmpty()) {
                return null;
            }
            String why = ow.isFreed() ? "owner " + ow + " freed" : published ? "published but empty" : "not published";
            return new Leak(Leak.Kind.LOCAL_STORAGE, ls.name(), ls.failureSeen || ow.failureSeen, why, 0);
        }
        return null;
    }

    /**
     * A snapshot of the audit. {@link #toString()} prints the summary the
     * stress command prints.
     */
    public static final class Report {
        int[] violationCounts;
        List<Violation> violations;
        Map<String, Integer> warns;
        final List<Leak> leaks = new ArrayList<>();
        int leakCount;
        int unexplainedLeaks;
        int leakedFields;
        int pendingFrees;
        int selemsAllocated;
        int selemsFreed;
        int storagesAllocated;
        int storagesFreed;
        int fieldsAcquired;
        int fieldsReleased;
        int failures;
        int injected;
        int attempts;

        Report() {
        }

        /** Violations of {@code p}. */
        public int count(Violation.Property p) {
            return violationCounts[p.ordinal()];
        }

        /** Double frees (P1, including special fields freed twice). */
        public int doubleFrees() {
            return count(Violation.Property.P1_NO_DOUBLE_FREE) + count(Violation.Property.P3_FREE_FIELDS_ONCE);
        }

        /** Uses after free (P5). */
        public int usesAfterFree() {
            return count(Violation.Property.P5_NO_USE_AFTER_FREE);
        }

        /** Accounting errors (P4). */
        public int accountingErrors() {
            return count(Violation.Property.P4_CHARGE_BALANCED);
        }

        /** All leaks (P7 allowed or not). */
        public int leaks() {
            return leakCount;
        }

        /** Leaks without a lock failure on the object: P7 violations. */
        public int unexplainedLeaks() {
            return unexplainedLeaks;
        }

        /** Leaks of the given kind. */
        public int leaks(Leak.Kind kind) {
            int n = 0;
            for (Leak l : leaks) {
                if (l.kind() == kind) {
                    n++;
                }
            }
            return n;
        }

        /** The first leaks found. */
        public List<Leak> leakList() {
            return leaks;
        }

        /** The first violations. */
        public List<Violation> violationList() {
            return violations;
        }

        /** WARN texts with counts. */
        public Map<String, Integer> warns() {
            return warns;
        }

        /** Objects handed to a free function whose callback has not run. */
        public int pendingFrees() {
            return pendingFrees;
        }

        /** Selems allocated. */
        public int selemsAllocated() {
            return selemsAllocated;
        }

        /** Selems reclaimed. */
        public int selemsFreed() {
            return selemsFreed;
        }

        /** Local storages allocated. */
        public int storagesAllocated() {
            return storagesAllocated;
        }

        /** Local storages reclaimed. */
        public int storagesFreed() {
            return storagesFreed;
        }

        /** Special fields set up with their selems. */
        public int fieldsAcquired() {
            return fieldsAcquired;
        }

        /** Special fields released by {@code bpf_obj_free_fields}. */
        public int fieldsReleased() {
            return fieldsReleased;
        }

        /** Special fields that leaks keep from being released (with leaked selems, or freed without release). */
        public int fieldsLeaked() {
            return leakedFields;
        }

        /**
         * Special fields neither released nor held by a leak: 0 when every
         * field is released exactly once or accounted for by a leak (a
         * negative value means released more often than acquired).
         */
        public int fieldsUnaccounted() {
            return fieldsAcquired - fieldsReleased - leakedFields;
        }

        /** Failed lock attempts (injected and real). */
        public int lockFailures() {
            return failures;
        }

        /** Lock attempts. */
        public int lockAttempts() {
            return attempts;
        }

        /** No double free, no use after free, no accounting error, no other violation, and every leak allowed. */
        public boolean clean() {
            int v = 0;
            for (int c : violationCounts) {
                v += c;
            }
            return v == 0 && unexplainedLeaks == 0;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append("lock attempts: ").append(attempts).append(", failed: ").append(failures).append(" (injected ")
                    .append(injected).append(", real ").append(failures - injected).append(")\n");
            sb.append("selems: allocated ").append(selemsAllocated).append(", freed ").append(selemsFreed)
                    .append("; local storages: allocated ").append(storagesAllocated).append(", freed ")
                    .append(storagesFreed).append("; special fields: acquired ").append(fieldsAcquired)
                    .append(", released ").append(fieldsReleased).append('\n');
            sb.append("leaks: ").append(leakCount).append(" (allowed after a lock failure: ")
                    .append(leakCount - unexplainedLeaks).append(", without a failure: ").append(unexplainedLeaks)
                    .append(")\n");
            sb.append("double frees: ").append(doubleFrees()).append('\n');
            sb.append("uses after free: ").append(usesAfterFree()).append('\n');
            sb.append("accounting errors: ").append(accountingErrors()).append('\n');
            sb.append("other violations: P2 ").append(count(Violation.Property.P2_FREE_ONLY_UNLINKED)).append(", P9 ")
                    .append(count(Violation.Property.P9_TEARDOWN_TERMINATES)).append(", list integrity ")
                    .append(count(Violation.Property.LIST_INTEGRITY)).append('\n');
            sb.append("WARNs: ").append(warns.isEmpty() ? "none" : warns.toString()).append('\n');
            int shown = 0;
            for (Violation v : violations) {
                if (shown++ == 5) {
                    break;
                }
                sb.append("  ").append(v).append('\n');
            }
            shown = 0;
            for (Leak l : leaks) {
                if (l.allowed()) {
                    continue;
                }
                if (shown++ == 5) {
                    break;
                }
                sb.append("  leak ").append(l).append('\n');
            }
            return sb.toString();
        }
    }
}
