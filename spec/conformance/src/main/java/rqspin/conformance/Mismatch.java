package rqspin.conformance;

import rqspin.spec.TraceValidation;

/** A rejected run, told in kernel terms: the first step the spec cannot take, the spec state before it, and the Java step. */
final class Mismatch {
    private Mismatch() {}

    static String describe(Twin.Recorded run, TraceValidation.Outcome o) {
        StringBuilder b = new StringBuilder();
        b.append("  ").append(run.name()).append(": the spec takes ").append(o.taken()).append(" of ")
                .append(o.length()).append(" steps; it cannot take step ").append(o.taken() + 1).append(": ");
        b.append(run.events().get(o.taken())).append('\n');
        if (o.taken() < run.javaSteps().size()) {
            b.append("    Java step: ").append(run.javaSteps().get(o.taken())).append('\n');
        }
        b.append("    spec state before it: ").append(o.stateBefore());
        return b.toString();
    }
}
