package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The finding pages (spec/<mechanism>/findings): one per model that expects a
 * violation, each with its SVG and an entry in findings.json that names the
 * kernel code; the index pages as the manifest makes them; and a page that
 * no longer matches its trace is reported. ProjectModelsTest compares every
 * ci model's page with the trace of its run; this test re-runs two small
 * models only.
 */
class FindingPagesTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void everyViolationModelHasAPageAnSvgAndItsKernelCode() throws Exception {
        Manifest m = ProjectModelsTest.manifest();
        List<String> missing = new ArrayList<>();
        for (Manifest.Model model : FindingPages.pageModels(m)) {
            if (!Files.isRegularFile(FindingPages.pagePath(m, model)) || !Files.isRegularFile(FindingPages.svgPath(m, model))) {
                missing.add(model.name() + ": no page or SVG (spec/run-models --pages " + model.name() + ")");
            }
            Map<String, Object> f = (Map<String, Object>) ((Map<String, Object>) FindingPages.data(m, model.mechanism())
                    .getOrDefault("models", Map.of())).get(model.name());
            if (f == null || !(f.get("kernel") instanceof List<?> k) || k.isEmpty()) {
                missing.add(model.name() + ": findings.json names no kernel file/function");
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void theIndexesAreAsTheManifestMakesThem() throws Exception {
        for (Map.Entry<Path, String> e : FindingPages.indexes(ProjectModelsTest.manifest()).entrySet()) {
            assertEquals(e.getValue(), Files.readString(e.getKey(), StandardCharsets.UTF_8),
                    e.getKey() + " differs: spec/run-models --pages makes it again");
        }
    }

    @Test
    void everyReferenceOfAPageIsDefinedWithItsMail() throws Exception {
        Manifest m = ProjectModelsTest.manifest();
        for (String mech : List.of("rqspinlock", "localstorage", "freelist")) {
            Map<String, Object> data = FindingPages.data(m, mech);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> refs = (Map<String, Map<String, Object>>) data.get("references");
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) data.get("models");
            for (Map.Entry<String, Map<String, Object>> e : models.entrySet()) {
                for (Object tag : (List<?>) e.getValue().getOrDefault("references", List.of())) {
                    assertTrue(refs.containsKey(String.valueOf(tag)), e.getKey() + ": reference " + tag + " undefined");
                    String link = String.valueOf(refs.get(String.valueOf(tag)).get("link"));
                    assertTrue(link.startsWith("https://lore.kernel.org/") || link.startsWith("https://github.com/"), link);
                }
            }
        }
    }

    @Test
    void aPageMatchesItsTraceAndAStalePageIsReported() throws Exception {
        Manifest m = ProjectModelsTest.manifest();
        for (String name : List.of("rq_v615_missed_aa", "ls_mut_p2ls")) {
            Manifest.Model model = m.select(List.of(name)).get(0);
            TlcResult r = Tlc.run(m, model, "1", tmp.resolve(name + ".log"), null, true);
            assertEquals(List.of(), FindingPages.check(m, model, r), name + ": run spec/run-models --pages " + name);

            // the same trace with one step changed: the page is stale
            List<TlcResult.State> trace = new ArrayList<>(r.trace());
            TlcResult.State last = trace.get(trace.size() - 1);
            Map<String, String> vars = new LinkedHashMap<>(last.vars());
            String var = vars.keySet().iterator().next();
            vars.put(var, trace.get(0).vars().get(var));
            trace.set(trace.size() - 1, new TlcResult.State(last.number(), last.action(), last.location(), vars));
            TlcResult changed = new TlcResult(r.exitCode(), r.verdict(), r.generated(), r.distinct(), r.depth(),
                    r.seconds(), r.workers(), trace, r.loop(), r.errors());
            List<String> problems = FindingPages.check(m, model, changed);
            assertFalse(problems.isEmpty(), name + ": a changed trace must make the page stale");
            assertTrue(problems.get(0).startsWith("the page differs from its trace, first at line"), problems.toString());
        }
    }
}
