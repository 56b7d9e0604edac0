package rqspin.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of every README.md of the repository (root,
 * spec/**, impl, lincheck, model, ...) is an exact quote of a region of a
 * source file that the build compiles and runs (see {@link DocQuotes} for
 * the marker), so a documented example cannot stop compiling or drift from
 * the code. {@link #aDriftedQuoteFails} shows the check failing.
 */
class DocExamplesTest {
    /**
     * README files that may hold unmarked java blocks, and how many. None
     * may: every java block of the docs is a quote of a compiled example.
     * The count is a ratchet: it must equal what the file holds.
     */
    private static final Map<String, Integer> UNMARKED_ALLOWED = Map.of();

    private static Path root() {
        Path impl = Path.of("").toAbsolutePath();
        Path root = impl.getParent();
        assertTrue(Files.isRegularFile(root.resolve("pom.xml")) && Files.isDirectory(root.resolve("impl")),
                "the tests run in impl/, below the repository root: " + impl);
        return root;
    }

    @Test
    void everyJavaBlockOfEveryReadmeQuotesCompiledSource() throws IOException {
        Path root = root();
        List<Path> readmes = DocQuotes.readmes(root);
        assertTrue(readmes.contains(root.resolve("impl/README.md")), "impl/README.md is scanned: " + readmes);
        List<String> problems = new ArrayList<>();
        int quotes = 0;
        for (Path r : readmes) {
            String name = root.relativize(r).toString();
            problems.addAll(DocQuotes.problems(root, r));
            quotes += count(r, DocQuotes.MARKER.pattern());
            List<Integer> unmarked = DocQuotes.unmarked(r);
            int allowed = UNMARKED_ALLOWED.getOrDefault(name, 0);
            if (unmarked.size() != allowed) {
                problems.add(name + ": " + unmarked.size() + " java block(s) without an example marker (lines "
                        + unmarked + ")" + (allowed > 0 ? "; " + allowed + " allowed by UNMARKED_ALLOWED of "
                        + "DocExamplesTest, which must match: update or remove the entry" : ""));
            }
        }
        assertTrue(quotes >= 3, "the READMEs quote the examples: " + quotes);
        assertEquals(List.of(), problems);
    }

    @Test
    void aDriftedQuoteFails(@TempDir Path root) throws IOException {
        Files.writeString(root.resolve("Ex.java"), String.join("\n",
                "class Ex {",
                "    void f() {",
                "        // [r]",
                "        int x = 1;",
                "        x++;",
                "        // [/r]",
                "    }",
                "}", ""));
        String quote = "<!-- example: Ex.java#r -->\n```java\nint x = 1;\nx++;\n```\n";
        Path readme = root.resolve("README.md");
        Files.writeString(readme, "# exact\n\n" + quote);
        assertEquals(List.of(), DocQuotes.problems(root, readme));
        assertEquals(List.of(), DocQuotes.unmarked(readme));

        Files.writeString(readme, "# drifted\n\n" + quote.replace("x++;", "x += 2;"));
        List<String> drift = DocQuotes.problems(root, readme);
        assertEquals(1, drift.size(), drift.toString());
        assertTrue(drift.get(0).contains("line 2 of the block is 'x += 2;', the source has 'x++;'"), drift.get(0));

        Files.writeString(readme, "# missing region\n\n" + quote.replace("#r", "#s"));
        assertTrue(DocQuotes.problems(root, readme).get(0).contains("no region // [s]"));

        Files.writeString(readme, "# unmarked\n\n```java\nint y;\n```\n");
        assertEquals(List.of(3), DocQuotes.unmarked(readme));
    }

    private static int count(Path readme, String regex) throws IOException {
        int n = 0;
        for (String l : Files.readAllLines(readme)) {
            if (l.trim().matches(regex)) {
                n++;
            }
        }
        return n;
    }
}
