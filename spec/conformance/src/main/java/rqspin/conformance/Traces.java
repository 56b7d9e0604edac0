package rqspin.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import rqspin.spec.Manifest;
import rqspin.spec.Tlc;
import rqspin.spec.TlcResult;
import rqspin.spec.TraceWriter;

/**
 * The error trace of a manifest model, as the runner writes it
 * (spec/target/traces/NAME.json): read from there when it is newer than the
 * model's cfg and every module of its folder but the trace modules (as after
 * {@code spec/run-models} or the runner's tests in the same build), otherwise
 * made again by TLC (one worker) and written there.
 *
 * @param states the states of the trace
 * @param loop   how a liveness trace ends (null for a safety violation)
 */
public record Traces(List<TlcResult.State> states, TlcResult.Loop loop) {

    public static Path dir(Manifest manifest) {
        return manifest.dir().resolve("target").resolve("traces");
    }

    /** The trace of {@code model}'s violation (TLC is run if no fresh trace file exists). */
    public static Traces of(Manifest manifest, Manifest.Model model) throws IOException, InterruptedException {
        Path json = dir(manifest).resolve(model.name() + ".json");
        if (!fresh(manifest, model, json)) {
            TlcResult r = Tlc.run(manifest, model, "1", dir(manifest).resolve(model.name() + ".log"), null);
            if (r.trace().isEmpty()) {
                throw new IOException(model.name() + ": TLC found no violation (" + r.verdict() + ")");
            }
            TraceWriter.write(dir(manifest), model, r);
        }
        return read(json);
    }

    private static boolean fresh(Manifest manifest, Manifest.Model model, Path json) throws IOException {
        if (!Files.isRegularFile(json)) {
            return false;
        }
        FileTime t = Files.getLastModifiedTime(json);
        Path cfg = manifest.dir().resolve(model.config());
        if (Files.getLastModifiedTime(cfg).compareTo(t) > 0) {
            return false;
        }
        Path folder = manifest.dir().resolve(model.module()).getParent();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String f = p.getFileName().toString();
                if (f.endsWith(".tla") && !f.startsWith("Trace") && Files.getLastModifiedTime(p).compareTo(t) > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The states and loop of a trace file the runner wrote ({@link TraceWriter#read}). */
    public static Traces read(Path json) throws IOException {
        TlcResult r = TraceWriter.read(json).result();
        return new Traces(r.trace(), r.loop());
    }
}
