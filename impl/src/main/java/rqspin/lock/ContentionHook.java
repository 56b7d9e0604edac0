package rqspin.lock;

/**
 * Code attached to the {@code contention_begin} / {@code contention_end}
 * tracepoints of {@link RqSpinLock}'s slow path, as a BPF program attaches to
 * them. It runs on the contending CPU's thread, in the contending context,
 * and may take locks itself or enter a nested context with
 * {@link Cpu#runNested}: this is how AA deadlocks arise for BPF programs.
 *
 * <p>Like a BPF program's recursion guard, a hook is not re-entered within the
 * context that runs it; a nested context (e.g. an NMI entered from the hook)
 * runs it again at its own tracepoints.
 *
 * <p>A hook must not leave the CPU holding locks it took. If it throws, the
 * attempt is undone (as if it had failed; an acquired lock is released) and
 * the exception propagates to the caller of {@code lock}.
 */
public interface ContentionHook {
    /** {@code trace_contention_begin}: after the CPU took its MCS node index, before it queues. */
    void contentionBegin(Cpu cpu, RqSpinLock lock);

    /**
     * {@code trace_contention_end}: the queue path ended; {@code ret} is 0 on
     * success or the kernel's negative errno.
     */
    default void contentionEnd(Cpu cpu, RqSpinLock lock, int ret) {
    }
}
