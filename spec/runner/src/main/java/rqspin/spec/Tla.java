package rqspin.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A TLA+ value as TLC prints it (and as this package writes it for TLC):
 * integers, strings, booleans and model values, tuples {@code <<a, b>>},
 * sets, records {@code [f |-> v]} and functions {@code (k :> v @@ ...)}.
 * Values compare as TLA+ values: a record or function by its mapping
 * whatever the order TLC printed it in, a tuple equal to a function on
 * {@code 1..n}. Immutable.
 */
public abstract class Tla {
    private Tla() {}

    /** Parses TLC's text of a value (line breaks and indentation allowed). */
    public static Tla parse(String text) {
        Parser p = new Parser(text);
        Tla v = p.value();
        p.skip();
        if (p.i != text.length()) {
            throw new IllegalArgumentException("unexpected text after a TLA+ value at " + p.i + ": " + text);
        }
        return v;
    }

    public static Tla num(long n) {
        return new Atom(Long.toString(n));
    }

    public static Tla str(String s) {
        return new Atom("\"" + s + "\"");
    }

    /** A model value or other bare name ({@code c1}, {@code A}, {@code TRUE}). */
    public static Tla name(String n) {
        return new Atom(n);
    }

    public static Tla tuple(List<Tla> elems) {
        return new Tuple(elems);
    }

    public static Tla record(Map<String, Tla> fields) {
        Map<Tla, Tla> m = new LinkedHashMap<>();
        fields.forEach((k, v) -> m.put(name(k), v));
        return new Mapping(true, m);
    }

    /** A set of the given elements (in the order given; compared as a set). */
    public static Tla set(List<Tla> elems) {
        return new SetValue(elems);
    }

    public static Tla function(Map<Tla, Tla> map) {
        return new Mapping(false, new LinkedHashMap<>(map));
    }

    /** The field or function value at {@code key} (a field name, a model value, a number as text). */
    public Tla get(String key) {
        throw new IllegalArgumentException("not a record or function: " + this);
    }

    /** The elements of a tuple (or of a function on 1..n). */
    public List<Tla> elems() {
        throw new IllegalArgumentException("not a tuple: " + this);
    }

    /** The text of an atom: a number, a quoted string, a name. */
    public String atom() {
        throw new IllegalArgumentException("not an atom: " + this);
    }

    /** The keys of a record or function, as text. */
    public List<String> keys() {
        throw new IllegalArgumentException("not a record or function: " + this);
    }

    /** The value as a map of key text to value (records and functions; a tuple maps 1..n). */
    public Map<String, Tla> asMap() {
        throw new IllegalArgumentException("not a record or function: " + this);
    }

    /** An atom: its text is its identity. */
    public static final class Atom extends Tla {
        public final String text;

        Atom(String text) {
            this.text = text;
        }

        @Override
        public String atom() {
            return text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Atom a && a.text.equals(text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** {@code <<...>>}; equal to a function on 1..n with the same values. */
    public static final class Tuple extends Tla {
        public final List<Tla> elems;

        Tuple(List<Tla> elems) {
            this.elems = List.copyOf(elems);
        }

        @Override
        public List<Tla> elems() {
            return elems;
        }

        @Override
        public Tla get(String key) {
            return elems.get(Integer.parseInt(key) - 1);
        }

        @Override
        public Map<String, Tla> asMap() {
            Map<String, Tla> m = new LinkedHashMap<>();
            for (int i = 0; i < elems.size(); i++) {
                m.put(Integer.toString(i + 1), elems.get(i));
            }
            return m;
        }

        @Override
        public boolean equals(Object o) {
            if (o instanceof Tuple t) {
                return t.elems.equals(elems);
            }
            return o instanceof Mapping m && !m.record && m.asMap().equals(asMap()) && !elems.isEmpty();
        }

        @Override
        public int hashCode() {
            return elems.hashCode();
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

    /** {@code {...}}: compared as a set. */
    public static final class SetValue extends Tla {
        public final List<Tla> elems;

        SetValue(List<Tla> elems) {
            this.elems = List.copyOf(elems);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SetValue s && new java.util.HashSet<>(s.elems).equals(new java.util.HashSet<>(elems));
        }

        @Override
        public int hashCode() {
            return new java.util.HashSet<>(elems).hashCode();
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

    /** A record {@code [f |-> v]} or a function {@code (k :> v @@ ...)}, compared as a mapping. */
    public static final class Mapping extends Tla {
        public final boolean record;
        public final Map<Tla, Tla> map;

        Mapping(boolean record, Map<Tla, Tla> map) {
            this.record = record;
            this.map = map;
        }

        @Override
        public Tla get(String key) {
            Tla v = map.get(new Atom(key));
            if (v == null) {
                throw new IllegalArgumentException("no " + key + " in " + this);
            }
            return v;
        }

        @Override
        public List<String> keys() {
            List<String> out = new ArrayList<>();
            map.keySet().forEach(k -> out.add(k.toString()));
            return out;
        }

        @Override
        public Map<String, Tla> asMap() {
            Map<String, Tla> m = new LinkedHashMap<>();
            map.forEach((k, v) -> m.put(k.toString(), v));
            return m;
        }

        @Override
        public List<Tla> elems() {
            List<Tla> out = new ArrayList<>();
            for (int i = 1; i <= map.size(); i++) {
                Tla v = map.get(new Atom(Integer.toString(i)));
                if (v == null) {
                    throw new IllegalArgumentException("not a sequence: " + this);
                }
                out.add(v);
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            if (o instanceof Mapping m) {
                return m.record == record && m.map.equals(map);
            }
            return o instanceof Tuple t && t.equals(this);
        }

        @Override
        public int hashCode() {
            return record ? map.hashCode() : Objects.hash(map);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(record ? "[" : "(");
            boolean first = true;
            for (Map.Entry<Tla, Tla> e : map.entrySet()) {
                b.append(first ? "" : record ? ", " : " @@ ").append(e.getKey())
                        .append(record ? " |-> " : " :> ").append(e.getValue());
                first = false;
            }
            return b.append(record ? "]" : ")").toString();
        }
    }

    /**
     * Whether the brackets outside strings balance in {@code b}: a value TLC
     * printed over several lines is complete.
     */
    public static boolean balanced(CharSequence b) {
        int depth = 0;
        boolean str = false;
        for (int k = 0; k < b.length(); k++) {
            char c = b.charAt(k);
            if (str) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    str = false;
                }
            } else if (c == '"') {
                str = true;
            } else if (c == '<' && k + 1 < b.length() && b.charAt(k + 1) == '<') {
                depth++;
                k++;
            } else if (c == '>' && k + 1 < b.length() && b.charAt(k + 1) == '>') {
                depth--;
                k++;
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
            }
        }
        return depth == 0;
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) {
            this.s = s;
        }

        void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        boolean at(String tok) {
            skip();
            return s.startsWith(tok, i);
        }

        void expect(String tok) {
            if (!at(tok)) {
                throw new IllegalArgumentException("expected " + tok + " at " + i + " in: " + s);
            }
            i += tok.length();
        }

        Tla value() {
            skip();
            if (at("<<")) {
                i += 2;
                List<Tla> es = new ArrayList<>();
                if (!at(">>")) {
                    do {
                        es.add(value());
                    } while (comma());
                }
                expect(">>");
                return new Tuple(es);
            }
            if (at("{")) {
                i++;
                List<Tla> es = new ArrayList<>();
                if (!at("}")) {
                    do {
                        es.add(value());
                    } while (comma());
                }
                expect("}");
                return new SetValue(es);
            }
            if (at("[")) {
                i++;
                Map<Tla, Tla> m = new LinkedHashMap<>();
                if (!at("]")) {
                    do {
                        skip();
                        int st = i;
                        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                            i++;
                        }
                        String f = s.substring(st, i);
                        expect("|->");
                        m.put(new Atom(f), value());
                    } while (comma());
                }
                expect("]");
                return new Mapping(true, m);
            }
            if (at("(")) {
                i++;
                Map<Tla, Tla> m = new LinkedHashMap<>();
                if (!at(")")) {
                    do {
                        Tla k = value();
                        expect(":>");
                        m.put(k, value());
                    } while (atAt());
                }
                expect(")");
                return new Mapping(false, m);
            }
            if (at("\"")) {
                int st = i++;
                while (i < s.length() && s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\') {
                        i++;
                    }
                    i++;
                }
                i++;
                return new Atom(s.substring(st, i));
            }
            int st = i;
            if (i < s.length() && s.charAt(i) == '-') {
                i++;
            }
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            if (st == i) {
                throw new IllegalArgumentException("cannot read a TLA+ value at " + i + " in: " + s);
            }
            return new Atom(s.substring(st, i));
        }

        boolean comma() {
            if (at(",")) {
                i++;
                return true;
            }
            return false;
        }

        boolean atAt() {
            if (at("@@")) {
                i += 2;
                return true;
            }
            return false;
        }
    }
}
