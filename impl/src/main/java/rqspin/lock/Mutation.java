package rqspin.lock;

/**
 * Seeded bugs for showing that the tests and harnesses can fail. Only code in
 * package {@code rqspin.lock} can construct a mutated lock (the constructor
 * taking a Mutation is package-private); the test suites keep each mutant
 * with the check that catches it.
 */
enum Mutation {
    /** The real algorithm. */
    NONE,
    /** A leaving waiter resets the tail if it is last but never signals its successor: the successors hang. */
    NO_ABORT_CASCADE,
    /** {@code check_deadlock_AA} always answers "no": AA ends by timeout instead of EDEADLK. */
    NO_AA_CHECK,
    /** {@code check_deadlock_ABBA} always answers "no": ABBA ends by timeout instead of EDEADLK. */
    NO_ABBA_CHECK,
    /** Deadlines never pass: a waiter behind an owner that never releases spins forever. */
    NO_TIMEOUT,
    /** A failing pending waiter leaves the pending bit set: the lock is unusable afterwards. */
    KEEP_PENDING_ON_FAILURE,
    /** The queue head waits only for the locked byte, not for the pending waiter: mutual exclusion breaks. */
    HEAD_IGNORES_PENDING,
    /** V6_19 head that detected a deadlock cancels the queue instead of handing over: successors fail. */
    NO_HEAD_HANDOVER
}
