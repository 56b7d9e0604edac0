package rqspin.storage;

/**
 * Where an rqspinlock attempt of the local storage is made: which kernel
 * function, which lock. Every attempt goes through
 * {@link CriticalSection#locked}, where the {@link rqspin.storage.check.FailureInjector} may make
 * it fail, and every failure is recorded with its site.
 */
public enum LockSite {
    /** {@code bpf_local_storage_update}: {@code local_storage->lock}. */
    UPDATE_STORAGE(Function.UPDATE, LockKind.STORAGE, "bpf_local_storage_update"),
    /** {@code bpf_local_storage_update}: {@code b->lock} of the new selem's bucket. */
    UPDATE_BUCKET(Function.UPDATE, LockKind.BUCKET, "bpf_local_storage_update"),
    /** [V3] {@code bpf_local_storage_update}: {@code b->lock} of the old selem's bucket (another hash). */
    UPDATE_OLD_BUCKET(Function.UPDATE, LockKind.BUCKET, "bpf_local_storage_update (old selem's bucket)"),
    /** {@code bpf_local_storage_alloc}: {@code b->lock} (the owner's first selem). */
    STORAGE_ALLOC_BUCKET(Function.UPDATE, LockKind.BUCKET, "bpf_local_storage_alloc"),
    /** {@code bpf_selem_unlink}: {@code local_storage->lock}. */
    DELETE_STORAGE(Function.DELETE, LockKind.STORAGE, "bpf_selem_unlink"),
    /** {@code bpf_selem_unlink_map}: {@code b->lock}. */
    DELETE_BUCKET(Function.DELETE, LockKind.BUCKET, "bpf_selem_unlink_map"),
    /** {@code __bpf_local_storage_insert_cache}: {@code local_storage->lock} (failure: no caching). */
    LOOKUP_CACHE(Function.LOOKUP, LockKind.STORAGE, "__bpf_local_storage_insert_cache"),
    /** {@code bpf_selem_unlink_nofail} / {@code _lockless} called by {@code bpf_local_storage_map_free}: {@code b->lock}. */
    MAP_FREE_BUCKET(Function.MAP_FREE, LockKind.BUCKET, "bpf_local_storage_map_free > unlink"),
    /** [FINAL] {@code bpf_selem_unlink_nofail} called by {@code bpf_local_storage_map_free}: {@code local_storage->lock}. */
    MAP_FREE_STORAGE(Function.MAP_FREE, LockKind.STORAGE, "bpf_local_storage_map_free > unlink"),
    /** {@code bpf_selem_unlink_nofail} / {@code _lockless} called by {@code bpf_local_storage_destroy}: {@code b->lock}. */
    DESTROY_BUCKET(Function.DESTROY, LockKind.BUCKET, "bpf_local_storage_destroy > unlink"),
    /** {@code bpf_selem_unlink_nofail} / {@code _lockless} called by {@code bpf_local_storage_destroy}: {@code local_storage->lock}. */
    DESTROY_STORAGE(Function.DESTROY, LockKind.STORAGE, "bpf_local_storage_destroy > unlink");

    /** The operation making the attempt. */
    public enum Function {
        /** {@code bpf_local_storage_update} (with {@code bpf_local_storage_alloc}). */
        UPDATE,
        /** {@code bpf_selem_unlink} (delete). */
        DELETE,
        /** {@code bpf_local_storage_lookup} with caching. */
        LOOKUP,
        /** {@code bpf_local_storage_map_free}. */
        MAP_FREE,
        /** {@code bpf_local_storage_destroy}. */
        DESTROY
    }

    /** Which of the two locks. */
    public enum LockKind {
        /** {@code b->lock}: a map bucket's lock. */
        BUCKET("b->lock"),
        /** {@code local_storage->lock}. */
        STORAGE("local_storage->lock");

        private final String kernelName;

        LockKind(String kernelName) {
            this.kernelName = kernelName;
        }

        /** The lock's name in the kernel. */
        public String kernelName() {
            return kernelName;
        }
    }

    private final Function function;
    private final LockKind lock;
    private final String kernelFunction;

    LockSite(Function function, LockKind lock, String kernelFunction) {
        this.function = function;
        this.lock = lock;
        this.kernelFunction = kernelFunction;
    }

    /** The operation. */
    public Function function() {
        return function;
    }

    /** The lock. */
    public LockKind lock() {
        return lock;
    }

    /** The kernel function, e.g. "bpf_local_storage_map_free > unlink". */
    public String kernelFunction() {
        return kernelFunction;
    }

    /** "bpf_local_storage_map_free > unlink: b->lock". */
    public String describe() {
        return kernelFunction + ": " + lock.kernelName();
    }

    /** The teardown sites (map_free and destroy): the JPF harnesses inject at each. */
    public boolean isTeardown() {
        return function == Function.MAP_FREE || function == Function.DESTROY;
    }
}
