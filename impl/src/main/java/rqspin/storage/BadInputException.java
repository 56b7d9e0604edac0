package rqspin.storage;

/**
 * A call the kernel would reject before doing anything (or that it cannot
 * receive at all, such as an update on a map whose last reference is gone).
 * Thrown before any state changed: no charge, no allocation, no lock.
 */
public final class BadInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Kind {
        /** Update flags other than {@code BPF_ANY}, {@code BPF_NOEXIST}, {@code BPF_EXIST} (+ {@code BPF_F_LOCK}),
         *  or {@code BPF_F_LOCK} on a map without a spin lock ({@code -EINVAL}). */
        INVALID_FLAGS,
        /** A value size of 0 or above {@link LocalStorageMap#MAX_VALUE_SIZE}, or a value of the wrong size
         *  ({@code -EINVAL} / {@code -E2BIG}). */
        VALUE_SIZE,
        /** Another map parameter out of range (buckets, special fields). */
        MAP_PARAMETER,
        /** The map is being freed or was freed ({@code bpf_local_storage_map_free} started). */
        MAP_FREED,
        /** The owner is being destroyed or was destroyed ({@code bpf_local_storage_destroy} started). */
        OWNER_DESTROYED,
        /** The owner or map belongs to another {@link Kernel}, or the CPU to another machine or thread. */
        FOREIGN,
        /** A null argument, a negative limit, a bad name. */
        ILLEGAL_ARGUMENT
    }

    private final Kind kind;

    /** A rejected call: what was wrong, in one line. */
    public BadInputException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** What was wrong. */
    public Kind kind() {
        return kind;
    }
}
