package rqspin.maps.freelist;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.freelist.PcpuFreelist.Node;
import rqspin.maps.freelist.PcpuFreelist.PopResult;

/**
 * A stress run of the free list: one thread per CPU pops and gives back
 * nodes at random while lock attempts fail at random (seeded) and NMIs
 * arrive at random steps and do the same on the same CPU. At the end the
 * audit must find every node in exactly one place, the counts must add up,
 * and every NULL pop must be justified. The same run catches each seeded
 * mutant ({@link FreelistStressTest}).
 */
final class FreelistStress {
    record Report(List<String> problems, int pops, int nulls, int pushes, int unjustified, int failures,
                  int nmis, int hangs) {
        boolean clean() {
            return problems.isEmpty() && unjustified == 0;
        }
    }

    private FreelistStress() {}

    static Report run(Mutation mutation, long seed, int cpus, int elems, int opsPerCpu, double pFail, double pNmi)
            throws InterruptedException {
        Machine m = PcpuFreelistTest.machine(cpus);
        PcpuFreelist fl = new PcpuFreelist(m, Version.V6_15, mutation).stopFallbackAfter(1_000);
        fl.populate(elems);
        fl.failures().failRandomly(seed, pFail);
        AtomicInteger pops = new AtomicInteger();
        AtomicInteger nulls = new AtomicInteger();
        AtomicInteger pushes = new AtomicInteger();
        AtomicInteger unjustified = new AtomicInteger();
        AtomicInteger nmis = new AtomicInteger();
        AtomicInteger hangs = new AtomicInteger();
        List<Node> held = Collections.synchronizedList(new ArrayList<>());
        ThreadLocal<Random> rnd = new ThreadLocal<>();
        fl.setStepHook((cpu, step, head) -> {
            Random r = rnd.get();
            if (cpu.context() != Context.TASK || r == null || r.nextDouble() >= pNmi) {
                return;
            }
            nmis.incrementAndGet();
            cpu.runNested(Context.NMI, () -> {
                List<Node> mine = new ArrayList<>();
                once(fl, cpu, r, mine, pops, nulls, pushes, unjustified, hangs, held);
                for (Node x : mine) {
                    push(fl, cpu, x, pushes, hangs, held);
                }
            });
        });
        Thread[] ts = new Thread[cpus];
        for (int c = 0; c < cpus; c++) {
            int id = c;
            ts[c] = new Thread(() -> {
                Cpu cpu = m.attach(id);
                Random r = new Random(seed * 31 + id);
                rnd.set(r);
                List<Node> mine = new ArrayList<>();
                try {
                    for (int i = 0; i < opsPerCpu; i++) {
                        once(fl, cpu, r, mine, pops, nulls, pushes, unjustified, hangs, held);
                    }
                } finally {
                    rnd.remove();
                    held.addAll(mine);
                    cpu.detach();
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        List<String> problems = new ArrayList<>(fl.audit(held));
        int inLists = fl.size();
        if (mutation == Mutation.NONE && inLists + held.size() != elems) {
            problems.add("counts: " + inLists + " in the lists + " + held.size() + " held != " + elems);
        }
        return new Report(problems, pops.get(), nulls.get(), pushes.get(), unjustified.get(),
                fl.failures().failures().size(), nmis.get(), hangs.get());
    }

    /** One operation: pop (keeping the node), or give back a node held. */
    private static void once(PcpuFreelist fl, Cpu cpu, Random r, List<Node> mine, AtomicInteger pops,
                             AtomicInteger nulls, AtomicInteger pushes, AtomicInteger unjustified,
                             AtomicInteger hangs, List<Node> held) {
        if (mine.isEmpty() || r.nextBoolean()) {
            PopResult res = fl.popTraced(cpu);
            pops.incrementAndGet();
            if (res.node() == null) {
                nulls.incrementAndGet();
                if (!res.justified()) {
                    unjustified.incrementAndGet();
                }
            } else {
                mine.add(res.node());
            }
        } else {
            Node x = mine.remove(mine.size() - 1);
            push(fl, cpu, x, pushes, hangs, held);
        }
    }

    private static void push(PcpuFreelist fl, Cpu cpu, Node x, AtomicInteger pushes, AtomicInteger hangs,
                             List<Node> held) {
        try {
            fl.push(cpu, x);
            pushes.incrementAndGet();
        } catch (PushLoopException e) {
            hangs.incrementAndGet();
            held.add(e.node()); // the caller keeps it: not lost
        }
    }
}
