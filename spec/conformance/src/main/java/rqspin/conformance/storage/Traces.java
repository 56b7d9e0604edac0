package rqspin.conformance.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import rqspin.spec.Json;
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
record Traces(List<TlcResult.State> states, TlcResult.Loop loop) {

    static Path dir(Manifest manifest) {
        return manifest.dir().resolve("target").resolve("traces");
    }

    /** The trace of {@code model}'s violation (TLC is run if no fresh trace file exists). */
    static Traces of(Manifest manifest, Manifest.Model model) throws IOException, InterruptedException {
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

    @SuppressWarnings("unchecked")
    static Traces read(Path json) throws IOException {
        Map<String, Object> o;
        try {
            o = (Map<String, Object>) Json.parse(Files.readString(json, StandardCharsets.UTF_8));
        } catch (Json.ParseException e) {
            throw new IOException(json + ": " + e.getMessage());
        }
        List<TlcResult.State> states = new ArrayList<>();
        for (Object so : (List<Object>) o.get("states")) {
            Map<String, Object> s = (Map<String, Object>) so;
            Map<String, String> vars = new LinkedHashMap<>();
            ((Map<String, Object>) s.get("vars")).forEach((k, v) -> vars.put(k, (String) v));
            states.add(new TlcResult.State(((Number) s.get("number")).intValue(), (String) s.get("action"),
                    (String) s.get("location"), vars));
        }
        TlcResult.Loop loop = null;
        if (o.get("loop") instanceof Map<?, ?> lo) {
            boolean stutter = "stuttering".equals(lo.get("kind"));
            loop = new TlcResult.Loop(stutter, stutter ? 0 : ((Number) lo.get("backTo")).intValue(),
                    (String) lo.get("action"));
        }
        return new Traces(states, loop);
    }
}
