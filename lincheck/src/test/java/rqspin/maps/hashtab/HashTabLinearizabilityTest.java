package rqspin.maps.hashtab;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;

/**
 * The hash map against a sequential table ({@link Table}), in Lincheck's
 * model-checking and stress modes, with lock failures injected: an
 * operation's {@code fail} parameter makes its bucket lock attempt fail with
 * {@code -EDEADLK} ({@code FailureInjector.failNextOn} for the operation's
 * CPU), and the sequential specification of such an operation is "returns
 * -EDEADLK, changes nothing".
 *
 * <p>Three keys, max_entries 2 (so {@code -E2BIG} is part of the
 * specification: an insertion into a map holding two keys), values 1..3,
 * every update flag; update, delete and lookup-and-delete, each under its
 * bucket lock. Not here: the batch operations (a batch over several buckets
 * locks one bucket at a time in the kernel, so it is not one atomic
 * operation; HashTabTest checks it), and the lockless lookup, which is not
 * linearizable on a preallocated map: a deleted element goes back to the
 * free list at once and an insertion may reuse it while a reader stands on
 * it, so the reader can see the new pair before the insertion links it
 * (PreallocReuseTest in impl shows it step by step).
 *
 * <p>Time stands still (no timeouts), and an operation takes one lock, so no
 * lock failure happens but the injected ones.
 */
class HashTabLinearizabilityTest {

    static byte[] key(int k) {
        return ByteBuffer.allocate(4).putInt(k).array();
    }

    /** The implementation: one map per Lincheck invocation. */
    public static class Map {
        private final Machine machine = Machine.builder(4).clock(c -> 0L).build();
        private final FailureInjector<HtabSite> failures = new FailureInjector<>(HtabSite.class);
        private final HashTab m;

        public Map() {
            this(Mutation.NONE);
        }

        Map(Mutation mu) {
            m = new HashTab(machine, Version.V6_19, 4, 8, 2, failures, mu);
        }

        private Cpu cpu(int fail) {
            Cpu c = machine.isAttached() ? machine.current() : machine.attach();
            if (fail != 0) {
                failures.failNextOn(c.id(), Errno.EDEADLK);
            }
            return c;
        }

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "0:2") int k,
                @Param(gen = IntGen.class, conf = "1:3") int v, @Param(gen = IntGen.class, conf = "0:2") int flags,
                @Param(gen = IntGen.class, conf = "0:1") int fail) {
            byte[] value = new byte[8];
            value[0] = (byte) v;
            return MapErrno.name(m.update(cpu(fail), key(k), value, flags));
        }

        @Operation
        public String delete(@Param(gen = IntGen.class, conf = "0:2") int k,
                @Param(gen = IntGen.class, conf = "0:1") int fail) {
            return MapErrno.name(m.delete(cpu(fail), key(k)));
        }

        @Operation
        public String lookupAndDelete(@Param(gen = IntGen.class, conf = "0:2") int k,
                @Param(gen = IntGen.class, conf = "0:1") int fail) {
            byte[] out = new byte[8];
            int ret = m.lookupAndDelete(cpu(fail), key(k), out, 0);
            return ret == 0 ? "value " + out[0] : MapErrno.name(ret);
        }

    }

    /** The sequential specification: a value per key (0: absent), at most 2 keys. */
    public static class Table {
        private final int[] values = new int[3];

        private int size() {
            int n = 0;
            for (int x : values) {
                n += x != 0 ? 1 : 0;
            }
            return n;
        }

        public String update(int k, int v, int flags, int fail) {
            if (fail != 0) {
                return "EDEADLK";
            }
            if (flags == 1 && values[k] != 0) {
                return "EEXIST";
            }
            if (flags == 2 && values[k] == 0) {
                return "ENOENT";
            }
            if (values[k] == 0 && size() == 2) {
                return "E2BIG";
            }
            values[k] = v;
            return "0";
        }

        public String delete(int k, int fail) {
            if (fail != 0) {
                return "EDEADLK";
            }
            if (values[k] == 0) {
                return "ENOENT";
            }
            values[k] = 0;
            return "0";
        }

        public String lookupAndDelete(int k, int fail) {
            if (fail != 0) {
                return "EDEADLK";
            }
            if (values[k] == 0) {
                return "ENOENT";
            }
            int v = values[k];
            values[k] = 0;
            return "value " + v;
        }

    }

    /** Only BPF_ANY updates, the operation both seeded bugs are in: the scenarios that show them are short. */
    public abstract static class Updates {
        private final Map m;

        Updates(Mutation mu) {
            m = new Map(mu);
        }

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "0:2") int k,
                @Param(gen = IntGen.class, conf = "1:3") int v, @Param(gen = IntGen.class, conf = "0:1") int fail) {
            return m.update(k, v, 0, fail);
        }
    }

    /** The model of {@link Updates}. */
    public static class UpdatesTable {
        private final Table t = new Table();

        public String update(int k, int v, int fail) {
            return t.update(k, v, 0, fail);
        }
    }

    /** The seeded bug: a failed lock in update loses the element it took before the lock. */
    public static class LeakyMap extends Updates {
        public LeakyMap() {
            super(Mutation.LOCK_FAILURE_LEAKS_ELEM);
        }
    }

    /** The seeded bug: a replacing update drops the old element. */
    public static class DropOldMap extends Updates {
        public DropOldMap() {
            super(Mutation.UPDATE_DROPS_OLD_ELEM);
        }
    }

    /** For the seeded bugs, which need no particular interleaving: many short scenarios on real threads. */
    static StressOptions mutants() {
        return new StressOptions().iterations(200).invocationsPerIteration(10).threads(2).actorsPerThread(2)
                .actorsBefore(3).actorsAfter(1).sequentialSpecification(UpdatesTable.class);
    }

    static ModelCheckingOptions modelChecking(int iterations, int invocations) {
        return new ModelCheckingOptions().iterations(iterations).invocationsPerIteration(invocations).threads(2)
                .actorsPerThread(2).actorsBefore(2).actorsAfter(1).sequentialSpecification(Table.class)
                .addGuarantee(forClasses(FailureInjector.class.getName()).allMethods().ignore());
    }

    static StressOptions stress(int iterations, int invocations) {
        return new StressOptions().iterations(iterations).invocationsPerIteration(invocations).threads(3)
                .actorsPerThread(3).actorsBefore(2).actorsAfter(1).sequentialSpecification(Table.class);
    }

    @Test
    void modelCheckingWithInjectedFailures() {
        modelChecking(2, 50).check(Map.class);
    }

    @Test
    void stressWithInjectedFailures() {
        stress(5, 200).check(Map.class);
    }

    @Test
    void aFailurePathThatForgetsToUndoIsCaught() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> mutants().check(LeakyMap.class));
        assertTrue(e.getMessage().contains("Invalid execution results"), e.getMessage());
    }

    @Test
    void anUpdateThatDropsTheOldElementIsCaught() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> mutants().check(DropOldMap.class));
        assertTrue(e.getMessage().contains("Invalid execution results"), e.getMessage());
    }
}
