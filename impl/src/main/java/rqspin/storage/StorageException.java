package rqspin.storage;

/**
 * An operation returned an error ({@code -ENOENT}, {@code -EEXIST},
 * {@code -EAGAIN}, {@code -ENOMEM} or a lock failure). Update and delete are
 * all-or-nothing (P8): when this is thrown, nothing changed.
 *
 * <p>Checked, like {@link rqspin.lock.LockFailedException}: a caller must
 * handle a failed update or delete, as a BPF program must test the return
 * value. It carries no stack trace: it reports an outcome, not a bug.
 */
public final class StorageException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Err err;
    private final LockSite site;

    StorageException(Err err, String message) {
        this(err, null, message);
    }

    StorageException(Err err, LockSite site, String message) {
        super(message, null, false, false);
        this.err = err;
        this.site = site;
    }

    /** The kernel error. */
    public Err err() {
        return err;
    }

    /** The lock attempt that failed, for {@link Err#EDEADLK} and {@link Err#ETIMEDOUT}; null otherwise. */
    public LockSite site() {
        return site;
    }

    @Override
    public String getMessage() {
        return "-" + err + ": " + super.getMessage();
    }
}
