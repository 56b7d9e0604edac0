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
        final boolean record;
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

    // ---------------------------------------------------------------- parsing

    /** Parses TLC's printed form; never fails (unknown text becomes a leaf). */
    public static TlaValue parse(String text) {
        String t = text.strip();
        try {
            Parser p = new Parser(t);
            TlaValue v = p.value();
            p.space();
            if (p.pos == t.length()) {
                return v;
            }
        } catch (RuntimeException malformed) {
            // fall through: keep the text as it is
        }
        return new Leaf(t.replaceAll("\\s+", " "));
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        void space() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        boolean at(String tok) {
            space();
            return s.startsWith(tok, pos);
        }

        void eat(String tok) {
            if (!at(tok)) {
                throw new IllegalStateException("expected " + tok + " at " + pos);
            }
            pos += tok.length();
        }

        TlaValue value() {
            space();
            if (at("<<")) {
                eat("<<");
                List<TlaValue> l = new ArrayList<>();
                if (!at(">>")) {
                    do {
                        l.add(value());
                    } while (comma());
                }
                eat(">>");
                return new Tuple(l);
            }
            if (at("{")) {
                eat("{");
                List<TlaValue> l = new ArrayList<>();
                if (!at("}")) {
                    do {
                        l.add(value());
                    } while (comma());
                }
                eat("}");
                return new SetValue(l);
            }
            if (at("[")) {
                eat("[");
                Map<String, TlaValue> m = new LinkedHashMap<>();
                do {
                    String k = word();
                    eat("|->");
                    m.put(k, value());
                } while (comma());
                eat("]");
                return new Mapping(true, m);
            }
            if (at("(")) {
                eat("(");
                Map<String, TlaValue> m = new LinkedHashMap<>();
                do {
                    String k = value().toString();
                    eat(":>");
                    m.put(k, value());
                } while (at("@@") && eatTrue("@@"));
                eat(")");
                return new Mapping(false, m);
            }
            if (at("\"")) {
                int start = pos++;
                while (s.charAt(pos) != '"') {
                    pos += s.charAt(pos) == '\\' ? 2 : 1;
                }
                pos++;
                return new Leaf(s.substring(start, pos));
            }
            int start = pos;
            if (pos < s.length() && s.charAt(pos) == '-') {
                pos++;
            }
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            if (pos == start) {
                throw new IllegalStateException("no value at " + pos);
            }
            return new Leaf(s.substring(start, pos));
        }

        String word() {
            space();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            if (pos == start) {
                throw new IllegalStateException("no field name at " + pos);
            }
            return s.substring(start, pos);
        }

        boolean comma() {
            if (at(",")) {
                pos++;
                return true;
            }
            return false;
        }

        boolean eatTrue(String tok) {
            eat(tok);
            return true;
        }
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
