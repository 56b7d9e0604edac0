package rqspin.maps.kfunc;

/**
 * The errors the maps return, as the kernel returns them: negated errno
 * values ({@code -EEXIST} is -17). A map operation returns 0 or one of
 * these, like the kernel's {@code map_update_elem} and friends; the two lock
 * errors are {@code rqspin.lock.Errno}'s, negated.
 */
public final class MapErrno {
    /** No such element. */
    public static final int ENOENT = -2;
    /** Argument list too long: the hash table has no free preallocated element. */
    public static final int E2BIG = -7;
    /** The element exists (BPF_NOEXIST). */
    public static final int EEXIST = -17;
    /** Invalid argument: unknown flags, a prefix length over the maximum. */
    public static final int EINVAL = -22;
    /** No space left: the LPM trie holds max_entries elements. */
    public static final int ENOSPC = -28;
    /** A lock attempt found a deadlock (rqspinlock). */
    public static final int EDEADLK = -35;
    /** A lock attempt timed out (rqspinlock). */
    public static final int ETIMEDOUT = -110;

    private MapErrno() {
    }

    /** The name of a return value: "0", "ENOENT", ..., or the number. */
    public static String name(int ret) {
        switch (ret) {
            case 0:
                return "0";
            case ENOENT:
                return "ENOENT";
            case E2BIG:
                return "E2BIG";
            case EEXIST:
                return "EEXIST";
            case EINVAL:
                return "EINVAL";
            case ENOSPC:
                return "ENOSPC";
            case EDEADLK:
                return "EDEADLK";
            case ETIMEDOUT:
                return "ETIMEDOUT";
            default:
                return Integer.toString(ret);
        }
    }

    /** Whether {@code ret} is one of the two errors of a failed lock attempt. */
    public static boolean isLockError(int ret) {
        return ret == EDEADLK || ret == ETIMEDOUT;
    }
}
