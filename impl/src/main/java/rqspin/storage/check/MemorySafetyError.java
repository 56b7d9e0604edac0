package rqspin.storage.check;

/**
 * A memory-safety bug of the protocol became visible: the Java form of a
 * KASAN report. The {@link Audit} has recorded it (as a {@link Violation})
 * before this is thrown, so a run that catches it still counts it. Locks held
 * by the interrupted function are released on the way out (every critical
 * section unlocks in a finally block), read-side sections are left.
 */
public abstract class MemorySafetyError extends Error {
    private static final long serialVersionUID = 1L;

    private final transient Violation violation;

    MemorySafetyError(Violation violation) {
        super(violation.toString());
        this.violation = violation;
    }

    /** What the audit recorded. */
    public Violation violation() {
        return violation;
    }
}
