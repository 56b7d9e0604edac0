package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every cfg of the manifest is self-contained: plain TLC on it, without the
 * runner, gives the manifest's verdict. Two checks:
 * <ul>
 * <li>for every model, the runner's TLC command adds no flag that changes a
 *     verdict (only {@code -tool}, {@code -workers}, {@code -metadir} besides
 *     {@code -config} and the module) and the cfg states
 *     {@code CHECK_DEADLOCK};</li>
 * <li>for one model of each verdict kind, plain {@code tlc2.TLC -config
 *     <cfg> <module>} in the module's directory (no other flag, as the
 *     Toolbox or a terminal would run it) exits with the code of the
 *     manifest's verdict: 0 pass, 11 deadlock, 12 invariant, 13 temporal or
 *     action property. {@code rq_qspinlock_aa_hang} is the model that used to
 *     need the runner's {@code -deadlock}.</li>
 * </ul>
 */
class PlainTlcAgreesTest {
    static final Path SPEC = ProjectModelsTest.SPEC;

    @Test
    void theRunnerAddsNoFlagThatChangesAVerdictAndEveryCfgSaysCheckDeadlock() throws Exception {
        Manifest m = ProjectModelsTest.manifest();
        m.checkFiles(m.models());
        for (Manifest.Model model : m.models()) {
            List<String> cmd = Tlc.command(m, model, "auto", Path.of("/tmp/meta"));
            int at = cmd.indexOf("tlc2.TLC");
            List<String> flags = cmd.subList(at + 1, cmd.size());
            assertEquals(List.of("-tool", "-workers", "auto", "-metadir", "/tmp/meta", "-config"), flags.subList(0, 6),
                    model.name() + ": " + flags);
            assertEquals(8, flags.size(), model.name() + ": " + flags);
            for (String f : flags) {
                assertTrue(!Tlc.SEMANTIC_FLAGS.contains(f) || f.equals("-config"), model.name() + " adds " + f);
            }
            assertTrue(Files.isRegularFile(m.workDir(model).resolve(flags.get(6))), model.name() + ": " + flags.get(6));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rq_qspinlock_aa_hang", "rq_v619_safety", "rq_v615_missed_aa", "ls_final_f0",
            "ls_mut_p5"})
    void plainTlcGivesTheManifestVerdict(String name) throws Exception {
        Manifest m = ProjectModelsTest.manifest();
        Manifest.Model model = m.select(List.of(name)).get(0);
        List<String> cmd = Tlc.command(m, model, "1", Files.createTempDirectory("plain-tlc-"));
        List<String> plain = new ArrayList<>(cmd.subList(0, cmd.indexOf("tlc2.TLC") + 1));
        plain.addAll(cmd.subList(cmd.indexOf("-config"), cmd.size()));
        Path log = Files.createTempFile("plain-tlc-" + name, ".log");
        Process p = new ProcessBuilder(plain).directory(m.workDir(model).toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), name + ": TLC did not finish");
        int expected = switch (model.expected().kind()) {
            case PASS -> 0;
            case DEADLOCK -> 11;
            case SAFETY -> invariant(m, model) ? 12 : 13;
            case LIVENESS -> 13;
            case ERROR -> -1;
        };
        assertEquals(expected, p.exitValue(), name + ": plain TLC " + String.join(" ", plain) + "\n" + tail(log));
        deleteQuietly(log);
    }

    /** Whether the expected safety property is an invariant (exit 12) rather than an action property (13). */
    private static boolean invariant(Manifest m, Manifest.Model model) throws IOException {
        return !Cfg.temporalProperties(m.dir().resolve(model.config())).contains(model.expected().property());
    }

    private static String tail(Path log) throws IOException {
        List<String> l = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", l.subList(Math.max(0, l.size() - 15), l.size()));
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // a temp file left behind is harmless
        }
    }
}
