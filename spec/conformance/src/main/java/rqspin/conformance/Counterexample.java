package rqspin.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rqspin.spec.Manifest;
import rqspin.spec.Tlc;
import rqspin.spec.TlcOutput;
import rqspin.spec.TlcResult;

/**
 * The same counterexample of a model every time, for what is generated
 * from it (the reproducers): TLC as the runner runs it ({@link Tlc#command}),
 * with one worker, {@code -lncheck final}, {@code -fp 1} and {@code -seed 1}.
 * By default TLC also checks liveness on the partial state space at
 * intervals of time (so the counterexample depends on the machine's speed)
 * and draws its fingerprint polynomial at random (and the liveness search
 * follows the fingerprints); none of these flags changes a verdict.
 */
public final class Counterexample {
    private Counterexample() {}

    /** TLC's result for {@code model}, its output kept in {@code log}. */
    public static TlcResult of(Manifest manifest, Manifest.Model model, Path log) throws IOException, InterruptedException {
        Path meta = Files.createTempDirectory("rqspin-cex-" + model.name() + "-");
        List<String> cmd = new ArrayList<>(Tlc.command(manifest, model, "1", meta));
        cmd.addAll(cmd.indexOf("tlc2.TLC") + 1, List.of("-lncheck", "final", "-fp", "1", "-seed", "1"));
        cmd.add(1, "-Djava.io.tmpdir=" + meta); // TLC unpacks its standard modules there: not shared with other runs
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).directory(manifest.workDir(model).toFile()).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        int exit = p.waitFor();
        Files.createDirectories(log.getParent());
        Files.write(log, lines, StandardCharsets.UTF_8);
        return TlcOutput.parse(exit, lines, (System.nanoTime() - start) / 1e9, temporalProperties(manifest, model));
    }

    /** The PROPERTY / PROPERTIES names of the model's cfg. */
    static List<String> temporalProperties(Manifest manifest, Manifest.Model model) throws IOException {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String raw : Files.readAllLines(manifest.dir().resolve(model.config()), StandardCharsets.UTF_8)) {
            String line = raw.replaceAll("\\\\\\*.*$", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            String first = line.split("\\s+")[0];
            if (first.matches("[A-Z_]+")) {
                in = first.startsWith("PROPERT");
                line = line.substring(first.length()).strip();
            }
            if (in) {
                for (String w : line.split("\\s+")) {
                    if (!w.isEmpty()) {
                        out.add(w);
                    }
                }
            }
        }
        return out;
    }
}
