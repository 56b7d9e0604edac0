package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real TLC on tiny specs (src/test/tla) and checks the verdict,
 * exit code, statistics and trace the runner reads from each. These are the
 * TLC behaviours the runner relies on: if a TLC upgrade changed an exit code
 * or a message number, these tests say which.
 */
class TlcBehaviourTest {
    static final Path TLA = Path.of("src", "test", "tla").toAbsolutePath();
    static Manifest manifest;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        manifest = Manifest.load(TLA.resolve("models.json"));
    }

    static Manifest.Model model(String name) throws UsageException {
        return manifest.select(List.of(name)).get(0);
    }

    TlcResult run(String name) throws Exception {
        return Tlc.run(manifest, model(name), "auto", tmp.resolve(name + ".log"), null);
    }

    @Test
    void passingModelExitsZeroWithFullStatistics() throws Exception {
        TlcResult r = run("counter_pass");
        assertEquals(0, r.exitCode());
        assertEquals(Verdict.pass(), r.verdict());
        assertEquals(12L, r.distinct(), "4 values of x times 3 of y");
        assertEquals(6L, r.depth());
        assertTrue(r.workers() >= 1);
        assertTrue(r.trace().isEmpty());
        assertTrue(r.errors().isEmpty());
    }

    @Test
    void invariantViolationIsSafetyWithNamedInvariantAndTrace() throws Exception {
        TlcResult r = run("counter_invariant");
        assertEquals(12, r.exitCode());
        assertEquals(new Verdict(Verdict.Kind.SAFETY, "Small"), r.verdict());
        // BFS gives a shortest trace: init plus four increments to reach x + y = 4
        assertEquals(5, r.trace().size());
        TlcResult.State first = r.trace().get(0);
        assertEquals("Initial predicate", first.action());
        assertEquals("0", first.vars().get("x"));
        assertEquals(java.util.Set.of("x", "y", "flag", "rec"), first.vars().keySet());
        TlcResult.State second = r.trace().get(1);
        assertTrue(List.of("IncX", "IncY").contains(second.action()), second.action());
        assertNotNull(second.location());
        assertNull(r.loop());
    }

    @Test
    void deadlockIsReportedWhenCheckingIsOn() throws Exception {
        TlcResult r = run("counter_deadlock");
        assertEquals(11, r.exitCode());
        assertEquals(new Verdict(Verdict.Kind.DEADLOCK, null), r.verdict());
        TlcResult.State last = r.trace().get(r.trace().size() - 1);
        assertEquals("3", last.vars().get("x"));
        assertEquals("2", last.vars().get("y"));
    }

    @Test
    void livenessViolationEndingInStutteringNamesTheOnlyProperty() throws Exception {
        TlcResult r = run("counter_stutter");
        assertEquals(13, r.exitCode());
        assertEquals(new Verdict(Verdict.Kind.LIVENESS, "YReaches5"), r.verdict());
        assertNotNull(r.loop());
        assertTrue(r.loop().stuttering());
    }

    @Test
    void livenessViolationAsLassoGoesBackToAState() throws Exception {
        TlcResult r = run("counter_lasso");
        assertEquals(13, r.exitCode());
        assertEquals(new Verdict(Verdict.Kind.LIVENESS, "XReaches3"), r.verdict());
        assertNotNull(r.loop());
        assertFalse(r.loop().stuttering());
        assertEquals("Toggle", r.loop().action());
        assertTrue(r.loop().backTo() >= 1 && r.loop().backTo() <= r.trace().size());
    }

    @Test
    void actionPropertyViolationIsSafetyEvenWithExitCode13() throws Exception {
        TlcResult r = run("counter_action");
        assertEquals(13, r.exitCode());
        assertEquals(new Verdict(Verdict.Kind.SAFETY, "YNeverMoves"), r.verdict());
    }

    @Test
    void evaluationErrorIsAnErrorVerdict() throws Exception {
        TlcResult r = run("counter_error");
        assertEquals(Verdict.Kind.ERROR, r.verdict().kind());
        assertFalse(r.errors().isEmpty());
        assertFalse(r.verdict().matches(Verdict.pass()));
    }

    @Test
    void parseErrorIsAnErrorVerdictWithExitCode150() throws Exception {
        TlcResult r = run("unparsable");
        assertEquals(150, r.exitCode());
        assertEquals(Verdict.Kind.ERROR, r.verdict().kind());
    }

    @Test
    void configPropertiesIgnoreComments() throws Exception {
        assertEquals(List.of("XReaches3"), Cfg.temporalProperties(TLA.resolve("Counter_lasso.cfg")));
        assertEquals(List.of("XReaches3", "XNeverDecreases"), Cfg.temporalProperties(TLA.resolve("Counter_pass.cfg")));
    }
}
