package rqspin.lock;

import rqspin.model.AbortCascade;
import rqspin.model.Harness;
import rqspin.model.HeadHandover;

/**
 * Runs a lock harness on a seeded mutant of {@link RqSpinLock}, for the
 * negative JPF files ({@code model/jpf/*-mut-*.jpf}): they show that the
 * harness, with the scheduling points that {@code jpf/lock-por.properties}
 * leaves, still catches the bug. It lives in package rqspin.lock because a
 * mutant can only be built there; nothing outside the checks uses it.
 *
 * <p>Usage: {@code JpfMutant HARNESS VERSION MUTATION}, where HARNESS is
 * {@code AbortCascade} or {@code HeadHandover}. Bad arguments: an
 * IllegalArgumentException naming the one that is wrong.
 */
public final class JpfMutant {
    private JpfMutant() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: JpfMutant AbortCascade|HeadHandover VERSION MUTATION");
        }
        Version v = Version.valueOf(args[1]);
        Mutation mu = Mutation.valueOf(args[2]);
        Harness.LockFactory locks = (machine, name) -> new RqSpinLock(machine, v, name, mu);
        switch (args[0]) {
            case "AbortCascade":
                AbortCascade.run(locks);
                break;
            case "HeadHandover":
                HeadHandover.run(locks, true);
                break;
            default:
                throw new IllegalArgumentException("unknown harness: " + args[0] + " (AbortCascade or HeadHandover)");
        }
        System.out.println("JpfMutant " + String.join(" ", args) + ": passed (the mutant was not caught)");
    }
}
