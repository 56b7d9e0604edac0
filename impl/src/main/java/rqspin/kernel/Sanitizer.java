package rqspin.kernel;

/**
 * What a debug kernel reports about its memory and lists: KASAN (use after
 * free, double free), kmemleak's view of reclaimed memory, list debugging
 * ({@code CONFIG_DEBUG_LIST}) and {@code WARN}. The primitives of this
 * package ({@link Freeable}, {@link Hlist}, {@link Refcount}) call it where
 * the kernel would print; the local storage's audit
 * ({@code rqspin.storage.check.Audit}) implements it, records each report,
 * and decides what a report means (a violation of which property).
 *
 * <p>Implementations must be thread-safe: every CPU reports.
 */
public interface Sanitizer {
    /**
     * An access to freed (poisoned) memory: records it, then throws an
     * {@link Error} naming the object, the access and who freed it. Never
     * returns normally.
     */
    void useAfterFree(Freeable o, String access, String freedBy);

    /**
     * A second hand-off of {@code o} to a free function: records it, then
     * throws an {@link Error} naming both freers. Never returns normally.
     */
    void doubleFree(Freeable o, String by, String firstBy, boolean reclaimed);

    /** {@code o}'s grace period ended and its memory was reclaimed (poisoned). */
    void reclaimed(Freeable o);

    /** A list operation on a node of another list ({@code CONFIG_DEBUG_LIST}); the operation did nothing. */
    void listCorruption(String what);

    /** A {@code WARN} (e.g. {@code refcount_t} saturation), by its text. */
    void warn(String text);

    /**
     * A {@code WARN} whose condition held on the object named {@code about}
     * (the selem whose {@code b->lock} failed, the local storage whose
     * {@code owner_refcnt} saturated): by default only its text counts.
     */
    default void warn(String text, String about) {
        warn(text);
    }
}
