/**
 * The BPF hash map (kernel/bpf/hashtab.c, {@code BPF_MAP_TYPE_HASH} with
 * preallocated elements) as converted to rqspinlock in Linux 6.15 by
 * 4fa8d68aa53e ("bpf: Convert hashtab.c to rqspinlock"): each bucket's lock
 * is an {@link rqspin.lock.RqSpinLock}, {@code htab_lock_bucket} can fail,
 * and every caller returns that error having changed nothing. See
 * {@link rqspin.maps.hashtab.HashTab}.
 */
package rqspin.maps.hashtab;
