package rqspin.maps.lpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.kfunc.BadMapInputException;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;

/** The LPM trie: longest prefix match, flags, bad input, lock failures, AA in an NMI, random runs against a model. */
class LpmTrieTest {
    private final Machine machine = Machine.of(2);
    private final Cpu cpu = machine.attach();

    @AfterEach
    void detach() {
        cpu.detach();
    }

    static byte[] ip(int a, int b, int c, int d) {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d};
    }

    static byte[] v(int x) {
        return new byte[] {(byte) x};
    }

    private LpmTrie trie(int max, FailureInjector<TrieSite> f, Mutation mu) {
        return new LpmTrie(machine, Version.V6_15, 4, 1, max, f, mu);
    }

    private int look(LpmTrie t, byte[] addr) {
        byte[] r = t.lookup(cpu, 32, addr);
        return r == null ? 0 : r[0];
    }

    @Test
    void longestPrefixMatch() {
        LpmTrie t = trie(8, new FailureInjector<>(TrieSite.class), Mutation.NONE);
        assertEquals(0, t.update(cpu, 16, ip(192, 168, 0, 0), v(16), LpmTrie.BPF_ANY));
        assertEquals(0, t.update(cpu, 24, ip(192, 168, 1, 0), v(24), LpmTrie.BPF_ANY));
        assertEquals(0, t.update(cpu, 24, ip(192, 168, 128, 0), v(25), LpmTrie.BPF_ANY)); // an intermediate node
        assertEquals(0, t.update(cpu, 8, ip(10, 0, 0, 0), v(8), LpmTrie.BPF_ANY));
        assertEquals(0, t.update(cpu, 32, ip(192, 168, 1, 7), v(32), LpmTrie.BPF_ANY));
        assertEquals(24, look(t, ip(192, 168, 1, 5)));
        assertEquals(32, look(t, ip(192, 168, 1, 7)));
        assertEquals(25, look(t, ip(192, 168, 128, 9)));
        assertEquals(16, look(t, ip(192, 168, 2, 1)));
        assertEquals(8, look(t, ip(10, 1, 2, 3)));
        assertEquals(0, look(t, ip(11, 0, 0, 1)));
        assertEquals(16, t.lookup(cpu, 20, ip(192, 168, 1, 7))[0], "a /20 key matches up to /20 only");
        assertEquals(5, t.size());
        assertEquals(List.of(), t.audit());
        // deletes: a node with two children becomes intermediate; a leaf takes its intermediate parent along
        assertEquals(0, t.delete(cpu, 24, ip(192, 168, 1, 0)));
        assertEquals(16, look(t, ip(192, 168, 1, 5)));
        assertEquals(32, look(t, ip(192, 168, 1, 7)));
        assertEquals(MapErrno.ENOENT, t.delete(cpu, 24, ip(192, 168, 1, 0)));
        assertEquals(0, t.delete(cpu, 24, ip(192, 168, 128, 0)));
        assertEquals(0, t.delete(cpu, 16, ip(192, 168, 0, 0)));
        assertEquals(32, look(t, ip(192, 168, 1, 7)));
        assertEquals(0, look(t, ip(192, 168, 2, 1)));
        assertEquals(2, t.size());
        assertEquals(List.of(), t.audit());
    }

    @Test
    void flagsFullTrieAndBadInput() {
        LpmTrie t = trie(2, new FailureInjector<>(TrieSite.class), Mutation.NONE);
        assertEquals(MapErrno.EINVAL, t.update(cpu, 8, ip(10, 0, 0, 0), v(1), 3));
        assertEquals(MapErrno.EINVAL, t.update(cpu, 33, ip(10, 0, 0, 0), v(1), 0));
        assertEquals(MapErrno.EINVAL, t.delete(cpu, 33, ip(10, 0, 0, 0)));
        assertNull(t.lookup(cpu, 33, ip(10, 0, 0, 0)));
        assertEquals(MapErrno.ENOENT, t.update(cpu, 8, ip(10, 0, 0, 0), v(1), LpmTrie.BPF_EXIST));
        assertEquals(0, t.update(cpu, 8, ip(10, 0, 0, 0), v(1), LpmTrie.BPF_NOEXIST));
        assertEquals(MapErrno.EEXIST, t.update(cpu, 8, ip(10, 0, 0, 0), v(2), LpmTrie.BPF_NOEXIST));
        assertEquals(0, t.update(cpu, 8, ip(10, 0, 0, 0), v(3), LpmTrie.BPF_EXIST));
        assertEquals(0, t.update(cpu, 16, ip(10, 1, 0, 0), v(4), LpmTrie.BPF_ANY));
        assertEquals(MapErrno.ENOSPC, t.update(cpu, 16, ip(10, 2, 0, 0), v(5), LpmTrie.BPF_ANY));
        assertEquals(0, t.update(cpu, 16, ip(10, 1, 0, 0), v(6), LpmTrie.BPF_ANY), "a full trie still replaces");
        assertThrows(BadMapInputException.class, () -> t.update(cpu, 8, new byte[3], v(1), 0));
        assertThrows(BadMapInputException.class, () -> t.update(cpu, -1, ip(1, 0, 0, 0), v(1), 0));
        assertThrows(BadMapInputException.class, () -> t.update(cpu, 8, ip(1, 0, 0, 0), new byte[2], 0));
        assertThrows(BadMapInputException.class, () -> t.delete(cpu, 8, null));
        assertThrows(BadMapInputException.class, () -> new LpmTrie(machine, Version.V6_15, 0, 1, 1));
        assertEquals(List.of("0a000000/8=3", "0a010000/16=6"), t.entries());
        assertEquals(List.of(), t.audit());
    }

    @Test
    void aFailedTrieLockReturnsTheErrorAndChangesNothing() {
        for (TrieSite site : TrieSite.values()) {
            for (Errno e : Errno.values()) {
                FailureInjector<TrieSite> f = new FailureInjector<>(TrieSite.class);
                LpmTrie t = trie(8, f, Mutation.NONE);
                t.update(cpu, 16, ip(192, 168, 0, 0), v(16), 0);
                t.update(cpu, 24, ip(192, 168, 1, 0), v(24), 0);
                List<String> before = t.entries();
                int nodes = t.allocatedNodes();
                f.failAt(site, e);
                int ret = site == TrieSite.trie_update_elem ? t.update(cpu, 24, ip(192, 168, 2, 0), v(1), 0)
                        : t.delete(cpu, 24, ip(192, 168, 1, 0));
                assertEquals(e.kernelReturn(), ret);
                assertEquals(before, t.entries());
                assertEquals(nodes, t.allocatedNodes(), "the node allocated before the lock was freed");
                assertEquals(List.of(), t.audit());
            }
        }
    }

    @Test
    void anNmiProgramUpdatingTheTrieGetsEdeadlk() {
        for (Version ver : new Version[] {Version.V6_15, Version.V6_19}) {
            LpmTrie t = new LpmTrie(machine, ver, 4, 1, 8);
            int[] nmi = new int[2];
            t.setCriticalSectionHook((site, c) -> {
                t.setCriticalSectionHook(null);
                c.runNested(Context.NMI, () -> {
                    nmi[0] = t.update(c, 8, ip(10, 0, 0, 0), v(9), 0);
                    nmi[1] = t.delete(c, 16, ip(192, 168, 0, 0));
                });
            });
            assertEquals(0, t.update(cpu, 16, ip(192, 168, 0, 0), v(16), 0));
            assertEquals(MapErrno.EDEADLK, nmi[0]);
            assertEquals(MapErrno.EDEADLK, nmi[1]);
            assertEquals(List.of("c0a80000/16=16"), t.entries());
            assertEquals(List.of(), t.audit());
            assertFalse(t.failures().failures().get(0).injected());
        }
    }

    /** The trie against a brute-force model, with random lock failures; returns the violations. */
    static List<String> randomRun(Machine machine, Cpu cpu, Mutation mu, long seed) {
        FailureInjector<TrieSite> f = new FailureInjector<>(TrieSite.class);
        f.failRandomly(seed, 0.1);
        LpmTrie t = new LpmTrie(machine, Version.V6_19, 1, 1, 12, f, mu);
        Map<Integer, Integer> model = new HashMap<>(); // (prefixlen << 8 | masked byte) -> value
        SplittableRandom r = new SplittableRandom(seed);
        List<String> v = new java.util.ArrayList<>();
        for (int i = 0; i < 3000 && v.isEmpty(); i++) {
            int len = r.nextInt(9);
            int data = r.nextInt(256) & (len == 0 ? 0 : (0xff << (8 - len)) & 0xff);
            int key = len << 8 | data;
            int op = r.nextInt(3);
            if (op == 0) {
                long flags = r.nextInt(3);
                int val = 1 + r.nextInt(100);
                int ret = t.update(cpu, len, new byte[] {(byte) data}, v(val), flags);
                boolean has = model.containsKey(key);
                int expect = flags == LpmTrie.BPF_NOEXIST && has ? MapErrno.EEXIST
                        : flags == LpmTrie.BPF_EXIST && !has ? MapErrno.ENOENT
                        : !has && model.size() == 12 ? MapErrno.ENOSPC : 0;
                if (ret == 0 && expect == 0) {
                    model.put(key, val);
                } else if (ret != expect && !MapErrno.isLockError(ret)) {
                    v.add("update " + data + "/" + len + " returned " + MapErrno.name(ret) + ", expected "
                            + MapErrno.name(expect));
                }
            } else if (op == 1) {
                int ret = t.delete(cpu, len, new byte[] {(byte) data});
                int expect = model.containsKey(key) ? 0 : MapErrno.ENOENT;
                if (ret == 0 && expect == 0) {
                    model.remove(key);
                } else if (ret != expect && !MapErrno.isLockError(ret)) {
                    v.add("delete " + data + "/" + len + " returned " + MapErrno.name(ret));
                }
            } else {
                int addr = r.nextInt(256);
                Integer best = null;
                for (int l = 8; l >= 0 && best == null; l--) {
                    best = model.get(l << 8 | (addr & (l == 0 ? 0 : (0xff << (8 - l)) & 0xff)));
                }
                byte[] got = t.lookup(cpu, 8, new byte[] {(byte) addr});
                int g = got == null ? 0 : got[0];
                if (g != (best == null ? 0 : best)) {
                    v.add("lookup " + addr + " found " + g + ", the longest prefix holds " + best);
                }
            }
            if (t.size() != model.size()) {
                v.add("n_entries " + t.size() + ", the model holds " + model.size());
            }
            if (i % 50 == 0) {
                v.addAll(t.audit());
            }
        }
        v.addAll(t.audit());
        if (f.failures().isEmpty()) {
            v.add("no failure injected");
        }
        return v;
    }

    @Test
    void randomOperationsWithRandomLockFailuresMatchTheModel() {
        for (long seed = 1; seed <= 5; seed++) {
            assertEquals(List.of(), randomRun(machine, cpu, Mutation.NONE, seed), "seed " + seed);
        }
    }

    @Test
    void theMutantThatForgetsToFreeOnALockFailureIsCaught() {
        List<String> v = randomRun(machine, cpu, Mutation.LOCK_FAILURE_LEAKS_NODE, 1);
        assertTrue(v.stream().anyMatch(s -> s.contains("leaked")), v.toString());
    }

    @Test
    void theMutantThatDropsTheReplacedNodesChildrenIsCaught() {
        List<String> v = randomRun(machine, cpu, Mutation.UPDATE_DROPS_CHILDREN, 1);
        assertFalse(v.isEmpty());
    }
}
