package rqspin.maps.hashtab;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;
import rqspin.maps.kfunc.BadMapInputException;
import rqspin.maps.kfunc.CriticalSectionHook;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;
import rqspin.maps.kfunc.ResSpinLock;

/**
 * {@code BPF_MAP_TYPE_HASH} with preallocated elements (kernel/bpf/hashtab.c
 * as of Linux 6.15, after 4fa8d68aa53e "bpf: Convert hashtab.c to
 * rqspinlock"), on {@link RqSpinLock} bucket locks.
 *
 * <h2>State</h2>
 * <ul>
 * <li>{@code n_buckets} = max_entries rounded up to a power of two buckets,
 *     each an RCU {@code hlist_nulls} list (the end of the list names its
 *     bucket) and a {@code raw_lock}, an rqspinlock.</li>
 * <li>max_entries + nr_cpus preallocated elements ({@code prealloc_init}):
 *     at any time each is in exactly one place: in one bucket, on the free
 *     list, or in one CPU's {@code extra_elems} slot.</li>
 * <li>The free list: the kernel's is a {@code pcpu_freelist}; this one is a
 *     plain list under a Java monitor, with no failure of its own (the
 *     percpu_freelist twin, which has rqspinlocks and failure paths of its
 *     own, is a separate package). The map uses it as the kernel uses
 *     {@code __pcpu_freelist_pop} and {@code pcpu_freelist_push}.</li>
 * </ul>
 *
 * <h2>Protocol (kernel function: Java method)</h2>
 * <ul>
 * <li>{@code htab_lock_bucket} / {@code htab_unlock_bucket}:
 *     {@code raw_res_spin_lock_irqsave} / {@code raw_res_spin_unlock_irqrestore}
 *     of the bucket's lock; the lock may fail ({@code -EDEADLK},
 *     {@code -ETIMEDOUT}); each caller returns that error before changing
 *     anything. Every attempt goes through
 *     {@link ResSpinLock#lockAt} at an {@link HtabSite} named after the
 *     caller, where the {@link FailureInjector} may make it fail.</li>
 * <li>{@code htab_map_update_elem}: {@link #update}. Flags first
 *     ({@code -EINVAL}); lock; look the key up; {@code check_flags}
 *     ({@code -EEXIST}, {@code -ENOENT}); {@code alloc_htab_elem}: a
 *     replacement takes this CPU's extra element and leaves the old element
 *     in its place, an insertion pops the free list ({@code -E2BIG} when
 *     empty); link the new element at the head, unlink the old; unlock.</li>
 * <li>{@code htab_map_delete_elem}: {@link #delete}; the element goes back to
 *     the free list after the unlock ({@code free_htab_elem}).</li>
 * <li>{@code htab_map_lookup_elem}: {@link #lookup}, lockless (RCU), walking
 *     again when the walk ended in another bucket's list
 *     ({@code lookup_nulls_elem_raw}: a preallocated element can be reused,
 *     and moved to another bucket, while a reader stands on it).</li>
 * <li>{@code __htab_map_lookup_and_delete_elem}: {@link #lookupAndDelete}.</li>
 * <li>{@code __htab_map_lookup_and_delete_batch}: {@link #lookupBatch} and
 *     {@link #lookupAndDeleteBatch}.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * Checked by {@link #audit} when no operation runs: every element in exactly
 * one place; no key twice; every element in the bucket of its key; after
 * any sequence of operations, failed ones included, the map holds exactly
 * the keys that the successful operations left.
 *
 * <p>A value is stored as an immutable copy with its key, published by one
 * volatile write before the element is linked; a lookup returns a copy. The
 * kernel returns a pointer into the element, whose value a later reuse may
 * overwrite under the reader; here a reader sees a whole (key, value) pair.
 *
 * <p>The hash is a fixed function of the key bytes (the kernel's
 * {@code jhash} with {@code BPF_F_ZERO_SEED} is fixed too; this one is not
 * jhash). {@link #bucketOf} tells tests which keys share a bucket.
 */
public final class HashTab {
    /** Create a new element or update an existing one. */
    public static final long BPF_ANY = 0;
    /** Create a new element only if it did not exist. */
    public static final long BPF_NOEXIST = 1;
    /** Update an existing element. */
    public static final long BPF_EXIST = 2;
    /** Update the value under the value's bpf_spin_lock (this map's values have none: {@code -EINVAL}). */
    public static final long BPF_F_LOCK = 4;

    /** The end of a bucket's list, naming the bucket ({@code hlist_nulls}). */
    private static final class Nulls {
        final int bucket;

        Nulls(int bucket) {
            this.bucket = bucket;
        }
    }

    /** A key and its value, immutable. */
    private static final class Kv {
        final byte[] key;
        final byte[] value;

        Kv(byte[] key, byte[] value) {
            this.key = key;
            this.value = value;
        }
    }

    /** A preallocated {@code htab_elem}. */
    private static final class Elem {
        final int index;
        /** The next element, or the Nulls that ends the list. Written under the bucket lock. */
        volatile Object next;
        /** Written before the element is linked (by the CPU that took it from the free list or its extra slot). */
        volatile Kv kv;

        Elem(int index) {
            this.index = index;
        }
    }

    private static final class Bucket {
        final RqSpinLock lock;
        final Nulls nulls;
        /** The first element, or the Nulls. Written under {@link #lock}. */
        volatile Object first;

        Bucket(RqSpinLock lock, int idx) {
            this.lock = lock;
            this.nulls = new Nulls(idx);
            this.first = nulls;
        }
    }

    private final Machine machine;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final Bucket[] buckets;
    private final Elem[] elems;
    /** {@code htab->freelist}: a stand-in for the pcpu_freelist (see the class comment). */
    private final ArrayDeque<Elem> freelist = new ArrayDeque<>();
    /** {@code htab->extra_elems}: one element per CPU, touched only by that CPU. */
    private final Elem[] extraElems;
    private final FailureInjector<HtabSite> failures;
    private final Mutation mutation;
    private volatile CriticalSectionHook<HtabSite> hook;
    private volatile java.util.function.Consumer<Cpu> extraElemsWindowHook;
    /** For PreallocReuseTest: runs in a lookup standing on an element, before it reads the element's pair. */
    volatile Runnable lookupStandsOnElemHook;
    /** For PreallocReuseTest: runs in an update after the new element's pair is written, before it is linked. */
    volatile Runnable updateBeforeLinkHook;

    /**
     * A map of {@code maxEntries} preallocated elements with keys of
     * {@code keySize} and values of {@code valueSize} bytes, whose bucket
     * locks are rqspinlocks of {@code version} on {@code machine}'s CPUs.
     *
     * @throws BadMapInputException as {@code htab_map_alloc_check} refuses a size or max_entries of 0
     */
    public HashTab(Machine machine, Version version, int keySize, int valueSize, int maxEntries) {
        this(machine, version, keySize, valueSize, maxEntries, new FailureInjector<>(HtabSite.class), Mutation.NONE);
    }

    /** As above, with a failure injector and a seeded bug. */
    public HashTab(Machine machine, Version version, int keySize, int valueSize, int maxEntries,
            FailureInjector<HtabSite> failures, Mutation mutation) {
        if (machine == null || version == null || failures == null || mutation == null) {
            throw new BadMapInputException("machine, version, failures and mutation must not be null");
        }
        if (maxEntries <= 0 || keySize <= 0 || valueSize <= 0) {
            throw new BadMapInputException("htab_map_alloc_check: max_entries, key_size and value_size must be "
                    + "positive, not " + maxEntries + ", " + keySize + ", " + valueSize);
        }
        if (maxEntries > 1 << 20) {
            throw new BadMapInputException("max_entries " + maxEntries + " is over this twin's limit of 2^20");
        }
        this.machine = machine;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        int n = Integer.highestOneBit(maxEntries);
        if (n < maxEntries) {
            n <<= 1;
        }
        this.buckets = new Bucket[n];
        for (int i = 0; i < n; i++) {
            buckets[i] = new Bucket(new RqSpinLock(machine, version, "b" + i), i);
        }
        int cpus = machine.nrCpus();
        this.elems = new Elem[maxEntries + cpus];
        for (int i = 0; i < elems.length; i++) {
            elems[i] = new Elem(i);
        }
        // prealloc_init + pcpu_freelist_populate, then alloc_extra_elems pops one per CPU
        for (Elem e : elems) {
            freelist.addLast(e);
        }
        this.extraElems = new Elem[cpus];
        for (int c = 0; c < cpus; c++) {
            extraElems[c] = freelist.pollFirst();
        }
        this.failures = failures;
        this.mutation = mutation;
    }

    // ------------------------------------------------------------------ parameters

    /** The machine whose CPUs use the map. */
    public Machine machine() {
        return machine;
    }

    /** {@code key_size}. */
    public int keySize() {
        return keySize;
    }

    /** {@code value_size}. */
    public int valueSize() {
        return valueSize;
    }

    /** {@code max_entries}. */
    public int maxEntries() {
        return maxEntries;
    }

    /** {@code n_buckets}. */
    public int nBuckets() {
        return buckets.length;
    }

    /** The failure injector of the bucket locks. */
    public FailureInjector<HtabSite> failures() {
        return failures;
    }

    /** Runs {@code h} right after each bucket lock is taken (null: none). */
    public void setCriticalSectionHook(CriticalSectionHook<HtabSite> h) {
        this.hook = h;
    }

    /**
     * Runs {@code h} in {@code alloc_htab_elem} of a replacing update, between the load of this CPU's
     * {@code extra_elems} slot and the store of the old element into it (null: none): the two accesses are two
     * instructions in the kernel, and an NMI can arrive between them. For the test that shows what an NMI program
     * updating the same map there does (ExtraElemsNmiWindowTest).
     */
    public void setExtraElemsWindowHook(java.util.function.Consumer<Cpu> h) {
        this.extraElemsWindowHook = h;
    }

    /** The lock of bucket {@code idx}, for tests that hold it from outside. */
    public RqSpinLock bucketLock(int idx) {
        return buckets[idx].lock;
    }

    /**
     * The bucket of {@code key}.
     *
     * @throws BadMapInputException if the key is not of key_size bytes
     */
    public int bucketOf(byte[] key) {
        checkKey(key);
        return hash(key) & (buckets.length - 1);
    }

    // ------------------------------------------------------------------ operations

    /**
     * {@code htab_map_update_elem}.
     *
     * @return 0, or {@code -EINVAL} (unknown flags, or BPF_F_LOCK: these values have no bpf_spin_lock),
     *         {@code -EDEADLK} / {@code -ETIMEDOUT} (the bucket lock failed), {@code -EEXIST}, {@code -ENOENT},
     *         {@code -E2BIG} (no free element); on an error nothing changed
     * @throws BadMapInputException if the key or value has the wrong size; nothing changed
     */
    public int update(Cpu cpu, byte[] key, byte[] value, long flags) {
        if (Long.compareUnsigned(flags & ~BPF_F_LOCK, BPF_EXIST) > 0) {
            return MapErrno.EINVAL;
        }
        checkKey(key);
        checkValue(value);
        if ((flags & BPF_F_LOCK) != 0) {
            return MapErrno.EINVAL; // !btf_record_has_field(map->record, BPF_SPIN_LOCK)
        }
        int hash = hash(key);
        Bucket b = buckets[hash & (buckets.length - 1)];
        Elem early = null;
        if (mutation == Mutation.LOCK_FAILURE_LEAKS_ELEM) {
            early = freelistPop();
        }
        int ret = htabLockBucket(HtabSite.htab_map_update_elem, cpu, b);
        if (ret != 0) {
            return ret; // the mutant's early element is neither linked nor pushed back
        }
        try {
            Elem old = lookupElemRaw(b, key);
            ret = checkFlags(old, flags);
            if (ret != 0) {
                if (early != null) {
                    freelistPush(early);
                }
                return ret;
            }
            Elem l = allocHtabElem(cpu, old, early);
            if (l == null) {
                return MapErrno.E2BIG;
            }
            l.kv = new Kv(key.clone(), value.clone());
            Runnable h = updateBeforeLinkHook;
            if (h != null) {
                h.run();
            }
            // add the new element at the head, so that a concurrent lookup finds it before the old one
            l.next = b.first;
            b.first = l;
            if (old != null) {
                unlink(b, old);
            }
            return 0;
        } finally {
            htabUnlockBucket(cpu, b);
        }
    }

    /**
     * {@code htab_map_delete_elem}.
     *
     * @return 0, {@code -ENOENT}, or {@code -EDEADLK} / {@code -ETIMEDOUT} (nothing changed)
     * @throws BadMapInputException if the key has the wrong size
     */
    public int delete(Cpu cpu, byte[] key) {
        checkKey(key);
        Bucket b = buckets[hash(key) & (buckets.length - 1)];
        int ret = htabLockBucket(HtabSite.htab_map_delete_elem, cpu, b);
        if (ret != 0) {
            return ret;
        }
        Elem l;
        try {
            l = lookupElemRaw(b, key);
            if (l != null) {
                unlink(b, l);
            }
        } finally {
            htabUnlockBucket(cpu, b);
        }
        if (l == null) {
            return MapErrno.ENOENT;
        }
        freeHtabElem(l);
        return 0;
    }

    /**
     * {@code htab_map_lookup_elem} (lockless): a copy of the value, or null.
     *
     * @throws BadMapInputException if the key has the wrong size
     */
    public byte[] lookup(Cpu cpu, byte[] key) {
        checkKey(key);
        int idx = hash(key) & (buckets.length - 1);
        for (;;) {
            Object n = buckets[idx].first;
            while (n instanceof Elem) {
                Elem e = (Elem) n;
                Runnable h = lookupStandsOnElemHook;
                if (h != null) {
                    h.run();
                }
                Kv kv = e.kv;
                if (kv != null && Arrays.equals(kv.key, key)) {
                    return kv.value.clone();
                }
                n = e.next;
            }
            if (((Nulls) n).bucket == idx) {
                return null;
            }
            // the walk followed a reused element into another bucket's list: walk again
        }
    }

    /**
     * {@code __htab_map_lookup_and_delete_elem} ({@code BPF_MAP_LOOKUP_AND_DELETE_ELEM}).
     *
     * @param valueOut receives the value (value_size bytes) on success
     * @return 0, {@code -EINVAL} (flags other than 0: BPF_F_LOCK needs a bpf_spin_lock), {@code -ENOENT}, or
     *         {@code -EDEADLK} / {@code -ETIMEDOUT}; on an error nothing changed
     * @throws BadMapInputException if the key or valueOut has the wrong size
     */
    public int lookupAndDelete(Cpu cpu, byte[] key, byte[] valueOut, long flags) {
        if (flags != 0) {
            return MapErrno.EINVAL;
        }
        checkKey(key);
        checkValue(valueOut);
        Bucket b = buckets[hash(key) & (buckets.length - 1)];
        int ret = htabLockBucket(HtabSite.__htab_map_lookup_and_delete_elem, cpu, b);
        if (ret != 0) {
            return ret;
        }
        Elem l;
        try {
            l = lookupElemRaw(b, key);
            if (l != null) {
                System.arraycopy(l.kv.value, 0, valueOut, 0, valueSize);
                unlink(b, l);
            }
        } finally {
            htabUnlockBucket(cpu, b);
        }
        if (l == null) {
            return MapErrno.ENOENT;
        }
        freeHtabElem(l);
        return 0;
    }

    /** {@code BPF_MAP_LOOKUP_BATCH}: as {@link #lookupAndDeleteBatch}, deleting nothing. */
    public BatchResult lookupBatch(Cpu cpu, int inBatch, int count, long elemFlags, long flags, List<byte[]> keysOut,
            List<byte[]> valuesOut) {
        return batch(cpu, inBatch, count, elemFlags, flags, keysOut, valuesOut, false);
    }

    /**
     * {@code BPF_MAP_LOOKUP_AND_DELETE_BATCH} ({@code __htab_map_lookup_and_delete_batch}): from bucket
     * {@code inBatch} on (0 for the first call, else the previous call's out_batch), copies out and deletes whole
     * buckets while they fit in {@code count}. Empty buckets are passed without their lock. Returns
     * {@code -ENOENT} once the last bucket was passed, {@code -ENOSPC} if the first non-empty bucket does not fit,
     * {@code -ENOENT} at once if {@code inBatch} is past the last bucket. A failed bucket lock ends the call with
     * that error: the buckets before it were copied out and deleted (count and out_batch say so, as the kernel
     * writes them back to user space), the failing bucket and those after it are unchanged.
     *
     * @throws BadMapInputException if a list is null
     */
    public BatchResult lookupAndDeleteBatch(Cpu cpu, int inBatch, int count, long elemFlags, long flags,
            List<byte[]> keysOut, List<byte[]> valuesOut) {
        return batch(cpu, inBatch, count, elemFlags, flags, keysOut, valuesOut, true);
    }

    private BatchResult batch(Cpu cpu, int inBatch, int maxCount, long elemFlags, long flags, List<byte[]> keysOut,
            List<byte[]> valuesOut, boolean doDelete) {
        if (keysOut == null || valuesOut == null) {
            throw new BadMapInputException("keys and values must not be null");
        }
        if ((elemFlags & ~BPF_F_LOCK) != 0 || (elemFlags & BPF_F_LOCK) != 0 || flags != 0) {
            return new BatchResult(MapErrno.EINVAL, 0, inBatch);
        }
        if (maxCount == 0) {
            return new BatchResult(0, 0, inBatch);
        }
        int batch = inBatch;
        if (batch < 0 || batch >= buckets.length) {
            return new BatchResult(MapErrno.ENOENT, 0, inBatch);
        }
        int total = 0;
        int ret = 0;
        for (;;) {
            Bucket b = buckets[batch];
            int bucketCnt = countElems(b);
            if (bucketCnt > 0) {
                ret = htabLockBucket(HtabSite.__htab_map_lookup_and_delete_batch, cpu, b);
                if (ret != 0) {
                    break;
                }
                List<Elem> toFree = new ArrayList<>();
                try {
                    bucketCnt = countElems(b); // again, under the lock
                    if (bucketCnt > maxCount - total) {
                        if (total == 0) {
                            ret = MapErrno.ENOSPC;
                        }
                        break;
                    }
                    for (Object n = b.first; n instanceof Elem; n = ((Elem) n).next) {
                        Elem l = (Elem) n;
                        Kv kv = l.kv;
                        keysOut.add(kv.key.clone());
                        valuesOut.add(kv.value.clone());
                        if (doDelete) {
                            toFree.add(l);
                        }
                    }
                    for (Elem l : toFree) {
                        unlink(b, l);
                    }
                } finally {
                    htabUnlockBucket(cpu, b);
                }
                for (Elem l : toFree) {
                    freeHtabElem(l);
                }
            }
            total += bucketCnt;
            batch++;
            if (batch >= buckets.length) {
                ret = MapErrno.ENOENT;
                break;
            }
        }
        return new BatchResult(ret, total, batch);
    }

    // ------------------------------------------------------------------ inspection (quiescent)

    /** The number of elements in the buckets (walked without locks: exact when no operation runs). */
    public int size() {
        int n = 0;
        for (Bucket b : buckets) {
            n += countElems(b);
        }
        return n;
    }

    /** The number of elements on the free list. */
    public synchronized int freeCount() {
        return freelist.size();
    }

    /**
     * Checks the invariants when no operation runs: every preallocated element in exactly one place (a bucket,
     * the free list, a CPU's extra slot), no key in two elements, every element in its key's bucket.
     *
     * @return the violations, one line each; empty when all hold
     */
    public List<String> audit() {
        List<String> v = new ArrayList<>();
        Map<Elem, String> where = new IdentityHashMap<>();
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < buckets.length; i++) {
            int steps = 0;
            Object n = buckets[i].first;
            while (n instanceof Elem) {
                Elem e = (Elem) n;
                place(where, e, "bucket " + i, v);
                byte[] k = e.kv.key;
                if ((hash(k) & (buckets.length - 1)) != i) {
                    v.add("element " + e.index + " with key " + Arrays.toString(k) + " is in bucket " + i
                            + ", its key's bucket is " + (hash(k) & (buckets.length - 1)));
                }
                for (byte[] other : keys) {
                    if (Arrays.equals(other, k)) {
                        v.add("key " + Arrays.toString(k) + " is in two elements (duplicated)");
                    }
                }
                keys.add(k);
                n = e.next;
                if (++steps > elems.length) {
                    v.add("bucket " + i + "'s list has a cycle");
                    break;
                }
            }
            if (n instanceof Nulls && ((Nulls) n).bucket != i) {
                v.add("bucket " + i + "'s list ends in bucket " + ((Nulls) n).bucket + "'s nulls");
            }
        }
        synchronized (this) {
            for (Elem e : freelist) {
                place(where, e, "the free list", v);
            }
        }
        for (int c = 0; c < extraElems.length; c++) {
            if (extraElems[c] == null) {
                v.add("cpu" + c + "'s extra element slot is empty");
            } else {
                place(where, extraElems[c], "cpu" + c + "'s extra slot", v);
            }
        }
        for (Elem e : elems) {
            if (!where.containsKey(e)) {
                v.add("element " + e.index + " is lost: in no bucket, not on the free list, in no extra slot");
            }
        }
        return v;
    }

    private static void place(Map<Elem, String> where, Elem e, String p, List<String> v) {
        String before = where.put(e, p);
        if (before != null) {
            v.add("element " + e.index + " is in " + before + " and in " + p);
        }
    }

    // ------------------------------------------------------------------ internals

    /** {@code htab_lock_bucket}: 0, or the lock's error (nothing held). */
    private int htabLockBucket(HtabSite site, Cpu cpu, Bucket b) {
        int ret = ResSpinLock.lockAt(failures, site, cpu, b.lock);
        if (ret == 0) {
            CriticalSectionHook<HtabSite> h = hook;
            if (h != null) {
                try {
                    h.inCriticalSection(site, cpu);
                } catch (RuntimeException | Error e) {
                    b.lock.unlock(cpu);
                    throw e;
                }
            }
        }
        return ret;
    }

    /** {@code htab_unlock_bucket}. */
    private static void htabUnlockBucket(Cpu cpu, Bucket b) {
        b.lock.unlock(cpu);
    }

    /** {@code lookup_elem_raw}, under the bucket lock. */
    private static Elem lookupElemRaw(Bucket b, byte[] key) {
        for (Object n = b.first; n instanceof Elem; n = ((Elem) n).next) {
            Elem e = (Elem) n;
            if (Arrays.equals(e.kv.key, key)) {
                return e;
            }
        }
        return null;
    }

    /** {@code check_flags}. */
    private static int checkFlags(Elem old, long flags) {
        if (old != null && flags == BPF_NOEXIST) {
            return MapErrno.EEXIST;
        }
        if (old == null && flags == BPF_EXIST) {
            return MapErrno.ENOENT;
        }
        return 0;
    }

    /**
     * {@code alloc_htab_elem} for a preallocated map, under the bucket lock: a replacement takes this CPU's
     * extra element and leaves the old one in its place; an insertion pops the free list. Null: the free list
     * is empty ({@code -E2BIG}).
     */
    private Elem allocHtabElem(Cpu cpu, Elem old, Elem early) {
        if (early != null) {
            if (old == null) {
                return early; // the mutant popped it before the lock
            }
            freelistPush(early);
        }
        if (old != null && mutation != Mutation.UPDATE_DROPS_OLD_ELEM) {
            Elem l = extraElems[cpu.id()]; // l_new = *pl_new
            java.util.function.Consumer<Cpu> w = extraElemsWindowHook;
            if (w != null) {
                w.accept(cpu);
            }
            extraElems[cpu.id()] = old; // *pl_new = old_elem
            return l;
        }
        return freelistPop();
    }

    /** {@code hlist_nulls_del_rcu}: the element's own next stays, for readers standing on it. */
    private static void unlink(Bucket b, Elem e) {
        if (b.first == e) {
            b.first = e.next;
            return;
        }
        for (Object n = b.first; n instanceof Elem; n = ((Elem) n).next) {
            Elem p = (Elem) n;
            if (p.next == e) {
                p.next = e.next;
                return;
            }
        }
        throw new IllegalStateException("element " + e.index + " is not in its bucket");
    }

    /** {@code free_htab_elem} for a preallocated map: back to the free list. */
    private void freeHtabElem(Elem l) {
        freelistPush(l);
    }

    private synchronized Elem freelistPop() {
        return freelist.pollFirst();
    }

    private synchronized void freelistPush(Elem e) {
        freelist.addFirst(e);
    }

    private static int countElems(Bucket b) {
        int n = 0;
        for (Object o = b.first; o instanceof Elem; o = ((Elem) o).next) {
            n++;
        }
        return n;
    }

    private void checkKey(byte[] key) {
        if (key == null || key.length != keySize) {
            throw new BadMapInputException("key of " + (key == null ? "null" : key.length + " bytes")
                    + ", the map's key_size is " + keySize);
        }
    }

    private void checkValue(byte[] value) {
        if (value == null || value.length != valueSize) {
            throw new BadMapInputException("value of " + (value == null ? "null" : value.length + " bytes")
                    + ", the map's value_size is " + valueSize);
        }
    }

    /** A fixed hash of the key bytes (FNV-1a, then a finalizer). */
    static int hash(byte[] key) {
        int h = 0x811C9DC5;
        for (byte x : key) {
            h = (h ^ (x & 0xff)) * 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }

    @Override
    public String toString() {
        return "HashTab[" + size() + "/" + maxEntries + " elements, " + buckets.length + " buckets]";
    }
}
