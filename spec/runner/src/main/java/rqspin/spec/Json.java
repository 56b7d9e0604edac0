package rqspin.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader and writer for the model manifest and the trace files.
 *
 * <p>Values map to Java as: object to {@link LinkedHashMap} (key order kept),
 * array to {@link ArrayList}, string to {@link String}, number to {@link Long}
 * when integral and {@link Double} otherwise, {@code true}/{@code false} to
 * {@link Boolean}, {@code null} to {@code null}. The writer indents by two
 * spaces and keeps an object or array on one line when it holds only scalars
 * and is short, so that the manifest stays easy to read and to diff.
 */
public final class Json {
    private Json() {}

    /** A syntax error, with the line and column where it was found. */
    public static final class ParseException extends Exception {
        public ParseException(String message) {
            super(message);
        }
    }

    // ---------------------------------------------------------------- reading

    public static Object parse(String text) throws ParseException {
        Reader r = new Reader(text);
        r.skipSpace();
        Object v = r.value();
        r.skipSpace();
        if (r.pos != text.length()) {
            throw r.error("unexpected text after the JSON value");
        }
        return v;
    }

    private static final class Reader {
        final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        ParseException error(String what) {
            int line = 1, col = 1;
            for (int i = 0; i < Math.min(pos, s.length()); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            return new ParseException(what + " at line " + line + ", column " + col);
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        char peek() throws ParseException {
            if (pos >= s.length()) {
                throw error("unexpected end of input");
            }
            return s.charAt(pos);
        }

        void expect(char c) throws ParseException {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        Object value() throws ParseException {
            char c = peek();
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("unexpected character '" + c + "'");
            }
        }

        Object literal(String word, Object v) throws ParseException {
            if (!s.startsWith(word, pos)) {
                throw error("expected " + word);
            }
            pos += word.length();
            return v;
        }

        Map<String, Object> object() throws ParseException {
            Map<String, Object> m = new LinkedHashMap<>();
            expect('{');
            skipSpace();
            if (peek() == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipSpace();
                if (peek() != '"') {
                    throw error("expected a string key");
                }
                String k = string();
                skipSpace();
                expect(':');
                skipSpace();
                if (m.containsKey(k)) {
                    throw error("duplicate key \"" + k + "\"");
                }
                m.put(k, value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                return m;
            }
        }

        List<Object> array() throws ParseException {
            List<Object> a = new ArrayList<>();
            expect('[');
            skipSpace();
            if (peek() == ']') {
                pos++;
                return a;
            }
            while (true) {
                skipSpace();
                a.add(value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    continue;
                }
                expect(']');
                return a;
            }
        }

        String string() throws ParseException {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = peek();
                pos++;
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = peek();
                pos++;
                switch (e) {
                    case '"': b.append('"'); break;
                    case '\\': b.append('\\'); break;
                    case '/': b.append('/'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u':
                        if (pos + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                        break;
                    default:
                        throw error("bad escape \\" + e);
                }
            }
        }

        Object number() throws ParseException {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            boolean integral = true;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c >= '0' && c <= '9') {
                    pos++;
                } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                    integral = false;
                    pos++;
                } else {
                    break;
                }
            }
            String t = s.substring(start, pos);
            try {
                return integral ? (Object) Long.parseLong(t) : (Object) Double.parseDouble(t);
            } catch (NumberFormatException x) {
                throw error("bad number " + t);
            }
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes {@code v} as indented JSON, ending with a newline. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, 0);
        b.append('\n');
        return b.toString();
    }

    private static final int INLINE_LIMIT = 100;

    private static void write(StringBuilder b, Object v, int indent) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append("{}");
                return;
            }
            String inline = inline(v);
            if (inline != null && inline.length() + indent <= INLINE_LIMIT) {
                b.append(inline);
                return;
            }
            b.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                pad(b, indent + 2);
                quote(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), indent + 2);
                b.append(++i < m.size() ? ",\n" : "\n");
            }
            pad(b, indent);
            b.append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                b.append("[]");
                return;
            }
            String inline = inline(v);
            if (inline != null && inline.length() + indent <= INLINE_LIMIT) {
                b.append(inline);
                return;
            }
            b.append("[\n");
            for (int i = 0; i < l.size(); i++) {
                pad(b, indent + 2);
                write(b, l.get(i), indent + 2);
                b.append(i + 1 < l.size() ? ",\n" : "\n");
            }
            pad(b, indent);
            b.append(']');
        } else {
            scalar(b, v);
        }
    }

    /** The one-line form of a container of scalars, or null if it nests. */
    private static String inline(Object v) {
        StringBuilder b = new StringBuilder();
        if (v instanceof Map<?, ?> m) {
            b.append('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof Map || e.getValue() instanceof List) {
                    return null;
                }
                if (i++ > 0) {
                    b.append(", ");
                }
                quote(b, String.valueOf(e.getKey()));
                b.append(": ");
                scalar(b, e.getValue());
            }
            return b.append('}').toString();
        }
        List<?> l = (List<?>) v;
        b.append('[');
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i) instanceof Map || l.get(i) instanceof List) {
                return null;
            }
            if (i > 0) {
                b.append(", ");
            }
            scalar(b, l.get(i));
        }
        return b.append(']').toString();
    }

    private static void scalar(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            quote(b, s);
        } else if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            b.append(d);
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private static void pad(StringBuilder b, int n) {
        b.append(" ".repeat(n));
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }
}
