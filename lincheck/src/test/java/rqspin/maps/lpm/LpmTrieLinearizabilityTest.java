package rqspin.maps.lpm;

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
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;

/**
 * The LPM trie against a sequential table of prefixes with a brute-force
 * longest-prefix match ({@link Table}), in Lincheck's model-checking and
 * stress modes, with lock failures injected as in the hash map's test (an
 * operation's {@code fail} parameter: "returns -EDEADLK, changes nothing").
 *
 * <p>One-byte keys: 1/1, 11/2 and 101/3 (as bit strings), chosen so that
 * updates and deletes create, replace and remove intermediate nodes;
 * max_entries 2, so {@code -ENOSPC} is part of the specification; lookups of
 * the addresses 11000101 and 10100001 and 00000001, each matching a
 * different set of the prefixes.
 */
class LpmTrieLinearizabilityTest {
    static final int[] PREFIXLEN = {1, 2, 3};
    static final int[] DATA = {0x80, 0xC0, 0xA0};
    static final int[] ADDR = {0xC5, 0xA1, 0x01};

    /** The implementation. */
    public static class Trie {
        private final Machine machine = Machine.builder(4).clock(c -> 0L).build();
        private final FailureInjector<TrieSite> failures = new FailureInjector<>(TrieSite.class);
        private final LpmTrie t;

        public Trie() {
            this(Mutation.NONE);
        }

        Trie(Mutation mu) {
            t = new LpmTrie(machine, Version.V6_19, 1, 1, 2, failures, mu);
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
            return MapErrno.name(t.update(cpu(fail), PREFIXLEN[k], new byte[] {(byte) DATA[k]}, new byte[] {(byte) v},
                    flags));
        }

        @Operation
        public String delete(@Param(gen = IntGen.class, conf = "0:2") int k,
                @Param(gen = IntGen.class, conf = "0:1") int fail) {
            return MapErrno.name(t.delete(cpu(fail), PREFIXLEN[k], new byte[] {(byte) DATA[k]}));
        }

        @Operation
        public int lookup(@Param(gen = IntGen.class, conf = "0:2") int a) {
            byte[] v = t.lookup(cpu(0), 8, new byte[] {(byte) ADDR[a]});
            return v == null ? 0 : v[0];
        }
    }

    /** The sequential specification: a value per prefix (0: absent), at most 2 of them. */
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
                return "ENOSPC";
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

        public int lookup(int a) {
            int best = 0;
            int bestLen = -1;
            for (int k = 0; k < 3; k++) {
                int mask = (0xff << (8 - PREFIXLEN[k])) & 0xff;
                if (values[k] != 0 && (ADDR[a] & mask) == DATA[k] && PREFIXLEN[k] > bestLen) {
                    best = values[k];
                    bestLen = PREFIXLEN[k];
                }
            }
            return best;
        }
    }

    /** The seeded bug: a replacing update drops the old node's children. */
    public static class DropChildren extends Trie {
        public DropChildren() {
            super(Mutation.UPDATE_DROPS_CHILDREN);
        }
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
        modelChecking(2, 30).check(Trie.class);
    }

    @Test
    void stressWithInjectedFailures() {
        stress(5, 200).check(Trie.class);
    }

    @Test
    void anUpdateThatDropsTheReplacedNodesChildrenIsCaught() {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class,
                () -> stress(200, 10).check(DropChildren.class));
        assertTrue(e.getMessage().contains("Invalid execution results"), e.getMessage());
    }
}
