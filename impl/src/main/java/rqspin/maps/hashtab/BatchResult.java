package rqspin.maps.hashtab;

import rqspin.maps.kfunc.MapErrno;

/**
 * What {@code BPF_MAP_LOOKUP_BATCH} / {@code BPF_MAP_LOOKUP_AND_DELETE_BATCH}
 * return: the error (0, or e.g. {@code -ENOENT} when the last bucket was
 * reached), the number of elements copied out ({@code attr->batch.count}),
 * and the bucket to continue from ({@code attr->batch.out_batch}).
 */
public final class BatchResult {
    private final int ret;
    private final int count;
    private final int outBatch;

    BatchResult(int ret, int count, int outBatch) {
        this.ret = ret;
        this.count = count;
        this.outBatch = outBatch;
    }

    /** 0 or a negative errno. */
    public int ret() {
        return ret;
    }

    /** Elements copied out. */
    public int count() {
        return count;
    }

    /** The next bucket to ask for. */
    public int outBatch() {
        return outBatch;
    }

    @Override
    public String toString() {
        return "batch ret=" + MapErrno.name(ret) + " count=" + count + " out_batch=" + outBatch;
    }
}
