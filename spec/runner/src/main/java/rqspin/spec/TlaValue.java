package rqspin.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TLA+ value as TLC prints it in a trace, parsed far enough to tell which
 * part of a variable changed between two states.
 *
 * <p>Recognised forms: integers, strings, {@code TRUE}/{@code FALSE}, model
 * values and other bare names, tuples {@code <<a, b>>}, sets {@code {a, b}},
 * records {@code [f |-> v, ...]} and functions {@code (k :> v @@ ...)}.
 * Anything else stays an opaque leaf holding its text, so a value this parser
 * does not know is still shown, just not split into parts.
 *
 * <p>{@link #diff} compares two values and lists the changed leaves by path,
 * for instance {@code node[c1][2].locked: 0 -> 1}: records and functions with
 * the same domain, and tuples of the same length, are compared part by part;
 * every other difference is one leaf.
 */
public abstract sealed class TlaValue {

    /** One changed part of a variable: its path and its text before and after. */
    public record Change(String path, String before, String after) {}

    /** A scalar or a value not split further. */
    public static final class Leaf extends TlaValue {
        final String text;

        Leaf(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** {@code <<...>>}: compared element by element (1-based, as in TLA+). */
    public static final class Tuple extends TlaValue {
        final List<TlaValue> elems;

        Tuple(List<TlaValue> elems) {
            this.elems = elems;
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("<<");
            for (int i = 0; i < elems.size(); i++) {
                b.append(i > 0 ? ", " : "").append(elems.get(i));
            }
            return b.append(">>").toString();
        }
    }

    /** {@code {...}}: compared as a whole. */
    public static final class SetValue extends TlaValue {
        final List<TlaValue> elems;

        SetValue(List<TlaValue> elems) {
            this.elems = elems;
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < elems.size(); i++) {
                b.append(i > 0 ? ", " : "").append(elems.get(i));
            }
            return b.append("}").toString();
        }
    }

    /** A record {@code [f |-> v]} or a function {@code (k :> v @@ ...)}: compared key by key. */
    public static final class Mapping extends TlaValue {
        /** True for a record {@code [f |-> v]}, false for a function {@code (k :> v)}. */
        public final boolean record;
        final Map<String, TlaValue> entries;

        Mapping(boolean record, Map<String, TlaValue> entries) {
            this.record = record;
            this.entries = entries;
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(record ? "[" : "(");
            int i = 0;
            for (Map.Entry<String, TlaValue> e : entries.entrySet()) {
                b.append(i++ > 0 ? (record ? ", " : " @@ ") : "");
                b.append(e.getKey()).append(record ? " |-> " : " :> ").append(e.getValue());
            }
            return b.append(record ? "]" : ")").toString();
        }
    }

    // ---------------------------------------------------------------- reading parts

    /**
     * The part named {@code key}: a record field, a function entry (the key
     * as TLC prints it, or a string key without its quotes), or a tuple
     * element by its 1-based index; null when there is none.
     */
    public TlaValue get(String key) {
        if (this instanceof Mapping m) {
            TlaValue v = m.entries.get(key);
            return v != null ? v : m.entries.get("\"" + key + "\"");
        }
        if (this instanceof Tuple t && key.matches("[1-9][0-9]*")) {
            int i = Integer.parseInt(key);
            return i <= t.elems.size() ? t.elems.get(i - 1) : null;
        }
        return null;
    }

    /** {@code get(k1).get(k2)...}, null as soon as a part is missing. */
    public TlaValue at(String... keys) {
        TlaValue v = this;
        for (String k : keys) {
            v = v == null ? null : v.get(k);
        }
        return v;
    }

    /** The keys of a record or function, in TLC's order (string keys without quotes); empty otherwise. */
    public List<String> keys() {
        List<String> out = new ArrayList<>();
        if (this instanceof Mapping m) {
            for (String k : m.entries.keySet()) {
                out.add(unquote(k));
            }
        } else if (this instanceof Tuple t) {
            for (int i = 1; i <= t.elems.size(); i++) {
                out.add(String.valueOf(i));
            }
        }
        return out;
    }

    /** The elements of a tuple or a set; empty for anything else. */
    public List<TlaValue> elements() {
        if (this instanceof Tuple t) {
            return t.elems;
        }
        if (this instanceof SetValue s) {
            return s.elems;
        }
        return List.of();
    }

    /** The text of a scalar: a string without its quotes, a number, a name; otherwise the TLA+ text. */
    public String str() {
        return this instanceof Leaf l ? unquote(l.text) : toString();
    }

    /** An integer's value, or {@code fallback} when this is not one. */
    public long num(long fallback) {
        if (this instanceof Leaf l && l.text.matches("-?[0-9]+")) {
            return Long.parseLong(l.text);
        }
        return fallback;
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            return s.substring(1, s.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return s;
    }

    // ---------------------------------------------------------------- JSON

    /**
     * The value as plain JSON, for scripts (the trace files' {@code values};
     * the encoding is documented in spec/README.md): an integer is a number,
     * {@code TRUE}/{@code FALSE} a boolean, a string or a model value a
     * string, a tuple (a sequence) an array, a set {@code {"set": [...]}}, a
     * record or a function an object (keys as TLC prints them, a string key
     * without its quotes), and anything this parser does not split
     * {@code {"tla": "<text>"}}.
     */
    public Object toJson() {
        if (this instanceof Leaf l) {
            String t = l.text;
            if (t.matches("-?[0-9]{1,18}")) {
                return Long.parseLong(t);
            }
            if (t.equals("TRUE") || t.equals("FALSE")) {
                return t.equals("TRUE");
            }
            if (t.startsWith("\"") || t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                return unquote(t);
            }
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("tla", t);
            return o;
        }
        if (this instanceof Tuple t) {
            List<Object> a = new ArrayList<>();
            t.elems.forEach(e -> a.add(e.toJson()));
            return a;
        }
        if (this instanceof SetValue s) {
            List<Object> a = new ArrayList<>();
            s.elems.forEach(e -> a.add(e.toJson()));
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("set", a);
            return o;
        }
        Mapping m = (Mapping) this;
        Map<String, Object> o = new LinkedHashMap<>();
        m.entries.forEach((k, v) -> o.put(unquote(k), v.toJson()));
        return o;
    }

    // ---------------------------------------------------------------- parsing

    /**
     * Parses TLC's printed form; never fails (text {@link Tla#parse} cannot
     * read becomes a leaf). The grammar is {@link Tla}'s: one parser of TLC
     * values serves the runner and the conformance checks.
     */
    public static TlaValue parse(String text) {
        String t = text.strip();
        try {
            return of(Tla.parse(t));
        } catch (RuntimeException malformed) {
            return new Leaf(t.replaceAll("\\s+", " "));
        }
    }

    /** The same value, as the parts this class splits and diffs. */
    static TlaValue of(Tla v) {
        if (v instanceof Tla.Tuple t) {
            List<TlaValue> l = new ArrayList<>();
            t.elems.forEach(e -> l.add(of(e)));
            return new Tuple(l);
        }
        if (v instanceof Tla.SetValue s) {
            List<TlaValue> l = new ArrayList<>();
            s.elems.forEach(e -> l.add(of(e)));
            return new SetValue(l);
        }
        if (v instanceof Tla.Mapping m) {
            Map<String, TlaValue> entries = new LinkedHashMap<>();
            m.map.forEach((k, e) -> entries.put(k.toString(), of(e)));
            return new Mapping(m.record, entries);
        }
        return new Leaf(v.toString());
    }

    // ---------------------------------------------------------------- diffing

    /** The changed leaves between {@code before} and {@code after}, with paths below {@code root}. */
    public static List<Change> diff(String root, TlaValue before, TlaValue after) {
        List<Change> out = new ArrayList<>();
        diff(root, before, after, out);
        return out;
    }

    private static void diff(String path, TlaValue a, TlaValue b, List<Change> out) {
        if (a.toString().equals(b.toString())) {
            return;
        }
        if (a instanceof Mapping ma && b instanceof Mapping mb && ma.record == mb.record
                && ma.entries.keySet().equals(mb.entries.keySet())) {
            for (String k : ma.entries.keySet()) {
                String p = ma.record ? path + "." + k : path + "[" + k + "]";
                diff(p, ma.entries.get(k), mb.entries.get(k), out);
            }
            return;
        }
        if (a instanceof Tuple ta && b instanceof Tuple tb && ta.elems.size() == tb.elems.size()) {
            for (int i = 0; i < ta.elems.size(); i++) {
                diff(path + "[" + (i + 1) + "]", ta.elems.get(i), tb.elems.get(i), out);
            }
            return;
        }
        out.add(new Change(path, a.toString(), b.toString()));
    }
}
