package rqspin.maps.kfunc;

/**
 * Input the kernel never lets reach the map function (a key or value of
 * another size than the map's, whose size the syscall and the verifier fix),
 * or map parameters that map creation refuses with {@code -EINVAL}. Thrown
 * before anything changes. Input the map function itself checks (flags, a
 * prefix length over the maximum) is not this exception: it is the kernel's
 * return value, {@link MapErrno#EINVAL}.
 */
public final class BadMapInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** A bad input, described in one line. */
    public BadMapInputException(String message) {
        super(message);
    }
}
