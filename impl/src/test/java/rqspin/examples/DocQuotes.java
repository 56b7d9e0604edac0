package rqspin.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks the Java code blocks of README files against the sources they
 * quote. A block is written as
 *
 * <pre>
 * &lt;!-- example: impl/src/test/java/rqspin/examples/LockExample.java#basic --&gt;
 * ```java
 * ...
 * ```
 * </pre>
 *
 * where the marker (on the line just before the block) names a file,
 * relative to the repository root, and a region of it: the lines between
 * {@code // [basic]} and {@code // [/basic]}. The block must equal the
 * region with its common indentation removed (trailing blanks ignored).
 * A {@code ```java} block without a marker is an error too.
 */
final class DocQuotes {
    static final Pattern MARKER = Pattern.compile("^<!--\\s*example:\\s*(\\S+)#([\\w-]+)\\s*-->\\s*$");

    private DocQuotes() {
    }

    /** Every README.md under {@code root}, outside build output and hidden directories. */
    static List<Path> readmes(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> out = new ArrayList<>();
            s.filter(p -> p.getFileName().toString().equals("README.md"))
                    .filter(p -> {
                        for (Path part : root.relativize(p)) {
                            String n = part.toString();
                            if (n.equals("target") || n.startsWith(".")) {
                                return false;
                            }
                        }
                        return true;
                    }).sorted().forEach(out::add);
            return out;
        }
    }

    /** The java blocks of {@code readme} that have no marker (their first lines). */
    static List<Integer> unmarked(Path readme) throws IOException {
        List<Integer> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(readme);
        for (int i = 0; i < lines.size(); i++) {
            if (isJavaFence(lines.get(i)) && (i == 0 || !MARKER.matcher(lines.get(i - 1).trim()).matches())) {
                out.add(i + 1);
            }
        }
        return out;
    }

    /** Problems with the marked blocks of {@code readme} (a marker that names nothing, a block that differs). */
    static List<String> problems(Path root, Path readme) throws IOException {
        List<String> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(readme);
        String name = root.relativize(readme).toString();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = MARKER.matcher(lines.get(i).trim());
            if (!m.matches()) {
                continue;
            }
            String where = name + ":" + (i + 1) + " (" + m.group(1) + "#" + m.group(2) + ")";
            if (i + 1 >= lines.size() || !isJavaFence(lines.get(i + 1))) {
                out.add(where + ": the marker is not followed by a ```java block");
                continue;
            }
            List<String> block = new ArrayList<>();
            int j = i + 2;
            while (j < lines.size() && !lines.get(j).trim().equals("```")) {
                block.add(stripEnd(lines.get(j)));
                j++;
            }
            if (j == lines.size()) {
                out.add(where + ": the block is not closed");
                break;
            }
            Path source = root.resolve(m.group(1));
            if (!Files.isRegularFile(source)) {
                out.add(where + ": no file " + m.group(1));
                continue;
            }
            List<String> region = region(Files.readAllLines(source), m.group(2));
            if (region == null) {
                out.add(where + ": no region // [" + m.group(2) + "] ... // [/" + m.group(2) + "] in " + m.group(1));
                continue;
            }
            String diff = firstDifference(region, block);
            if (diff != null) {
                out.add(where + ": the block is not the region's text: " + diff);
            }
            i = j;
        }
        return out;
    }

    /** The lines between {@code // [name]} and {@code // [/name]}, dedented; null if there is no such region. */
    static List<String> region(List<String> source, String name) {
        int start = -1;
        for (int i = 0; i < source.size(); i++) {
            String t = source.get(i).trim();
            if (start < 0 && t.equals("// [" + name + "]")) {
                start = i + 1;
            } else if (start >= 0 && t.equals("// [/" + name + "]")) {
                List<String> body = source.subList(start, i);
                int indent = Integer.MAX_VALUE;
                for (String l : body) {
                    if (!l.isBlank()) {
                        indent = Math.min(indent, l.length() - l.stripLeading().length());
                    }
                }
                List<String> out = new ArrayList<>();
                for (String l : body) {
                    out.add(l.isBlank() ? "" : stripEnd(l.substring(indent)));
                }
                return out;
            }
        }
        return null;
    }

    private static String firstDifference(List<String> expected, List<String> actual) {
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            String e = i < expected.size() ? expected.get(i) : "<end of region>";
            String a = i < actual.size() ? actual.get(i) : "<end of block>";
            if (!e.equals(a)) {
                return "line " + (i + 1) + " of the block is '" + a + "', the source has '" + e + "'";
            }
        }
        return null;
    }

    private static boolean isJavaFence(String line) {
        return line.trim().equals("```java");
    }

    private static String stripEnd(String s) {
        return s.stripTrailing();
    }
}
