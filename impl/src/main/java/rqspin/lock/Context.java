package rqspin.lock;

/**
 * The execution context of a CPU, innermost first in {@link Cpu#context()}.
 * A context can only be interrupted by a higher one; NMIs may nest in NMIs
 * (the kernel allows for that on some architectures, which is why a fifth
 * MCS node can be needed). The kernel has one MCS node per context level,
 * four per CPU.
 */
public enum Context {
    /** Process context; every CPU starts here. */
    TASK,
    /** Softirq (bottom half). */
    SOFTIRQ,
    /** Hard interrupt handler. */
    HARDIRQ,
    /** Non-maskable interrupt: {@code in_nmi()} is true. */
    NMI;

    /** Whether this context may interrupt {@code current}. */
    boolean mayInterrupt(Context current) {
        return ordinal() > current.ordinal() || (this == NMI && current == NMI);
    }
}
