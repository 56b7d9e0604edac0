package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The interleaving diagram of known traces (kept in src/test/resources, as
 * the runner wrote them) against golden files: the text a reviewer pastes,
 * within 100 columns for three CPUs, and the SVG's shape. To accept a
 * deliberate change of the diagram, write the new text over the golden file
 * (the failure message says how).
 */
class DiagramTest {
    static final Path GOLDEN = Path.of("src", "test", "resources", "rqspin", "spec", "golden");

    static Diagram diagram(String model) throws Exception {
        TraceWriter.Read rd = TraceWriter.read(GOLDEN.resolve(model + ".json"));
        return TraceDiagrams.of(rd.model(), rd.result());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rq_v615_nmi_hang", "rq_v619_handover_hang", "ls_final_f1_uaf", "ls_final_f1_hang"})
    void theDiagramOfAKnownTraceIsTheGoldenOne(String model) throws Exception {
        String text = diagram(model).text();
        Path golden = GOLDEN.resolve(model + ".diagram.txt");
        String want = Files.readString(golden, StandardCharsets.UTF_8);
        if (!want.equals(text)) {
            Path got = Path.of("target", model + ".diagram.txt");
            Files.writeString(got, text, StandardCharsets.UTF_8);
            assertEquals(want, text, "the diagram of " + model + " changed; if that is meant: cp " + got.toAbsolutePath()
                    + " " + golden.toAbsolutePath());
        }
    }

    @Test
    void threeCpusFitInAMail() throws Exception {
        String text = diagram("rq_v619_handover_hang").text();
        assertTrue(text.lines().allMatch(l -> l.length() <= Diagram.MAIL_WIDTH), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("   c1 ") && l.contains("| c2") && l.contains("| c3")), text);
    }

    @Test
    void aLivenessTraceEndsWithWhoIsStuckWhereOnWhatAndWhy() throws Exception {
        Diagram d = diagram("rq_v619_handover_hang");
        String stuck = String.join(" ", d.stuck().get("c1").stream().map(Diagram.Line::text).toList());
        assertTrue(stuck.contains("spins forever in handover_deadlock"), stuck);
        assertTrue(stuck.contains("on node c1.0.next = 0"), stuck);
        assertTrue(stuck.contains("c1.0 is still B's tail"), stuck);
        assertTrue(d.stuck().get("c2").get(0).text().startsWith("done"), d.stuck().toString());
        Diagram nmi = diagram("rq_v615_nmi_hang");
        String why = String.join(" ", nmi.stuck().values().stream().flatMap(List::stream).map(Diagram.Line::text)
                .toList());
        assertTrue(why.contains("this NMI interrupted it"), why);
        Diagram ls = diagram("ls_final_f1_hang");
        String ds = String.join(" ", ls.stuck().get("ds").stream().map(Diagram.Line::text).toList());
        assertTrue(ds.contains("owner_refcnt) = REFCOUNT_SATURATED"), ds);
    }

    @Test
    void everyAttemptShowsItsReturnValue() throws Exception {
        String text = diagram("rq_v615_nmi_hang").text();
        assertTrue(text.contains("= 0"), text);
        assertTrue(text.contains("= -EDEADLK (AA)"), text);
    }

    @Test
    void theSvgIsSelfContainedAndShowsTheSameRows() throws Exception {
        Diagram d = diagram("ls_final_f1_uaf");
        String svg = DiagramSvg.of(d);
        assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg);
        assertTrue(!svg.contains("href") && !svg.contains("<script") && !svg.contains("@import"), "self-contained");
        assertTrue(svg.contains("USE AFTER FREE: reads freed"), svg);
        assertEquals(svg, DiagramSvg.of(diagram("ls_final_f1_uaf")), "deterministic");
        javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }
}
