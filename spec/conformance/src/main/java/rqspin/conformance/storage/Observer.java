package rqspin.conformance.storage;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.function.ToIntFunction;
import rqspin.kernel.Freeable;
import rqspin.kernel.Rcu;
import rqspin.kernel.Refcount;
import rqspin.lock.RqSpinLock;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorage;
import rqspin.storage.LocalStorageMap;
import rqspin.storage.Owner;
import rqspin.storage.Protocol;
import rqspin.storage.Selem;

/**
 * The spec's variables as the Java local storage reports them: for each
 * selem, LS, owner, map and bucket the fields of its record in
 * LocalStorage.tla that the Java twin can tell faithfully (the lists and
 * their links, the pointers, state bits, link_cnt, the fields counter,
 * charges, owner_refcnt, the cache, the lock holders, what is queued or
 * freed), and the RCU readers, pending callbacks, WARNs and the number of
 * failed lock attempts. The ghosts frees and usedAfterFree, the locals and
 * gpw are left to the spec. Values are {@link Tla} as TLC prints them.
 */
final class Observer {
    private final Kernel kernel;
    private final Map<String, LocalStorageMap> maps;
    private final Map<String, Owner> owners;
    private final Map<String, Selem> selems;
    private final Map<String, LocalStorage> storages;
    private final List<String> selemIds;
    private final List<String> storageIds;
    private final int procCpus;
    private final IntFunction<String> procOfCpu;
    private final ToIntFunction<RqSpinLock> holder;
    private final IntUnaryOperator charge;

    /**
     * @param selemIds   the selems to report (null: every one allocated so far); one not yet allocated is reported
     *                   as the spec's NoSelem
     * @param storageIds the same for local storages
     * @param procCpus   the CPUs that run processes (0 .. procCpus-1)
     * @param procOfCpu  the process a CPU runs now
     * @param holder     the CPU that holds a lock across steps, or -1
     * @param charge     a charge in the spec's units, from bytes
     */
    Observer(Kernel kernel, Map<String, LocalStorageMap> maps, Map<String, Owner> owners, Map<String, Selem> selems,
             Map<String, LocalStorage> storages, List<String> selemIds, List<String> storageIds, int procCpus,
             IntFunction<String> procOfCpu, ToIntFunction<RqSpinLock> holder, IntUnaryOperator charge) {
        this.kernel = kernel;
        this.maps = maps;
        this.owners = owners;
        this.selems = selems;
        this.storages = storages;
        this.selemIds = selemIds;
        this.storageIds = storageIds;
        this.procCpus = procCpus;
        this.procOfCpu = procOfCpu;
        this.holder = holder;
        this.charge = charge;
    }

    static Tla nameOrNull(Freeable f) {
        return Tla.str(f == null ? "null" : f.name());
    }

    static String life(Freeable f) {
        return f.isFreed() ? "freed" : f.isPendingFree() ? "queued" : "live";
    }

    /** owner_refcnt as the spec has it (v3: 0; saturated: the spec's SATURATED, 1000). */
    int refcnt(LocalStorage l) {
        if (l == null || kernel.protocol() == Protocol.V3) {
            return 0;
        }
        int r = l.ownerRefcntForAudit();
        return r == Refcount.SATURATED || r < 0 ? 1000 : r;
    }

    private Tla procsOf(Set<Integer> cpuIds) {
        List<Tla> out = new ArrayList<>();
        for (int c : cpuIds) {
            out.add(Tla.str(procOfCpu.apply(c)));
        }
        return Tla.set(out);
    }

    private Tla holderOf(RqSpinLock lock) {
        int h = holder.applyAsInt(lock);
        return Tla.str(h < 0 ? "null" : procOfCpu.apply(h));
    }

    /** The variables now. */
    Map<String, Tla> observe() {
        Map<String, Tla> o = new LinkedHashMap<>();
        boolean v3 = kernel.protocol() == Protocol.V3;
        Map<String, Tla> sel = new LinkedHashMap<>();
        for (String id : selemIds != null ? selemIds : new ArrayList<>(new java.util.TreeSet<>(selems.keySet()))) {
            Selem x = selems.get(id);
            Map<String, Tla> r = new LinkedHashMap<>();
            if (x == null) {
                r.put("st", Tla.str("none"));
                r.put("smap", Tla.str("null"));
                r.put("ls", Tla.str("null"));
                r.put("inB", Tla.num(0));
                r.put("mnext", Tla.str("null"));
                r.put("inL", Tla.str("null"));
                r.put("lnext", Tla.str("null"));
                r.put("cnt", Tla.num(0));
                r.put("bits", Tla.set(List.of()));
                r.put("fields", Tla.num(0));
            } else {
                r.put("st", Tla.str(life(x)));
                r.put("smap", nameOrNull(x.smapForAudit()));
                r.put("ls", nameOrNull(x.localStorageForAudit()));
                r.put("inB", Tla.num(x.bucketForAudit() + 1));
                r.put("mnext", nameOrNull(x.mapNextForAudit()));
                r.put("inL", nameOrNull(x.storageListForAudit()));
                r.put("lnext", nameOrNull(x.snodeNextForAudit()));
                r.put("cnt", Tla.num(v3 ? Math.max(-1, x.linkCntForAudit()) : 0));
                List<Tla> bits = new ArrayList<>();
                int st = v3 ? 0 : x.stateForAudit();
                if ((st & 1) != 0) {
                    bits.add(Tla.str("SELEM_MAP_UNLINKED"));
                }
                if ((st & 2) != 0) {
                    bits.add(Tla.str("SELEM_STORAGE_UNLINKED"));
                }
                if ((st & 4) != 0) {
                    bits.add(Tla.str("SELEM_TOFREE"));
                }
                r.put("bits", Tla.set(bits));
                r.put("fields", Tla.num(Math.min(2, x.fieldsFreedForAudit())));
            }
            sel.put(id, Tla.record(r));
        }
        o.put("sel", Tla.record(sel));
        Map<String, Tla> lsv = new LinkedHashMap<>();
        for (String id : storageIds != null ? storageIds : new ArrayList<>(new java.util.TreeSet<>(storages.keySet()))) {
            LocalStorage l = storages.get(id);
            Map<String, Tla> r = new LinkedHashMap<>();
            Map<String, Tla> cache = new LinkedHashMap<>();
            for (Map.Entry<String, LocalStorageMap> m : maps.entrySet()) {
                cache.put(m.getKey(), l == null ? Tla.str("null") : nameOrNull(l.cacheForAudit(m.getValue().cacheIdxForAudit())));
            }
            if (l == null) {
                r.put("st", Tla.str("none"));
                r.put("owner", Tla.str("null"));
                r.put("first", Tla.str("null"));
                r.put("lock", Tla.str("null"));
                r.put("cache", Tla.record(cache));
                r.put("charge", Tla.num(0));
                r.put("refcnt", Tla.num(0));
            } else {
                List<Selem> list = l.selemsForAudit();
                r.put("st", Tla.str(life(l)));
                r.put("owner", nameOrNull(l.ownerForAudit()));
                r.put("first", nameOrNull(list.isEmpty() ? null : list.get(0)));
                r.put("lock", holderOf(l.lockForAudit()));
                r.put("cache", Tla.record(cache));
                r.put("charge", Tla.num(v3 ? 0 : charge.applyAsInt(l.memChargeForAudit())));
                r.put("refcnt", Tla.num(refcnt(l)));
            }
            lsv.put(id, Tla.record(r));
        }
        o.put("lsv", Tla.record(lsv));
        Map<String, Tla> own = new LinkedHashMap<>();
        for (Map.Entry<String, Owner> e : owners.entrySet()) {
            Owner w = e.getValue();
            Map<String, Tla> r = new LinkedHashMap<>();
            r.put("st", Tla.str(w.isFreed() ? "freed" : w.isDestroyed() ? "dying" : "alive"));
            r.put("storage", nameOrNull(w.storageForAudit()));
            r.put("omem", Tla.num(charge.applyAsInt(w.charged())));
            own.put(e.getKey(), Tla.record(r));
        }
        o.put("own", Tla.record(own));
        Map<String, Tla> bkt = new LinkedHashMap<>();
        Map<String, Tla> smapSt = new LinkedHashMap<>();
        for (Map.Entry<String, LocalStorageMap> e : maps.entrySet()) {
            LocalStorageMap m = e.getValue();
            List<Tla> bs = new ArrayList<>();
            for (int b = 0; b < m.nBuckets(); b++) {
                List<Selem> list = m.bucketForAudit(b);
                Map<String, Tla> r = new LinkedHashMap<>();
                r.put("first", nameOrNull(list.isEmpty() ? null : list.get(0)));
                r.put("lock", holderOf(m.bucketLockForAudit(b)));
                bs.add(Tla.record(r));
            }
            bkt.put(e.getKey(), Tla.tuple(bs));
            smapSt.put(e.getKey(), Tla.str(m.isFreed() ? "freed" : "live"));
        }
        o.put("bkt", Tla.record(bkt));
        o.put("smapSt", Tla.record(smapSt));
        Set<Integer> rd = new java.util.TreeSet<>();
        Set<Integer> tr = new java.util.TreeSet<>();
        for (int c = 0; c < procCpus; c++) {
            if (kernel.rcu().readerForAudit(c)) {
                rd.add(c);
            }
            if (kernel.rcu().traceReaderForAudit(c)) {
                tr.add(c);
            }
        }
        o.put("readers", procsOf(rd));
        o.put("traceReaders", procsOf(tr));
        List<Tla> cbs = new ArrayList<>();
        for (Rcu.Pending c : kernel.rcu().pendingForAudit()) {
            Map<String, Tla> r = new LinkedHashMap<>();
            r.put("kind", Tla.str(c.subject() instanceof Selem ? "selem" : "storage"));
            r.put("obj", Tla.str(((Freeable) c.subject()).name()));
            r.put("wait", procsOf(c.waitsFor()));
            cbs.add(Tla.record(r));
        }
        o.put("cbs", Tla.set(cbs));
        List<Tla> warns = new ArrayList<>();
        kernel.audit().warns().keySet().forEach(w -> warns.add(Tla.str(w)));
        o.put("warns", Tla.set(warns));
        o.put("nfails", Tla.num(kernel.failures().failureCount()));
        return o;
    }

    /** The spec's name of a lock (BName, LName: "b->lock m1[1]", "local_storage->lock ls1"), or "none". */
    String lockName(RqSpinLock l) {
        if (l == null) {
            return "none";
        }
        for (Map.Entry<String, LocalStorageMap> e : maps.entrySet()) {
            for (int b = 0; b < e.getValue().nBuckets(); b++) {
                if (e.getValue().bucketLockForAudit(b) == l) {
                    return "b->lock " + e.getKey() + "[" + (b + 1) + "]";
                }
            }
        }
        for (LocalStorage ls : storages.values()) {
            if (ls.lockForAudit() == l) {
                return "local_storage->lock " + ls.name();
            }
        }
        return l.name();
    }
}
