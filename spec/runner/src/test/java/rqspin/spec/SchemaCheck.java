package rqspin.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small JSON Schema checker for the runner's schema files (the subset they
 * use: type, const, enum, required, properties, additionalProperties, items,
 * $ref to #/$defs). Returns the problems found, each with its JSON path.
 */
final class SchemaCheck {
    private final Map<String, Object> root;
    final List<String> problems = new ArrayList<>();

    private SchemaCheck(Map<String, Object> root) {
        this.root = root;
    }

    static List<String> check(Map<String, Object> schema, Object value) {
        SchemaCheck c = new SchemaCheck(schema);
        c.check("$", schema, value);
        return c.problems;
    }

    @SuppressWarnings("unchecked")
    private void check(String path, Map<String, Object> s, Object v) {
        if (s.get("$ref") instanceof String ref) {
            String name = ref.substring(ref.lastIndexOf('/') + 1);
            s = (Map<String, Object>) ((Map<String, Object>) root.get("$defs")).get(name);
        }
        Object type = s.get("type");
        if (type != null) {
            List<Object> types = type instanceof List<?> l ? (List<Object>) l : List.of(type);
            if (types.stream().noneMatch(t -> is(String.valueOf(t), v))) {
                problems.add(path + ": " + (v == null ? "null" : v.getClass().getSimpleName()) + " is not " + types);
                return;
            }
        }
        if (s.containsKey("const") && !s.get("const").equals(v)) {
            problems.add(path + ": " + v + " is not " + s.get("const"));
        }
        if (s.get("enum") instanceof List<?> e && !e.contains(v)) {
            problems.add(path + ": " + v + " is not one of " + e);
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> props = (Map<String, Object>) s.getOrDefault("properties", Map.of());
            for (Object r : (List<Object>) s.getOrDefault("required", List.of())) {
                if (!m.containsKey(r)) {
                    problems.add(path + ": missing " + r);
                }
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                if (props.containsKey(k)) {
                    check(path + "." + k, (Map<String, Object>) props.get(k), e.getValue());
                } else if (Boolean.FALSE.equals(s.get("additionalProperties"))) {
                    problems.add(path + ": unexpected member " + k);
                } else if (s.get("additionalProperties") instanceof Map<?, ?> ap) {
                    check(path + "." + k, (Map<String, Object>) ap, e.getValue());
                }
            }
        }
        if (v instanceof List<?> l && s.get("items") instanceof Map<?, ?> items) {
            for (int i = 0; i < l.size(); i++) {
                check(path + "[" + i + "]", (Map<String, Object>) items, l.get(i));
            }
        }
    }

    private static boolean is(String type, Object v) {
        return switch (type) {
            case "null" -> v == null;
            case "string" -> v instanceof String;
            case "integer" -> v instanceof Long || v instanceof Integer;
            case "number" -> v instanceof Number;
            case "boolean" -> v instanceof Boolean;
            case "array" -> v instanceof List;
            case "object" -> v instanceof Map;
            default -> false;
        };
    }
}
