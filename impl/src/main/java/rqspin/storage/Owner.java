package rqspin.storage;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import rqspin.kernel.Freeable;
import rqspin.lock.Cpu;
import rqspin.storage.check.Leak;
import rqspin.storage.check.Step;
import rqspin.storage.check.Violation;

/**
 * The kernel object that owns a local storage: a socket, task, cgroup or
 * inode. Modelled on the socket, the owner type that charges memory.
 *
 * <h2>Fields, and who writes them</h2>
 * <ul>
 * <li>{@code storage} ({@code sk->sk_bpf_storage}, an RCU pointer): published
 *     by cmpxchg from NULL in {@code bpf_local_storage_alloc}; cleared under
 *     {@code local_storage->lock} with the last selem (delete, update, and
 *     map_free [FINAL]), and by the caller of destroy [V3].</li>
 * <li>{@code omem} ({@code sk_omem_alloc}): atomic; charged by
 *     {@code mem_charge} up to the limit ({@code optmem_max}), uncharged by
 *     {@code mem_uncharge} and by the owner itself with what destroy
 *     returns. Must be 0 when the owner is freed ({@code __sk_destruct}).</li>
 * </ul>
 * Once {@link #destroy} has run, the owner is freed: any later access is a
 * use after free.
 */
public final class Owner extends Freeable {
    final Kernel kernel;
    /** Audit only (not a kernel field): a failed lock attempt concerned this object, which makes a leak of it one that P7 allows. */
    volatile boolean failureSeen;
    private final AtomicReference<LocalStorage> storage = new AtomicReference<>();
    private final AtomicInteger omem = new AtomicInteger();
    private final int limit;
    final UseCount users = new UseCount();
    private volatile boolean overUncharged;

    Owner(Kernel kernel, String name, int limit) {
        super(kernel.audit, name);
        this.kernel = kernel;
        this.limit = limit;
    }

    @Override
    public String kind() {
        return "owner";
    }

    /** The charge limit ({@code optmem_max}). */
    public int limit() {
        return limit;
    }

    /** Bytes charged now ({@code sk_omem_alloc}); no access check. */
    public int charged() {
        return omem.get();
    }

    /** Whether a failed lock attempt concerned it (what makes a leak one that P7 allows); audit only. */
    public boolean failureSeen() {
        return failureSeen;
    }

    /** Whether {@link #destroy} has started. */
    public boolean isDestroyed() {
        return users.isClosed();
    }

    /** {@code owner->storage} now (no access check; for tests and the audit). */
    public LocalStorage storageForAudit() {
        return storage.get();
    }

    /** {@code rcu_dereference(*owner_storage(smap, owner))}. */
    LocalStorage storage() {
        use("read owner->storage");
        return storage.get();
    }

    /** {@code cmpxchg(owner_storage_ptr, NULL, storage)}: false if another storage was published first. */
    boolean publishStorage(LocalStorage ls) {
        use("cmpxchg owner->storage");
        return storage.compareAndSet(null, ls);
    }

    /** {@code RCU_INIT_POINTER(*owner_storage(smap, owner), NULL)}. */
    void clearStorage() {
        use("write owner->storage");
        storage.set(null);
    }

    /** {@code bpf_sk_storage_charge}: fails (changes nothing) if the charge would exceed the limit. */
    boolean charge(int size) {
        use("charge sk_omem_alloc");
        for (;;) {
            int c = omem.get();
            if (size > limit || c > limit - size) {
                return false;
            }
            if (omem.compareAndSet(c, c + size)) {
                return true;
            }
        }
    }

    /** {@code bpf_sk_storage_uncharge} / {@code atomic_sub(..., &sk->sk_omem_alloc)}. */
    void uncharge(int size) {
        use("uncharge sk_omem_alloc");
        int now = omem.getAndAdd(-size) - size;
        if (now < 0 && !overUncharged) {
            overUncharged = true;
            kernel.audit.record(Violation.Property.P4_CHARGE_BALANCED,
                    "owner " + this + " uncharged below zero (" + now + " bytes)", kernel.currentCpuOrNull());
        }
    }

    /**
     * The owner goes away: {@code bpf_sk_storage_free} (inside
     * {@code rcu_read_lock}: {@code bpf_local_storage_destroy} of its
     * storage, then uncharge what it returned), then the owner is freed
     * ({@code __sk_destruct}), which checks that nothing is charged any more.
     * Waits for the operations in flight on this owner; new ones are rejected.
     *
     * @return what destroy returned (0 without a storage)
     * @throws BadInputException if destroy already started, or the CPU is not run by this thread
     */
    public int destroy(Cpu cpu) {
        kernel.enter(cpu);
        if (users.isClosed()) {
            throw new BadInputException(BadInputException.Kind.OWNER_DESTROYED, "destroy of " + this + " again");
        }
        Kernel k = kernel;
        k.await(cpu, Step.DESTROY_START, this, users::noUsers, null, null);
        if (!users.close()) {
            throw new BadInputException(BadInputException.Kind.OWNER_DESTROYED, "destroy of " + this + " again");
        }
        Throwable thrown = null;
        try {
            users.awaitNoUsers();
            int total = 0;
            k.rcu.readLock(cpu);
            try {
                LocalStorage ls = storage();
                if (ls == null) {
                    k.step(cpu, Step.DESTROY_NO_STORAGE, this);
                } else {
                    total = ls.destroy(cpu);
                    k.step(cpu, Step.DESTROY_OWNER_UNCHARGE, this);
                    if (k.protocol == Protocol.V3) {
                        clearStorage(); // every v3 caller clears owner->storage
                    }
                    uncharge(total);
                }
                int left = omem.get();
                if (left > 0) {
                    k.audit.leak(new Leak(Leak.Kind.CHARGE, name(), failureSeen,
                            left + " bytes still charged when the owner was freed", 0));
                }
                // __sk_destruct; in the spec's step, which ends with the rcu_read_unlock below
                freeNow("__sk_destruct after bpf_sk_storage_free on cpu" + cpu.id());
            } finally {
                k.rcu.readUnlock(cpu);
            }
            return total;
        } catch (Throwable t) {
            thrown = t;
            throw t;
        } finally {
            k.opEnd(cpu, thrown);
        }
    }
}
