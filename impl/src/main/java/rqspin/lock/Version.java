package rqspin.lock;

/**
 * The algorithm version of an {@link RqSpinLock}, chosen at construction (the
 * spec's {@code Version} constant). The two versions differ in exactly the
 * points of the design notes' version table:
 *
 * <table>
 * <caption>What each version does</caption>
 * <tr><th>aspect</th><th>{@link #V6_15}</th><th>{@link #V6_19}</th></tr>
 * <tr><td>held-lock entry pushed ({@code grab_held_lock_entry})</td>
 *     <td>after the fast-path CAS succeeds, or inside the slow path</td>
 *     <td>before the fast-path CAS</td></tr>
 * <tr><td>unlock order ({@code res_spin_unlock})</td>
 *     <td>pop the table entry, then release the lock word</td>
 *     <td>release the lock word, then pop the table entry</td></tr>
 * <tr><td>AA check ({@code check_deadlock_AA})</td>
 *     <td>only in {@code check_timeout}, from the first call at least 1 ms after the previous one</td>
 *     <td>before queueing and at the start of every waiting period</td></tr>
 * <tr><td>no MCS node ({@code idx >= 4}, or an NMI with {@code idx > 0} in V6_19)</td>
 *     <td>trylock loop with a timeout of T</td>
 *     <td>a single trylock, then {@code -EDEADLK}</td></tr>
 * <tr><td>queue head that detects a deadlock</td>
 *     <td>cancels the whole queue</td>
 *     <td>hands the head role to its successor (waiting for one if none is linked yet)</td></tr>
 * <tr><td>cancelled non-head waiter returns</td><td>{@code -EDEADLK}</td><td>{@code -ETIMEDOUT}</td></tr>
 * <tr><td>TAS fallback (x86 guest with {@code virt_spin_lock_key})</td>
 *     <td>{@code resilient_tas_spin_lock} pushes the entry</td>
 *     <td>{@code res_spin_lock} pushed it already and {@code resilient_tas_spin_lock} pushes a second one
 *         (fixed upstream later by 82f3b142c99c "rqspinlock: Fix TAS fallback lock entry creation")</td></tr>
 * </table>
 */
public enum Version {
    /** The algorithm as merged for Linux 6.15 (March 2025). */
    V6_15,
    /** The algorithm after the October-November 2025 reworks (Linux 6.19). */
    V6_19
}
