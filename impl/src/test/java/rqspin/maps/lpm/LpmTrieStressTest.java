package rqspin.maps.lpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.SpinHint;
import rqspin.lock.Version;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;

/**
 * "A failed lock returns an error and loses nothing" for the trie, on real
 * threads with random lock failures: each CPU owns the prefixes that start
 * with its two-bit number (lengths 2 to 8 of one-byte keys), so its updates,
 * deletes and lookups of its own addresses have an exact sequential model,
 * while all CPUs share one trie lock and one trie (whose intermediate nodes
 * mix their prefixes). Every return value is checked (a lock error = no
 * change); at the end the trie holds exactly the models' entries and the
 * audit is clean.
 */
class LpmTrieStressTest {
    static final int CPUS = 3;
    static final int OPS = 1500;

    static List<String> run(Mutation mu, long seed) throws InterruptedException {
        // waiters yield, so that a preempted lock holder gets to run on a busy machine
        Machine machine = Machine.builder(CPUS).spinHint(SpinHint.YIELD).build();
        FailureInjector<TrieSite> f = new FailureInjector<>(TrieSite.class);
        f.failRandomly(seed, 0.05);
        LpmTrie t = new LpmTrie(machine, Version.V6_19, 1, 1, 256, f, mu);
        List<Map<Integer, Integer>> models = new ArrayList<>();
        List<String> v = new ArrayList<>();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Thread[] ts = new Thread[CPUS];
        for (int i = 0; i < CPUS; i++) {
            Map<Integer, Integer> model = new HashMap<>(); // (len << 8 | data) -> value
            models.add(model);
            final int id = i;
            ts[i] = new Thread(() -> {
                Cpu cpu = machine.attach(id);
                try {
                    go.await(); // all CPUs start together
                    SplittableRandom r = new SplittableRandom(seed * 17 + id);
                    for (int n = 0; n < OPS; n++) {
                        int len = 2 + r.nextInt(7);
                        int data = ((id << 6) | r.nextInt(64)) & ((0xff << (8 - len)) & 0xff);
                        int key = len << 8 | data;
                        int op = r.nextInt(3);
                        String err = null;
                        if (op == 0) {
                            long flags = r.nextInt(3);
                            int val = 1 + r.nextInt(100);
                            int ret = t.update(cpu, len, new byte[] {(byte) data}, new byte[] {(byte) val}, flags);
                            boolean has = model.containsKey(key);
                            int expect = flags == LpmTrie.BPF_NOEXIST && has ? MapErrno.EEXIST
                                    : flags == LpmTrie.BPF_EXIST && !has ? MapErrno.ENOENT : 0;
                            if (ret == 0 && expect == 0) {
                                model.put(key, val);
                            } else if (ret != expect && !MapErrno.isLockError(ret)) {
                                err = "update " + data + "/" + len + " returned " + MapErrno.name(ret);
                            }
                        } else if (op == 1) {
                            int ret = t.delete(cpu, len, new byte[] {(byte) data});
                            int expect = model.containsKey(key) ? 0 : MapErrno.ENOENT;
                            if (ret == 0 && expect == 0) {
                                model.remove(key);
                            } else if (ret != expect && !MapErrno.isLockError(ret)) {
                                err = "delete " + data + "/" + len + " returned " + MapErrno.name(ret);
                            }
                        } else {
                            int addr = (id << 6) | r.nextInt(64);
                            int best = best(model, addr);
                            byte[] got = t.lookup(cpu, 8, new byte[] {(byte) addr});
                            int g = got == null ? 0 : got[0];
                            if (g != best) {
                                err = "lookup " + addr + " found " + g + ", the longest prefix holds " + best;
                            }
                        }
                        if (err != null) {
                            synchronized (v) {
                                v.add("cpu" + id + " " + err);
                            }
                        }
                    }
                } catch (Throwable e) {
                    crash.compareAndSet(null, e);
                } finally {
                    cpu.detach();
                }
            }, "cpu" + i);
        }
        for (Thread th : ts) {
            th.start();
        }
        go.countDown();
        for (Thread th : ts) {
            th.join();
        }
        if (crash.get() != null) {
            throw new AssertionError("a CPU crashed", crash.get());
        }
        int total = 0;
        for (Map<Integer, Integer> m : models) {
            total += m.size();
        }
        if (t.size() != total) {
            v.add("n_entries " + t.size() + ", the models hold " + total);
        }
        Cpu cpu = machine.attach(0);
        try {
            for (int id = 0; id < CPUS; id++) {
                for (int addr = id << 6; addr < (id + 1) << 6; addr++) {
                    byte[] got = t.lookup(cpu, 8, new byte[] {(byte) addr});
                    int g = got == null ? 0 : got[0];
                    if (g != best(models.get(id), addr)) {
                        v.add("at the end, lookup " + addr + " found " + g);
                    }
                }
            }
        } finally {
            cpu.detach();
        }
        v.addAll(t.audit());
        if (f.failures().isEmpty()) {
            v.add("no lock failure happened");
        }
        return v;
    }

    private static int best(Map<Integer, Integer> model, int addr) {
        for (int l = 8; l >= 2; l--) {
            Integer x = model.get(l << 8 | (addr & ((0xff << (8 - l)) & 0xff)));
            if (x != null) {
                return x;
            }
        }
        return 0;
    }

    @Test
    void randomLockFailuresReturnAnErrorAndLoseNothing() throws InterruptedException {
        assertEquals(List.of(), run(Mutation.NONE, 7));
    }

    @Test
    void theMutantThatForgetsToFreeIsCaught() throws InterruptedException {
        List<String> v = run(Mutation.LOCK_FAILURE_LEAKS_NODE, 7);
        assertTrue(v.stream().anyMatch(s -> s.contains("leaked")), v.toString());
    }
}
