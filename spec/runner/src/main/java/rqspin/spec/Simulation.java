package rqspin.spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Random behaviours of a manifest model, from TLC's simulation mode, with the
 * action of every step: the traces that are replayed on the Java twin.
 *
 * <p>TLC 2.18 writes no action names into the trace files of
 * {@code -simulate file=...}, so the behaviours are taken from its error
 * traces instead: a generated module extends the model's MC module with
 * the invariant {@code SimNotEnded}, which every behaviour violates at its
 * end (no step but stuttering is enabled, or the depth bound), and TLC runs
 * it with {@code -simulate num=N -continue}. Only invariants are checked: with
 * temporal properties TLC 2.18 reports false violations in simulation.
 */
public final class Simulation {
    private Simulation() {}

    /**
     * Up to {@code count} behaviours of {@code model} (its scenario and
     * constants), each at most {@code depth} steps long, from seed {@code seed}.
     *
     * @param work a scratch directory for the generated module, cfg and TLC log
     */
    public static List<List<TlcResult.State>> behaviours(Manifest manifest, Manifest.Model model, int count, int depth,
                                                         long seed, Path work) throws IOException, InterruptedException {
        if (count < 1 || depth < 1) {
            throw new IllegalArgumentException("count and depth must be positive");
        }
        String mc = Path.of(model.module()).getFileName().toString().replaceFirst("\\.tla$", "");
        List<String> cfg = new ArrayList<>();
        cfg.add("CONSTANTS");
        cfg.addAll(TraceModules.constantLines(manifest.dir().resolve(model.config())));
        cfg.add("INIT Init");
        cfg.add("NEXT Next");
        cfg.add("INVARIANT SimNotEnded");
        cfg.add("CHECK_DEADLOCK FALSE");
        String name = "Sim_" + model.name();
        Map<String, String> defs = new java.util.LinkedHashMap<>();
        defs.put("SimEnd", "TLCGet(\"level\") >= " + depth + " \\/ ~ENABLED (Next /\\ vars' # vars)");
        defs.put("SimNotEnded", "~SimEnd");
        TraceModules.write(work, name, mc + ", TLC", defs, cfg);
        List<String> out = TraceModules.tlc(work, name, manifest.workDir(model), List.of(
                "-tool", "-workers", "1", "-simulate", "num=" + count, "-continue",
                "-depth", String.valueOf(depth + 1), "-seed", String.valueOf(seed)));
        List<List<TlcResult.State>> traces = TlcOutput.traces(out);
        if (traces.isEmpty()) {
            throw new IOException("TLC simulated no behaviour of " + model.name() + "; see "
                    + work.resolve(name + ".log"));
        }
        return traces;
    }
}
