package rqspin.maps.hashtab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import rqspin.lock.Cpu;
import rqspin.lock.Machine;
import rqspin.lock.Version;

/**
 * Why the lockless lookup is not in the Lincheck test: on a preallocated map
 * it is not linearizable. A deleted element goes back to the free list at
 * once (no grace period: {@code free_htab_elem} pushes it), and the next
 * insertion may pop it while a lookup stands on it. Step by step, with two
 * CPUs held at two points:
 * <ol>
 * <li>cpu0 looks up k1 and stands on element X, which holds k0 (same
 * bucket);</li>
 * <li>cpu1 deletes k0 (X goes to the free list) and inserts k1 with value 5:
 * it pops X and writes (k1, 5) into it, and is held before linking it;</li>
 * <li>cpu0 reads X: key k1, so its lookup returns 5; a second lookup of k1
 * finds nothing (X is not linked yet);</li>
 * <li>cpu1 links X.</li>
 * </ol>
 * No order of the four operations gives "5, then nothing" with no delete of
 * k1. The kernel's {@code lookup_nulls_elem_raw} compares the hash and the
 * key of the element it stands on the same way (and returns a pointer into
 * it), so it can answer the same; this is a property of preallocated maps,
 * not of the rqspinlock conversion.
 */
class PreallocReuseTest {

    static byte[] key(int k) {
        return ByteBuffer.allocate(4).putInt(k).array();
    }

    @Test
    void aLookupStandingOnAReusedElementSeesAnInsertionBeforeItIsLinked() throws InterruptedException {
        Machine machine = Machine.of(2);
        HashTab m = new HashTab(machine, Version.V6_19, 4, 8, 4);
        int k1 = 1;
        while (m.bucketOf(key(k1)) != m.bucketOf(key(0))) {
            k1++;
        }
        final int k = k1;
        CountDownLatch standing = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch readerDone = new CountDownLatch(1);
        AtomicReference<Throwable> crash = new AtomicReference<>();
        Thread setup = new Thread(() -> {
            Cpu c = machine.attach(0);
            m.update(c, key(0), new byte[8], HashTab.BPF_ANY); // k0 in element X, the only element of the bucket
            c.detach();
        });
        setup.start();
        setup.join();
        byte[][] first = new byte[1][];
        byte[][] second = new byte[1][];
        Thread reader = new Thread(() -> {
            Cpu c = machine.attach(0);
            try {
                m.lookupStandsOnElemHook = () -> {
                    m.lookupStandsOnElemHook = null;
                    standing.countDown();
                    await(written);
                };
                first[0] = m.lookup(c, key(k));
                second[0] = m.lookup(c, key(k));
            } catch (Throwable t) {
                crash.set(t);
            } finally {
                readerDone.countDown();
                c.detach();
            }
        });
        Thread writer = new Thread(() -> {
            Cpu c = machine.attach(1);
            try {
                await(standing);
                assertEquals(0, m.delete(c, key(0)));
                m.updateBeforeLinkHook = () -> {
                    m.updateBeforeLinkHook = null;
                    written.countDown();
                    await(readerDone);
                };
                byte[] v = new byte[8];
                v[0] = 5;
                assertEquals(0, m.update(c, key(k), v, HashTab.BPF_NOEXIST));
            } catch (Throwable t) {
                crash.set(t);
                written.countDown();
            } finally {
                c.detach();
            }
        });
        reader.start();
        writer.start();
        reader.join();
        writer.join();
        if (crash.get() != null) {
            throw new AssertionError(crash.get());
        }
        assertEquals(5, first[0][0], "the lookup read the reused element's new pair");
        assertNull(second[0], "and the next lookup finds nothing: the insertion has not linked it yet");
        assertEquals(List.of(), m.audit(), "nothing is corrupted: only the lookup's answer is early");
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
