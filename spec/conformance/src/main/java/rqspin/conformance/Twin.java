package rqspin.conformance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;
import rqspin.spec.TraceValidation;

/**
 * One mechanism's side of conformance: how its Java twin takes the steps of
 * a spec trace, and how a run of the Java twin becomes a trace for the spec.
 * One implementation per mechanism, in its own package; {@link Twins} lists
 * them.
 */
public interface Twin {

    /** The manifest's {@code mechanism} of the models this twin handles ({@code rqspinlock}, {@code localstorage}). */
    String mechanism();

    // ---------------------------------------------------------------- one vocabulary

    /**
     * The names of the spec's steps that model kernel steps (actions or
     * program counters), read from the spec files under {@code specDir}.
     */
    Set<String> specSteps(Path specDir) throws IOException;

    /** The names of the Java twin's steps. */
    Set<String> javaSteps();

    /** Names deliberately on one side only, each with its reason. */
    Map<String, String> vocabularyExceptions();

    /**
     * Why the Java twin cannot run {@code model} at all (a scenario the spec
     * has and the twin does not), or null when it can. The conform commands
     * skip such a model by default and refuse it when it is named.
     */
    default String cannotRun(Manifest manifest, Manifest.Model model) {
        return null;
    }

    // ---------------------------------------------------------------- spec to Java

    /**
     * Replays {@code trace} (a TLC error trace or a simulated behaviour of
     * {@code model}) on the Java twin through its step gates: the twin must
     * take the same steps, reach the same values of the observed variables,
     * and, for a violation, show it in its own checker.
     */
    Replay replay(Manifest manifest, Manifest.Model model, List<TlcResult.State> trace, TlcResult.Loop loop);

    /**
     * The outcome of a replay.
     *
     * @param followed  the Java twin took every step of the trace with the same observed values
     * @param steps     how many steps it took before stopping (all of them when followed)
     * @param mismatch  why it stopped, in kernel terms, when not followed (null otherwise)
     * @param violation what the Java twin's own checker reported at the end (null if nothing)
     * @param log       the replay step by step, one line per step ("cpu0 task xchg_tail ...")
     */
    record Replay(boolean followed, int steps, String mismatch, String violation, List<String> log) {}

    /**
     * The reproducer of a finding ({@code model} has a violation and is not a
     * spec mutant): the source of a readable test that plays {@code trace} as
     * a schedule of the Java twin ("cpu1 task takes xchg_tail, ...") and
     * checks the violation, keyed by its path under the twin's test source
     * root; empty if the twin writes none.
     */
    default Map<String, String> reproducer(Manifest manifest, Manifest.Model model, List<TlcResult.State> trace,
                                           TlcResult.Loop loop) {
        return Map.of();
    }

    // ---------------------------------------------------------------- Java to spec

    /**
     * Runs the Java twin on the scenario of {@code model} {@code runs} times
     * under a scheduler seeded from {@code seed} (with failure injection
     * where the mechanism has it), recording every step.
     */
    List<Recorded> randomRuns(Manifest manifest, Manifest.Model model, int runs, long seed);

    /**
     * A recorded run of the Java twin.
     *
     * @param name            what produced it (a test name, "random seed 42", ...)
     * @param events          its steps, as events for the spec's trace module
     * @param extraConstants  cfg lines the scenario needs beyond the model's (e.g. {@code "  Scripts <- TV_Scripts"})
     * @param definitions     definitions those lines name, added to the generated trace module
     * @param javaSteps       the same steps as the Java twin logged them, to print beside a mismatch
     */
    record Recorded(String name, List<TraceValidation.Event> events, List<String> extraConstants,
                    Map<String, String> definitions, List<String> javaSteps) {}
}
