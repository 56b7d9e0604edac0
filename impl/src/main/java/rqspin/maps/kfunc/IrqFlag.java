package rqspin.maps.kfunc;

/**
 * An irq flag slot on a BPF program's stack ({@code unsigned long flags}),
 * written by {@code bpf_res_spin_lock_irqsave} or {@code bpf_local_irq_save}
 * and read back by the matching restore. Belongs to one {@link BpfProgram}
 * run; the verifier tracks which kfunc class saved it and in which order.
 */
public final class IrqFlag {
    /** Which kfunc saved the state in the slot. */
    enum Saver {
        /** bpf_res_spin_lock_irqsave. */
        RES_LOCK,
        /** bpf_local_irq_save. */
        LOCAL_IRQ
    }

    private final String name;
    /** null: no saved state in the slot. */
    Saver saver;

    /** A fresh slot; {@code name} is for messages ("flags1"). */
    public IrqFlag(String name) {
        this.name = name == null ? "flags" : name;
    }

    /** Whether the slot holds saved irq state now. */
    public boolean isSaved() {
        return saver != null;
    }

    @Override
    public String toString() {
        return name;
    }
}
