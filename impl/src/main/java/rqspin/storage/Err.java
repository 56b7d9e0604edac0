package rqspin.storage;

/**
 * The errors an operation of the local storage returns in the kernel, as the
 * {@link StorageException#err()} of a failed call. Lock failures keep the
 * errno of the failed {@code res_spin_lock}.
 */
public enum Err {
    /** No element for this (owner, map): {@code BPF_EXIST} update, or delete of nothing. */
    ENOENT(2),
    /** {@code BPF_NOEXIST} update of an existing element. */
    EEXIST(17),
    /** A race with a concurrent delete or first update: try again. */
    EAGAIN(11),
    /** The charge would exceed the owner's limit ({@code sk_omem_alloc} above {@code optmem_max}). */
    ENOMEM(12),
    /** An rqspinlock attempt returned {@code -EDEADLK}. */
    EDEADLK(35),
    /** An rqspinlock attempt returned {@code -ETIMEDOUT}. */
    ETIMEDOUT(110);

    private final int number;

    Err(int number) {
        this.number = number;
    }

    /** The positive errno value. */
    public int number() {
        return number;
    }

    /** The error of a failed lock attempt. */
    static Err of(rqspin.lock.Errno e) {
        return e == rqspin.lock.Errno.EDEADLK ? EDEADLK : ETIMEDOUT;
    }
}
