/**
 * percpu_freelist as converted to rqspinlock in Linux 6.15
 * (kernel/bpf/percpu_freelist.c, f2ac0e5d1c4d): {@link
 * rqspin.maps.freelist.PcpuFreelist} on {@link rqspin.lock.RqSpinLock}, its
 * lock sites ({@link rqspin.maps.freelist.LockSite}), failure injection
 * ({@link rqspin.maps.freelist.FailureInjector}) and the step seam named
 * after the actions of spec/freelist/PcpuFreelist.tla
 * ({@link rqspin.maps.freelist.Step}, {@link rqspin.maps.freelist.StepHook}).
 *
 * <p>Why a package of its own: the free list is a BPF map's allocator, not a
 * map; the hashtab twin ({@code rqspin.maps.hashtab}) may use it, and it
 * needs only {@code rqspin.lock}.
 */
package rqspin.maps.freelist;
