package rqspin.spec;

/**
 * Bad input to the runner: an unknown model or flag, a missing file, a broken
 * manifest. The message is one line; the runner prints it and exits with 2
 * before running any model.
 */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
