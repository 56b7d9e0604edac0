package rqspin.lock;

/**
 * The algorithm version of an {@link RqSpinLock}, chosen at construction (the
 * spec's {@code Version} constant, spec/rqspinlock/RqSpinLock.tla, whose
 * header names the commits and the trees each version was read in). Each
 * version is the code of a kernel release as far as the modeled paths go;
 * what each one changes is a feature method below, named as in the spec:
 *
 * <table>
 * <caption>What each version does</caption>
 * <tr><th>aspect</th><th>{@link #V6_15}</th><th>{@link #V6_17}</th><th>{@link #V6_19}</th>
 *     <th>{@link #V7_0}</th><th>{@link #V7_2}</th></tr>
 * <tr><td>held-lock entry pushed ({@code grab_held_lock_entry}; {@link #earlyEntry})</td>
 *     <td colspan="2">after the fast-path CAS succeeds, or inside the slow path</td>
 *     <td colspan="3">before the fast-path CAS (beb7021a6003)</td></tr>
 * <tr><td>unlock order ({@code res_spin_unlock})</td>
 *     <td colspan="2">pop the table entry, then release the lock word</td>
 *     <td colspan="3">release the lock word, then pop the table entry</td></tr>
 * <tr><td>AA check ({@code check_deadlock_AA}; {@link #aaEarly})</td>
 *     <td colspan="2">only in {@code check_timeout}, from the call at least 1 ms after the first</td>
 *     <td colspan="3">before queueing and at the start of every waiting period (5860f5ce479f,
 *         087849cca31d)</td></tr>
 * <tr><td>no MCS node (FALLBACK)</td>
 *     <td>{@code idx >= 4}: trylock loop, timeout T</td>
 *     <td>{@code idx >= 4} or any NMI: trylock loop, timeout T (0d80e7f951be)</td>
 *     <td colspan="3">{@code idx >= 4} or an NMI with {@code idx > 0}: one trylock, then {@code -EDEADLK}
 *         (81d5a6a43859, 30dc2f7025fe)</td></tr>
 * <tr><td>queue head that detects a deadlock</td>
 *     <td colspan="2">cancels the whole queue</td>
 *     <td colspan="2">hands the head role to its successor, waiting for one if none is linked
 *         (7bd6e5ce5be6)</td>
 *     <td>the same, but without a linked successor it first tries to reset the tail and leaves if it
 *         was the tail (7a3c0289c3c8, modeled after kkdwivedi/linux dac585f6c185)</td></tr>
 * <tr><td>cancelled non-head waiter returns</td><td colspan="2">{@code -EDEADLK}</td>
 *     <td colspan="3">{@code -ETIMEDOUT}</td></tr>
 * <tr><td>TAS fallback (x86 guest with {@code virt_spin_lock_key})</td>
 *     <td colspan="2">{@code resilient_tas_spin_lock} pushes the entry</td>
 *     <td>{@code res_spin_lock} pushed it already and {@code resilient_tas_spin_lock} pushes a second
 *         one</td>
 *     <td colspan="2">only the caller pushes (82f3b142c99c)</td></tr>
 * </table>
 */
public enum Version {
    /** The algorithm as merged for Linux 6.15 (March 2025). */
    V6_15("v6.15"),
    /** 6.15 with 0d80e7f951be, the trylock fallback for every NMI (mainline 6.17, stable 6.16.y). */
    V6_17("v6.17"),
    /** The algorithm after the October-November 2025 reworks (Linux 6.19). */
    V6_19("v6.19"),
    /** 6.19 with 82f3b142c99c, the TAS fallback's entry pushed once (mainline 7.0, stable 6.18.y/6.19.y). */
    V7_0("v7.0"),
    /** 7.0 with 7a3c0289c3c8, the deadlocked head resets the tail (7.2-rc7, stable 7.1.y): the newest code read. */
    V7_2("v7.2");

    private final String spec;

    Version(String spec) {
        this.spec = spec;
    }

    /** The spec's name of the version ({@code "v6.19"}). */
    public String spec() {
        return spec;
    }

    /** The version the spec calls {@code name} ({@code v6.19}, quotes allowed), or null. */
    public static Version ofSpec(String name) {
        String n = name.replace("\"", "");
        for (Version v : values()) {
            if (v.spec.equals(n)) {
                return v;
            }
        }
        return null;
    }

    private boolean since(Version v) {
        return compareTo(v) >= 0;
    }

    /** beb7021a6003: the entry is pushed before the fast path; unlock releases, then pops. */
    public boolean earlyEntry() {
        return since(V6_19);
    }

    /** 5860f5ce479f, 087849cca31d: AA at the first check_timeout call of a wait and before queueing. */
    public boolean aaEarly() {
        return since(V6_19);
    }

    /** 0d80e7f951be: every NMI takes FALLBACK (v6.17 only; 81d5a6a43859 narrowed it). */
    public boolean nmiFallbackAlways() {
        return this == V6_17;
    }

    /** 81d5a6a43859: an NMI at idx &gt; 0 takes FALLBACK. */
    public boolean nmiFallbackNested() {
        return since(V6_19);
    }

    /** FALLBACK loops on the trylock with a timeout (until 30dc2f7025fe: one trylock, then -EDEADLK). */
    public boolean fallbackSpins() {
        return !since(V6_19);
    }

    /** 7bd6e5ce5be6: a head that sees -EDEADLK hands the queue over instead of cancelling it. */
    public boolean headHandsOver() {
        return since(V6_19);
    }

    /** "Adjust return value for queue destruction": a cancelled waiter returns -ETIMEDOUT. */
    public boolean cascadeTimedOut() {
        return since(V6_19);
    }

    /** resilient_tas_spin_lock pushes its own entry (until 82f3b142c99c). */
    public boolean tasPushesEntry() {
        return !since(V7_0);
    }

    /** 7a3c0289c3c8: the head that saw -EDEADLK without a linked successor tries to reset the tail. */
    public boolean deadlockResetsTail() {
        return since(V7_2);
    }
}
