package rqspin.spec;

import java.util.Locale;

/**
 * The outcome of one TLC run, as the manifest states it and the runner reports it.
 *
 * <p>{@code kind} is one of the {@link Kind}s; {@code property} names the
 * invariant, action property or temporal property that failed (null for
 * {@code pass} and {@code deadlock}; for {@code error} it carries a short
 * description of what went wrong).
 */
public record Verdict(Kind kind, String property) {

    public enum Kind {
        /** TLC explored the whole state space and found no violation (exit code 0). */
        PASS,
        /** An invariant or action property failed (exit 12, or 13 for an action property). */
        SAFETY,
        /** A temporal property failed (exit 13). */
        LIVENESS,
        /** A reachable state has no successor and deadlock checking is on (exit 11). */
        DEADLOCK,
        /** TLC did not give a verdict (parse error, evaluation error, crash). Never expected. */
        ERROR;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind ofLabel(String s) {
            for (Kind k : values()) {
                if (k.label().equals(s)) {
                    return k;
                }
            }
            return null;
        }
    }

    public static Verdict pass() {
        return new Verdict(Kind.PASS, null);
    }

    /** {@code pass}, {@code deadlock}, {@code safety: Inv}, {@code liveness: Prop}, {@code error: why}. */
    @Override
    public String toString() {
        return property == null ? kind.label() : kind.label() + ": " + property;
    }

    /** True when the two verdicts agree in kind and in the property named. */
    public boolean matches(Verdict expected) {
        return kind == expected.kind
                && kind != Kind.ERROR
                && java.util.Objects.equals(property, expected.property);
    }
}
