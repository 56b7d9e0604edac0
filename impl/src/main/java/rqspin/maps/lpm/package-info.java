/**
 * The BPF longest-prefix-match trie (kernel/bpf/lpm_trie.c,
 * {@code BPF_MAP_TYPE_LPM_TRIE}) as converted to rqspinlock in Linux 6.15 by
 * 47979314c0fe ("bpf: Convert lpm_trie.c to rqspinlock"): the trie lock is an
 * {@link rqspin.lock.RqSpinLock}, and update and delete return its error
 * having changed nothing. See {@link rqspin.maps.lpm.LpmTrie}.
 */
package rqspin.maps.lpm;
