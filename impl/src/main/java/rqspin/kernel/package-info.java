/**
 * The kernel primitives the local storage is built on, each as the kernel
 * defines it and none knowing the local storage:
 * {@link rqspin.kernel.Rcu} (vanilla RCU and RCU Tasks Trace: read-side
 * sections, {@code call_rcu}, {@code synchronize_rcu}, {@code rcu_barrier}),
 * {@link rqspin.kernel.Hlist} (the RCU hash list, {@code hlist_add_head_rcu},
 * {@code hlist_del_init_rcu}), {@link rqspin.kernel.Refcount}
 * ({@code refcount_t} with its saturation) and {@link rqspin.kernel.Freeable}
 * (memory freed through a free function and poisoned after its grace
 * period, as KASAN shows it).
 *
 * <p>Why a package of its own: these are the parts a reader of the local
 * storage takes for granted (they are not what is being checked), and they
 * depend only on the CPUs of {@code rqspin.lock}. What a debug kernel would
 * print about them (use after free, double free, list corruption, WARN) goes
 * through one interface, {@link rqspin.kernel.Sanitizer}, which the storage's
 * audit implements; the primitives never decide what a report means. Their
 * API is public because {@code rqspin.storage} uses it; bad arguments give a
 * plain {@link java.lang.IllegalArgumentException}.
 */
package rqspin.kernel;
