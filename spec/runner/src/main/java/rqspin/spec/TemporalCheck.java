package rqspin.spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a model checks temporal properties (liveness), as TLC itself sorts
 * the cfg's {@code PROPERTIES}: an action property ({@code [][A]_v}) is
 * checked step by step, a temporal one needs the liveness checker. TLC
 * 2.18's distributed mode checks action properties but skips temporal ones
 * without a word (measured: {@code TlcBehaviourTest}), so the runner refuses
 * such models there.
 *
 * <p>The sorting is TLC's own: {@link #main} builds TLC's {@code Tool} on the
 * model (parsing and processing the cfg, no state is computed) in a JVM of
 * its own, and prints the number of implied temporal properties.
 */
final class TemporalCheck {
    private TemporalCheck() {}

    /** True when {@code model}'s cfg lists a property that TLC checks as a temporal (liveness) property. */
    static boolean hasTemporalProperties(Manifest manifest, Manifest.Model model) throws IOException, InterruptedException {
        Path cfg = manifest.dir().resolve(model.config()).toAbsolutePath().normalize();
        if (Cfg.temporalProperties(cfg).isEmpty()) {
            return false; // no PROPERTY section at all
        }
        Path work = manifest.workDir(model);
        Path tmp = Files.createTempDirectory("rqspin-props-" + model.name() + "-");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), TemporalCheck.class.getName(),
                work.toString(), Path.of(model.module()).getFileName().toString(), work.relativize(cfg).toString());
        Process p = Tlc.start(cmd, work, tmp, null);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        } finally {
            p.waitFor();
            Tlc.forget(p);
            Tlc.deleteTree(tmp);
        }
        for (String l : lines) {
            if (l.startsWith("temporal=")) {
                return Integer.parseInt(l.substring("temporal=".length()).strip()) > 0;
            }
        }
        throw new IOException("TLC could not read " + model.config() + ": "
                + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
    }

    /** {@code TemporalCheck DIR MODULE CFG}: prints {@code temporal=N}, N the implied temporal properties. */
    public static void main(String[] args) {
        String dir = args[0].endsWith("/") ? args[0] : args[0] + "/";
        tlc2.tool.impl.Tool tool = new tlc2.tool.impl.FastTool(dir, args[1].replaceFirst("\\.tla$", ""),
                dir + args[2].replaceFirst("\\.cfg$", ""), new util.SimpleFilenameToStream(dir));
        System.out.println("temporal=" + tool.getImpliedTemporals().length);
        System.exit(0);
    }
}
