package rqspin.conformance;

import java.util.List;
import java.util.Optional;

/** The twins of every mechanism. */
public final class Twins {
    private Twins() {}

    /** Every mechanism's twin, in the order the manifest lists the mechanisms. */
    public static List<Twin> all() {
        return List.of(new rqspin.conformance.lock.LockTwin(), new rqspin.conformance.storage.StorageTwin());
    }

    /** The twin of {@code mechanism}, if there is one. */
    public static Optional<Twin> of(String mechanism) {
        return all().stream().filter(t -> t.mechanism().equals(mechanism)).findFirst();
    }
}
