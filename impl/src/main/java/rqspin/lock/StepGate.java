package rqspin.lock;

/**
 * The seam through which a checker sees, and a scheduler controls, every
 * {@link Step} of the locks of one {@link Machine} (installed with
 * {@link Machine.Builder#stepGate}; none by default, and then each step
 * costs one test of a final field against null).
 *
 * <p>Protocol, on the thread of the CPU that takes the step:
 * <ol>
 * <li>{@link #before} just before the step's first access to shared state
 *     (the lock word, a node, a held-lock table); a scheduler may park the
 *     CPU here until it is its turn, and may run an interrupt on it from
 *     here ({@link Cpu#runNested});</li>
 * <li>the step's accesses;</li>
 * <li>exactly one of {@link #took} (the step was taken) or {@link #waiting}
 *     (one iteration of a wait found its condition false and changed
 *     nothing a spec step would change: a stutter).</li>
 * </ol>
 * Between {@code took}/{@code waiting} and the next {@code before} the CPU
 * touches nothing another CPU reads, so the state seen in {@code took} is
 * the state after the step, and the steps of all CPUs, taken between
 * {@code before} and {@code took} under one lock or one at a time, form a
 * linearization of the run. {@link #failing} marks the step that decides
 * an attempt's failure, {@link #returned} the end of each
 * {@code res_spin_lock}. Implementations must not call back into the locks.
 */
public interface StepGate {

    /** {@code cpu} is about to take its next step. */
    void before(Cpu cpu);

    /**
     * {@code cpu}, in its current context, took {@code step} on {@code lock}
     * (an {@link RqSpinLock} or {@link QSpinLock}; null for
     * {@link Step#interrupt}).
     */
    void took(Cpu cpu, Step step, Object lock);

    /**
     * One iteration of a wait of {@code cpu} on {@code lock} found the
     * condition false: no step. {@code until} is the step that ends the wait
     * when its condition holds; {@code timed} whether the wait measures time
     * ({@code check_timeout} runs in it), and {@code mayExpire} whether one
     * of its deadlock checks came out clean, after which (in the spec's
     * timeout rule) its deadline may pass.
     */
    void waiting(Cpu cpu, Step until, Object lock, boolean timed, boolean mayExpire);

    /**
     * The step {@code cpu} just took (its last {@link #took}) decided that
     * its attempt on {@code lock} fails, for {@code reason} (the errno
     * follows from the reason and the version): the spec's step that sets
     * the context's return value. The attempt goes on through its failure
     * exit and returns the error later ({@link #returned}).
     */
    default void failing(Cpu cpu, Object lock, FailureReason reason) {
    }

    /**
     * {@code res_spin_lock} (or {@code queued_spin_lock}) of {@code cpu} on
     * {@code lock} returns {@code ret}: 0 or the kernel's negative errno. Its
     * last step was the last {@link #took} of this CPU and context.
     */
    default void returned(Cpu cpu, Object lock, int ret) {
    }
}
