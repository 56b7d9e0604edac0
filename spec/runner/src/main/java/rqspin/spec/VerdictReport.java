package rqspin.spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The verdict table in machine-readable forms: JSON ({@code spec/run-models
 * --json}, schema {@value #SCHEMA}, described in spec/README.md and in
 * {@code spec/runner/src/main/resources/rqspin/spec/verdicts.schema.json})
 * for a dashboard or a diff of verdicts between kernel versions, and JUnit
 * XML ({@code --junit FILE}) for a CI's test report: one test suite per
 * group, one test case per model, a failure per verdict that differs from
 * the manifest, an error per TLC run without a verdict.
 */
final class VerdictReport {
    private VerdictReport() {}

    static final String SCHEMA = "rqspin-verdicts/1";

    static Map<String, Object> json(Manifest manifest, List<ModelRunner.Outcome> done, Path traces) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("schema", SCHEMA);
        o.put("manifest", manifest.file().toString());
        o.put("traces", traces.toString());
        int ok = 0;
        for (ModelRunner.Outcome oc : done) {
            ok += oc.ok() ? 1 : 0;
        }
        o.put("asExpected", ok);
        o.put("total", done.size());
        o.put("ok", ok == done.size());
        List<Object> groups = new ArrayList<>();
        for (ModelRunner.Group g : ModelRunner.Group.values()) {
            int n = 0, k = 0;
            for (ModelRunner.Outcome oc : done) {
                if (oc.group() == g) {
                    n++;
                    k += oc.ok() ? 1 : 0;
                }
            }
            if (n > 0) {
                Map<String, Object> go = new LinkedHashMap<>();
                go.put("group", g.label);
                go.put("asExpected", k);
                go.put("total", n);
                groups.add(go);
            }
        }
        o.put("groups", groups);
        List<Object> models = new ArrayList<>();
        for (ModelRunner.Outcome oc : done) {
            models.add(model(oc));
        }
        o.put("models", models);
        return o;
    }

    static Map<String, Object> verdict(Verdict v) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("kind", v.kind().label());
        o.put("property", v.property());
        return o;
    }

    private static Map<String, Object> model(ModelRunner.Outcome oc) {
        Manifest.Model m = oc.model();
        TlcResult r = oc.result();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", m.name());
        o.put("mechanism", m.mechanism());
        o.put("group", oc.group().label);
        o.put("size", m.size());
        o.put("variant", m.variant());
        o.put("expected", verdict(m.expected()));
        o.put("verdict", verdict(r.verdict()));
        o.put("ok", oc.ok());
        o.put("exitCode", r.exitCode());
        o.put("generated", r.generated());
        o.put("distinct", r.distinct());
        o.put("depth", r.depth());
        o.put("seconds", Math.round(r.seconds() * 10) / 10.0);
        o.put("workers", r.workers());
        o.put("errors", r.errors());
        o.put("log", oc.log().toString());
        if (!oc.traceFiles().isEmpty()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("text", oc.traceFiles().get(0).toString());
            t.put("json", oc.traceFiles().get(1).toString());
            t.put("diagram", oc.traceFiles().get(2).toString());
            t.put("svg", oc.traceFiles().get(3).toString());
            t.put("states", r.trace().size());
            t.put("summary", oc.summary());
            o.put("trace", t);
        } else {
            o.put("trace", null);
        }
        if (oc.simulation() != null) {
            SimulationRun.Stats st = oc.simulation();
            Map<String, Object> sim = new LinkedHashMap<>();
            sim.put("behaviours", st.behaviours());
            sim.put("states", st.states());
            sim.put("seconds", Math.round(st.seconds() * 10) / 10.0);
            sim.put("statesPerSecond", Math.round(st.statesPerSecond()));
            sim.put("depth", (long) st.budget().depth());
            sim.put("budget", (long) st.budget().seconds());
            sim.put("seed", st.budget().seed());
            o.put("simulation", sim);
        }
        if (oc.page() != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("path", oc.page().toString());
            p.put("upToDate", oc.pageProblems().isEmpty());
            p.put("problems", oc.pageProblems());
            o.put("page", p);
        } else {
            o.put("page", null);
        }
        return o;
    }

    /** The JUnit XML report of {@code done}. */
    static String junit(List<ModelRunner.Outcome> done, double seconds) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        int failures = 0, errors = 0;
        for (ModelRunner.Outcome oc : done) {
            boolean error = oc.result().verdict().kind() == Verdict.Kind.ERROR;
            errors += error ? 1 : 0;
            failures += !oc.ok() && !error ? 1 : 0;
        }
        b.append("<testsuites name=\"spec/run-models\" tests=\"").append(done.size()).append("\" failures=\"")
                .append(failures).append("\" errors=\"").append(errors).append("\" time=\"").append(time(seconds))
                .append("\">\n");
        for (ModelRunner.Group g : ModelRunner.Group.values()) {
            List<ModelRunner.Outcome> in = new ArrayList<>();
            int f = 0, e = 0;
            double t = 0;
            for (ModelRunner.Outcome oc : done) {
                if (oc.group() == g) {
                    in.add(oc);
                    boolean error = oc.result().verdict().kind() == Verdict.Kind.ERROR;
                    e += error ? 1 : 0;
                    f += !oc.ok() && !error ? 1 : 0;
                    t += oc.result().seconds();
                }
            }
            if (in.isEmpty()) {
                continue;
            }
            b.append("  <testsuite name=\"").append(g.label).append("\" tests=\"").append(in.size())
                    .append("\" failures=\"").append(f).append("\" errors=\"").append(e).append("\" time=\"")
                    .append(time(t)).append("\">\n");
            for (ModelRunner.Outcome oc : in) {
                TlcResult r = oc.result();
                b.append("    <testcase classname=\"spec.").append(g.label).append("\" name=\"")
                        .append(esc(oc.model().name())).append("\" time=\"").append(time(r.seconds())).append('"');
                String detail = "variant: " + oc.model().variant() + "\nverdict: " + r.verdict() + "\nexpected: "
                        + oc.model().expected() + (oc.summary() == null ? "" : "\n" + oc.summary())
                        + "\nTLC log: " + oc.log();
                if (oc.ok()) {
                    b.append(">\n      <system-out>").append(esc(detail)).append("</system-out>\n    </testcase>\n");
                } else if (r.verdict().kind() == Verdict.Kind.ERROR) {
                    b.append(">\n      <error type=\"tlc-error\" message=\"").append(esc(r.verdict().property()))
                            .append("\">").append(esc(detail + "\n\n" + String.join("\n\n", r.errors())))
                            .append("</error>\n    </testcase>\n");
                } else {
                    b.append(">\n      <failure type=\"verdict-mismatch\" message=\"")
                            .append(esc("TLC says " + r.verdict() + ", the manifest expects " + oc.model().expected()))
                            .append("\">").append(esc(detail)).append("</failure>\n    </testcase>\n");
                }
            }
            b.append("  </testsuite>\n");
        }
        return b.append("</testsuites>\n").toString();
    }

    private static String time(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                        b.append(' ');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
