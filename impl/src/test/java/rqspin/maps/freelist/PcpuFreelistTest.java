package rqspin.maps.freelist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import rqspin.lock.Clock;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.SpinHint;
import rqspin.lock.Version;
import rqspin.maps.freelist.PcpuFreelist.Node;
import rqspin.maps.freelist.PcpuFreelist.PopResult;
import rqspin.maps.freelist.PcpuFreelist.Seen;

/**
 * The twin of percpu_freelist (v6.15) step by step: populate, push and pop
 * across CPUs, every lock site failing, an NMI on the same CPU (AA), and the
 * scenarios of the spec's findings (spec/freelist: fl_empty_lockfail,
 * fl_empty_race, fl_nmi_push_hang_1cpu, fl_nmi_push_hang_2cpu).
 */
class PcpuFreelistTest {
    static final long T = 1_000_000L;

    /** A machine on the logical clock: a wait of D ends after D / 1000 checks, whatever the scheduling. */
    static Machine machine(int cpus) {
        return Machine.builder(cpus).clock(Clock.logical(1_000)).timeoutNanos(T).checkPeriod(1)
                .deadlockCheckIntervalNanos(10_000).spinHint(SpinHint.YIELD).build();
    }

    @Test
    void populateSpreadsTheNodesAsTheKernelDoes() {
        PcpuFreelist fl = new PcpuFreelist(machine(2), Version.V6_15);
        fl.populate(5);
        assertEquals(List.of(List.of(3, 2, 1), List.of(5, 4)), fl.snapshot());
        assertEquals(List.of(), fl.audit(List.of()));
    }

    @Test
    void popTakesFromItsOwnHeadFirstThenTheNextCpusInWrapOrder() {
        Machine m = machine(3);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15);
        fl.populate(2);                       // head0 = [1], head1 = [2], head2 = []
        Cpu cpu2 = m.attach(2);
        try {
            PopResult r = fl.popTraced(cpu2);
            assertEquals(1, r.node().id());   // head2 empty, then head0
            assertEquals(List.of(Seen.TOOK, Seen.NOT_SEEN, Seen.EMPTY), r.scan());
            assertEquals(2, fl.pop(cpu2).id());
            PopResult none = fl.popTraced(cpu2);
            assertNull(none.node());
            assertTrue(none.justified());
            fl.push(cpu2, r.node());          // this CPU's head
            assertEquals(List.of(List.of(), List.of(), List.of(1)), fl.snapshot());
        } finally {
            cpu2.detach();
        }
    }

    @Test
    void aFailedLocalPushGoesToTheNextOtherCpuAndLosesNothing() {
        Machine m = machine(3);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15);
        Node x = fl.newNodes(1).get(0);
        fl.failures().failAt(LockSite.PUSH_LOCAL, 1, Errno.ETIMEDOUT).failAt(LockSite.PUSH_FALLBACK, 1, Errno.EDEADLK);
        Cpu cpu1 = m.attach(1);
        try {
            fl.push(cpu1, x);                 // head1 fails, head2 fails, head0 takes it
        } finally {
            cpu1.detach();
        }
        assertEquals(List.of(List.of(1), List.of(), List.of()), fl.snapshot());
        assertEquals(2, fl.failures().failures().size());
        assertEquals(List.of(), fl.audit(List.of()));
        for (int c = 0; c < 3; c++) {
            assertFalse(fl.lock(c).isLocked(), "a failed attempt leaves no lock held");
        }
    }

    @Test
    void aFailedPopAttemptSkipsAHeadThatHoldsANode() {
        // fl_empty_lockfail: NULL while node1 is on head0.
        Machine m = machine(1);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15);
        fl.populate(1);
        fl.failures().failAt(LockSite.POP, 1, Errno.ETIMEDOUT);
        Cpu cpu = m.attach();
        try {
            PopResult r = fl.popTraced(cpu);
            assertNull(r.node());
            assertEquals(List.of(Seen.FAILED), r.scan());
            assertTrue(r.justified(), "justified: the only head failed");
            assertEquals(1, fl.size(), "yet the free list was never empty");
            assertEquals(1, fl.pop(cpu).id());
        } finally {
            cpu.detach();
        }
    }

    @Test
    void anNmiOnTheSameCpuGetsEdeadlkFromItsOwnHeadAndLosesNothing() {
        Machine m = machine(2);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15);
        fl.populate(2);                         // head0 = [1], head1 = [2]
        Node extra = fl.newNodes(1).get(0);     // node3, held by the NMI's program
        AtomicReference<Node> nmiGot = new AtomicReference<>();
        fl.setStepHook((cpu, step, head) -> {
            if (step == Step.___pcpu_freelist_pop_take && cpu.context() == Context.TASK) {
                // the task holds head0's lock: an NMI pushes node3, then pops
                cpu.runNested(Context.NMI, () -> {
                    fl.push(cpu, extra);
                    nmiGot.set(fl.pop(cpu));
                });
            }
        });
        Cpu cpu = m.attach(0);
        Node got;
        try {
            got = fl.pop(cpu);
        } finally {
            cpu.detach();
        }
        assertEquals(1, got.id());
        List<LockFailure> f = fl.failures().failures();
        assertEquals(2, f.size(), f.toString());
        for (LockFailure x : f) {
            assertEquals(Errno.EDEADLK, x.errno(), x.toString());
            assertEquals(Context.NMI, x.context());
            assertEquals(0, x.head());
            assertFalse(x.injected(), "the lock itself found the AA");
        }
        assertEquals(LockSite.PUSH_LOCAL, f.get(0).site());
        assertEquals(LockSite.POP, f.get(1).site());
        // the NMI's push went to head1, its pop took the first node there
        assertEquals(3, nmiGot.get().id());
        assertEquals(List.of(List.of(), List.of(2)), fl.snapshot());
        assertEquals(List.of(), fl.audit(List.of(got, nmiGot.get())));
    }

    @Test
    void withOnePossibleCpuAnNmiPushWhileTheTaskHoldsTheHeadNeverEnds() {
        // fl_nmi_push_hang_1cpu: AA on the only head, and the fallback loop has no other head to try.
        Machine m = machine(1);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15).stopFallbackAfter(10_000);
        fl.populate(1);
        Node extra = fl.newNodes(1).get(0);
        AtomicReference<PushLoopException> hang = new AtomicReference<>();
        fl.setStepHook((cpu, step, head) -> {
            if (step == Step.___pcpu_freelist_pop_take && cpu.context() == Context.TASK) {
                cpu.runNested(Context.NMI, () -> hang.set(assertThrows(PushLoopException.class,
                        () -> fl.push(cpu, extra))));
            }
        });
        Cpu cpu = m.attach();
        Node got;
        try {
            got = fl.pop(cpu);
        } finally {
            cpu.detach();
        }
        assertEquals(10_000, hang.get().rounds());
        assertSame(extra, hang.get().node());
        assertEquals(1, fl.failures().failures().size(), "one attempt, then nothing left to try");
        assertEquals(List.of(), fl.audit(List.of(got, extra)), "the node is still the NMI's: nothing lost");
    }

    @Test
    void withNoLockFailureAPopReturnsNullWhileTheFreeListIsNeverEmpty() throws Exception {
        // fl_empty_race: cpu0's pop reads head0 empty; an NMI on cpu0 gives node2 back to head0;
        // cpu1 takes node1 from head1; the pop reads head1 empty and returns NULL.
        Machine m = machine(2);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15);
        Node n1 = fl.newNodes(1).get(0);
        Node n2 = fl.newNodes(1).get(0);
        CountDownLatch go1 = new CountDownLatch(1);
        CountDownLatch done1 = new CountDownLatch(1);
        AtomicReference<Node> got1 = new AtomicReference<>();
        Thread t1 = new Thread(() -> {
            Cpu c1 = m.attach(1);
            try {
                fl.push(c1, n1);                          // head1 = [1]
                go1.await();
                got1.set(fl.pop(c1));
                done1.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                c1.detach();
            }
        });
        List<Integer> sizes = new ArrayList<>();
        fl.setStepHook((cpu, step, head) -> {
            if (cpu.id() == 0 && cpu.context() == Context.TASK && step == Step.___pcpu_freelist_pop_read
                    && head == 1) {
                sizes.add(fl.size());
                cpu.runNested(Context.NMI, () -> fl.push(cpu, n2));
                sizes.add(fl.size());
                go1.countDown();
                try {
                    assertTrue(done1.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                sizes.add(fl.size());
            }
        });
        t1.start();
        Cpu c0 = m.attach(0);
        PopResult r;
        try {
            while (fl.size() == 0) {
                Thread.onSpinWait();                      // until cpu1 pushed node1
            }
            sizes.add(fl.size());
            r = fl.popTraced(c0);
        } finally {
            c0.detach();
        }
        t1.join();
        assertNull(r.node());
        assertFalse(r.sawFailure(), "no lock attempt failed");
        assertTrue(r.justified(), "each head was seen empty");
        assertEquals(List.of(1, 1, 2, 1), sizes, "the free list held a node at every moment of the pop");
        assertSame(n1, got1.get());
        assertEquals(List.of(), fl.audit(List.of(n1)));
    }

    @Test
    void twoNmisPushingWhileTheirTasksHoldTheirOwnHeadsLoopForEver() throws Exception {
        // fl_nmi_push_hang_2cpu: AA on the own head, then ABBA (or a timeout) on the other CPU's, for ever.
        Machine m = machine(2);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15).stopFallbackAfter(200);
        fl.populate(2);
        List<Node> extra = fl.newNodes(2);
        CyclicBarrier bothHold = new CyclicBarrier(2);
        PushLoopException[] hang = new PushLoopException[2];
        Node[] got = new Node[2];
        fl.setStepHook((cpu, step, head) -> {
            if (step == Step.___pcpu_freelist_pop_take && cpu.context() == Context.TASK) {
                try {
                    bothHold.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                cpu.runNested(Context.NMI, () -> {
                    try {
                        fl.push(cpu, extra.get(cpu.id()));
                    } catch (PushLoopException e) {
                        hang[cpu.id()] = e;
                    }
                });
            }
        });
        Thread[] ts = new Thread[2];
        for (int c = 0; c < 2; c++) {
            int id = c;
            ts[c] = new Thread(() -> {
                Cpu cpu = m.attach(id);
                try {
                    got[id] = fl.pop(cpu);
                } finally {
                    cpu.detach();
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) {
            t.join(60_000);
            assertFalse(t.isAlive());
        }
        assertNotNull(got[0]);
        assertNotNull(got[1]);
        assertTrue(hang[0] != null || hang[1] != null, "an NMI went 200 times round the loop");
        List<Node> held = new ArrayList<>(List.of(got[0], got[1]));
        for (int c = 0; c < 2; c++) {
            if (hang[c] != null) {
                held.add(hang[c].node());
            }
        }
        assertEquals(List.of(), fl.audit(held));
        assertTrue(fl.failures().failures().stream().allMatch(f -> !f.injected()));
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingChanges() {
        PcpuFreelist fl = new PcpuFreelist(machine(2), Version.V6_15);
        assertThrows(IllegalArgumentException.class, () -> fl.populate(-1));
        assertThrows(IllegalArgumentException.class, () -> fl.lock(2));
        assertThrows(IllegalArgumentException.class, () -> fl.stopFallbackAfter(-1));
        assertThrows(IllegalArgumentException.class, () -> fl.failures().failAt(LockSite.POP, 1, null));
        assertThrows(IllegalArgumentException.class, () -> fl.failures().failNth(0, Errno.EDEADLK));
        assertThrows(IllegalArgumentException.class, () -> fl.failures().failRandomly(1, 1.5));
        assertEquals(List.of(List.of(), List.of()), fl.snapshot());
        assertEquals(0, fl.failures().attempts());
    }
}
