package rqspin.examples;

import java.io.PrintStream;
import java.util.Arrays;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.Machine;
import rqspin.storage.Kernel;
import rqspin.storage.LocalStorageMap;
import rqspin.storage.LockSite;
import rqspin.storage.Owner;
import rqspin.storage.Protocol;
import rqspin.storage.StorageException;
import rqspin.storage.check.Audit;

/**
 * The local storage example of impl/README.md: the region between
 * {@code // [basic]} and {@code // [/basic]} is quoted there verbatim
 * (DocExamplesTest checks it) and run by ExamplesTest, which checks what the
 * comments claim.
 */
public final class StorageExample {
    private StorageExample() {
    }

    /** One owner, one map: update, lookup, delete, then a teardown in which map_free's b->lock fails. */
    static Audit.Report run(PrintStream out) throws StorageException {
        // [basic]
        Kernel k = Kernel.builder(Machine.of(2)).protocol(Protocol.FINAL).build();
        LocalStorageMap m = k.newMap("m1", 8);                  // value size 8, kernel bucket count, 1 special field
        Owner sk = k.newOwner("sk1", 4096);                     // charge limit (optmem_max)
        Cpu cpu = k.machine().attach();                         // this thread is cpu0
        byte[] value = {1, 2, 3, 4, 5, 6, 7, 8};
        m.update(cpu, sk, value, LocalStorageMap.BPF_NOEXIST);  // bpf_local_storage_update
        byte[] v = m.lookup(cpu, sk);                           // bpf_local_storage_lookup, cached under local_storage->lock
        out.println("lookup: " + Arrays.toString(v));
        m.delete(cpu, sk);                                      // bpf_selem_unlink
        m.update(cpu, sk, value, LocalStorageMap.BPF_ANY);      // a new element, for the teardown
        k.failures().failAt(LockSite.MAP_FREE_BUCKET, Errno.ETIMEDOUT); // every attempt at map_free's b->lock fails
        m.mapFree(cpu);                                         // bpf_local_storage_map_free: WARNs, the selem leaks
        sk.destroy(cpu);                                        // bpf_local_storage_destroy, then the owner is freed
        k.rcu().barrier(cpu);                                   // every pending RCU callback runs
        out.println("failures: " + k.failures().failures());    // site, errno, CPU, lock, selem
        Audit.Report r = k.audit().report();                    // leaks (allowed or not), double frees, uses after free, ...
        out.print(r);
        // [/basic]
        cpu.detach();
        return r;
    }

    /** Runs the example. */
    public static void main(String[] args) throws StorageException {
        run(System.out);
    }
}
