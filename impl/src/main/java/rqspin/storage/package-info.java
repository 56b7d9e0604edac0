/**
 * BPF local storage (kernel/bpf/bpf_local_storage.c) in Java, on
 * {@link rqspin.lock.RqSpinLock}: owners ({@link rqspin.storage.Owner}),
 * their local storages ({@link rqspin.storage.LocalStorage}), maps with
 * buckets ({@link rqspin.storage.LocalStorageMap}) and storage elements
 * ({@link rqspin.storage.Selem}); update, lookup, delete, map_free and
 * destroy under both teardown protocols ({@link rqspin.storage.Protocol}),
 * all created through a {@link rqspin.storage.Kernel}. Names follow
 * spec/localstorage/LocalStorage.tla and the kernel functions.
 *
 * <p>The package holds the protocol and nothing else: the kernel primitives
 * it uses (RCU, the RCU hash list, {@code refcount_t}, poisoned memory) are
 * in {@code rqspin.kernel}, and the machinery that checks it (audit, failure
 * injection, steps and tracer, seeded bugs) in
 * {@code rqspin.storage.check}. Every lock attempt of the storage goes
 * through one helper, {@code CriticalSection.locked}: "take this lock at
 * this site, run the body, or record the failure".
 */
package rqspin.storage;
