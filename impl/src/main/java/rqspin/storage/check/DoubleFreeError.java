package rqspin.storage.check;

/**
 * An object handed to a free function a second time (P1), or special fields
 * released a second time (P3): the message names the object and both freers.
 */
public final class DoubleFreeError extends MemorySafetyError {
    private static final long serialVersionUID = 1L;

    DoubleFreeError(Violation v) {
        super(v);
    }
}
