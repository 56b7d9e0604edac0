package rqspin.maps.hashtab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import rqspin.lock.Context;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.lock.Version;
import rqspin.maps.kfunc.FailureInjector;
import rqspin.maps.kfunc.MapErrno;

/**
 * The hash map example of impl/README.md: the region between the
 * {@code // [hashtab]} and {@code // [/hashtab]} lines is quoted there
 * verbatim (DocExamplesTest checks it); this test runs it and checks what its
 * comments claim.
 */
class HashTabExampleTest {

    @Test
    void theReadmeExampleDoesWhatItsCommentsSay() {
        // [hashtab]
        Machine m = Machine.of(2);
        FailureInjector<HtabSite> failures = new FailureInjector<>(HtabSite.class);
        HashTab map = new HashTab(m, Version.V6_15, 4, 8, 16, failures, Mutation.NONE); // 16 preallocated elements
        Cpu cpu = m.attach();
        byte[] key = ByteBuffer.allocate(4).putInt(7).array();
        int ret = map.update(cpu, key, new byte[8], HashTab.BPF_NOEXIST);    // 0
        failures.failAt(HtabSite.htab_map_delete_elem, 1, Errno.ETIMEDOUT);   // the next delete's bucket lock fails
        int del = map.delete(cpu, key);                                       // -ETIMEDOUT: nothing changed
        map.setCriticalSectionHook((site, c) -> {                             // while the next update holds the bucket lock,
            map.setCriticalSectionHook(null);                                 // an NMI program on the same CPU
            c.runNested(Context.NMI, () -> map.delete(c, key));               // deletes the key: AA, -EDEADLK
        });
        int upd = map.update(cpu, key, new byte[8], HashTab.BPF_EXIST);       // 0: the interrupted update completes
        List<String> audit = map.audit();                                     // []: every element in one place
        // [/hashtab]
        assertEquals(0, ret);
        assertEquals(MapErrno.ETIMEDOUT, del);
        assertEquals(0, upd);
        assertEquals(List.of(), audit);
        assertEquals(1, map.size());
        assertEquals(2, failures.failures().size());
        assertEquals(Errno.ETIMEDOUT, failures.failures().get(0).errno());
        assertEquals(true, failures.failures().get(0).injected());
        assertEquals(Errno.EDEADLK, failures.failures().get(1).errno());
        assertEquals(false, failures.failures().get(1).injected());
        cpu.detach();
    }
}
