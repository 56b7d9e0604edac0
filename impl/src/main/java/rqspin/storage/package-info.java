/**
 * BPF local storage (kernel/bpf/bpf_local_storage.c) in Java, on
 * {@link rqspin.lock.RqSpinLock}: owners ({@link rqspin.storage.Owner}),
 * their local storages ({@link rqspin.storage.LocalStorage}), maps with
 * buckets ({@link rqspin.storage.LocalStorageMap}) and storage elements
 * ({@link rqspin.storage.Selem}); update, lookup, delete, map_free and
 * destroy under both teardown protocols ({@link rqspin.storage.Protocol}),
 * a small RCU with poisoning ({@link rqspin.storage.Rcu}), lock-failure
 * injection ({@link rqspin.storage.FailureInjector}) and an audit of the
 * safety properties P1-P9 ({@link rqspin.storage.Audit}). Names follow
 * spec/LocalStorage.tla and the kernel functions.
 */
package rqspin.storage;
