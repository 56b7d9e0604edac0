package rqspin.spec;

import java.util.List;
import java.util.Map;

/**
 * What one TLC run reported: the verdict, the state-space numbers, the error
 * trace of a violation, and TLC's error messages.
 *
 * @param exitCode  TLC's process exit code (0, 11 deadlock, 12 invariant, 13 temporal or action property)
 * @param verdict   the verdict read from TLC's messages and checked against the exit code
 * @param generated states generated (null if TLC printed no statistics)
 * @param distinct  distinct states found
 * @param depth     depth of the state graph search (TLC omits it after a liveness violation)
 * @param seconds   wall-clock time of the TLC process
 * @param workers   TLC worker threads used
 * @param trace     the states of the error trace, first to last (empty when there is none)
 * @param loop      how a liveness counterexample ends: it stutters, or goes back to a state (null otherwise)
 * @param errors    the text of TLC's error messages, in order
 */
public record TlcResult(int exitCode, Verdict verdict, Long generated, Long distinct, Long depth,
                        double seconds, int workers, List<State> trace, Loop loop, List<String> errors) {

    /**
     * One state of an error trace.
     *
     * @param number   TLC's number for it (1 is the initial state)
     * @param action   the name of the action that led to it ({@code Initial predicate} for the first)
     * @param location where the action is defined, as TLC gives it (null for the initial state)
     * @param vars     each variable's value, as TLC prints it
     */
    public record State(int number, String action, String location, Map<String, String> vars) {}

    /**
     * The end of a lasso-shaped (liveness) counterexample.
     *
     * @param stuttering true when the behaviour stays in the last state forever
     * @param backTo     otherwise, the number of the state the behaviour returns to
     * @param action     the action that leads back (null when stuttering)
     */
    public record Loop(boolean stuttering, int backTo, String action) {}
}
