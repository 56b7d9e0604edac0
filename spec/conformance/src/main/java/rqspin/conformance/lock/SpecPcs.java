package rqspin.conformance.lock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which actions of RqSpinLock.tla a context may take at each program
 * counter, read from the guards of the actions ({@code At(c, x, "pc")},
 * {@code r.pc \in {...}}, {@code r.pc = "pc"}, and {@code Timed(r)} for
 * the check_timeout steps): with it a replay checks that the Java twin's
 * next step is one the spec's state allows.
 */
final class SpecPcs {
    private SpecPcs() {}

    private static final Pattern PC = Pattern.compile("At\\(c, x, \"(\\w+)\"\\)|r\\.pc \\\\in \\{([^}]*)\\}|r\\.pc = \"(\\w+)\"");

    /** Program counter to the actions enabled there (when their other conditions hold). */
    static Map<String, Set<String>> of(Path specDir, Set<String> actions) throws IOException {
        String spec = Files.readString(specDir.resolve("RqSpinLock.tla"), StandardCharsets.UTF_8);
        Set<String> timed = strings(between(spec, "TimedPcs ==", "\n"));
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String a : actions) {
            int at = spec.indexOf("\n" + a + "(c, x) ==");
            if (at < 0) {
                continue;
            }
            int end = spec.indexOf("\n\n", at + 1);
            String body = spec.substring(at, end < 0 ? spec.length() : end);
            Set<String> pcs = new LinkedHashSet<>();
            Matcher m = PC.matcher(body);
            while (m.find()) {
                if (m.group(1) != null) {
                    pcs.add(m.group(1));
                } else if (m.group(2) != null) {
                    pcs.addAll(strings(m.group(2)));
                } else {
                    pcs.add(m.group(3));
                }
            }
            if (body.contains("Timed(r)")) {
                pcs.addAll(timed);
            }
            for (String pc : pcs) {
                out.computeIfAbsent(pc, k -> new LinkedHashSet<>()).add(a);
            }
        }
        return out;
    }

    private static String between(String s, String from, String to) {
        int i = s.indexOf(from);
        return i < 0 ? "" : s.substring(i + from.length(), s.indexOf(to, i));
    }

    private static Set<String> strings(String s) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\"(\\w+)\"").matcher(s);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
