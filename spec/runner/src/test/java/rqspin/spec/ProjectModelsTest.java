package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The project's own manifest (spec/models.json): every model chosen by the
 * system property {@code rqspin.models} (default {@code ci}; the Maven profile
 * {@code full-models} sets {@code all}) is run with TLC and must give its
 * expected verdict. A violation's trace lands in spec/target/traces, as with
 * the main job. A model that expects a violation has a finding page, which
 * must match the trace of this run (FindingPages). Also keeps each mechanism
 * README's model table in step with the manifest.
 */
class ProjectModelsTest {
    static final Path SPEC = Path.of(System.getProperty("rqspin.spec.dir", ".")).toAbsolutePath().normalize();

    static Manifest manifest() throws UsageException {
        return Manifest.load(SPEC.resolve("models.json"));
    }

    @TestFactory
    Stream<DynamicTest> everyChosenModelGivesItsExpectedVerdict() throws Exception {
        Manifest m = manifest();
        List<String> selectors = Arrays.asList(System.getProperty("rqspin.models", "ci").trim().split("[,\\s]+"));
        List<Manifest.Model> chosen = m.select(selectors);
        m.checkFiles(chosen);
        Path traces = SPEC.resolve("target").resolve("traces");
        return chosen.stream().map(model -> DynamicTest.dynamicTest(model.name() + " (" + model.variant() + ")", () -> {
            // a model that expects a violation runs deterministically, as in spec/run-models
            boolean violation = model.expected().kind() != Verdict.Kind.PASS;
            TlcResult r = Tlc.run(m, model, "auto", traces.resolve(model.name() + ".log"), null, violation);
            if (!r.trace().isEmpty()) {
                TraceWriter.write(traces, model, r);
            }
            if (!r.verdict().matches(model.expected())) {
                fail(model.name() + ": TLC says " + r.verdict() + ", the manifest expects " + model.expected()
                        + " (TLC log: " + traces.resolve(model.name() + ".log") + ")");
            }
            // its finding page (spec/<mechanism>/findings/<model>.md and .svg) matches this run's trace
            if (FindingPages.hasPage(model)) {
                assertEquals(List.of(), FindingPages.check(m, model, r), model.name() + ": the finding page is stale;"
                        + " spec/run-models --pages " + model.name() + " makes it again from the trace");
            }
        }));
    }

    @Test
    void everyModelFileExists() throws Exception {
        Manifest m = manifest();
        m.checkFiles(m.models());
    }

    @Test
    void eachMechanismReadmeModelTableIsInStepWithTheManifest() throws Exception {
        var tables = ModelRunner.readmeTables(manifest());
        long mechanisms = manifest().models().stream().map(Manifest.Model::mechanism)
                .filter(java.util.Objects::nonNull).distinct().count();
        assertTrue(mechanisms >= 3, "rqspinlock, localstorage, freelist, ...: " + mechanisms);
        assertEquals(mechanisms, tables.size(), "one table per mechanism: " + tables.keySet());
        for (var t : tables.entrySet()) {
            String readme = Files.readString(t.getKey());
            String begin = ModelRunner.TABLE_BEGIN;
            String end = ModelRunner.TABLE_END;
            int b = readme.indexOf(begin), e = readme.indexOf(end);
            assertTrue(b >= 0 && e > b, t.getKey() + " must hold the model table between " + begin.strip() + " and " + end);
            assertEquals(ModelRunner.markdown(t.getValue()), readme.substring(b + begin.length(), e),
                    t.getKey() + ": model table differs from the manifest: run spec/run-models --update-readme");
        }
    }
}
