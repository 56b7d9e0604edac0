package rqspin.storage;

import java.util.concurrent.atomic.AtomicInteger;
import rqspin.kernel.Freeable;
import rqspin.kernel.Hlist;
import rqspin.kernel.Rcu;
import rqspin.lock.Cpu;
import rqspin.storage.check.Leak;
import rqspin.storage.check.Step;
import rqspin.storage.check.Violation;

/**
 * A storage element ({@code struct bpf_local_storage_elem}): the value of one
 * owner in one map. It is linked into its owner's local storage through
 * {@code snode} (the list that owns it) and into a bucket of its map through
 * {@code map_node} (an index that lets map_free find it).
 *
 * <h2>Fields, and who writes them</h2>
 * <ul>
 * <li>{@code map_node}: under the bucket's {@code b->lock}.</li>
 * <li>{@code snode}: under {@code local_storage->lock} (or before the storage
 *     is published, in {@code bpf_local_storage_alloc}).</li>
 * <li>{@code local_storage} (RCU pointer): set when linked; cleared by the
 *     teardown unlink (v3: always by destroy; final: unless map_free failed
 *     {@code local_storage->lock}).</li>
 * <li>{@code sdata.smap} (RCU pointer, also the lookup key): set at
 *     allocation; cleared by the teardown unlink (v3: with the map_node
 *     unlink, or by map_free when b->lock failed; final: after b->lock
 *     succeeded, or by map_free in any case).</li>
 * <li>{@code data}: copied at allocation; with {@code BPF_F_LOCK}, rewritten in
 *     place under the value's {@code bpf_spin_lock}.</li>
 * <li>[V3] {@code link_cnt} (atomic, starts at 2) and {@code size}.</li>
 * <li>[FINAL] {@code state} (atomic bits {@code SELEM_MAP_UNLINKED},
 *     {@code SELEM_STORAGE_UNLINKED}, {@code SELEM_TOFREE}, starts at 0).</li>
 * <li>{@code use_kmalloc_nolock}: the allocator; fixed.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * It is freed ({@code bpf_selem_free}) once, after both nodes are unlinked;
 * reclaimed after a grace period ({@code bpf_selem_free_rcu}, which runs
 * {@code bpf_obj_free_fields} if smap is still set); its special fields are
 * released exactly once, while its map is alive.
 *
 * <p>Every field access checks the poison ({@link Freeable}).
 */
public final class Selem extends Freeable {
    /** Bits of {@code selem->state} [FINAL]. */
    static final int SELEM_MAP_UNLINKED = 1;
    static final int SELEM_STORAGE_UNLINKED = 1 << 1;
    static final int SELEM_TOFREE = 1 << 2;
    static final int SELEM_UNLINKED = SELEM_MAP_UNLINKED | SELEM_STORAGE_UNLINKED;

    /**
     * {@code offsetof(struct bpf_local_storage_elem, sdata.data)} on x86-64
     * (the data starts in the second cache line): {@code elem_size} is this
     * plus the value size. Accounting unit only.
     */
    public static final int HEADER_SIZE = 72;

    static final String MAP_NODE = "map_node";
    static final String SNODE = "snode";

    final Kernel kernel;
    final Hlist.Node<Selem> mapNode = new Hlist.Node<>(this, MAP_NODE);
    final Hlist.Node<Selem> snode = new Hlist.Node<>(this, SNODE);
    private volatile LocalStorage localStorage;
    private volatile LocalStorageMap smap;
    private final byte[] data;
    /** The value's {@code struct bpf_spin_lock} (maps with a spin lock). */
    private final AtomicInteger valueLock = new AtomicInteger();
    final boolean useKmallocNolock;
    /** [V3] starts at 2; {@code atomic_dec_and_test} by the teardown unlink. */
    final AtomicInteger linkCnt;
    /** [V3] {@code smap->elem_size}, summed by destroy. */
    private final int size;
    /** [FINAL] {@code SELEM_*} bits. */
    final AtomicInteger state;
    final int nrSpecialFields;
    /** Calls of {@code bpf_obj_free_fields} on this selem (audit: at most one). */
    private final AtomicInteger fieldsFreed = new AtomicInteger();
    /** Audit only (not kernel fields): the owner and map this selem was allocated for. */
    final Owner auditOwner;
    final LocalStorageMap auditMap;
    /** Audit only (not a kernel field): a failed lock attempt concerned this object, which makes a leak of it one that P7 allows. */
    volatile boolean failureSeen;

    /** {@code bpf_selem_alloc} after the charge: smap set, state 0 / link_cnt 2, value copied. */
    Selem(Kernel kernel, LocalStorageMap smap, Owner owner, byte[] value) {
        super(kernel.audit, kernel.selemName(owner, smap));
        this.kernel = kernel;
        this.smap = smap;
        this.data = value.clone();
        this.useKmallocNolock = false;
        this.linkCnt = new AtomicInteger(2);
        this.size = smap.elemSize;
        this.state = new AtomicInteger(0);
        this.nrSpecialFields = smap.nrSpecialFields;
        this.auditOwner = owner;
        this.auditMap = smap;
        kernel.audit.allocated(this);
        kernel.allocated(this);
    }

    @Override
    public String kind() {
        return "selem";
    }

    // ------------------------------------------------------------------ fields

    /** {@code rcu_dereference(selem->local_storage)}. */
    LocalStorage localStorage() {
        use("read local_storage");
        return localStorage;
    }

    /** {@code RCU_INIT_POINTER(selem->local_storage, ls)}. */
    void setLocalStorage(LocalStorage ls) {
        use("write local_storage");
        localStorage = ls;
    }

    /** {@code rcu_dereference(SDATA(selem)->smap)}. */
    LocalStorageMap smap() {
        use("read sdata.smap");
        return smap;
    }

    /** {@code RCU_INIT_POINTER(SDATA(selem)->smap, m)}. */
    void setSmap(LocalStorageMap m) {
        use("write sdata.smap");
        smap = m;
    }

    /** [V3] {@code selem->size}. */
    int size() {
        use("read size");
        return size;
    }

    /** A copy of the value; under the value's spin lock if {@code locked}. */
    byte[] readValue(boolean locked) {
        use("read sdata.data");
        if (!locked) {
            return data.clone();
        }
        spinLockValue();
        try {
            return data.clone();
        } finally {
            valueLock.set(0);
        }
    }

    /** {@code copy_map_value_locked}: rewrite the value in place under its spin lock. */
    void copyValueLocked(byte[] value) {
        use("write sdata.data");
        spinLockValue();
        try {
            System.arraycopy(value, 0, data, 0, data.length);
        } finally {
            valueLock.set(0);
        }
    }

    private void spinLockValue() {
        while (!valueLock.compareAndSet(0, 1)) {
            Thread.yield();
        }
    }

    // ------------------------------------------------------------------ kernel functions

    /**
     * {@code bpf_obj_free_fields(smap->map.record, SDATA(selem)->data)}:
     * releases the special fields (kptrs, uptrs, ...). A second call, or one
     * after the map was freed, violates P3.
     */
    void freeFields(LocalStorageMap m, String by) {
        if (m.isFreed()) {
            kernel.audit.record(Violation.Property.P3_FREE_FIELDS_ONCE,
                    "bpf_obj_free_fields on " + name() + " after smap " + m + " was freed (" + by + ")", null);
        }
        m.access("read map.record");
        use("write sdata.data (special fields)");
        if (nrSpecialFields == 0) {
            return;
        }
        if (fieldsFreed.getAndIncrement() > 0) {
            kernel.audit.fieldsFreedTwice(this, by);
        }
        kernel.audit.fieldsReleased(nrSpecialFields);
    }

    /**
     * {@code bpf_selem_free(selem, reuse_now)}: after a vanilla RCU grace
     * period ({@code reuse_now}) or a tasks-trace one, {@link #freeRcu}
     * releases the fields if smap is still set and reclaims the memory. The
     * audit checks that the selem is on no live list (P2) and is freed once
     * (P1).
     */
    static void free(Cpu cpu, Selem x, boolean reuseNow, String by) {
        Kernel k = x.kernel;
        k.checkUnlinkedAtFree(x, by, cpu, false);
        x.queueFree(by + " on cpu" + cpu.id());
        k.rcu.call(cpu, reuseNow && !k.fixed(Fix.FREE_AFTER_TASKS_TRACE) ? Rcu.Flavor.RCU : Rcu.Flavor.TASKS_TRACE, x,
                c -> x.freeRcu(c));
    }

    /** {@code bpf_selem_free_rcu}: the grace period is over. */
    private void freeRcu(Cpu cpu) {
        kernel.step(cpu, Step.RCU_CALLBACK, this);
        try {
            LocalStorageMap m = smap; // rcu_dereference_check(..., 1): the selem is ours now
            if (m != null) {
                freeFields(m, "bpf_selem_free_rcu");
            }
            kernel.checkUnlinkedAtFree(this, "bpf_selem_free_rcu: " + name(), cpu, true);
            if (nrSpecialFields > 0 && fieldsFreed.get() == 0) {
                kernel.audit.leak(new Leak(Leak.Kind.SPECIAL_FIELDS, name(), failureSeen || auditOwner.failureSeen,
                        nrSpecialFields + " special field(s) of map " + auditMap + " never released", nrSpecialFields));
            }
            reclaim();
        } finally {
            kernel.callbackEnd(cpu, this);
        }
    }

    // ------------------------------------------------------------------ views for tests (no poison check)

    /** [FINAL] {@code selem->state} now (no access check: for tests and reports). */
    public int stateForAudit() {
        return state.get();
    }

    /** [V3] {@code link_cnt} now. */
    public int linkCntForAudit() {
        return linkCnt.get();
    }

    /** How often {@code bpf_obj_free_fields} ran on it. */
    public int fieldsFreedForAudit() {
        return fieldsFreed.get();
    }

    /** Whether {@code map_node} is hashed. */
    public boolean linkedToMapForAudit() {
        return mapNode.listForAudit() != null;
    }

    /** Whether {@code snode} is hashed. */
    public boolean linkedToStorageForAudit() {
        return snode.listForAudit() != null;
    }

    /** The index of the bucket of its map whose list holds {@code map_node} now, or -1 if unhashed. */
    public int bucketForAudit() {
        rqspin.kernel.Hlist<Selem> l = mapNode.listForAudit();
        if (l == null) {
            return -1;
        }
        for (int i = 0; i < auditMap.nBuckets(); i++) {
            if (auditMap.bucket(i).list == l) {
                return i;
            }
        }
        return -1;
    }

    /** {@code map_node.next} now (kept when the node is unhashed), or null. */
    public Selem mapNextForAudit() {
        rqspin.kernel.Hlist.Node<Selem> n = mapNode.nextForAudit();
        return n == null ? null : n.elem();
    }

    /** The local storage whose list holds {@code snode} now, or null if unhashed. */
    public LocalStorage storageListForAudit() {
        rqspin.kernel.Hlist<Selem> l = snode.listForAudit();
        return l == null ? null : (LocalStorage) l.holder();
    }

    /** {@code snode.next} now (kept when the node is unhashed), or null. */
    public Selem snodeNextForAudit() {
        rqspin.kernel.Hlist.Node<Selem> n = snode.nextForAudit();
        return n == null ? null : n.elem();
    }

    /** {@code sdata.smap} now. */
    public LocalStorageMap smapForAudit() {
        return smap;
    }

    /** {@code selem->local_storage} now. */
    public LocalStorage localStorageForAudit() {
        return localStorage;
    }

    /** The owner it was allocated for. */
    public Owner owner() {
        return auditOwner;
    }

    /** The map it was allocated for. */
    public LocalStorageMap map() {
        return auditMap;
    }

    /** The special fields (kptrs and the like) of its value. */
    public int specialFields() {
        return nrSpecialFields;
    }

    /** Whether a failed lock attempt concerned it (what makes a leak one that P7 allows); audit only. */
    public boolean failureSeen() {
        return failureSeen;
    }

    /** An access to this selem by the code of another class of the local storage (see {@link Freeable#use}). */
    void access(String what) {
        use(what);
    }
}
