package rqspin.storage.check;

import java.util.Objects;

/**
 * Something that will never be freed or uncharged: an selem or LS that no
 * list or owner can reach any more, special fields never released, or bytes
 * still charged to a freed owner. P7 allows a leak only after a lock failure:
 * {@link #allowed()} says whether a failed attempt touched the object (or its
 * owner).
 *
 * <p>A record that declares {@link #equals}, {@link #hashCode} and
 * {@link #toString} itself, because Java PathFinder cannot run the implicit
 * ones (see {@link LockFailure}); the storage harnesses print leaks.
 *
 * @param kind what leaked
 * @param object the object's name
 * @param allowed whether P7 allows it: a lock attempt on this object (or its owner or storage) failed
 * @param detail the state it was left in
 * @param fields special fields that this leak keeps from being released (0 for storages and charges)
 */
public record Leak(Kind kind, String object, boolean allowed, String detail, int fields) {
    /** What leaked. */
    public enum Kind {
        /** An selem that is neither freed nor reachable from a live map and a live owner. */
        SELEM,
        /** A local storage that is neither freed nor published by a live owner with elements. */
        LOCAL_STORAGE,
        /** The special fields of an selem that was freed without {@code bpf_obj_free_fields}. */
        SPECIAL_FIELDS,
        /** Bytes still charged to an owner when it was freed ({@code sk_omem_alloc} not 0 in {@code __sk_destruct}). */
        CHARGE
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Leak l && kind == l.kind && Objects.equals(object, l.object) && allowed == l.allowed
                && Objects.equals(detail, l.detail) && fields == l.fields;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, object, allowed, detail, fields);
    }

    @Override
    public String toString() {
        return kind + " " + object + " (" + detail + ")" + (allowed ? " after a lock failure" : " WITHOUT a lock failure");
    }
}
