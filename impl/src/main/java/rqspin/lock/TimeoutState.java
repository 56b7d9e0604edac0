package rqspin.lock;

/**
 * {@code struct rqspinlock_timeout}: the state of one slow-path attempt's
 * waiting periods. Local to the attempt (one per call, confined to its thread).
 */
final class TimeoutState {
    /** Deadline of the current waiting period; 0 until its first check. */
    long end;
    /** Length of the current waiting period. */
    long duration;
    /** Time of the last deadlock check. */
    long cur;
    /** Spin counter amortising the checks (16 bits in the kernel). */
    int spin;
    /**
     * Not in the kernel's struct, for the {@link StepGate}: a deadlock check of
     * this waiting period came out clean (the spec's {@code ts = "checked"},
     * after which its deadline may pass).
     */
    boolean checked;
    /** Not in the kernel's struct: the step the last {@code check_timeout} call took, or null. */
    Step step;
    /** Not in the kernel's struct: the last {@code check_timeout} call announced its steps itself (a stepwise scan). */
    boolean announced;

    /** {@code RES_RESET_TIMEOUT}: new period; the deadline starts at its first check. */
    void reset(long duration) {
        this.end = 0;
        this.duration = duration;
        this.checked = false;
        this.step = null;
    }
}
