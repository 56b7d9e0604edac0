package rqspin.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the runner reads from a TLC config file: the names under
 * {@code PROPERTY}/{@code PROPERTIES} (to tell a temporal property from an
 * action property in TLC's report) and the {@code CHECK_DEADLOCK} setting
 * (every config of the manifest must state it). Comments ({@code \*} and
 * {@code (* *)}) are ignored.
 */
final class Cfg {
    private Cfg() {}

    static final Set<String> KEYWORDS = Set.of("SPECIFICATION", "INIT", "NEXT", "INVARIANT",
            "INVARIANTS", "PROPERTY", "PROPERTIES", "CONSTANT", "CONSTANTS", "SYMMETRY", "VIEW", "CONSTRAINT",
            "CONSTRAINTS", "ACTION_CONSTRAINT", "ACTION_CONSTRAINTS", "CHECK_DEADLOCK", "POSTCONDITION", "ALIAS");

    /** The config's tokens, comments removed. */
    static List<String> tokens(Path cfg) throws IOException {
        String text = Files.readString(cfg, StandardCharsets.UTF_8)
                .replaceAll("(?s)\\(\\*.*?\\*\\)", " ")
                .replaceAll("\\\\\\*[^\n]*", " ");
        List<String> out = new ArrayList<>();
        for (String tok : text.split("\\s+")) {
            if (!tok.isEmpty()) {
                out.add(tok);
            }
        }
        return out;
    }

    /** The names listed under PROPERTY/PROPERTIES. */
    static List<String> temporalProperties(Path cfg) throws IOException {
        List<String> names = new ArrayList<>();
        boolean inProperties = false;
        for (String tok : tokens(cfg)) {
            if (KEYWORDS.contains(tok)) {
                inProperties = tok.startsWith("PROPERT");
            } else if (inProperties) {
                names.add(tok);
            }
        }
        return names;
    }

    /** TRUE or FALSE as the config's CHECK_DEADLOCK says, or null when it says nothing (or something else). */
    static Boolean checkDeadlock(Path cfg) throws IOException {
        List<String> t = tokens(cfg);
        Boolean found = null;
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i).equals("CHECK_DEADLOCK")) {
                String v = i + 1 < t.size() ? t.get(i + 1) : "";
                if (!v.equals("TRUE") && !v.equals("FALSE")) {
                    return null;
                }
                found = v.equals("TRUE");
            }
        }
        return found;
    }
}
