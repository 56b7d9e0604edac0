package rqspin.maps.kfunc;

/**
 * A call of a {@link BpfProgram} that the BPF verifier would have rejected
 * when loading the program. Thrown before anything changes: no lock was
 * attempted or released, no irq flag saved or restored.
 *
 * <p>The kinds follow kernel/bpf/verifier.c ({@code process_spin_lock}, the
 * irq flag checks, and the checks at {@code BPF_EXIT}) as of the commits
 * 0de2046137f9 and ea21771c077c; each kind's comment gives the part of the
 * verifier's message the selftests match on, where a selftest does.
 */
public final class VerifierRejection extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** What the verifier rejects. */
    public enum Kind {
        /** A lock the program already holds, taken again ("AA deadlock detected"). */
        AA_DEADLOCK,
        /** An unlock while the program holds no lock ("..._unlock without taking a lock"). */
        UNLOCK_WITHOUT_LOCK,
        /**
         * An unlock of a lock the program does not hold in that form: another lock, or the
         * {@code _irqrestore} form of a lock taken without {@code _irqsave} or the reverse
         * ("unlock of different lock").
         */
        DIFFERENT_LOCK,
        /** An unlock of a held lock that is not the most recently taken one ("cannot be out of order"). */
        OUT_OF_ORDER,
        /** A restore of an irq flag that is not the most recently saved one ("cannot restore irq state out of order"). */
        IRQ_RESTORE_OUT_OF_ORDER,
        /** A save into a flag slot that holds saved irq state already. */
        IRQ_FLAG_IN_USE,
        /** A restore from a flag slot that holds no saved irq state. */
        IRQ_FLAG_NOT_SAVED,
        /** A restore through the kfunc of the other class (bpf_local_irq_restore of a flag saved by bpf_res_spin_lock_irqsave, or the reverse). */
        IRQ_FLAG_WRONG_CLASS,
        /** A call of another kfunc (here: bpf_local_irq_save/restore) while a lock is held ("function calls are not allowed"). */
        FUNCTION_CALL_IN_LOCK,
        /** Program exit with a lock held. */
        LOCK_HELD_AT_EXIT,
        /** Program exit with irq state saved and not restored. */
        IRQ_FLAG_HELD_AT_EXIT
    }

    private final Kind kind;

    VerifierRejection(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** What was rejected. */
    public Kind kind() {
        return kind;
    }
}
