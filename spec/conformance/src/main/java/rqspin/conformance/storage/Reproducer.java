package rqspin.conformance.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import rqspin.storage.Fix;
import rqspin.storage.Protocol;
import rqspin.storage.check.MemorySafetyError;
import rqspin.storage.check.Step;

/**
 * A finding of the spec as a schedule of the Java local storage: the world
 * (protocol, what each owner has in which map at start, the processes, one
 * operation each, each on a CPU of its own) and the steps, "map_free(m1)
 * fails b->lock on x1", "the RCU callback of x1 runs", in order, run on the
 * gated CPUs. The generated reproducers
 * (spec/conformance/src/test/java/rqspin/conformance/storage/repro, written
 * by {@code spec/conform reproduce}) are made of one of these each; they read
 * as the kernel developer's "CPU0 does this, CPU1 does that".
 *
 * <p>{@link #run} plays the schedule on the merged code, or with candidate
 * fixes: every step must be one the twin takes (a version that takes
 * another way, e.g. a fixed one, stops there), and the result says what the
 * Java side's checks saw. Immutable after building; each run is independent.
 */
public final class Reproducer {
    private final String model;
    private final Protocol protocol;
    private final List<String[]> initially = new ArrayList<>();
    private final Map<String, StorageScenario.Proc> procs = new TreeMap<>();
    private final Map<String, Integer> hash = new LinkedHashMap<>();
    private final List<Fix> modelFixes = new ArrayList<>();
    private boolean preemptRcu;
    private boolean refcountTwoStep;
    private int buckets = 1;
    /** Each: {process or null, action ("RcuCallback" for a callback), object (callback), "fails" / "resched" / null}. */
    private final List<String[]> steps = new ArrayList<>();
    private boolean hang;

    private Reproducer(String model, Protocol protocol) {
        this.model = model;
        this.protocol = protocol;
    }

    /** The schedule of manifest model {@code model}, on protocol "final" or "v3". */
    public static Reproducer of(String model, String protocol) {
        return new Reproducer(model, protocol.equals("v3") ? Protocol.V3 : Protocol.FINAL);
    }

    /** Each map has {@code n} buckets, and {@code key} (a selem or an LS) hashes to bucket {@code b} (1-based). */
    public Reproducer buckets(int n, String... keyBucket) {
        buckets = n;
        for (int i = 0; i + 1 < keyBucket.length; i += 2) {
            hash.put(keyBucket[i], Integer.parseInt(keyBucket[i + 1]));
        }
        return this;
    }

    /** The kernel is built with CONFIG_PREEMPT_RCU (the model's PreemptRcu = TRUE). */
    public Reproducer preemptRcu() {
        preemptRcu = true;
        return this;
    }

    /** refcount_dec shows its 0 before it saturates (the model's RefcountTwoStep = TRUE). */
    public Reproducer refcountTwoStep() {
        refcountTwoStep = true;
        return this;
    }

    /** A model override the schedule runs with (as the model's cfg substitutes it), e.g. V3_REINIT_FREE_LIST. */
    public Reproducer with(Fix f) {
        modelFixes.add(f);
        return this;
    }

    /** At start, owner {@code owner} has selem {@code selem} in map {@code map}, in its local storage {@code storage} (linked in this order). */
    public Reproducer initially(String selem, String owner, String map, String storage) {
        initially.add(new String[] {selem, owner, map, storage});
        return this;
    }

    /** Process {@code id} runs bpf_local_storage_map_free(map). */
    public Reproducer mapFree(String id, String map) {
        return proc(id, "map_free", null, map, null, null);
    }

    /** Process {@code id} runs bpf_sk_storage_free(owner) (bpf_local_storage_destroy). */
    public Reproducer destroy(String id, String owner) {
        return proc(id, "destroy", owner, null, null, null);
    }

    /** Process {@code id} runs bpf_local_storage_update(owner, map), allocating {@code selem} (and {@code storage} if first). */
    public Reproducer update(String id, String owner, String map, String selem, String storage) {
        return proc(id, "update", owner, map, selem, storage);
    }

    /** Process {@code id} runs bpf_sk_storage_del(owner, map). */
    public Reproducer delete(String id, String owner, String map) {
        return proc(id, "delete", owner, map, null, null);
    }

    /** Process {@code id} runs bpf_local_storage_lookup(owner, map) from a non-sleepable program. */
    public Reproducer lookup(String id, String owner, String map) {
        return proc(id, "lookup", owner, map, null, null);
    }

    /** Process {@code id} runs bpf_local_storage_lookup(owner, map) from a sleepable program. */
    public Reproducer sleepableLookup(String id, String owner, String map) {
        return proc(id, "sleepable_lookup", owner, map, null, null);
    }

    private Reproducer proc(String id, String kind, String owner, String map, String selem, String storage) {
        procs.put(id, new StorageScenario.Proc(id, kind, owner, map, selem, storage));
        return this;
    }

    /** The next step: process {@code proc} takes the spec action {@code action}. */
    public Reproducer step(String proc, String action) {
        steps.add(new String[] {proc, action, null, null});
        return this;
    }

    /** The next step: process {@code proc} takes {@code action}, whose lock attempt fails (-EDEADLK or -ETIMEDOUT). */
    public Reproducer fails(String proc, String action) {
        steps.add(new String[] {proc, action, null, "fails"});
        return this;
    }

    /** The next step: map_free process {@code proc} takes MapFreeNext with need_resched() true. */
    public Reproducer resched(String proc) {
        steps.add(new String[] {proc, "MapFreeNext", null, "resched"});
        return this;
    }

    /** The next step: the RCU callback that frees {@code obj} runs (its grace period has ended). */
    public Reproducer callback(String obj) {
        steps.add(new String[] {null, "RcuCallback", obj, null});
        return this;
    }

    /** The schedule ends in a state the spec never leaves (a liveness counterexample). */
    public Reproducer thenNothingMoves() {
        hang = true;
        return this;
    }

    /**
     * What a run showed.
     *
     * @param followed   the Java twin took every step of the schedule
     * @param stoppedAt  why it did not (null when followed)
     * @param violations what the Java side's checks saw, each "Property: ..."
     * @param log        the run, one step a line, in kernel terms
     */
    public record Result(boolean followed, String stoppedAt, List<String> violations, List<String> log) {
        /** Whether the checks saw a violation of {@code property}. */
        public boolean shows(String property) {
            return violations.stream().anyMatch(v -> v.startsWith(property + ":"));
        }

        @Override
        public String toString() {
            return (followed ? "followed" : "stopped: " + stoppedAt) + "; violations: " + violations + "\n  "
                    + String.join("\n  ", log);
        }
    }

    StorageScenario scenario(List<Fix> fixes) {
        List<String> owners = new ArrayList<>();
        List<String> maps = new ArrayList<>();
        List<String> selems = new ArrayList<>();
        List<String> storages = new ArrayList<>();
        Map<String, String> sOwner = new LinkedHashMap<>();
        Map<String, String> sMap = new LinkedHashMap<>();
        Map<String, String> lsOwner = new LinkedHashMap<>();
        Map<String, String> initLs = new LinkedHashMap<>();
        List<String> init = new ArrayList<>();
        for (String[] i : initially) {
            init.add(i[0]);
            add(selems, i[0]);
            add(owners, i[1]);
            add(maps, i[2]);
            add(storages, i[3]);
            sOwner.put(i[0], i[1]);
            sMap.put(i[0], i[2]);
            lsOwner.put(i[3], i[1]);
            initLs.put(i[1], i[3]);
        }
        for (StorageScenario.Proc p : procs.values()) {
            if (p.owner() != null) {
                add(owners, p.owner());
            }
            if (p.map() != null) {
                add(maps, p.map());
            }
            if (p.selem() != null) {
                add(selems, p.selem());
                sOwner.put(p.selem(), p.owner());
                sMap.put(p.selem(), p.map());
            }
            if (p.storage() != null) {
                add(storages, p.storage());
                lsOwner.put(p.storage(), p.owner());
            }
        }
        owners.sort(null);
        maps.sort(null);
        selems.sort(null);
        storages.sort(null);
        List<Fix> all = new ArrayList<>(modelFixes);
        all.addAll(fixes);
        List<String> subs = new ArrayList<>();
        all.forEach(f -> subs.add(f.name()));
        return new StorageScenario(model, protocol, Integer.MAX_VALUE, Integer.MAX_VALUE, false, 1, 4, owners, maps,
                selems, storages, sOwner, sMap, lsOwner, init, initLs, buckets, hash, new LinkedHashMap<>(procs), all,
                subs, preemptRcu, refcountTwoStep);
    }

    private static void add(List<String> xs, String x) {
        if (x != null && !xs.contains(x)) {
            xs.add(x);
        }
    }

    /** Plays the schedule on the merged code with the candidate fixes {@code fixes} switched on. */
    public Result run(Fix... fixes) {
        StorageScenario sc = scenario(List.of(fixes));
        try (StorageWorld w = new StorageWorld(sc, StorageWorld.Variant.REAL)) {
            int n = 0;
            for (String[] st : steps) {
                n++;
                String stop = take(w, st);
                if (stop != null) {
                    return new Result(false, "step " + n + ": " + stop, w.violations(), w.log());
                }
            }
            List<String> violations = new ArrayList<>(w.violations());
            if (hang) {
                for (int c = 0; c < sc.nrProcs(); c++) {
                    if (!w.done(c) && w.enabled(c)) {
                        return new Result(false, "at the end, " + sc.procIds().get(c) + " can still take "
                                + w.at(c).action(), violations, w.log());
                    }
                }
                for (var cb : w.callbacks()) {
                    if (cb.ended()) {
                        return new Result(false, "at the end, the RCU callback of " + w.name(cb.subject())
                                + " may still run", violations, w.log());
                    }
                }
                for (int c = 0; c < sc.nrProcs(); c++) {
                    StorageScenario.Proc p = sc.proc(c);
                    if (!w.done(c) && p.teardown() && w.steps(c) > 0) {
                        violations.add("P9_TeardownTerminates: " + p + " never returns: it waits forever at "
                                + w.at(c).label() + " for " + w.waitsFor(c));
                    }
                }
                for (int c = 0; c < sc.nrProcs(); c++) {
                    if (!w.done(c) && w.escapes(c)) {
                        w.force(c);
                    }
                }
                for (String v : w.violations()) {
                    if (!violations.contains(v)) {
                        violations.add(v);
                    }
                }
            }
            violations.addAll(w.leakViolations(hang));
            return new Result(true, null, violations, w.log());
        }
    }

    /** Takes one step of the schedule; returns why the twin cannot, or null. */
    private static String take(StorageWorld w, String[] st) {
        if (st[0] == null) {
            return w.callback(st[2]).error();
        }
        int cpu = w.sc.cpuOf(st[0]);
        Step at = w.at(cpu);
        if (at == null) {
            return st[0] + " should take " + st[1] + ", but it has returned";
        }
        if (w.done(cpu) && w.cpus.slot(cpu).thrown instanceof MemorySafetyError) {
            return st[0] + " stopped at its violation";
        }
        if (!at.action().equals(st[1])) {
            return st[0] + " should take " + st[1] + ", but it is at " + at.label() + " (" + at.action() + ")";
        }
        boolean fail = "fails".equals(st[3]);
        boolean resched = "resched".equals(st[3]);
        if (!fail && !w.enabled(cpu)) {
            return st[0] + " should take " + st[1] + ", but it waits for " + w.waitsFor(cpu);
        }
        if (resched) {
            w.countResched(cpu);
        }
        return w.step(cpu, new StorageWorld.Plan(fail, resched)).error();
    }
}
