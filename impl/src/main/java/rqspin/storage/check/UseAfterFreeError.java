package rqspin.storage.check;

/**
 * An access to a freed (poisoned) selem, local storage, map or owner (P5):
 * the message names the object, the access, and who freed it.
 */
public final class UseAfterFreeError extends MemorySafetyError {
    private static final long serialVersionUID = 1L;

    UseAfterFreeError(Violation v) {
        super(v);
    }
}
