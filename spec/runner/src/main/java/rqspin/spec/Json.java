package rqspin.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;
import java.util.Map;

/**
 * JSON for the model manifest, the trace files and the verdict reports:
 * reading through Jackson ({@code jackson-databind}), writing by hand in the
 * manifest's layout.
 *
 * <p>Values map to Java as: object to {@link java.util.LinkedHashMap} (key order kept),
 * array to {@link java.util.ArrayList}, string to {@link String}, number to {@link Long}
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

    /**
     * Strict reading: a duplicate key or text after the value is an error;
     * integers are {@link Long}, other numbers {@link Double}, objects keep
     * their key order.
     */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .build();

    public static Object parse(String text) throws ParseException {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new ParseException(e.getOriginalMessage().lines().findFirst().orElse("bad JSON") + where);
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
