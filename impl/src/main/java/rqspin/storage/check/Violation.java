package rqspin.storage.check;

import java.util.Objects;

/**
 * One violation of a safety property of the local storage (the invariants of
 * spec/localstorage/LocalStorage.tla), as the {@link Audit} recorded it:
 * which property, what happened in kernel terms, on which CPU.
 *
 * <p>A record that declares {@link #equals}, {@link #hashCode} and
 * {@link #toString} itself, because Java PathFinder cannot run the implicit
 * ones (see {@link LockFailure}); the storage harnesses print violations.
 *
 * @param property the property violated
 * @param what what happened, in kernel terms
 * @param cpu the CPU that did it, or -1 if not known
 * @param seq order among the audit's records
 */
public record Violation(Property property, String what, int cpu, int seq) {
    /** The properties, named as the invariants of spec/localstorage/LocalStorage.tla. */
    public enum Property {
        /** Each selem and LS is freed at most once. */
        P1_NO_DOUBLE_FREE("P1_NoDoubleFree"),
        /** An selem is freed only after both its nodes are unlinked from live lists. */
        P2_FREE_ONLY_UNLINKED("P2_FreeOnlyUnlinked"),
        /** {@code bpf_obj_free_fields} at most once per selem, only while its smap is alive. */
        P3_FREE_FIELDS_ONCE("P3_FreeFieldsOnce"),
        /** No uncharge below zero, none of a freed owner. */
        P4_CHARGE_BALANCED("P4_ChargeBalanced"),
        /** No access to a freed selem, LS, smap or owner. */
        P5_NO_USE_AFTER_FREE("P5_NoUseAfterFree"),
        /** map_free and destroy terminate (the Java twin stops a walk that makes no progress). */
        P9_TEARDOWN_TERMINATES("P9_TeardownTerminates"),
        /** A node unlinked from a list it is not on, or under the lock of another list. */
        LIST_INTEGRITY("ListIntegrity");

        private final String specName;

        Property(String specName) {
            this.specName = specName;
        }

        /** The invariant's name in spec/localstorage/LocalStorage.tla. */
        public String specName() {
            return specName;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Violation v && property == v.property && Objects.equals(what, v.what) && cpu == v.cpu
                && seq == v.seq;
    }

    @Override
    public int hashCode() {
        return Objects.hash(property, what, cpu, seq);
    }

    @Override
    public String toString() {
        return property.specName() + ": " + what + (cpu >= 0 ? " (cpu" + cpu + ")" : "");
    }
}
