package rqspin.storage.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import rqspin.lock.Errno;
import rqspin.storage.Kernel;
import rqspin.storage.LockSite;

/**
 * The value classes of the checking machinery are records, and no record of
 * impl relies on the implicit {@code equals}, {@code hashCode} or
 * {@code toString}. jpf-core (branch java-17) runs a record's constructor and
 * accessors, but its {@code invokedynamic} of the bootstrap
 * {@code java.lang.runtime.ObjectMethods} (what javac emits for the implicit
 * three) returns no next instruction: the calling thread ends silently and
 * the search reports "no errors detected". A harness that printed a
 * violation on its way to an {@code AssertionError} would then pass. So every
 * record here declares the three itself, and this test fails on any class of
 * impl whose bytecode names that bootstrap.
 */
class RecordsUnderJpfTest {
    private static final byte[] OBJECT_METHODS = "java/lang/runtime/ObjectMethods".getBytes(StandardCharsets.UTF_8);

    @Test
    void theValueClassesAreRecords() {
        for (Class<?> c : new Class<?>[] {LockFailure.class, Violation.class, Leak.class, FailureInjector.Attempt.class}) {
            assertTrue(c.isRecord(), c.getSimpleName());
        }
    }

    @Test
    void noClassOfImplUsesTheImplicitObjectMethods() throws IOException, URISyntaxException {
        Path classes = Path.of(Kernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> s = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".class"))::iterator) {
                scanned++;
                if (contains(Files.readAllBytes(p), OBJECT_METHODS)) {
                    offenders.add(classes.relativize(p).toString());
                }
            }
        }
        assertTrue(scanned > 50, "scanned the main classes of impl in " + classes + ": " + scanned);
        assertEquals(List.of(), offenders, "records that leave equals, hashCode or toString implicit: JPF ends the "
                + "calling thread silently at them; declare all three");
    }

    @Test
    void theDeclaredMethodsKeepTheRecordContract() {
        LockFailure f = new LockFailure(LockSite.MAP_FREE_BUCKET, Errno.ETIMEDOUT, true, 0, "b->lock m1[0]", null, 3);
        LockFailure copy = new LockFailure(f.site(), f.errno(), f.injected(), f.cpu(), f.lock(), f.selem(), f.attempt());
        assertEquals(f, copy);
        assertEquals(f.hashCode(), copy.hashCode());
        assertNotEquals(f, new LockFailure(f.site(), f.errno(), f.injected(), f.cpu(), f.lock(), "x1", f.attempt()));
        assertEquals("cpu0 bpf_local_storage_map_free > unlink: b->lock m1[0]: -ETIMEDOUT (injected) [attempt 3]",
                f.toString());
        Violation v = new Violation(Violation.Property.P2_FREE_ONLY_UNLINKED, "x1 freed while on m1", 1, 7);
        assertEquals(v, new Violation(v.property(), v.what(), v.cpu(), v.seq()));
        assertEquals("P2_FreeOnlyUnlinked: x1 freed while on m1 (cpu1)", v.toString());
        Leak l = new Leak(Leak.Kind.SELEM, "x1", true, "unlinked", 1);
        assertEquals(l, new Leak(l.kind(), l.object(), l.allowed(), l.detail(), l.fields()));
        assertFalse(l.equals(new Leak(l.kind(), l.object(), false, l.detail(), l.fields())));
        assertEquals("SELEM x1 (unlinked) after a lock failure", l.toString());
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
