package rqspin.conformance.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import rqspin.conformance.Twin;
import rqspin.kernel.Rcu;
import rqspin.storage.Protocol;
import rqspin.storage.check.MemorySafetyError;
import rqspin.storage.check.Step;
import rqspin.spec.TraceValidation;

/**
 * Seeded random schedules of the Java local storage in the closed world of a
 * manifest model: at each turn a scheduler, drawing from a {@link Random} of
 * the seed, picks one of the moves the spec allows: a process CPU takes the
 * step at its gate (its lock free, its condition true), or takes it with
 * its lock attempt failing (while the run has failures left, and, with
 * FailOnlyWhenContended, only on a lock another process holds), or, at
 * map_free's MapFreeNext, with need_resched true (while MaxResched allows);
 * or an RCU callback whose grace period has ended runs. As in the spec, a
 * callback that only reclaims memory runs as soon as its grace period ends,
 * before anything else. The run ends when no move is left, after a bound of
 * turns, or at the first memory-safety violation of the Java twin (that
 * step is left out: the spec goes on where the Java twin stops). Every step
 * is recorded with the state it reached.
 */
final class RandomRuns {
    private RandomRuns() {}

    /** The bound of turns of one run. */
    static final int MAX_TURNS = 300;

    static Twin.Recorded run(StorageScenario sc, long seed, StorageWorld.Variant variant) {
        Random rnd = new Random(seed);
        try (StorageWorld w = new StorageWorld(sc, variant)) {
            boolean violated = false;
            for (int turn = 0; turn < MAX_TURNS && !violated; turn++) {
                Rcu.Pending due = null;
                List<Rcu.Pending> ended = new ArrayList<>();
                for (Rcu.Pending c : w.callbacks()) {
                    if (c.ended()) {
                        ended.add(c);
                        if (due == null && StorageWorld.reclaimOnly(c)) {
                            due = c;
                        }
                    }
                }
                if (due != null) {
                    violated = w.callback(w.name(due.subject())).thrown() != null;
                    continue;
                }
                List<int[]> moves = new ArrayList<>(); // {cpu, fail, resched} or {-1, callback index}
                int failures = w.kernel.failures().failureCount();
                for (int c = 0; c < sc.nrProcs(); c++) {
                    if (w.done(c)) {
                        continue;
                    }
                    Step at = w.at(c);
                    if (w.enabled(c)) {
                        moves.add(new int[] {c, 0, 0});
                        if (at == Step.MAP_FREE_NEXT && sc.protocol() == Protocol.FINAL && w.resched(c) < sc.maxResched()) {
                            moves.add(new int[] {c, 0, 1});
                        }
                    }
                    if (w.lockOf(c) != null && failures < sc.maxFailures()
                            && (!sc.contendedOnly() || (w.lockBusy(c) && w.cpus.holder(w.lockOf(c)) != c))
                            && (w.enabled(c) || w.lockBusy(c))) {
                        moves.add(new int[] {c, 1, 0});
                    }
                }
                for (int k = 0; k < ended.size(); k++) {
                    moves.add(new int[] {-1, k});
                }
                if (moves.isEmpty()) {
                    break;
                }
                int[] m = moves.get(rnd.nextInt(moves.size()));
                if (m[0] < 0) {
                    violated = w.callback(w.name(ended.get(m[1]).subject())).thrown() != null;
                    continue;
                }
                if (m[2] == 1) {
                    w.countResched(m[0]);
                }
                StorageWorld.Outcome o = w.step(m[0], new StorageWorld.Plan(m[1] == 1, m[2] == 1));
                if (o.error() != null) {
                    throw new IllegalStateException("random run " + seed + " of " + sc.model() + ": " + o.error()
                            + "\n  " + String.join("\n  ", w.log()));
                }
                violated = o.thrown() instanceof MemorySafetyError;
            }
            List<TraceValidation.Event> events = new ArrayList<>(w.events());
            List<String> log = new ArrayList<>(w.log());
            if (violated) {
                events.remove(events.size() - 1);
                log.set(log.size() - 1, log.get(log.size() - 1) + "   <-- the Java twin's violation: "
                        + (w.violations().isEmpty() ? "?" : w.violations().get(w.violations().size() - 1))
                        + " (the run stops; this step is not validated)");
            }
            return new Twin.Recorded("random schedule, seed " + seed, events, List.of(), Map.of(), log);
        }
    }
}
