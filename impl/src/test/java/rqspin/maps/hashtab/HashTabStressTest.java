package rqspin.maps.hashtab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * "A failed lock returns an error and loses nothing", under random failures
 * on real threads: each CPU works on keys of its own (which share buckets
 * with the other CPUs' keys), so each has an exact sequential model of its
 * keys; every return value is checked against it, a lock error meaning "no
 * change". At the end the map holds exactly the models' keys and values, and
 * the audit finds every preallocated element in one place.
 */
class HashTabStressTest {
    static final int CPUS = 3;
    static final int KEYS_PER_CPU = 6;
    static final int OPS = 4000;

    /** Runs the stress; returns the violations (empty: none). */
    static List<String> run(Mutation mu, long seed, double failRate) throws InterruptedException {
        // waiters yield, so that a preempted lock holder gets to run on a busy machine
        Machine machine = Machine.builder(CPUS).spinHint(SpinHint.YIELD).build();
        FailureInjector<HtabSite> f = new FailureInjector<>(HtabSite.class);
        f.failRandomly(seed, failRate);
        // 4 buckets for 18 keys: the CPUs meet on every bucket; max_entries covers all keys, so no -E2BIG
        HashTab m = new HashTab(machine, Version.V6_19, 4, 8, CPUS * KEYS_PER_CPU, f, mu);
        long[][] models = new long[CPUS][KEYS_PER_CPU]; // 0: absent
        List<String> violations = new ArrayList<>();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Thread[] ts = new Thread[CPUS];
        for (int t = 0; t < CPUS; t++) {
            final int id = t;
            ts[t] = new Thread(() -> {
                Cpu cpu = machine.attach(id);
                try {
                    go.await(); // all CPUs start together
                    SplittableRandom r = new SplittableRandom(seed * 31 + id);
                    long[] model = models[id];
                    for (int i = 0; i < OPS; i++) {
                        int k = r.nextInt(KEYS_PER_CPU);
                        byte[] key = ByteBuffer.allocate(4).putInt(id * 100 + k).array();
                        long v = 1 + r.nextInt(1000);
                        String what;
                        int ret;
                        int expect;
                        boolean change;
                        switch (r.nextInt(4)) {
                            case 0: {
                                long flags = r.nextInt(3);
                                what = "update flags " + flags;
                                ret = m.update(cpu, key, ByteBuffer.allocate(8).putLong(v).array(), flags);
                                expect = flags == HashTab.BPF_NOEXIST && model[k] != 0 ? MapErrno.EEXIST
                                        : flags == HashTab.BPF_EXIST && model[k] == 0 ? MapErrno.ENOENT : 0;
                                change = expect == 0;
                                if (ret == 0 && change) {
                                    model[k] = v;
                                }
                                break;
                            }
                            case 1:
                                what = "delete";
                                ret = m.delete(cpu, key);
                                expect = model[k] == 0 ? MapErrno.ENOENT : 0;
                                if (ret == 0) {
                                    model[k] = 0;
                                }
                                break;
                            case 2: {
                                what = "lookup_and_delete";
                                byte[] out = new byte[8];
                                ret = m.lookupAndDelete(cpu, key, out, 0);
                                expect = model[k] == 0 ? MapErrno.ENOENT : 0;
                                if (ret == 0 && ByteBuffer.wrap(out).getLong() != model[k]) {
                                    synchronized (violations) {
                                        violations.add("cpu" + id + " lookup_and_delete of key " + k + " returned "
                                                + ByteBuffer.wrap(out).getLong() + ", expected " + model[k]);
                                    }
                                }
                                if (ret == 0) {
                                    model[k] = 0;
                                }
                                break;
                            }
                            default: {
                                what = "lookup";
                                byte[] got = m.lookup(cpu, key);
                                long g = got == null ? 0 : ByteBuffer.wrap(got).getLong();
                                ret = 0;
                                expect = 0;
                                if (g != model[k]) {
                                    synchronized (violations) {
                                        violations.add("cpu" + id + " lookup of key " + k + " found " + g
                                                + ", expected " + model[k]);
                                    }
                                }
                                break;
                            }
                        }
                        if (ret != expect && !(MapErrno.isLockError(ret))) {
                            synchronized (violations) {
                                violations.add("cpu" + id + " " + what + " of key " + k + " returned "
                                        + MapErrno.name(ret) + ", expected " + MapErrno.name(expect)
                                        + " (or a lock error)");
                            }
                        }
                    }
                } catch (Throwable e) {
                    crash.compareAndSet(null, e);
                } finally {
                    cpu.detach();
                }
            }, "cpu" + t);
        }
        for (Thread t : ts) {
            t.start();
        }
        go.countDown();
        for (Thread t : ts) {
            t.join();
        }
        if (crash.get() != null) {
            throw new AssertionError("a CPU crashed", crash.get());
        }
        Cpu cpu = machine.attach(0);
        try {
            f.clearRules();
            for (int id = 0; id < CPUS; id++) {
                for (int k = 0; k < KEYS_PER_CPU; k++) {
                    byte[] got = m.lookup(cpu, ByteBuffer.allocate(4).putInt(id * 100 + k).array());
                    long g = got == null ? 0 : ByteBuffer.wrap(got).getLong();
                    if (g != models[id][k]) {
                        violations.add("at the end key " + (id * 100 + k) + " holds " + g + ", expected "
                                + models[id][k]);
                    }
                }
            }
            long expected = Arrays.stream(models).flatMapToLong(Arrays::stream).filter(x -> x != 0).count();
            if (m.size() != expected) {
                violations.add("the map holds " + m.size() + " elements, expected " + expected);
            }
            violations.addAll(m.audit());
        } finally {
            cpu.detach();
        }
        if (f.failures().isEmpty()) {
            violations.add("no lock failure happened: the run checked nothing about failures");
        }
        return violations;
    }

    @Test
    void randomLockFailuresReturnAnErrorAndLoseNothing() throws InterruptedException {
        assertEquals(List.of(), run(Mutation.NONE, 42, 0.05));
    }

    @Test
    void theMutantThatForgetsToUndoIsCaught() throws InterruptedException {
        List<String> v = run(Mutation.LOCK_FAILURE_LEAKS_ELEM, 42, 0.05);
        assertFalse(v.isEmpty());
        assertTrue(v.stream().anyMatch(s -> s.contains("is lost")), v.toString());
    }

    @Test
    void theMutantThatDropsTheOldElementIsCaught() throws InterruptedException {
        List<String> v = run(Mutation.UPDATE_DROPS_OLD_ELEM, 42, 0.05);
        assertTrue(v.stream().anyMatch(s -> s.contains("is lost") || s.contains("E2BIG")), v.toString());
    }
}
