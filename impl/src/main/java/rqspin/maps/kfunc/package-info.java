/**
 * What the BPF maps converted to rqspinlock in Linux 6.15 share, and the
 * rules the verifier enforces on BPF programs that call the
 * {@code bpf_res_spin_lock} kfuncs.
 *
 * <ul>
 * <li>{@link rqspin.maps.kfunc.FailureInjector}: makes chosen lock attempts
 *     of a map fail (by site, by count, at random with a seed, or for the
 *     next attempt of one CPU), and records every failure, injected or real.
 *     {@link rqspin.maps.kfunc.ResSpinLock#lockAt} is the one way the maps
 *     take a lock: {@code raw_res_spin_lock_irqsave}, whose error the caller
 *     returns.</li>
 * <li>{@link rqspin.maps.kfunc.BpfProgram}: {@code bpf_res_spin_lock},
 *     {@code bpf_res_spin_unlock} and their {@code _irqsave} /
 *     {@code _irqrestore} forms (kernel/bpf/rqspinlock.c, added by 97eb35f3ad42
 *     "bpf: Introduce rqspinlock kfuncs"), with the verifier's rules
 *     (kernel/bpf/verifier.c, {@code process_spin_lock} and the irq flag
 *     checks; 0de2046137f9 "bpf: Implement verifier support for rqspinlock" and
 *     ea21771c077c "bpf: Maintain FIFO property for rqspinlock unlock")
 *     checked when the call is made: a call the verifier would reject throws a
 *     {@link rqspin.maps.kfunc.VerifierRejection} before anything changes.</li>
 * </ul>
 * The maps themselves are in {@code rqspin.maps.hashtab} and
 * {@code rqspin.maps.lpm}.
 */
package rqspin.maps.kfunc;
