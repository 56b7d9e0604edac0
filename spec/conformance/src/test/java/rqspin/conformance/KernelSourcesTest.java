package rqspin.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every action of each spec names its kernel file, function and commits
 * (spec/&lt;mechanism&gt;/sources.json) and the README's table of them is
 * the generated one: {@code spec/conform sources} passes on the project,
 * and fails on a copy where the spec gains an action with no source, where
 * the README's table was edited by hand, and where an entry names a commit
 * that is not defined; a malformed sources.json is bad input (exit 2).
 */
class KernelSourcesTest {
    static final Path SPEC = Path.of(System.getProperty("rqspin.spec.dir", "..")).toAbsolutePath().normalize();

    @Test
    void everyActionHasItsKernelSourceAndTheTablesAreFresh() {
        Result r = sources(SPEC.resolve("models.json"));
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.matches("(?s).*rqspinlock: \\d+ actions with their kernel sources, 0 problems.*"), r.out);
        assertTrue(r.out.matches("(?s).*localstorage: \\d+ actions with their kernel sources, 0 problems.*"), r.out);
    }

    @Test
    void aNewSpecActionWithoutSourceIsCaught() throws Exception {
        Path copy = copy("new-action");
        Path tla = copy.resolve("rqspinlock").resolve("RqSpinLock.tla");
        String spec = Files.readString(tla, StandardCharsets.UTF_8);
        String changed = spec.replace("    \\/ res_spin_unlock_pop(c, x)\n",
                "    \\/ res_spin_unlock_pop(c, x)\n    \\/ new_kernel_step(c, x)\n");
        assertTrue(!changed.equals(spec), "the seeded change applies");
        Files.writeString(tla, changed, StandardCharsets.UTF_8);
        Result r = sources(copy.resolve("models.json"));
        assertEquals(1, r.exit, r.out);
        assertTrue(r.out.contains("  no kernel source for the spec action new_kernel_step\n"), r.out);
    }

    @Test
    void aHandEditedTableIsStale() throws Exception {
        Path copy = copy("stale");
        Path readme = copy.resolve("localstorage").resolve("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String changed = text.replaceFirst("\\| `MapFreeStart` \\| `kernel/bpf/bpf_local_storage.c`",
                "| `MapFreeStart` | `kernel/bpf/elsewhere.c`");
        assertTrue(!changed.equals(text), "the seeded change applies");
        Files.writeString(readme, changed, StandardCharsets.UTF_8);
        Result r = sources(copy.resolve("models.json"));
        assertEquals(1, r.exit, r.out);
        assertTrue(r.out.contains("the table of kernel sources is stale (spec/conform sources --write)"), r.out);
    }

    @Test
    void anUndefinedCommitIsCaught() throws Exception {
        Path copy = copy("undefined-commit");
        Path json = copy.resolve("rqspinlock").resolve("sources.json");
        String text = Files.readString(json, StandardCharsets.UTF_8);
        String changed = text.replaceFirst("\"commits\": \\[\\s*\"494e7fe591bf\"", "\"commits\": [\"deadbeef0000\"");
        assertTrue(!changed.equals(text), "the seeded change applies");
        Files.writeString(json, changed, StandardCharsets.UTF_8);
        Result r = sources(copy.resolve("models.json"));
        assertEquals(1, r.exit, r.out);
        assertTrue(r.out.contains("the commit deadbeef0000 is not defined under \"commits\""), r.out);
    }

    @Test
    void aMalformedFileIsBadInput() throws Exception {
        Path copy = copy("malformed");
        Files.writeString(copy.resolve("localstorage").resolve("sources.json"), "{\"actions\": [", StandardCharsets.UTF_8);
        Result r = sources(copy.resolve("models.json"));
        assertEquals(2, r.exit, r.out);
        List<String> errLines = r.err.lines().toList();
        assertEquals(1, errLines.size(), r.err);
        assertTrue(errLines.get(0).startsWith("conform: ") && errLines.get(0).contains("sources.json: cannot read it as JSON"),
                r.err);
    }

    private record Result(int exit, String out, String err) {}

    private static Result sources(Path manifest) {
        PrintStream old = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int exit;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            exit = Conform.run(new String[] {"--manifest", manifest.toString(), "sources"}, new PrintWriter(err, true),
                    new PrintWriter(err, true));
        } finally {
            System.setOut(old);
        }
        return new Result(exit, printed.toString(StandardCharsets.UTF_8), err.toString());
    }

    /** A copy of the specs (the .tla, sources.json and README of each mechanism) and the manifest. */
    private static Path copy(String what) throws Exception {
        Path copy = Path.of("target", "conformance-tests", "sources-" + what).toAbsolutePath();
        for (String mech : List.of("rqspinlock", "localstorage")) {
            Path from = SPEC.resolve(mech);
            Path to = copy.resolve(mech);
            Files.createDirectories(to);
            try (Stream<Path> s = Files.list(from)) {
                for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".tla")
                        || p.getFileName().toString().equals("sources.json")
                        || p.getFileName().toString().equals("README.md"))::iterator) {
                    Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.copy(SPEC.resolve("models.json"), copy.resolve("models.json"), StandardCopyOption.REPLACE_EXISTING);
        return copy;
    }
}
