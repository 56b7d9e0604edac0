package rqspin.lock;

/** The two errors a lock attempt can end with, with their Linux numbers. */
public enum Errno {
    /** Resource deadlock would occur (AA, ABBA, no MCS node in an NMI, or a cancelled V6_15 waiter). */
    EDEADLK(35),
    /** The wait exceeded its budget (or a cancelled V6_19 waiter). */
    ETIMEDOUT(110);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The positive errno value, e.g. 35 for EDEADLK. */
    public int number() {
        return number;
    }

    /** What the kernel function returns: the negated errno, e.g. -35. */
    public int kernelReturn() {
        return -number;
    }
}
