package rqspin.maps.kfunc;

/**
 * Seeded bugs of {@link BpfProgram}'s verifier checks, each a check left
 * out; package-private: only the tests of this package build a mutated
 * program (ResSpinLockFailMutantsTest shows each caught).
 */
enum KfuncMutation {
    /** The checks as the verifier makes them. */
    NONE,
    /** A lock the program holds may be taken again. */
    NO_AA_CHECK,
    /** An unlock need not be of the most recent lock (no FIFO rule). */
    NO_FIFO_CHECK,
    /** An unlock may be of a lock held in the other form, or of a lock not held while another is. */
    NO_DIFFERENT_LOCK_CHECK,
    /** An irq flag may be restored out of order. */
    NO_IRQ_ORDER_CHECK,
    /** Exit is allowed with a lock held or irq state saved. */
    NO_EXIT_CHECK
}
