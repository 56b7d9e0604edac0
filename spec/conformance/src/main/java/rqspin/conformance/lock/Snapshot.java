package rqspin.conformance.lock;

import rqspin.spec.Tla;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rqspin.lock.Cpu;
import rqspin.lock.LockWord;
import rqspin.lock.Machine;
import rqspin.lock.QSpinLock;
import rqspin.lock.RqSpinLock;

/**
 * The Java twin's state in the spec's variables: {@code lock} (each lock
 * word as (locked, pending, tail)), {@code node} and {@code count} (each
 * CPU's MCS nodes, rqnodes or qnodes) and {@code held} (each CPU's
 * held-lock table as the kernel stores it: the count and the recorded
 * slots). A slot holding NULL is an entry being popped (the V6_15 unlock
 * clears the slot a step before the count goes down): it is left out, and
 * the count with it. Taken while every CPU is parked between steps (or
 * under the recorder's token), so it is exact. Immutable.
 */
final class Snapshot {
    final Tla lock;
    final Tla node;
    final Tla count;
    final Tla held;
    /** Lock name to its (locked, pending, tail) triple, for messages: {@code (cpu0/0,1,1)}. */
    final Map<String, Integer> words;

    private Snapshot(Tla lock, Tla node, Tla count, Tla held, Map<String, Integer> words) {
        this.lock = lock;
        this.node = node;
        this.count = count;
        this.held = held;
        this.words = words;
    }

    /** The state of {@code machine} with the scenario's locks ({@code locks.get(i)} is lock i of the scenario). */
    static Snapshot of(LockScenario sc, Machine machine, List<?> locks) {
        Map<Tla, Tla> lockFn = new LinkedHashMap<>();
        Map<String, Integer> words = new LinkedHashMap<>();
        Map<Integer, String> names = new LinkedHashMap<>();
        for (int i = 0; i < locks.size(); i++) {
            Object l = locks.get(i);
            int w = l == null ? 0 : l instanceof RqSpinLock r ? r.lockWord() : ((QSpinLock) l).lockWord();
            String name = sc.locks().get(i);
            words.put(name, w);
            if (l instanceof RqSpinLock r) {
                names.put(r.id(), name);
            }
            lockFn.put(Tla.name(name), word(sc, w));
        }
        Map<Tla, Tla> nodeFn = new LinkedHashMap<>();
        Map<Tla, Tla> countFn = new LinkedHashMap<>();
        Map<Tla, Tla> heldFn = new LinkedHashMap<>();
        for (int c = 0; c < sc.nrCpus(); c++) {
            Cpu cpu = machine.cpu(c);
            Map<Tla, Tla> nodes = new LinkedHashMap<>();
            for (int i = 0; i < sc.nrNodes(); i++) {
                Map<String, Tla> n = new LinkedHashMap<>();
                n.put("locked", Tla.num(cpu.mcsNodeLocked(sc.resilient(), i)));
                n.put("next", tail(sc, cpu.mcsNodeNext(sc.resilient(), i)));
                nodes.put(Tla.num(i), Tla.record(n));
            }
            Tla cn = Tla.name(sc.cpuName(c));
            nodeFn.put(cn, Tla.function(nodes));
            countFn.put(cn, Tla.num(cpu.mcsNodeCount(sc.resilient())));
            int cnt = cpu.heldCount();
            List<Tla> slots = new ArrayList<>();
            for (int id : cpu.heldLockIds()) {
                if (id == 0) {
                    cnt--; // a NULL slot: an entry being popped
                } else {
                    String n = names.get(id);
                    slots.add(Tla.name(n != null ? n : "lock#" + id));
                }
            }
            heldFn.put(cn, Tla.tuple(List.of(Tla.num(cnt), Tla.tuple(slots))));
        }
        return new Snapshot(Tla.function(lockFn), Tla.function(nodeFn), Tla.function(countFn), Tla.function(heldFn),
                words);
    }

    private static Tla word(LockScenario sc, int w) {
        Map<String, Tla> r = new LinkedHashMap<>();
        r.put("locked", Tla.num(w & LockWord.LOCKED_MASK));
        r.put("pending", Tla.num((w & LockWord.PENDING_MASK) >>> 8));
        r.put("tail", tail(sc, w & LockWord.TAIL_MASK));
        return Tla.record(r);
    }

    private static Tla tail(LockScenario sc, int tail) {
        if (tail == 0) {
            return Tla.tuple(List.of());
        }
        int cpu = LockWord.tailCpu(tail);
        if (cpu < 0 || cpu >= sc.nrCpus()) { // a corrupted word (a seeded mutant): no node of the spec
            return Tla.str("tail " + Integer.toHexString(tail));
        }
        return Tla.tuple(List.of(Tla.name(sc.cpuName(cpu)), Tla.num(LockWord.tailIdx(tail))));
    }

    /** The spec's {@code held} view of its {@code rqh}: per CPU, the count and the first NrHeld entries. */
    static Tla heldView(LockScenario sc, Tla rqh) {
        Map<Tla, Tla> out = new LinkedHashMap<>();
        for (String c : sc.cpus()) {
            List<Tla> t = rqh.get(c).elems();
            out.put(Tla.name(c), Tla.tuple(List.of(Tla.num(t.size()),
                    Tla.tuple(t.subList(0, Math.min(sc.nrHeld(), t.size()))))));
        }
        return Tla.function(out);
    }

    /**
     * The differences from a spec state (TLC's text of each variable), in
     * the spec's terms; empty when the Java twin is in that state.
     */
    List<String> differences(LockScenario sc, Map<String, String> spec) {
        List<String> out = new ArrayList<>();
        compare("lock", lock, Tla.parse(spec.get("lock")), out);
        compare("node", node, Tla.parse(spec.get("node")), out);
        compare("count", count, Tla.parse(spec.get("count")), out);
        compare("held", held, heldView(sc, Tla.parse(spec.get("rqh"))), out);
        return out;
    }

    private static void compare(String var, Tla java, Tla spec, List<String> out) {
        if (java.equals(spec)) {
            return;
        }
        Map<String, Tla> j = java.asMap();
        Map<String, Tla> s = spec.asMap();
        for (String k : s.keySet()) {
            if (!s.get(k).equals(j.get(k))) {
                out.add(var + "[" + k + "]: spec " + s.get(k) + ", Java " + j.get(k));
            }
        }
    }

    /** The observed values for trace validation (TLA+ text). */
    Map<String, String> observed() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("lock", lock.toString());
        o.put("node", node.toString());
        o.put("count", count.toString());
        o.put("held", held.toString());
        return o;
    }

    /** The lock words in the kernel's notation, for logs: {@code A=(0,1,1) B=(cpu1/0,0,1)}. */
    String words() {
        StringBuilder b = new StringBuilder();
        words.forEach((n, w) -> b.append(b.length() == 0 ? "" : " ").append(n).append('=').append(LockWord.describe(w)));
        return b.toString();
    }
}
