package rqspin.storage.check;

/**
 * Something that will never be freed or uncharged: an selem or LS that no
 * list or owner can reach any more, special fields never released, or bytes
 * still charged to a freed owner. P7 allows a leak only after a lock failure:
 * {@link #allowed()} says whether a failed attempt touched the object (or its
 * owner).
 */
public final class Leak {
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

    private final Kind kind;
    private final String object;
    private final boolean allowed;
    private final String detail;
    private final int fields;

    public Leak(Kind kind, String object, boolean allowed, String detail, int fields) {
        this.kind = kind;
        this.object = object;
        this.allowed = allowed;
        this.detail = detail;
        this.fields = fields;
    }

    /** Special fields that this leak keeps from being released (0 for storages and charges). */
    public int fields() {
        return fields;
    }

    /** What leaked. */
    public Kind kind() {
        return kind;
    }

    /** The object's name. */
    public String object() {
        return object;
    }

    /** Whether P7 allows it: a lock attempt on this object (or its owner or storage) failed. */
    public boolean allowed() {
        return allowed;
    }

    /** The state it was left in. */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return kind + " " + object + " (" + detail + ")" + (allowed ? " after a lock failure" : " WITHOUT a lock failure");
    }
}
