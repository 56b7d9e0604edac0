package rqspin.maps.lpm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
 * {@code BPF_MAP_TYPE_LPM_TRIE} (kernel/bpf/lpm_trie.c as of Linux 6.15,
 * after 47979314c0fe "bpf: Convert lpm_trie.c to rqspinlock"): a binary
 * trie of prefixes, updated under one rqspinlock ({@code trie->lock}) and
 * read without it (RCU).
 *
 * <h2>State</h2>
 * <ul>
 * <li>Nodes with a prefix length, the key bytes ({@code data_size} of them),
 *     a value, and two children; intermediate nodes ({@code
 *     LPM_TREE_NODE_FLAG_IM}) hold no value and always have two children.
 *     A child's prefix extends its parent's, by at least one bit; the bit
 *     after the parent's prefix picks the child slot.</li>
 * <li>{@code n_entries}: the nodes that are not intermediate, at most
 *     {@code max_entries}.</li>
 * <li>An allocation count standing in for {@code bpf_mem_cache_alloc} /
 *     {@code bpf_mem_cache_free}: after every operation it equals the nodes
 *     in the trie (the kernel frees a replaced node after a grace period;
 *     here the garbage collector keeps it readable, and it counts as freed
 *     at once).</li>
 * </ul>
 *
 * <h2>Protocol (kernel function: Java method)</h2>
 * <ul>
 * <li>{@code trie_update_elem}: {@link #update}. Flags and prefix length
 *     first ({@code -EINVAL}); allocate the new node; take the lock (on
 *     failure free the node and return the error); walk to the slot; then,
 *     with {@code trie_check_add_elem} ({@code -ENOENT} for BPF_EXIST,
 *     {@code -ENOSPC} when full, else {@code n_entries++}) wherever a new
 *     entry appears: fill an empty slot, replace a node of the same prefix
 *     (giving the new node its children; {@code -EEXIST} for BPF_NOEXIST if
 *     it was a real node), insert the new node above the slot's node, or
 *     insert an intermediate node with both below it.</li>
 * <li>{@code trie_delete_elem}: {@link #delete}. Prefix length first; lock;
 *     find the exact, non-intermediate node ({@code -ENOENT}); a node with two
 *     children becomes intermediate; a leaf whose parent is intermediate
 *     takes the parent with it; otherwise the node's one child (or nothing)
 *     takes its slot.</li>
 * <li>{@code trie_lookup_elem}: {@link #lookup}, lockless: the deepest
 *     non-intermediate node whose prefix matches the key.</li>
 * </ul>
 * Every lock attempt goes through {@link ResSpinLock#lockAt} at a
 * {@link TrieSite}, where the {@link FailureInjector} may make it fail.
 * {@link #audit} checks the invariants when no operation runs.
 */
public final class LpmTrie {
    /** Create a new element or update an existing one. */
    public static final long BPF_ANY = 0;
    /** Create a new element only if it did not exist. */
    public static final long BPF_NOEXIST = 1;
    /** Update an existing element. */
    public static final long BPF_EXIST = 2;

    /** {@code struct lpm_trie_node}. */
    private static final class Node {
        final int prefixlen;
        final byte[] data;
        final byte[] value; // null for an intermediate node
        /** LPM_TREE_NODE_FLAG_IM; set under the lock when a deleted node keeps two children. */
        volatile boolean im;
        volatile Node child0;
        volatile Node child1;

        Node(int prefixlen, byte[] data, byte[] value, boolean im) {
            this.prefixlen = prefixlen;
            this.data = data;
            this.value = value;
            this.im = im;
        }

        Node child(int bit) {
            return bit == 0 ? child0 : child1;
        }

        void setChild(int bit, Node n) {
            if (bit == 0) {
                child0 = n;
            } else {
                child1 = n;
            }
        }
    }

    private final Machine machine;
    private final int dataSize;
    private final int maxPrefixlen;
    private final int valueSize;
    private final int maxEntries;
    private final RqSpinLock lock;
    private final FailureInjector<TrieSite> failures;
    private final Mutation mutation;
    private volatile Node root;
    /** {@code trie->n_entries}, written under the lock. */
    private volatile int nEntries;
    /** Nodes allocated and not freed. */
    private final AtomicInteger allocated = new AtomicInteger();
    private volatile CriticalSectionHook<TrieSite> hook;

    /**
     * A trie of keys of {@code dataSize} bytes (prefixes of up to 8 * dataSize bits) and values of
     * {@code valueSize} bytes, at most {@code maxEntries} of them.
     *
     * @throws BadMapInputException as {@code trie_alloc} refuses: max_entries 0, data size outside 1..256, value
     *         size under 1
     */
    public LpmTrie(Machine machine, Version version, int dataSize, int valueSize, int maxEntries) {
        this(machine, version, dataSize, valueSize, maxEntries, new FailureInjector<>(TrieSite.class), Mutation.NONE);
    }

    /** As above, with a failure injector and a seeded bug. */
    public LpmTrie(Machine machine, Version version, int dataSize, int valueSize, int maxEntries,
            FailureInjector<TrieSite> failures, Mutation mutation) {
        if (machine == null || version == null || failures == null || mutation == null) {
            throw new BadMapInputException("machine, version, failures and mutation must not be null");
        }
        if (maxEntries <= 0 || dataSize < 1 || dataSize > 256 || valueSize < 1) {
            throw new BadMapInputException("trie_alloc: max_entries must be positive, the key's data 1 to 256 bytes "
                    + "and the value at least 1 byte, not " + maxEntries + ", " + dataSize + ", " + valueSize);
        }
        this.machine = machine;
        this.dataSize = dataSize;
        this.maxPrefixlen = 8 * dataSize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.lock = new RqSpinLock(machine, version, "trie->lock");
        this.failures = failures;
        this.mutation = mutation;
    }

    /** The machine whose CPUs use the trie. */
    public Machine machine() {
        return machine;
    }

    /** {@code max_prefixlen}: 8 bits per byte of the key's data. */
    public int maxPrefixlen() {
        return maxPrefixlen;
    }

    /** {@code trie->lock}. */
    public RqSpinLock trieLock() {
        return lock;
    }

    /** The failure injector of the trie lock. */
    public FailureInjector<TrieSite> failures() {
        return failures;
    }

    /** Runs {@code h} right after the trie lock is taken (null: none). */
    public void setCriticalSectionHook(CriticalSectionHook<TrieSite> h) {
        this.hook = h;
    }

    /** {@code n_entries}. */
    public int size() {
        return nEntries;
    }

    /** Nodes allocated and not freed (intermediate nodes included). */
    public int allocatedNodes() {
        return allocated.get();
    }

    // ------------------------------------------------------------------ operations

    /**
     * {@code trie_update_elem}: the entry ({@code prefixlen}, {@code data}) gets {@code value}.
     *
     * @return 0, or {@code -EINVAL} (flags over BPF_EXIST, prefixlen over max_prefixlen), {@code -EDEADLK} /
     *         {@code -ETIMEDOUT} (the trie lock failed), {@code -EEXIST}, {@code -ENOENT}, {@code -ENOSPC}; on an
     *         error nothing changed
     * @throws BadMapInputException if data or value has the wrong size, or prefixlen is negative
     */
    public int update(Cpu cpu, int prefixlen, byte[] data, byte[] value, long flags) {
        if (Long.compareUnsigned(flags, BPF_EXIST) > 0) {
            return MapErrno.EINVAL;
        }
        checkKey(prefixlen, data);
        if (prefixlen > maxPrefixlen) {
            return MapErrno.EINVAL;
        }
        if (value == null || value.length != valueSize) {
            throw new BadMapInputException("value of " + (value == null ? "null" : value.length + " bytes")
                    + ", the map's value_size is " + valueSize);
        }
        Node newNode = alloc(prefixlen, data.clone(), value.clone(), false);
        int ret = lockTrie(TrieSite.trie_update_elem, cpu);
        if (ret != 0) {
            if (mutation != Mutation.LOCK_FAILURE_LEAKS_NODE) {
                free(newNode); // out_free
            }
            return ret;
        }
        Node freeNode = null;
        try {
            Node parent = null;
            int slotBit = 0;
            Node node = root;
            int matchlen = 0;
            while (node != null) {
                matchlen = longestPrefixMatch(node, prefixlen, data);
                if (node.prefixlen != matchlen || node.prefixlen == prefixlen) {
                    break;
                }
                parent = node;
                slotBit = extractBit(data, node.prefixlen);
                node = node.child(slotBit);
            }
            if (node == null) {
                ret = trieCheckAddElem(flags);
                if (ret == 0) {
                    setSlot(parent, slotBit, newNode);
                }
                return ret;
            }
            if (node.prefixlen == matchlen) {
                // node.prefixlen == prefixlen: the same prefix
                if (!node.im) {
                    if (flags == BPF_NOEXIST) {
                        ret = MapErrno.EEXIST;
                        return ret;
                    }
                } else {
                    ret = trieCheckAddElem(flags);
                    if (ret != 0) {
                        return ret;
                    }
                }
                if (mutation != Mutation.UPDATE_DROPS_CHILDREN) {
                    newNode.child0 = node.child0;
                    newNode.child1 = node.child1;
                }
                setSlot(parent, slotBit, newNode);
                freeNode = node;
                return 0;
            }
            ret = trieCheckAddElem(flags);
            if (ret != 0) {
                return ret;
            }
            if (matchlen == prefixlen) {
                // the new node's prefix is a prefix of node's: insert it above
                newNode.setChild(extractBit(node.data, matchlen), node);
                setSlot(parent, slotBit, newNode);
                return 0;
            }
            Node im = alloc(matchlen, node.data.clone(), null, true);
            if (extractBit(data, matchlen) != 0) {
                im.child0 = node;
                im.child1 = newNode;
            } else {
                im.child0 = newNode;
                im.child1 = node;
            }
            setSlot(parent, slotBit, im);
            return 0;
        } finally {
            lock.unlock(cpu);
            if (ret != 0) {
                free(newNode);
            }
            if (freeNode != null) {
                free(freeNode); // bpf_mem_cache_free_rcu
            }
        }
    }

    /**
     * {@code trie_delete_elem}.
     *
     * @return 0, or {@code -EINVAL} (prefixlen over max_prefixlen), {@code -EDEADLK} / {@code -ETIMEDOUT},
     *         {@code -ENOENT}; on an error nothing changed
     * @throws BadMapInputException if data has the wrong size or prefixlen is negative
     */
    public int delete(Cpu cpu, int prefixlen, byte[] data) {
        checkKey(prefixlen, data);
        if (prefixlen > maxPrefixlen) {
            return MapErrno.EINVAL;
        }
        int ret = lockTrie(TrieSite.trie_delete_elem, cpu);
        if (ret != 0) {
            return ret;
        }
        Node freeNode = null;
        Node freeParent = null;
        try {
            // trim: the slot (parent, bit) that points to node; trim2: the slot that points to parent
            Node parent = null;
            int trimBit = 0;
            Node grandparent = null;
            int trim2Bit = 0;
            Node node = root;
            int matchlen = 0;
            while (node != null) {
                matchlen = longestPrefixMatch(node, prefixlen, data);
                if (node.prefixlen != matchlen || node.prefixlen == prefixlen) {
                    break;
                }
                grandparent = parent;
                trim2Bit = trimBit;
                parent = node;
                trimBit = extractBit(data, node.prefixlen);
                node = node.child(trimBit);
            }
            if (node == null || node.prefixlen != prefixlen || node.prefixlen != matchlen || node.im) {
                return MapErrno.ENOENT;
            }
            nEntries = nEntries - 1;
            if (node.child0 != null && node.child1 != null) {
                node.im = true;
                return 0;
            }
            if (parent != null && parent.im && node.child0 == null && node.child1 == null) {
                Node other = node == parent.child0 ? parent.child1 : parent.child0;
                setSlot(grandparent, trim2Bit, other);
                freeParent = parent;
                freeNode = node;
                return 0;
            }
            Node c = node.child0 != null ? node.child0 : node.child1;
            setSlot(parent, trimBit, c);
            freeNode = node;
            return 0;
        } finally {
            lock.unlock(cpu);
            if (freeParent != null) {
                free(freeParent);
            }
            if (freeNode != null) {
                free(freeNode);
            }
        }
    }

    /**
     * {@code trie_lookup_elem} (lockless): a copy of the value of the longest matching prefix, or null (also
     * when prefixlen is over max_prefixlen).
     *
     * @throws BadMapInputException if data has the wrong size or prefixlen is negative
     */
    public byte[] lookup(Cpu cpu, int prefixlen, byte[] data) {
        checkKey(prefixlen, data);
        if (prefixlen > maxPrefixlen) {
            return null;
        }
        Node found = null;
        for (Node node = root; node != null;) {
            int matchlen = longestPrefixMatch(node, prefixlen, data);
            if (matchlen == maxPrefixlen) {
                found = node; // a full-length node has no children, so it is never intermediate
                break;
            }
            if (matchlen < node.prefixlen) {
                break;
            }
            if (!node.im) {
                found = node;
            }
            node = node.child(extractBit(data, node.prefixlen));
        }
        if (found == null || found.value == null) {
            return null;
        }
        return found.value.clone();
    }

    // ------------------------------------------------------------------ audit

    /**
     * Checks the invariants when no operation runs: intermediate nodes have two children and no value; each
     * child's prefix extends its parent's and sits in the slot of its next bit; n_entries counts the real nodes
     * and is at most max_entries; the allocation count equals the nodes in the trie (nothing leaked, nothing
     * freed twice).
     *
     * @return the violations, one line each; empty when all hold
     */
    public List<String> audit() {
        List<String> v = new ArrayList<>();
        int[] counts = new int[2]; // nodes, real nodes
        walk(root, null, -1, v, counts, 0);
        if (counts[1] != nEntries) {
            v.add("n_entries is " + nEntries + " but the trie holds " + counts[1] + " real node(s)");
        }
        if (nEntries > maxEntries) {
            v.add("n_entries " + nEntries + " is over max_entries " + maxEntries);
        }
        if (counts[0] != allocated.get()) {
            v.add(allocated.get() + " node(s) allocated and not freed, " + counts[0] + " in the trie: "
                    + (allocated.get() > counts[0] ? "leaked" : "freed while in the trie"));
        }
        return v;
    }

    /** The entries, as "prefix/len=value[0]" strings in preorder (for tests). */
    public List<String> entries() {
        List<String> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private void collect(Node n, List<String> out) {
        if (n == null) {
            return;
        }
        if (!n.im) {
            out.add(hex(n.data) + "/" + n.prefixlen + "=" + n.value[0]);
        }
        collect(n.child0, out);
        collect(n.child1, out);
    }

    private void walk(Node n, Node parent, int bit, List<String> v, int[] counts, int depth) {
        if (n == null) {
            return;
        }
        if (depth > maxPrefixlen + 1) {
            v.add("the trie is deeper than max_prefixlen + 1: a cycle");
            return;
        }
        counts[0]++;
        if (!n.im) {
            counts[1]++;
            if (n.value == null) {
                v.add("real node " + hex(n.data) + "/" + n.prefixlen + " has no value");
            }
        } else if (n.child0 == null || n.child1 == null) {
            v.add("intermediate node " + hex(n.data) + "/" + n.prefixlen + " has fewer than two children");
        }
        if (parent != null) {
            if (n.prefixlen <= parent.prefixlen) {
                v.add("node /" + n.prefixlen + " under node /" + parent.prefixlen);
            } else if (prefixMatch(parent.data, n.data, parent.prefixlen) < parent.prefixlen
                    || extractBit(n.data, parent.prefixlen) != bit) {
                v.add("node " + hex(n.data) + "/" + n.prefixlen + " is in the wrong subtree of " + hex(parent.data)
                        + "/" + parent.prefixlen);
            }
        }
        walk(n.child0, n, 0, v, counts, depth + 1);
        walk(n.child1, n, 1, v, counts, depth + 1);
    }

    // ------------------------------------------------------------------ internals

    private int lockTrie(TrieSite site, Cpu cpu) {
        int ret = ResSpinLock.lockAt(failures, site, cpu, lock);
        if (ret == 0) {
            CriticalSectionHook<TrieSite> h = hook;
            if (h != null) {
                try {
                    h.inCriticalSection(site, cpu);
                } catch (RuntimeException | Error e) {
                    lock.unlock(cpu);
                    throw e;
                }
            }
        }
        return ret;
    }

    /** {@code trie_check_add_elem}: room for one more entry; counts it. */
    private int trieCheckAddElem(long flags) {
        if (flags == BPF_EXIST) {
            return MapErrno.ENOENT;
        }
        if (nEntries == maxEntries) {
            return MapErrno.ENOSPC;
        }
        nEntries = nEntries + 1;
        return 0;
    }

    private void setSlot(Node parent, int bit, Node n) {
        if (parent == null) {
            root = n;
        } else {
            parent.setChild(bit, n);
        }
    }

    private Node alloc(int prefixlen, byte[] data, byte[] value, boolean im) {
        allocated.incrementAndGet();
        return new Node(prefixlen, data, value, im);
    }

    private void free(Node n) {
        allocated.decrementAndGet();
    }

    /** {@code longest_prefix_match}: the bits of the key that match the node, at most both prefix lengths. */
    private int longestPrefixMatch(Node node, int prefixlen, byte[] data) {
        return prefixMatch(node.data, data, Math.min(node.prefixlen, prefixlen));
    }

    private static int prefixMatch(byte[] a, byte[] b, int limit) {
        int n = 0;
        for (int i = 0; n < limit; i++) {
            int diff = (a[i] ^ b[i]) & 0xff;
            if (diff == 0) {
                n += 8;
                continue;
            }
            n += Integer.numberOfLeadingZeros(diff) - 24;
            break;
        }
        return Math.min(n, limit);
    }

    /** {@code extract_bit}: bit {@code index} of the key, from the most significant bit of byte 0. */
    private static int extractBit(byte[] data, int index) {
        return (data[index / 8] >> (7 - index % 8)) & 1;
    }

    private void checkKey(int prefixlen, byte[] data) {
        if (data == null || data.length != dataSize) {
            throw new BadMapInputException("key data of " + (data == null ? "null" : data.length + " bytes")
                    + ", the trie's data size is " + dataSize);
        }
        if (prefixlen < 0) {
            throw new BadMapInputException("prefixlen " + prefixlen + " is negative (the kernel's is a u32)");
        }
    }

    private static String hex(byte[] d) {
        StringBuilder sb = new StringBuilder();
        for (byte b : d) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "LpmTrie[" + nEntries + " entries, " + entries() + "]";
    }
}
