package rqspin.conformance.lock.repro;

import rqspin.conformance.lock.Reproducer;

/** Access to the generated schedules from other test packages. */
public final class Schedules {
    private Schedules() {}

    public static Reproducer tasVirt() {
        return RqV619TasVirtTest.SCHEDULE;
    }

    public static Reproducer handoverHang() {
        return RqV619HandoverHangTest.SCHEDULE;
    }
}
