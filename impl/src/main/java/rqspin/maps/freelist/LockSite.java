package rqspin.maps.freelist;

/**
 * The three places where percpu_freelist (v6.15, f2ac0e5d1c4d) attempts a
 * head's rqspinlock, each named after its kernel function. Every attempt
 * goes through one of them, and failure injection chooses by site.
 */
public enum LockSite {
    /** {@code ___pcpu_freelist_push}: this CPU's head, the first attempt of a push. */
    PUSH_LOCAL("___pcpu_freelist_push"),
    /** {@code __pcpu_freelist_push}: another CPU's head, in the push's fallback loop. */
    PUSH_FALLBACK("__pcpu_freelist_push"),
    /** {@code ___pcpu_freelist_pop}: a head whose first node READ_ONCE saw non-NULL. */
    POP("___pcpu_freelist_pop");

    private final String kernel;

    LockSite(String kernel) {
        this.kernel = kernel;
    }

    /** The kernel function that makes the attempt. */
    public String kernel() {
        return kernel;
    }
}
