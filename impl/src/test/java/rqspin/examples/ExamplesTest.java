package rqspin.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import rqspin.lock.RqSpinLock;
import rqspin.storage.Kernel;
import rqspin.storage.check.Audit;
import rqspin.storage.check.Leak;

/** Runs the examples quoted in impl/README.md and checks what their comments claim. */
class ExamplesTest {
    private static String[] lines(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8).split("\n");
    }

    @Test
    void lockExample() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RqSpinLock a = LockExample.run(new PrintStream(out, true, StandardCharsets.UTF_8));
        String[] l = lines(out);
        assertEquals("cpu0 holds A", l[0], "the critical section ran");
        assertEquals(2, l.length, String.join("\n", l));
        assertTrue(l[1].startsWith("res_spin_lock(A) on cpu0 in NMI returned -EDEADLK: AA deadlock"), l[1]);
        assertEquals(0, a.lockWord(), "A was released");
    }

    @Test
    void storageExample() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Audit.Report r = StorageExample.run(new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("lookup: [1, 2, 3, 4, 5, 6, 7, 8]\n"), text);
        assertTrue(text.contains("failures: [cpu0 bpf_local_storage_map_free > unlink: b->lock m1[0] for x2: "
                + "-ETIMEDOUT (injected)"), "the injected failure fired: " + text);
        assertEquals(1, r.lockFailures());
        assertEquals(1, r.warns().get(Kernel.WARN_MAP_FREE), "map_free WARNed");
        assertEquals(1, r.leaks(), text);
        Leak leak = r.leakList().get(0);
        assertEquals(List.of(Leak.Kind.SELEM, "x2", true), List.of(leak.kind(), leak.object(), leak.allowed()),
                "the selem leaked, after the failure (P7 allows it)");
        assertTrue(r.clean(), "no double free, no use after free, every leak allowed: " + text);
    }
}
