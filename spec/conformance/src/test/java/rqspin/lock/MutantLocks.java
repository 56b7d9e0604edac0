package rqspin.lock;

/**
 * Seeded mutants of {@link RqSpinLock} for the conformance tests (a mutant
 * can only be built in this package): they show that trace validation and
 * replay catch a Java twin that drifted from the spec.
 */
public final class MutantLocks {
    private MutantLocks() {}

    /** A lock of {@code version} with the seeded bug {@code mutation} (a {@link Mutation} name). */
    public static RqSpinLock create(Machine machine, Version version, String name, String mutation) {
        return new RqSpinLock(machine, version, name, Mutation.valueOf(mutation));
    }
}
