package rqspin.conformance.storage.repro;

import rqspin.conformance.storage.Reproducer;

/** Access to the generated schedules from other test packages. */
public final class Schedules {
    private Schedules() {}

    public static Reproducer f1Uaf() {
        return LsFinalF1UafTest.SCHEDULE;
    }

    public static Reproducer f1Hang() {
        return LsFinalF1HangTest.SCHEDULE;
    }

    public static Reproducer f2Unpublished() {
        return LsFinalF2UnpublishedTest.SCHEDULE;
    }

    public static Reproducer f2LsUaf() {
        return LsFinalF2LsUafTest.SCHEDULE;
    }

    public static Reproducer sleepableUaf() {
        return LsFinalSleepableUafTest.SCHEDULE;
    }

    public static Reproducer c8() {
        return LsV3C8Test.SCHEDULE;
    }

    public static Reproducer c10() {
        return LsFinalC10Test.SCHEDULE;
    }

    public static Reproducer lingerF2Silent() {
        return LsFinalLingerF2SilentTest.SCHEDULE;
    }
}
