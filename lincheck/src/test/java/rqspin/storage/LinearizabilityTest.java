package rqspin.storage;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.storage.check.Audit;
import rqspin.storage.check.FailureInjector;
import rqspin.storage.check.Mutation;

/**
 * update, lookup and delete against a plain table of values ({@link Table}),
 * in Lincheck's stress and model-checking modes, for both protocols (they
 * differ in the buckets and, for v3, in the second bucket lock of an update).
 *
 * <p>Two findings (expected verdicts, also shown step by step in impl's
 * LocklessLookupFindingsTest): the lockless lookups make the operations not
 * linearizable.
 * <ul>
 * <li>{@link #lookupIsNotLinearizable}: a lookup racing an update that
 *     replaces the element can find nothing (the new selem is linked at the
 *     head behind the walker, the old one unlinked ahead of it).</li>
 * <li>{@link #deleteIsNotLinearizable}: {@code bpf_sk_storage_del} returns 0
 *     when the element it looked up was removed or replaced before it took
 *     the lock: two deletes both succeed, a delete racing a
 *     {@code BPF_EXIST} update succeeds and the new value stays.</li>
 * </ul>
 * Linearizable is the rest, checked here:
 * <ul>
 * <li>{@link Wide}: two owners, two maps (m1 with a value spin lock, for
 *     {@code BPF_F_LOCK}); o0 holds 9 in m1 and 5 in m0 at the start; update
 *     with the flags that never replace an element ({@code BPF_NOEXIST},
 *     {@code BPF_F_LOCK} in place), lookup, and delete whose result is not
 *     compared (its effect is);</li>
 * <li>{@link Flags}: update with every flag, replacements included, without
 *     lookups and deletes;</li>
 * <li>{@link Narrow}: as Wide on (o0, m1) only, where operations meet often:
 *     it catches a seeded bug ({@link #anUncheckedCacheInsertIsCaught}); two
 *     creates of an absent element catch another ({@link #aSkippedRecheckIsCaught}).</li>
 * </ul>
 * A lock failure (none is injected; time stands still, so no timeouts, but
 * ABBA deadlocks are detected) and {@code -EAGAIN} change nothing (P8): the
 * operation is retried, and a failure that changed something would show as a
 * wrong result. An operation returns the value's first byte (0: none) or the
 * error's name.
 */
class LinearizabilityTest {

    /**
     * flags parameter 0..4: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK|BPF_ANY, BPF_F_LOCK|BPF_EXIST; the
     * operations that race a lookup or delete use 1, 3, 4 only ({@link #noReplace}).
     */
    static long flags(int f) {
        switch (f) {
            case 0:
                return LocalStorageMap.BPF_ANY;
            case 1:
                return LocalStorageMap.BPF_NOEXIST;
            case 2:
                return LocalStorageMap.BPF_EXIST;
            case 3:
                return LocalStorageMap.BPF_F_LOCK;
            default:
                return LocalStorageMap.BPF_F_LOCK | LocalStorageMap.BPF_EXIST;
        }
    }

    /** 0..2 to the flags that never replace an element: BPF_NOEXIST, BPF_F_LOCK|BPF_ANY, BPF_F_LOCK|BPF_EXIST. */
    static int noReplace(int f) {
        return f + (f == 0 ? 1 : 3 - 1);
    }

    /** Two owners, two maps, (o0, m1) = 9 and (o0, m0) = 5 (o0's storage outlives a delete): the implementation. */
    static final class Storage {
        private final Kernel kernel;
        private final Owner[] owners;
        private final LocalStorageMap[] maps;

        Storage(Protocol p, Mutation mu) {
            // 3 worker threads + the one running the init and post parts; time stands still
            Machine machine = Machine.builder(4).clock(cpu -> 0L).build();
            kernel = Kernel.builder(machine).protocol(p).mutation(mu).build();
            owners = new Owner[] {kernel.newOwner("o0"), kernel.newOwner("o1")};
            maps = new LocalStorageMap[] {kernel.newMap("m0", 8, 2, 1, false), kernel.newMap("m1", 8, 2, 1, true),
                kernel.newMap("m2", 8, 2, 1, false)};
            update(0, 1, 9, 0);
            update(0, 0, 5, 0);
        }

        private Cpu cpu() {
            Machine m = kernel.machine();
            return m.isAttached() ? m.current() : m.attach();
        }

        String update(int o, int m, int v, int f) {
            Cpu c = cpu();
            byte[] value = new byte[8];
            value[0] = (byte) v;
            for (;;) {
                try {
                    maps[m].update(c, owners[o], value, flags(f));
                    return "ok";
                } catch (StorageException e) {
                    if (!retry(e)) {
                        return e.err().name();
                    }
                } catch (BadInputException e) {
                    return "EINVAL";
                }
            }
        }

        int lookup(int o, int m) {
            byte[] v = maps[m].lookup(cpu(), owners[o]);
            return v == null ? 0 : v[0];
        }

        String delete(int o, int m) {
            Cpu c = cpu();
            for (;;) {
                try {
                    maps[m].delete(c, owners[o]);
                    return "ok";
                } catch (StorageException e) {
                    if (!retry(e)) {
                        return e.err().name();
                    }
                }
            }
        }

        private static boolean retry(StorageException e) {
            return e.err() == Err.EAGAIN || e.err() == Err.EDEADLK || e.err() == Err.ETIMEDOUT;
        }
    }

    /** The sequential specification: a value per (owner, map), 0 for none; (o0, m1) = 9, (o0, m0) = 5 at the start. */
    static final class Table {
        private final int[][] values = {{5, 9, 0}, {0, 0, 0}};

        String update(int o, int m, int v, int f) {
            long fl = flags(f);
            if ((fl & LocalStorageMap.BPF_F_LOCK) != 0 && m == 0) {
                return "EINVAL";
            }
            long mode = fl & ~LocalStorageMap.BPF_F_LOCK;
            if (mode == LocalStorageMap.BPF_NOEXIST && values[o][m] != 0) {
                return "EEXIST";
            }
            if (mode == LocalStorageMap.BPF_EXIST && values[o][m] == 0) {
                return "ENOENT";
            }
            values[o][m] = v;
            return "ok";
        }

        int lookup(int o, int m) {
            return values[o][m];
        }

        String delete(int o, int m) {
            if (values[o][m] == 0) {
                return "ENOENT";
            }
            values[o][m] = 0;
            return "ok";
        }
    }

    // ------------------------------------------------------------------ two owners, two maps

    /** Operations on any (owner, map); delete's result is not compared. */
    public abstract static class Wide {
        private final Storage s;

        Wide(Protocol p) {
            s = new Storage(p, Mutation.NONE);
        }

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "0:1") int o, @Param(gen = IntGen.class, conf = "0:1") int m,
                @Param(gen = IntGen.class, conf = "1:3") int v, @Param(gen = IntGen.class, conf = "0:2") int f) {
            return s.update(o, m, v, noReplace(f));
        }

        @Operation
        public int lookup(@Param(gen = IntGen.class, conf = "0:1") int o, @Param(gen = IntGen.class, conf = "0:1") int m) {
            return s.lookup(o, m);
        }

        @Operation
        public void delete(@Param(gen = IntGen.class, conf = "0:1") int o, @Param(gen = IntGen.class, conf = "0:1") int m) {
            s.delete(o, m);
        }
    }

    /** The model of {@link Wide}. */
    public static class Model {
        private final Table t = new Table();

        public String update(int o, int m, int v, int f) {
            return t.update(o, m, v, noReplace(f));
        }

        public int lookup(int o, int m) {
            return t.lookup(o, m);
        }

        public void delete(int o, int m) {
            t.delete(o, m);
        }
    }

    /** Updates with every flag on any (owner, map). */
    public abstract static class Flags {
        private final Storage s;

        Flags(Protocol p) {
            s = new Storage(p, Mutation.NONE);
        }

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "0:1") int o, @Param(gen = IntGen.class, conf = "0:1") int m,
                @Param(gen = IntGen.class, conf = "1:3") int v, @Param(gen = IntGen.class, conf = "0:4") int f) {
            return s.update(o, m, v, f);
        }
    }

    /** The model of {@link Flags}. */
    public static class FlagsModel {
        private final Table t = new Table();

        public String update(int o, int m, int v, int f) {
            return t.update(o, m, v, f);
        }
    }

    public static class FlagsFinal extends Flags {
        public FlagsFinal() {
            super(Protocol.FINAL);
        }
    }

    public static class WideFinal extends Wide {
        public WideFinal() {
            super(Protocol.FINAL);
        }
    }

    public static class WideV3 extends Wide {
        public WideV3() {
            super(Protocol.V3);
        }
    }

    // ------------------------------------------------------------------ one (owner, map)

    /** Operations on (o0, m1) only. */
    public abstract static class Narrow {
        private final Storage s;

        Narrow(Mutation mu) {
            s = new Storage(Protocol.FINAL, mu);
        }

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "1:3") int v, @Param(gen = IntGen.class, conf = "0:1") int f) {
            return s.update(0, 1, v, noReplace(f));
        }

        @Operation
        public int lookup() {
            return s.lookup(0, 1);
        }

        @Operation
        public void delete() {
            s.delete(0, 1);
        }
    }

    /** The model of {@link Narrow}. */
    public static class NarrowModel {
        private final Table t = new Table();

        public String update(int v, int f) {
            return t.update(0, 1, v, noReplace(f));
        }

        public int lookup() {
            return t.lookup(0, 1);
        }

        public void delete() {
            t.delete(0, 1);
        }
    }

    /** The finding: deletes and BPF_EXIST updates on (o0, m1), with delete's result. */
    public static class DeleteRace {
        private final Storage s = new Storage(Protocol.FINAL, Mutation.NONE);

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "1:3") int v) {
            return s.update(0, 1, v, 2);
        }

        @Operation
        public String delete() {
            return s.delete(0, 1);
        }
    }

    /** The finding: lookups and replacing updates on (o0, m1), o0's list being [m0's selem, m1's selem]. */
    public static class LookupRace {
        private final Storage s = new Storage(Protocol.FINAL, Mutation.NONE);

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "1:3") int v) {
            return s.update(0, 1, v, 0);
        }

        @Operation
        public int lookup() {
            return s.lookup(0, 1);
        }
    }

    /** What a linearizable lookup would answer. */
    public static class LookupRaceModel {
        private final Table t = new Table();

        public String update(int v) {
            return t.update(0, 1, v, 0);
        }

        public int lookup() {
            return t.lookup(0, 1);
        }
    }

    /** What a linearizable delete would answer. */
    public static class DeleteRaceModel {
        private final Table t = new Table();

        public String update(int v) {
            return t.update(0, 1, v, 2);
        }

        public String delete() {
            return t.delete(0, 1);
        }
    }

    public static class NarrowFinal extends Narrow {
        public NarrowFinal() {
            super(Mutation.NONE);
        }
    }

    /** Two BPF_NOEXIST creates of (o0, m2), absent while o0's storage lives: exactly one may succeed. */
    public static class NoRecheck {
        private final Storage s = new Storage(Protocol.FINAL, Mutation.UPDATE_NO_RECHECK);

        @Operation
        public String update(@Param(gen = IntGen.class, conf = "1:3") int v) {
            return s.update(0, 2, v, 1);
        }
    }

    /** The model of {@link NoRecheck}. */
    public static class NoRecheckModel {
        private final Table t = new Table();

        public String update(int v) {
            return t.update(0, 2, v, 1);
        }
    }

    public static class UncheckedCache extends Narrow {
        public UncheckedCache() {
            super(Mutation.INSERT_CACHE_UNCHECKED);
        }
    }

    // ------------------------------------------------------------------ options

    /** The audit and the failure injector are bookkeeping: no thread switches inside them. */
    static ModelCheckingOptions modelChecking(Class<?> model, int iterations, int invocations) {
        return new ModelCheckingOptions().iterations(iterations).invocationsPerIteration(invocations).threads(2)
                .actorsPerThread(2).actorsBefore(1).actorsAfter(1).sequentialSpecification(model)
                .addGuarantee(forClasses(Audit.class.getName(), FailureInjector.class.getName()).allMethods().ignore());
    }

    static StressOptions stress(Class<?> model) {
        return new StressOptions().iterations(10).invocationsPerIteration(300).threads(3).actorsPerThread(3)
                .actorsBefore(1).actorsAfter(1).sequentialSpecification(model);
    }

    @Test
    void modelCheckingFinal() {
        modelChecking(Model.class, 3, 100).check(WideFinal.class);
    }

    @Test
    void modelCheckingEveryFlag() {
        modelChecking(FlagsModel.class, 2, 100).check(FlagsFinal.class);
    }

    @Test
    void modelCheckingOnePair() {
        modelChecking(NarrowModel.class, 3, 100).check(NarrowFinal.class);
    }

    @Test
    void stressFinal() {
        stress(Model.class).check(WideFinal.class);
    }

    @Test
    void stressV3() {
        stress(Model.class).check(WideV3.class);
    }

    /** One operation per thread, nothing before: the two operations meet on the element. */
    static ModelCheckingOptions race(Class<?> model) {
        return new ModelCheckingOptions().iterations(8).invocationsPerIteration(150).threads(2).actorsPerThread(1)
                .actorsBefore(0).actorsAfter(1).sequentialSpecification(model)
                .addGuarantee(forClasses(Audit.class.getName(), FailureInjector.class.getName()).allMethods().ignore());
    }

    @Test
    void lookupIsNotLinearizable() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> race(LookupRaceModel.class).check(LookupRace.class));
        assertTrue(e.getMessage().contains("Invalid execution results") && e.getMessage().contains("lookup(): 0"),
                e.getMessage());
    }

    @Test
    void deleteIsNotLinearizable() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> race(DeleteRaceModel.class).check(DeleteRace.class));
        assertTrue(e.getMessage().contains("Invalid execution results") && e.getMessage().contains("delete(): ok"),
                e.getMessage());
    }

    @Test
    void aSkippedRecheckIsCaught() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> race(NoRecheckModel.class).check(NoRecheck.class));
        assertTrue(e.getMessage().contains("Invalid execution results"), e.getMessage());
    }

    @Test
    void anUncheckedCacheInsertIsCaught() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> modelChecking(NarrowModel.class, 6, 100).check(UncheckedCache.class));
        assertTrue(e.getMessage().contains("Invalid execution results") || e.getMessage().contains("UseAfterFree"),
                e.getMessage());
    }
}
