package rqspin.spec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the output of {@code tlc2.TLC -tool}: numbered messages between
 * {@code @!@!@STARTMSG code:severity @!@!@} and {@code @!@!@ENDMSG code @!@!@}.
 *
 * <p>The codes it relies on (TLC 2.18, verified by the runner's tests against
 * tiny specs): 2110 invariant violated, 2112 action property violated, 2114
 * deadlock reached, 2116 temporal properties violated, 2217 a trace state,
 * 2218 stuttering at the end of a trace, 2122 back to an earlier state, 2199
 * the final statistics, 2194 the search depth, 2187 the start line with the
 * worker count. Messages of severity 1 are errors; their text is kept.
 *
 * <p>The verdict comes from the messages and must agree with the exit code
 * (0 pass, 11 deadlock, 12 invariant, 13 temporal or action property); when
 * they disagree, or TLC exits with any other code, the verdict is
 * {@code error}.
 */
public final class TlcOutput {
    private TlcOutput() {}

    static final int INVARIANT_VIOLATED = 2110;
    static final int ACTION_PROPERTY_VIOLATED = 2112;
    static final int DEADLOCK_REACHED = 2114;
    static final int TEMPORAL_VIOLATED = 2116;
    static final int BACK_TO_STATE = 2122;
    static final int SEARCH_DEPTH = 2194;
    static final int STATS = 2199;
    static final int STARTING = 2187;
    static final int STATE = 2217;
    static final int STUTTERING = 2218;
    static final int SEVERITY_ERROR = 1;

    private static final Pattern START = Pattern.compile("^@!@!@STARTMSG (\\d+):(\\d+) @!@!@$");
    private static final Pattern END = Pattern.compile("^@!@!@ENDMSG (\\d+) @!@!@$");
    private static final Pattern STATS_LINE = Pattern.compile(
            "([\\d,]+) states generated, ([\\d,]+) distinct states found");
    private static final Pattern DEPTH_LINE = Pattern.compile("depth of the complete state graph search is ([\\d,]+)");
    private static final Pattern WORKERS = Pattern.compile("with (\\d+) workers?");
    private static final Pattern NAMED = Pattern.compile("^(?:Invariant|Action property) (\\S+) is violated");
    private static final Pattern HEADER = Pattern.compile("^(\\d+): (.*)$", Pattern.DOTALL);
    private static final Pattern ACTION = Pattern.compile("^<(.+?) (line \\d+, col \\d+ to line \\d+, col \\d+ of module \\S+)>$");

    /** One message: its code, severity and text lines. */
    record Message(int code, int severity, List<String> lines) {
        String text() {
            return String.join("\n", lines).strip();
        }
    }

    /** Splits {@code output} into messages; text outside any message is dropped. Nested messages are kept flat. */
    static List<Message> messages(List<String> output) {
        List<Message> out = new ArrayList<>();
        Deque<Message> open = new ArrayDeque<>();
        for (String line : output) {
            Matcher s = START.matcher(line);
            if (s.matches()) {
                open.push(new Message(Integer.parseInt(s.group(1)), Integer.parseInt(s.group(2)), new ArrayList<>()));
                continue;
            }
            Matcher e = END.matcher(line);
            if (e.matches() && !open.isEmpty()) {
                out.add(open.pop());
                continue;
            }
            if (!open.isEmpty()) {
                open.peek().lines().add(line);
            }
        }
        out.addAll(open); // unterminated (TLC killed): keep what arrived
        return out;
    }

    /**
     * Builds the result of a run.
     *
     * @param exitCode          TLC's exit code
     * @param output            every line TLC printed
     * @param seconds           wall-clock time
     * @param temporalProperties the temporal property names of the config, to name a liveness violation
     */
    public static TlcResult parse(int exitCode, List<String> output, double seconds, List<String> temporalProperties) {
        Long generated = null, distinct = null, depth = null;
        int workers = 0;
        List<TlcResult.State> trace = new ArrayList<>();
        TlcResult.Loop loop = null;
        List<String> errors = new ArrayList<>();
        Verdict found = null;

        for (Message m : messages(output)) {
            String text = m.text();
            switch (m.code()) {
                case INVARIANT_VIOLATED, ACTION_PROPERTY_VIOLATED -> {
                    Matcher n = NAMED.matcher(text);
                    found = new Verdict(Verdict.Kind.SAFETY, n.find() ? n.group(1) : text);
                }
                case DEADLOCK_REACHED -> found = new Verdict(Verdict.Kind.DEADLOCK, null);
                case TEMPORAL_VIOLATED -> found = new Verdict(Verdict.Kind.LIVENESS, nameOf(temporalProperties));
                case STATE -> trace.add(state(text));
                case STUTTERING -> loop = new TlcResult.Loop(true, 0, null);
                case BACK_TO_STATE -> loop = backTo(text);
                case STATS -> {
                    Matcher st = STATS_LINE.matcher(text);
                    if (st.find()) {
                        generated = number(st.group(1));
                        distinct = number(st.group(2));
                    }
                }
                case SEARCH_DEPTH -> {
                    Matcher d = DEPTH_LINE.matcher(text);
                    if (d.find()) {
                        depth = number(d.group(1));
                    }
                }
                case STARTING -> {
                    Matcher w = WORKERS.matcher(text);
                    if (w.find()) {
                        workers = Integer.parseInt(w.group(1));
                    }
                }
                default -> { }
            }
            if (m.severity() == SEVERITY_ERROR && m.code() != INVARIANT_VIOLATED && m.code() != ACTION_PROPERTY_VIOLATED
                    && m.code() != DEADLOCK_REACHED && m.code() != TEMPORAL_VIOLATED) {
                errors.add(text);
            }
        }
        Verdict verdict = reconcile(exitCode, found, errors);
        return new TlcResult(exitCode, verdict, generated, distinct, depth, seconds, workers,
                List.copyOf(trace), loop, List.copyOf(errors));
    }

    /** The verdict, if the exit code agrees with the messages; otherwise an error verdict saying why. */
    private static Verdict reconcile(int exitCode, Verdict found, List<String> errors) {
        Verdict.Kind fromMessages = found == null ? Verdict.Kind.PASS : found.kind();
        boolean agrees = switch (exitCode) {
            case 0 -> found == null && errors.isEmpty();
            case 11 -> fromMessages == Verdict.Kind.DEADLOCK;
            case 12 -> fromMessages == Verdict.Kind.SAFETY;
            case 13 -> fromMessages == Verdict.Kind.LIVENESS || fromMessages == Verdict.Kind.SAFETY;
            default -> false;
        };
        if (agrees) {
            return found == null ? Verdict.pass() : found;
        }
        String why = errors.isEmpty()
                ? "TLC exit code " + exitCode + (found == null ? " without a verdict" : " disagrees with " + found)
                : "TLC exit code " + exitCode + ": " + oneLine(errors.get(0));
        return new Verdict(Verdict.Kind.ERROR, why);
    }

    private static String nameOf(List<String> temporalProperties) {
        if (temporalProperties.size() == 1) {
            return temporalProperties.get(0);
        }
        return temporalProperties.isEmpty() ? "(unnamed)" : "one of " + String.join("|", temporalProperties);
    }

    /** The whole message on one line (TLC wraps its messages mid-sentence): never cut. */
    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\n\\s*", " ");
    }

    private static Long number(String digits) {
        return Long.parseLong(digits.replace(",", ""));
    }

    static final int BEHAVIOR_UP_TO_HERE = 2121;

    /**
     * Every error trace of a run that reported several (TLC {@code -continue},
     * e.g. one per simulated behaviour): a trace starts at each "The behavior
     * up to this point is" message and holds the trace states after it.
     */
    static List<List<TlcResult.State>> traces(List<String> output) {
        List<List<TlcResult.State>> out = new ArrayList<>();
        List<TlcResult.State> cur = null;
        for (Message m : messages(output)) {
            if (m.code() == BEHAVIOR_UP_TO_HERE) {
                cur = new ArrayList<>();
                out.add(cur);
            } else if (m.code() == STATE && cur != null) {
                cur.add(state(m.text()));
            }
        }
        return out;
    }

    /** {@code N: <Action line .. of module M>} followed by {@code /\ var = value} lines. */
    static TlcResult.State state(String text) {
        int nl = text.indexOf('\n');
        String head = nl < 0 ? text : text.substring(0, nl);
        String body = nl < 0 ? "" : text.substring(nl + 1);
        Matcher h = HEADER.matcher(head);
        int number = h.matches() ? Integer.parseInt(h.group(1)) : -1;
        String label = h.matches() ? h.group(2).strip() : head;
        String action = label;
        String location = null;
        Matcher a = ACTION.matcher(label);
        if (a.matches()) {
            action = a.group(1);
            location = a.group(2);
        } else if (label.startsWith("<") && label.endsWith(">")) {
            action = label.substring(1, label.length() - 1);
        }
        return new TlcResult.State(number, action, location, variables(body));
    }

    /** Splits the conjunction TLC prints into variable name and value text. */
    static Map<String, String> variables(String body) {
        Map<String, String> vars = new LinkedHashMap<>();
        List<String> chunks = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : body.split("\n", -1)) {
            if (line.startsWith("/\\ ")) {
                if (cur != null) {
                    chunks.add(cur.toString());
                }
                cur = new StringBuilder(line.substring(3));
            } else if (cur != null) {
                cur.append('\n').append(line);
            } else if (!line.isBlank()) {
                cur = new StringBuilder(line); // a single variable is printed without "/\ "
            }
        }
        if (cur != null) {
            chunks.add(cur.toString());
        }
        for (String c : chunks) {
            int eq = c.indexOf(" = ");
            if (eq > 0) {
                vars.put(c.substring(0, eq).strip(), c.substring(eq + 3).strip());
            }
        }
        return vars;
    }

    /** {@code N: Back to state: <Action line ...>}. */
    private static TlcResult.Loop backTo(String text) {
        Matcher h = HEADER.matcher(text);
        int n = h.matches() ? Integer.parseInt(h.group(1)) : -1;
        String rest = h.matches() ? h.group(2) : text;
        String action = rest.replaceFirst("^Back to state:\\s*", "").strip();
        Matcher a = ACTION.matcher(action);
        if (a.matches()) {
            action = a.group(1);
        }
        return new TlcResult.Loop(false, n, action);
    }
}
