package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The machine-readable outputs and their schemas: {@code --json} (schema
 * rqspin-verdicts/1), the trace files (rqspin-trace/2), and {@code --junit}.
 * The schema files are the ones documented in spec/README.md.
 */
class VerdictReportTest {
    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    static Map<String, Object> schema(String name) throws Exception {
        try (var in = VerdictReportTest.class.getResourceAsStream("/rqspin/spec/" + name)) {
            return (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonVerdictsAndTracesFollowTheirSchemas() throws Exception {
        Path junit = tmp.resolve("verdicts.xml");
        ModelRunnerTest.Run r = ModelRunnerTest.run("--manifest", ModelRunnerTest.TLA.resolve("models.json").toString(),
                "--traces", tmp.resolve("traces").toString(), "--json", "--junit", junit.toString(),
                "counter_pass", "counter_lasso", "counter_error");
        assertEquals(1, r.code(), r.err());
        Map<String, Object> out = (Map<String, Object>) Json.parse(r.out());
        assertEquals(List.of(), SchemaCheck.check(schema("verdicts.schema.json"), out));
        assertEquals("rqspin-verdicts/1", out.get("schema"));
        assertEquals(2L, out.get("asExpected"));
        assertEquals(3L, out.get("total"));
        assertEquals(false, out.get("ok"));
        List<Map<String, Object>> models = (List<Map<String, Object>>) out.get("models");
        assertEquals(List.of("counter_lasso", "counter_pass", "counter_error"),
                models.stream().map(m -> m.get("name")).toList(), "grouped: findings, then passing");
        Map<String, Object> lasso = models.get(0);
        assertEquals("findings", lasso.get("group"));
        assertEquals(Map.of("kind", "liveness", "property", "XReaches3"), lasso.get("verdict"));
        Map<String, Object> trace = (Map<String, Object>) lasso.get("trace");
        assertTrue(((String) trace.get("summary")).contains("XReaches3"));
        assertFalse(((List<?>) models.get(2).get("errors")).isEmpty(), "TLC's error messages, whole");

        // the trace file it names
        Map<String, Object> t = (Map<String, Object>) Json.parse(Files.readString(Path.of((String) trace.get("json"))));
        assertEquals(List.of(), SchemaCheck.check(schema("trace.schema.json"), t));
        Map<String, Object> s1 = (Map<String, Object>) ((List<Object>) t.get("states")).get(0);
        Map<String, Object> values = (Map<String, Object>) s1.get("values");
        assertEquals(0L, values.get("x"), "an integer is a JSON number");
        assertEquals("off", values.get("flag"), "a string is a JSON string");
        assertTrue(values.get("rec") instanceof Map, "a record is a JSON object");

        // JUnit XML: a suite per group, a test case per model, the error as an error
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(junit)));
        Element suites = doc.getDocumentElement();
        assertEquals("testsuites", suites.getTagName());
        assertEquals("3", suites.getAttribute("tests"));
        assertEquals("1", suites.getAttribute("errors"));
        assertEquals("0", suites.getAttribute("failures"));
        assertEquals(2, suites.getElementsByTagName("testsuite").getLength());
        assertEquals(1, suites.getElementsByTagName("error").getLength());
    }

    @Test
    void plainJsonOfTlaValues() throws Exception {
        TlaValue v = TlaValue.parse("[a |-> 1, s |-> {\"x\", y}, t |-> <<TRUE, -2>>, f |-> (c1 :> 0 @@ c2 :> 1),"
                + " g |-> (\"k\" :> NULL)]");
        assertEquals(Json.parse("{\"a\": 1, \"s\": {\"set\": [\"x\", \"y\"]}, \"t\": [true, -2], \"f\": {\"c1\": 0, \"c2\": 1},"
                + " \"g\": {\"k\": \"NULL\"}}"), v.toJson());
        assertEquals(Map.of("tla", "1..3"), TlaValue.parse("1..3").toJson(), "what the parser does not split");
    }
}
