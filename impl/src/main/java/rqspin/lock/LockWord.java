package rqspin.lock;

/**
 * Layout of the 32-bit lock word shared by {@link RqSpinLock} and
 * {@link QSpinLock} (the kernel's qspinlock_types.h for fewer than 16K CPUs),
 * written as the triple (tail, pending, locked):
 *
 * <pre>
 *  bits  0- 7  locked byte   0 or 1 (_Q_LOCKED_VAL)
 *  bits  8-15  pending byte  only bit 8 used (_Q_PENDING_VAL)
 *  bits 16-17  tail index    MCS node index 0..3 of the tail CPU
 *  bits 18-31  tail CPU + 1  0 means "no tail"
 * </pre>
 */
public final class LockWord {
    /** The locked byte set: the value of an uncontended held lock, (0,0,1). */
    public static final int LOCKED_VAL = 1;
    /** Mask of the locked byte. */
    public static final int LOCKED_MASK = 0xff;
    /** The pending bit, (0,1,0). */
    public static final int PENDING_VAL = 1 << 8;
    /** Mask of the pending byte. */
    public static final int PENDING_MASK = 0xff << 8;
    /** Locked and pending bytes. */
    public static final int LOCKED_PENDING_MASK = LOCKED_MASK | PENDING_MASK;
    /** First bit of the tail's node index. */
    public static final int TAIL_IDX_OFFSET = 16;
    /** Mask of the tail's node index. */
    public static final int TAIL_IDX_MASK = 0x3 << TAIL_IDX_OFFSET;
    /** First bit of the tail's CPU number + 1. */
    public static final int TAIL_CPU_OFFSET = 18;
    /** Mask of the tail's CPU number + 1. */
    public static final int TAIL_CPU_MASK = 0x3fff << TAIL_CPU_OFFSET;
    /** Mask of the whole tail. */
    public static final int TAIL_MASK = TAIL_IDX_MASK | TAIL_CPU_MASK;
    /** Largest number of CPUs the tail can name (CPU + 1 must fit in 14 bits). */
    public static final int MAX_CPUS = 0x3fff;
    /** MCS nodes per CPU (_Q_MAX_NODES): task, softirq, hardirq, NMI. */
    public static final int MAX_NODES = 4;

    private LockWord() {
    }

    /** {@code encode_tail(cpu, idx)}. */
    public static int encodeTail(int cpu, int idx) {
        return ((cpu + 1) << TAIL_CPU_OFFSET) | (idx << TAIL_IDX_OFFSET);
    }

    /** The CPU number of a non-zero tail. */
    public static int tailCpu(int word) {
        return ((word & TAIL_CPU_MASK) >>> TAIL_CPU_OFFSET) - 1;
    }

    /** The node index of a non-zero tail. */
    public static int tailIdx(int word) {
        return (word & TAIL_IDX_MASK) >>> TAIL_IDX_OFFSET;
    }

    /** The word as the kernel's comments write it: (tail, pending, locked), with the tail as cpuN/idx. */
    public static String describe(int word) {
        String tail = (word & TAIL_MASK) == 0 ? "0" : "cpu" + tailCpu(word) + "/" + tailIdx(word);
        return "(" + tail + "," + ((word & PENDING_MASK) >>> 8) + "," + (word & LOCKED_MASK) + ")";
    }
}
