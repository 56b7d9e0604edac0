package rqspin.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spec/run-models itself: without a java, or with one older than 17, it says
 * so in one line and exits with 2 before it builds or runs anything.
 */
class RunModelsScriptTest {
    static final Path SCRIPT = ProjectModelsTest.SPEC.resolve("run-models");

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    Result script(Path pathDir, String... args) throws Exception {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "/bin/bash";
        cmd[1] = SCRIPT.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.remove("JAVA_HOME");
        env.put("PATH", pathDir.toString());
        pb.redirectOutput(tmp.resolve("out").toFile()).redirectError(tmp.resolve("err").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), Files.readString(tmp.resolve("out")), Files.readString(tmp.resolve("err")));
    }

    static void assertOneLine(Result r, String fragment) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("run-models: ") && r.err().contains(fragment), r.err());
    }

    @Test
    void noJavaIsOneLineAndExitTwo() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("bin"));
        assertOneLine(script(empty, "--list"), "no java found");
    }

    @Test
    void anOldJavaIsOneLineAndExitTwo() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("oldbin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/bash\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertOneLine(script(bin, "--list"), "is Java 11; JDK 17 or newer is needed");
        Files.writeString(java, "#!/bin/bash\necho 'java version \"1.8.0_392\"' >&2\n", StandardCharsets.UTF_8);
        assertOneLine(script(bin, "--list"), "is Java 8; JDK 17 or newer is needed");
    }
}
