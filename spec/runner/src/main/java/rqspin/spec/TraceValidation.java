package rqspin.spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trace validation: TLC decides whether recorded runs are behaviours of the
 * spec. Each trace is a list of {@link Event}s (an action of the spec, its
 * parameters, and the values of some variables after the step); the
 * mechanism's trace module constrains the spec's next-state relation to
 * take them in order (see {@code spec/rqspinlock/TraceRqSpinLock.tla}).
 *
 * <p>All traces of one call share a scenario (the constants of the manifest
 * model given) and are checked in one TLC run with one worker. The answer
 * per trace is how many events some behaviour of the spec can take; a trace
 * is accepted when that is all of them, and otherwise reported with the
 * first event the spec cannot take and the spec state before it.
 */
public final class TraceValidation {
    private TraceValidation() {}

    /**
     * One recorded step.
     *
     * @param action   the spec action it is (e.g. {@code xchg_tail}, {@code NofailLockBucket})
     * @param params   the action's parameters as TLA+ values (e.g. {@code c1}, {@code "task"})
     * @param observed variables (or other fields the trace module knows) after the step, as TLA+ values
     */
    public record Event(String action, List<String> params, Map<String, String> observed) {
        public Event {
            params = List.copyOf(params);
            observed = new LinkedHashMap<>(observed);
        }

        /** The event as the TLA+ record the trace module reads. */
        String tla(int number) {
            StringBuilder b = new StringBuilder("[a |-> \"").append(action).append("\", p |-> <<")
                    .append(String.join(", ", params)).append(">>, o |-> [step |-> ").append(number);
            for (Map.Entry<String, String> o : observed.entrySet()) {
                b.append(", ").append(o.getKey()).append(" |-> ").append(o.getValue());
            }
            return b.append("]]").toString();
        }

        @Override
        public String toString() {
            return action + "(" + String.join(", ", params) + ")";
        }
    }

    /**
     * The answer for one trace.
     *
     * @param length      its number of events
     * @param taken       how many of them, from the first, some behaviour of the spec takes
     * @param stateBefore the spec state after the last event taken (TLA+ text of the trace module's
     *                    {@code StateView}): the state in which the next event could not be taken
     */
    public record Outcome(int length, int taken, String stateBefore) {
        public boolean accepted() {
            return taken == length;
        }
    }

    /**
     * Validates {@code traces} against the spec of {@code model}, with the
     * constants of the model's cfg plus {@code extraConstants} (cfg lines,
     * e.g. {@code "  Scripts <- TV_Scripts"}) and {@code definitions} added
     * to the generated module (e.g. {@code TV_Scripts}).
     *
     * @param work a scratch directory for the generated module, cfg and TLC log
     * @throws IOException if TLC fails (a parse error, an unknown action name, ...), with TLC's message
     */
    public static List<Outcome> validate(Manifest manifest, Manifest.Model model, List<String> extraConstants,
                                         Map<String, String> definitions, List<List<Event>> traces, Path work)
            throws IOException, InterruptedException {
        if (traces.isEmpty()) {
            return List.of();
        }
        String traceModule = TraceModules.traceModule(model);
        Map<String, String> defs = new LinkedHashMap<>(definitions);
        StringBuilder all = new StringBuilder("<<");
        for (int t = 0; t < traces.size(); t++) {
            all.append(t == 0 ? "\n      " : ",\n      ").append("<<");
            List<Event> tr = traces.get(t);
            for (int k = 0; k < tr.size(); k++) {
                all.append(k == 0 ? "" : ",\n        ").append(tr.get(k).tla(k + 1));
            }
            all.append(">>");
        }
        defs.put("TV_Traces", all.append("\n    >>").toString());
        List<String> cfg = new ArrayList<>();
        cfg.add("CONSTANTS");
        cfg.addAll(TraceModules.constantLines(manifest.dir().resolve(model.config())));
        cfg.addAll(extraConstants);
        cfg.add("  Traces <- TV_Traces");
        cfg.add("INIT TraceInit");
        cfg.add("NEXT TraceNext");
        cfg.add("CONSTRAINT TraceProgress");
        cfg.add("CHECK_DEADLOCK FALSE");
        String name = "TV_" + model.name();
        TraceModules.write(work, name, traceModule, defs, cfg);
        List<String> out = TraceModules.tlc(work, name, manifest.workDir(model), List.of("-workers", "1"));
        return outcomes(out, traces, work.resolve(name + ".log"));
    }

    private static final java.util.regex.Pattern PREFIX = java.util.regex.Pattern.compile("^<<\\s*\"TRACE_PREFIX\",.*");

    /** Reads the TRACE_PREFIX prints: the longest prefix per trace and the state after it. */
    static List<Outcome> outcomes(List<String> out, List<List<Event>> traces, Path log) throws IOException {
        int n = traces.size();
        int[] taken = new int[n];
        String[] state = new String[n];
        java.util.Arrays.fill(taken, -1);
        for (int k = 0; k < out.size(); k++) {
            String line = out.get(k);
            if (!PREFIX.matcher(line).matches()) {
                continue;
            }
            StringBuilder b = new StringBuilder(line);
            while (!Tla.balanced(b) && k + 1 < out.size()) {
                b.append('\n').append(out.get(++k));
            }
            TlaValue v = TlaValue.parse(b.toString());
            if (!(v instanceof TlaValue.Tuple tu) || tu.elems.size() != 4) {
                throw new IOException("cannot read TLC's trace report: " + b);
            }
            int t = Integer.parseInt(tu.elems.get(1).toString()) - 1;
            int i = Integer.parseInt(tu.elems.get(2).toString());
            if (i >= taken[t]) {
                taken[t] = i;
                state[t] = tu.elems.get(3).toString();
            }
        }
        String exit = out.isEmpty() ? "" : out.get(out.size() - 1);
        if (!exit.equals("# exit code 0")) {
            throw new IOException("TLC failed on the traces (" + exit.substring(2) + "): "
                    + firstError(out) + " (log: " + log + ")");
        }
        List<Outcome> res = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            if (taken[t] < 0) {
                throw new IOException("TLC reported nothing for trace " + (t + 1) + " (log: " + log + ")");
            }
            res.add(new Outcome(traces.get(t).size(), taken[t], state[t]));
        }
        return res;
    }

    private static String firstError(List<String> out) {
        for (int k = 0; k < out.size(); k++) {
            if (out.get(k).startsWith("Error:") || out.get(k).contains("Assertion failed")
                    || out.get(k).startsWith("The first argument of Assert")) {
                StringBuilder b = new StringBuilder(out.get(k));
                for (int j = k + 1; j < Math.min(out.size(), k + 4); j++) {
                    b.append(' ').append(out.get(j).strip());
                }
                return b.toString();
            }
        }
        return "no error message";
    }
}
