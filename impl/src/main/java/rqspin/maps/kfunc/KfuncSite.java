package rqspin.maps.kfunc;

/** The lock sites of {@link BpfProgram}: the two kfuncs that attempt a lock. */
public enum KfuncSite {
    /** {@code bpf_res_spin_lock}. */
    bpf_res_spin_lock,
    /** {@code bpf_res_spin_lock_irqsave}. */
    bpf_res_spin_lock_irqsave
}
