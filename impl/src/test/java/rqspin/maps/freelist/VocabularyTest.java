package rqspin.maps.freelist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * One vocabulary: the kernel steps of spec/freelist/PcpuFreelist.tla (the
 * disjuncts of CtxStep, less the model-only StartOp) are exactly the Java
 * twin's steps ({@link Step}); a spec that gains an action the twin lacks
 * fails the check (shown on an edited copy of the spec's text).
 */
class VocabularyTest {
    static Path spec() {
        Path impl = Path.of("").toAbsolutePath();
        Path tla = impl.getParent().resolve("spec/freelist/PcpuFreelist.tla");
        assertTrue(Files.isRegularFile(tla), tla.toString());
        return tla;
    }

    /** The actions CtxStep(c, x) is the disjunction of, less StartOp. */
    static Set<String> specSteps(String text) {
        int at = text.indexOf("CtxStep(c, x) ==");
        assertTrue(at >= 0, "PcpuFreelist.tla defines CtxStep(c, x)");
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\\A\\s*\\\\/\\s*([A-Za-z_][A-Za-z_0-9]*)\\(c, x\\)").matcher("");
        for (String line : text.substring(at).split("\n")) {
            if (line.startsWith("CtxStep")) {
                continue;
            }
            if (!m.reset(line).find()) {
                break;
            }
            out.add(m.group(1));
        }
        out.remove("StartOp");
        return out;
    }

    static Set<String> javaSteps() {
        return Arrays.stream(Step.values()).map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void theSpecsKernelStepsAreTheJavaTwinsSteps() throws Exception {
        String text = Files.readString(spec(), StandardCharsets.UTF_8);
        Set<String> spec = specSteps(text);
        assertEquals(8, spec.size(), spec.toString());
        assertEquals(spec, javaSteps());
        for (Step s : Step.values()) {
            assertTrue(!s.kernel().isBlank(), s + " says what it is in kernel terms");
        }
    }

    @Test
    void anActionOnlyTheSpecHasIsCaught() throws Exception {
        String text = Files.readString(spec(), StandardCharsets.UTF_8).replace(
                "    \\/ raw_res_spin_unlock(c, x)\n", "    \\/ raw_res_spin_unlock(c, x)\n    \\/ new_kernel_step(c, x)\n");
        Set<String> spec = specSteps(text);
        assertTrue(spec.contains("new_kernel_step"), spec.toString());
        assertTrue(!spec.equals(javaSteps()));
    }
}
