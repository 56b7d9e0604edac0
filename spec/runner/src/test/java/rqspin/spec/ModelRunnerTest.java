package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's command line: exit codes, the verdict table, trace files,
 * {@code --record}, and one-line errors with exit code 2 for bad input.
 */
class ModelRunnerTest {
    static final Path TLA = Path.of("src", "test", "tla").toAbsolutePath();

    @TempDir
    Path tmp;

    /** Output of one runner invocation. */
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = ModelRunner.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Run runTest(String... selectors) {
        String[] args = new String[selectors.length + 4];
        args[0] = "--manifest";
        args[1] = TLA.resolve("models.json").toString();
        args[2] = "--traces";
        args[3] = tmp.resolve("traces").toString();
        System.arraycopy(selectors, 0, args, 4, selectors.length);
        return run(args);
    }

    /** Copies the test specs and manifest to tmp, with {@code edit} applied to the manifest text. */
    Path copyWithManifest(java.util.function.UnaryOperator<String> edit) throws Exception {
        Path dir = tmp.resolve("copy");
        Files.createDirectories(dir);
        try (var files = Files.list(TLA)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path m = dir.resolve("models.json");
        Files.writeString(m, edit.apply(Files.readString(m)));
        return m;
    }

    static void assertOneLineUsageError(Run r, String fragment) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out(), "nothing may run or print on bad usage");
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("run-models: "), r.err());
        assertTrue(r.err().contains(fragment), r.err());
    }

    // ---------------------------------------------------------------- verdicts and table

    @Test
    void expectedVerdictsExitZeroAndPrintTheTable() {
        Run r = runTest("counter_pass", "counter_invariant", "counter_deadlock", "counter_stutter");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("distinct"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  ok") && l.contains("counter_pass") && l.contains("pass")
                && l.contains(" 12 ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("counter_invariant") && l.contains("safety: Small")),
                r.out());
        assertTrue(r.out().contains("4/4 as expected (findings 3/3, passing 1/1)"), r.out());
        // grouped: the findings come first, then the passing models
        assertTrue(r.out().indexOf("findings:") < r.out().indexOf("passing:"), r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("  ok") || l.startsWith("  MISMATCH") || l.contains("model"))
                .allMatch(l -> l.length() <= 100), "a narrow table:\n" + r.out());
    }

    @Test
    void defaultSelectionIsTheCiModels() {
        Run r = runTest();
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("counter_stutter"));
        assertFalse(r.out().contains("counter_lasso"), "full models are not run by default");
    }

    @Test
    void changedExpectedVerdictMakesTheRunFail() throws Exception {
        Path m = copyWithManifest(s -> s.replace("\"expected\": {\"verdict\": \"safety\", \"property\": \"Small\"}",
                "\"expected\": {\"verdict\": \"pass\"}"));
        Run r = run("--manifest", m.toString(), "counter_invariant", "counter_pass");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  MISMATCH") && l.contains("counter_invariant")
                && l.contains("(expected pass)")), r.out());
        assertTrue(r.out().contains("1/2 as expected"), r.out());
        assertTrue(r.out().contains("NOT as expected: counter_invariant"), r.out());
    }

    @Test
    void wrongPropertyNameIsAMismatch() throws Exception {
        Path m = copyWithManifest(s -> s.replace("\"property\": \"Small\"", "\"property\": \"TypeOK\""));
        assertEquals(1, run("--manifest", m.toString(), "counter_invariant").code());
    }

    @Test
    void tlcErrorsAreMismatchesAndPointToTheLog() {
        Run r = runTest("counter_error", "unparsable");
        assertEquals(1, r.code());
        assertTrue(r.out().contains("0/2 as expected"), r.out());
        assertTrue(r.out().contains("unparsable.log"), r.out());
        assertTrue(r.out().contains("exit code 150"), r.out());
    }

    // ---------------------------------------------------------------- traces

    @Test
    void violationWritesTextAndJsonTracesWithOnlyTheChangedParts() throws Exception {
        Run r = runTest("counter_invariant", "counter_lasso");
        assertEquals(0, r.code(), r.out());
        Path dir = tmp.resolve("traces");
        String text = Files.readString(dir.resolve("counter_invariant.txt"));
        assertTrue(text.startsWith("counter_invariant: safety: Small  (expected: safety: Small)"), text);
        assertTrue(text.contains("1: Initial predicate\n    flag = \"off\"\n"), text);
        assertTrue(text.contains("\n    x = 0\n"), text);
        // later steps show only what changed, down to the record field
        assertTrue(text.contains("    rec.count: 0 -> 1\n"), text);
        assertFalse(text.substring(text.indexOf("\n2: ")).contains("flag"), "flag never changes: " + text);

        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("counter_invariant.json")));
        assertEquals("safety", json.get("verdict"));
        assertEquals("Small", json.get("property"));
        List<?> states = (List<?>) json.get("states");
        assertEquals(5, states.size());
        Map<?, ?> s2 = (Map<?, ?>) states.get(1);
        assertTrue(((List<?>) s2.get("changes")).stream().anyMatch(c -> ((Map<?, ?>) c).get("path").equals("rec.count")));
        assertEquals(4, ((Map<?, ?>) s2.get("vars")).size());

        String lasso = Files.readString(dir.resolve("counter_lasso.txt"));
        assertTrue(lasso.contains("then Toggle leads back to state"), lasso);
        @SuppressWarnings("unchecked")
        Map<String, Object> lj = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("counter_lasso.json")));
        assertEquals("back-to-state", ((Map<?, ?>) lj.get("loop")).get("kind"));
        assertTrue(Files.exists(dir.resolve("counter_lasso.log")));
    }

    @Test
    void functionEntriesAreDiffedByKey() throws Exception {
        Run r = runTest("counter_deadlock");
        assertEquals(0, r.code());
        String text = Files.readString(tmp.resolve("traces").resolve("counter_deadlock.txt"));
        assertTrue(text.contains("rec.who[1]: \"a\" -> \"x\""), text);
    }

    // ---------------------------------------------------------------- --record, --list, --markdown

    @Test
    void recordStoresMeasuredSizesInTheManifest() throws Exception {
        Path m = copyWithManifest(s -> s);
        Run r = run("--manifest", m.toString(), "--record", "counter_pass");
        assertEquals(0, r.code(), r.out() + r.err());
        Manifest after = Manifest.load(m);
        Map<String, Object> rec = after.select(List.of("counter_pass")).get(0).recorded();
        assertEquals(12L, rec.get("distinct"));
        assertEquals(6L, rec.get("depth"));
        assertTrue(rec.get("seconds") instanceof Number);
        assertTrue(ModelRunner.list(after.models()).contains("12 distinct, depth 6"));
        // the other entries are untouched
        assertEquals(null, after.select(List.of("counter_deadlock")).get(0).recorded());
    }

    @Test
    void listAndMarkdownRunNothing() {
        Run l = runTest("--list");
        assertEquals(0, l.code());
        assertTrue(l.out().contains("counter_lasso"));
        assertTrue(l.out().contains("not yet run"));
        Run md = runTest("--markdown");
        assertEquals(0, md.code());
        assertTrue(md.out().startsWith("| model | variant |"), md.out());
        assertTrue(md.out().contains("| `counter_stutter` | finite counters | ci | liveness: YReaches5 |"), md.out());
    }

    @Test
    void updateReadmeRewritesOnlyTheTableBlock() throws Exception {
        Path m = copyWithManifest(s -> s);
        Path readme = m.getParent().resolve("README.md");
        Files.writeString(readme, "# title\n" + ModelRunner.TABLE_BEGIN + "| stale |\n" + ModelRunner.TABLE_END + "\ntail\n");
        Run r = run("--manifest", m.toString(), "--update-readme");
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(readme);
        assertTrue(text.startsWith("# title\n" + ModelRunner.TABLE_BEGIN + "| model | variant |"), text);
        assertTrue(text.endsWith(ModelRunner.TABLE_END + "\ntail\n"), text);
        assertFalse(text.contains("stale"));
        assertTrue(run("--manifest", m.toString(), "--update-readme").out().contains("already up to date"));
        Files.writeString(readme, "no markers\n");
        assertOneLineUsageError(run("--manifest", m.toString(), "--update-readme"), "has no");
    }

    @Test
    void wildcardSelectsByName() throws Exception {
        Manifest m = Manifest.load(TLA.resolve("models.json"));
        assertEquals(List.of("counter_stutter"), m.select(List.of("counter_st*")).stream().map(Manifest.Model::name).toList());
    }

    // ---------------------------------------------------------------- bad usage: one line, exit 2

    @Test
    void unknownModelIsAUsageError() {
        assertOneLineUsageError(runTest("counter_pass", "no_such_model"), "unknown model: no_such_model");
    }

    @Test
    void aGlobThatMatchesNothingSaysSo() {
        assertOneLineUsageError(runTest("rqspin_*"), "no model matches rqspin_*");
    }

    @Test
    void aCfgWithoutCheckDeadlockIsAUsageError() throws Exception {
        Path m = copyWithManifest(s -> s);
        Path cfg = m.getParent().resolve("Counter_pass.cfg");
        Files.writeString(cfg, Files.readString(cfg).replace("CHECK_DEADLOCK FALSE", ""));
        assertOneLineUsageError(run("--manifest", m.toString(), "counter_pass"), "must say CHECK_DEADLOCK TRUE or FALSE");
    }

    @Test
    void theOldManifestFieldCheckDeadlockIsAUsageError() throws Exception {
        Path m = copyWithManifest(s -> s.replace("\"size\": \"ci\",", "\"size\": \"ci\", \"checkDeadlock\": false,"));
        assertOneLineUsageError(run("--manifest", m.toString(), "counter_pass"), "write CHECK_DEADLOCK TRUE or FALSE in the model's cfg");
    }

    @Test
    void unknownFlagIsAUsageError() {
        assertOneLineUsageError(runTest("--frobnicate"), "unknown option: --frobnicate");
    }

    @Test
    void flagWithoutValueIsAUsageError() {
        assertOneLineUsageError(runTest("--workers"), "--workers needs a value");
        assertOneLineUsageError(runTest("--workers", "many"), "--workers takes a positive number");
    }

    @Test
    void missingModelFileIsAUsageErrorBeforeAnythingRuns() {
        assertOneLineUsageError(runTest("counter_pass", "missing_file"), "file not found");
    }

    @Test
    void missingManifestIsAUsageError() {
        assertOneLineUsageError(run("--manifest", tmp.resolve("nope.json").toString()), "manifest not found");
    }

    @Test
    void brokenManifestsAreUsageErrors() throws Exception {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"models\": [ {\"name\": \"x\" ");
        assertOneLineUsageError(run("--manifest", bad.toString()), "not valid JSON");
        Files.writeString(bad, "{\"models\": [{\"name\": \"x\", \"module\": \"A.tla\", \"config\": \"A.cfg\","
                + " \"size\": \"ci\", \"variant\": \"v\", \"expected\": {\"verdict\": \"fine\"}}]}");
        assertOneLineUsageError(run("--manifest", bad.toString()), "expected verdict must be");
        Files.writeString(bad, "{\"models\": [{\"name\": \"x\", \"module\": \"A.tla\", \"config\": \"A.cfg\","
                + " \"size\": \"huge\", \"variant\": \"v\", \"expected\": {\"verdict\": \"pass\"}}]}");
        assertOneLineUsageError(run("--manifest", bad.toString()), "size must be");
        Files.writeString(bad, "{\"models\": [{\"name\": \"x\", \"module\": \"A.tla\", \"config\": \"A.cfg\","
                + " \"size\": \"ci\", \"variant\": \"v\", \"expected\": {\"verdict\": \"safety\"}}]}");
        assertOneLineUsageError(run("--manifest", bad.toString()), "must name its property");
        Files.writeString(bad, "{\"models\": [{\"name\": \"x\", \"modul\": \"A.tla\", \"config\": \"A.cfg\","
                + " \"size\": \"ci\", \"variant\": \"v\", \"expected\": {\"verdict\": \"pass\"}}]}");
        assertOneLineUsageError(run("--manifest", bad.toString()), "unknown field \"modul\"");
    }

    @Test
    void recordWithListIsAUsageError() {
        assertOneLineUsageError(runTest("--list", "--record"), "--record");
    }

    @Test
    void helpExitsZero() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("usage: spec/run-models"));
    }

    // ---------------------------------------------------------------- the forms of the command line

    @Test
    void everyOptionTakesTheFormOptionEqualsValue() {
        Run r = run("--manifest=" + TLA.resolve("models.json"), "--traces=" + tmp.resolve("traces"), "--workers=2",
                "counter_pass");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("1/1 as expected"), r.out());
    }

    @Test
    void tlcErrorsAreShownWhole() {
        Run r = runTest("counter_error");
        assertEquals(1, r.code());
        // the note quotes every line of TLC's message, not its first line only
        long quoted = r.out().lines().filter(l -> l.startsWith("    | ")).count();
        assertTrue(quoted >= 2, r.out());
    }

    @Test
    void badInputsAreOneLineAndExitTwo() throws Exception {
        assertOneLineUsageError(runTest("--workers=0"), "--workers takes a positive number or 'auto', not '0'");
        assertOneLineUsageError(runTest("--workers=many"), "--workers takes a positive number");
        assertOneLineUsageError(runTest("--frobnicate=3"), "unknown option: --frobnicate");
        assertOneLineUsageError(runTest("-x"), "unknown option: -x");
        assertOneLineUsageError(runTest("--junit"), "--junit needs a value");
        assertOneLineUsageError(runTest("--junit=" + tmp.resolve("no/such/dir/j.xml")), "--junit: no such directory");
        assertOneLineUsageError(runTest("--manifest"), "--manifest needs a value");
        assertOneLineUsageError(runTest("--pages", "--list"), "--pages runs models");
        assertOneLineUsageError(runTest("--pages", "counter_pass"), "has no finding page");
        assertOneLineUsageError(runTest("counter_*", "nothing_*"), "no model matches nothing_*");
    }
}
