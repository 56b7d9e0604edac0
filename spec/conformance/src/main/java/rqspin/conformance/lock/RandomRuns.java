package rqspin.conformance.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import rqspin.conformance.Twin;
import rqspin.conformance.lock.GatedScheduler.Kind;
import rqspin.conformance.lock.GatedScheduler.Outcome;
import rqspin.conformance.lock.GatedScheduler.Time;
import rqspin.conformance.lock.LockScenario.Ctx;

/**
 * Seeded random schedules of the Java twin: at each turn a scheduler,
 * drawing from a {@link Random} of the seed, picks a CPU that can move (all
 * equally likely, or, for even seeds, each with a speed drawn at the start),
 * and then one of the moves the spec's closed world allows it: take its next
 * step; let time pass in its wait if that measures it (a deadlock check,
 * or, once one came out clean, the deadline: the spec's timeout rule); an
 * IRQ or NMI arrives, if its context can take one. A CPU whose wait found its condition
 * false is not picked again (but for time) until some step was taken. The
 * run ends when no move is left (every script done, or every CPU stuck) or
 * after a bound of turns. Every step is recorded with the state it reached.
 */
final class RandomRuns {
    private RandomRuns() {}

    /** The bound of turns of one run. */
    static final int MAX_TURNS = 400;

    static Twin.Recorded run(LockScenario sc, long seed, LockWorld.LockFactory factory) {
        return run(sc, seed, factory, "random schedule, seed " + seed, List.of(), Map.of());
    }

    static Twin.Recorded run(LockScenario sc, long seed, LockWorld.LockFactory factory, String name,
                             List<String> extraConstants, Map<String, String> definitions) {
        Random rnd = new Random(seed);
        int n = sc.nrCpus();
        // Odd seeds: every CPU as fast as the others. Even seeds: each CPU gets a speed of 1, 4 or 16 (how
        // often it is picked, when it can move): a slow owner lets a queue build up behind it.
        int[] speed = new int[n];
        for (int c = 0; c < n; c++) {
            speed[c] = seed % 2 == 0 ? new int[] {1, 4, 16}[rnd.nextInt(3)] : 1;
        }
        boolean[] blocked = new boolean[n];
        Outcome[] lastWait = new Outcome[n];
        try (LockWorld w = new LockWorld(sc, factory)) {
            for (int turn = 0; turn < MAX_TURNS; turn++) {
                // The moves of each CPU: 0 step, 1 check, 2 expire, 3 IRQ, 4 NMI. A CPU is picked first, then one
                // of its moves, so that a CPU whose wait measures time gets its deadlines as often as the others
                // get their steps.
                List<List<Integer>> byCpu = new ArrayList<>();
                for (int c = 0; c < n; c++) {
                    List<Integer> mine = new ArrayList<>();
                    if (!w.idle(c)) {
                        if (!blocked[c]) {
                            mine.add(0);
                            mine.add(0);
                        } else if (lastWait[c].timed()) {
                            mine.add(1);
                            if (lastWait[c].mayExpire()) {
                                mine.add(2);
                            }
                        }
                    }
                    Ctx run = w.ghost().running(c);
                    if (!sc.script(c, Ctx.irq).isEmpty() && w.ghost().status(c, Ctx.irq) == Ghost.Status.IDLE
                            && (run == null || run == Ctx.task)) {
                        mine.add(3);
                    }
                    if (!sc.script(c, Ctx.nmi).isEmpty() && w.ghost().status(c, Ctx.nmi) == Ghost.Status.IDLE) {
                        mine.add(4);
                    }
                    if (!mine.isEmpty()) {
                        mine.add(0, c);
                        byCpu.add(mine);
                    }
                }
                if (byCpu.isEmpty()) {
                    break;
                }
                int total = 0;
                for (List<Integer> cand : byCpu) {
                    total += speed[cand.get(0)];
                }
                int pick = rnd.nextInt(total);
                List<Integer> mine = byCpu.get(0);
                for (List<Integer> cand : byCpu) {
                    pick -= speed[cand.get(0)];
                    if (pick < 0) {
                        mine = cand;
                        break;
                    }
                }
                int[] m = {mine.get(0), mine.get(1 + rnd.nextInt(mine.size() - 1))};
                int c = m[0];
                Outcome o = switch (m[1]) {
                    case 0 -> w.step(c, Time.NONE);
                    case 1 -> w.step(c, Time.CHECK);
                    case 2 -> w.step(c, Time.EXPIRE);
                    case 3 -> w.interrupt(c, Ctx.irq);
                    default -> w.interrupt(c, Ctx.nmi);
                };
                if (o.kind() == Kind.TOOK) {
                    java.util.Arrays.fill(blocked, false);
                } else if (o.kind() == Kind.WAITING) {
                    blocked[c] = true;
                    lastWait[c] = o;
                }
            }
            return new Twin.Recorded(name, w.events(), extraConstants, definitions, w.log());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
