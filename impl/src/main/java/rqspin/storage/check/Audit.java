package rqspin.storage.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rqspin.kernel.Freeable;
import rqspin.kernel.Sanitizer;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorage;
import rqspin.storage.Owner;
import rqspin.storage.Selem;

/**
 * The Java twin's KASAN and kmemleak for the local storage: records every
 * violation of a safety property as it happens ({@link Violation}), every
 * WARN, every allocation and free, and finds the leaks ({@link Leak}) of a
 * quiescent kernel.
 *
 * <ul>
 * <li>Use after free (P5) and double free (P1) are reported by
 *     {@link Freeable} through the {@link Sanitizer} interface, recorded,
 *     and then thrown ({@link UseAfterFreeError}, {@link DoubleFreeError}).</li>
 * <li>Freeing an selem still linked into a live list (P2), releasing special
 *     fields twice or after the map was freed (P3), uncharging an owner below
 *     zero (P4), a teardown walk that makes no progress (P9) and list
 *     corruption are recorded where they happen, by the local storage's code
 *     and by the kernel primitives.</li>
 * <li>Special fields of an selem reclaimed without {@code bpf_obj_free_fields}
 *     and bytes still charged to an owner when it is freed are leaks recorded
 *     when they become final; the rest of the leaks are found by
 *     {@link #report()} among the objects not yet freed (selems and local
 *     storages that no live owner and map can reach).</li>
 * </ul>
 * Every leak says whether P7 allows it: a failed lock attempt concerned the
 * object ({@link Selem#failureSeen()}, {@link LocalStorage#failureSeen()}).
 *
 * <p>The recording methods ({@link #allocated}, {@link #record},
 * {@link #fieldsReleased}, {@link #fieldsFreedTwice}, {@link #leak} and those
 * of {@link Sanitizer}) are public because the local storage and the kernel
 * primitives live in other packages; they are for that code only. Tests and
 * tools read the audit through {@link #report()}, {@link #count},
 * {@link #violations()} and {@link #warns()}.
 *
 * <p>All state is guarded by this object's monitor.
 */
public final class Audit implements Sanitizer {
    /** Violations and leaks kept in full (all are counted). */
    public static final int KEEP = 256;

    private final Kernel kernel;
    private final List<Violation> violations = new ArrayList<>();
    private final int[] violationCounts = new int[Violation.Property.values().length];
    private final List<Leak> finalLeaks = new ArrayList<>();
    private int finalLeakCount;
    private int finalLeakUnexplained;
    private int finalLeakFields;
    private final Map<String, Integer> warns = new LinkedHashMap<>();
    private final List<WarnFiring> firings = new ArrayList<>();
    private final Set<Freeable> live = new LinkedHashSet<>();
    private int seq;
    private int selemsAllocated;
    private int selemsFreed;
    private int storagesAllocated;
    private int storagesFreed;
    private int fieldsAcquired;
    private int fieldsReleased;

    /** The audit of {@code kernel}'s objects (the kernel creates it). */
    public Audit(Kernel kernel) {
        this.kernel = kernel;
    }

    // ------------------------------------------------------------------ records (local storage code only)

    /** A new selem or local storage (kmemleak's allocation record). */
    public synchronized void allocated(Freeable o) {
        live.add(o);
        if (o instanceof Selem) {
            selemsAllocated++;
            fieldsAcquired += ((Selem) o).specialFields();
        } else if (o instanceof LocalStorage) {
            storagesAllocated++;
        }
    }

    @Override
    public synchronized void reclaimed(Freeable o) {
        live.remove(o);
        if (o instanceof Selem) {
            selemsFreed++;
        } else if (o instanceof LocalStorage) {
            storagesFreed++;
        }
    }

    /** {@code bpf_obj_free_fields} released {@code n} special fields. */
    public synchronized void fieldsReleased(int n) {
        fieldsReleased += n;
    }

    /** Records a violation by {@code cpu} (null if not known) and returns it. */
    public Violation record(Violation.Property p, String what, Cpu cpu) {
        synchronized (this) {
            Violation v = new Violation(p, what, cpu != null ? cpu.id() : -1, ++seq);
            violationCounts[p.ordinal()]++;
            if (violations.size() < KEEP) {
                violations.add(v);
            }
            return v;
        }
    }

    /** Records P5 and throws {@link UseAfterFreeError}. */
    @Override
    public void useAfterFree(Freeable o, String access, String freedBy) {
        Cpu cpu = currentCpuOrNull();
        Violation v = record(Violation.Property.P5_NO_USE_AFTER_FREE,
                "use after free: " + access + " of " + o.kind() + " " + o.name() + ", freed by " + freedBy
                        + (cpu != null ? " (access on cpu" + cpu.id() + ")" : ""),
                null);
        throw new UseAfterFreeError(v);
    }

    /** Records P1 and throws {@link DoubleFreeError}. */
    @Override
    public void doubleFree(Freeable o, String by, String firstBy, boolean reclaimed) {
        Violation v = record(Violation.Property.P1_NO_DOUBLE_FREE,
                "double free: " + by + " frees " + o.kind() + " " + o.name() + ", already freed by " + firstBy
                        + (reclaimed ? " (and reclaimed)" : " (grace period not over)"),
                null);
        throw new DoubleFreeError(v);
    }

    /** Records P3 ({@code bpf_obj_free_fields} a second time) and throws {@link DoubleFreeError}. */
    public void fieldsFreedTwice(Selem x, String by) {
        Violation v = record(Violation.Property.P3_FREE_FIELDS_ONCE,
                "bpf_obj_free_fields ran twice on " + x.name() + " (second time: " + by + ")", null);
        throw new DoubleFreeError(v);
    }

    /** Records a list operation on a node of another list (ListIntegrity). */
    @Override
    public void listCorruption(String what) {
        record(Violation.Property.LIST_INTEGRITY, what, null);
    }

    /** A WARN (WARN_ON_ONCE, refcount_t): counted per text. */
    @Override
    public synchronized void warn(String text) {
        warns.merge(text, 1, Integer::sum);
    }

    /**
     * A WARN whose condition held on the object {@code about}: counted per
     * text, and kept as a firing; it printed if its text had not fired
     * before (WARN_ON_ONCE and refcount_t's WARN_ONCE print once), or
     * always with {@link rqspin.storage.Fix#WARN_EVERY_LEAK}.
     */
    @Override
    public synchronized void warn(String text, String about) {
        // Fix.WARN_EVERY_LEAK: every WARN prints each time it fires (WARN_ON, not WARN_ON_ONCE)
        boolean printed = !warns.containsKey(text) || kernel.fixed(rqspin.storage.Fix.WARN_EVERY_LEAK);
        warn(text);
        firings.add(new WarnFiring(text, about, printed));
    }

    /** A WARN that fired for an object, and whether it printed. */
    public record WarnFiring(String text, String about, boolean printed) {
        @Override
        public boolean equals(Object o) {
            return o instanceof WarnFiring f && f.text.equals(text) && f.about.equals(about) && f.printed == printed;
        }

        @Override
        public int hashCode() {
            return (text.hashCode() * 31 + about.hashCode()) * 2 + (printed ? 1 : 0);
        }

        @Override
        public String toString() {
            return text + " for " + about + (printed ? "" : " (not printed: fired before)");
        }
    }

    /** Every WARN that fired for an object, in order. */
    public synchronized List<WarnFiring> warnFirings() {
        return List.copyOf(firings);
    }

    /** A leak that is final when it happens (special fields, charges of a freed owner). */
    public synchronized void leak(Leak l) {
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
     * callback pending, e.g. after {@link rqspin.kernel.Rcu#barrier}).
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
            if (o.isPendingFree()) {
                r.pendingFrees++;
            }
        }
        FailureInjector failures = kernel.failures();
        r.failures = failures.failureCount();
        r.injected = failures.injectedCount();
        r.attempts = failures.attempts();
        return r;
    }

    /** The CPU of the calling thread, or null (for messages). */
    private Cpu currentCpuOrNull() {
        Machine m = kernel.machine();
        return m.isAttached() ? m.current() : null;
    }

    /** A not-yet-freed object that nothing live can reach any more. */
    private static Leak leakOf(Freeable o) {
        if (o.isFreeQueued()) {
            return null;
        }
        if (o instanceof Selem) {
            Selem x = (Selem) o;
            boolean mapGone = x.map().isFreed();
            boolean ownerGone = x.owner().isFreed();
            boolean linked = x.linkedToMapForAudit() && x.linkedToStorageForAudit();
            if (!mapGone && !ownerGone && linked) {
                return null;
            }
            String why = (mapGone ? "map " + x.map() + " freed" : ownerGone ? "owner " + x.owner() + " freed"
                    : "unlinked") + "; on bucket list: " + x.linkedToMapForAudit() + ", on storage list: "
                    + x.linkedToStorageForAudit();
            return new Leak(Leak.Kind.SELEM, x.name(), x.failureSeen() || x.owner().failureSeen(), why,
                    x.fieldsFreedForAudit() == 0 ? x.specialFields() : 0);
        }
        if (o instanceof LocalStorage) {
            LocalStorage ls = (LocalStorage) o;
            Owner ow = ls.allocatedFor();
            boolean published = !ow.isFreed() && ow.storageForAudit() == ls;
            if (published && !ls.selemsForAudit().isEmpty()) {
                return null;
            }
            String why = ow.isFreed() ? "owner " + ow + " freed" : published ? "published but empty" : "not published";
            return new Leak(Leak.Kind.LOCAL_STORAGE, ls.name(), ls.failureSeen() || ow.failureSeen(), why, 0);
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
