package rqspin.model;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs every harness's .jpf file under Java PathFinder and compares JPF's
 * verdict with the one the file expects ({@code rqspin.expected = pass}, or
 * {@code error:<text in JPF's error line>}). Used by the {@code -Pjpf}
 * profile; JPF itself comes from {@code JPF_HOME} (jpf-core, branch java-17,
 * built by the user: it is on no registry).
 *
 * <p>Usage: {@code RunJpf <dir with .jpf files> [name...]}. Prints one row
 * per harness (verdict, expected, states, time) and exits 0 if every verdict
 * is as expected, 1 if one differs, 2 on bad usage (JPF_HOME unset, no such
 * directory or harness). Each run's whole output goes to
 * {@code target/jpf/<name>.out}.
 */
public final class RunJpf {
    private static final Pattern STATES = Pattern.compile("states:\\s+new=(\\d+),visited=(\\d+)");
    private static final Pattern ELAPSED = Pattern.compile("elapsed time:\\s+(\\S+)");
    private static final Pattern ERROR = Pattern.compile("^error #\\d+: (.*)$");

    private RunJpf() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws IOException, InterruptedException {
        String home = System.getenv("JPF_HOME");
        if (home == null || home.isBlank()) {
            System.err.println("JPF_HOME is not set: point it at a jpf-core checkout (branch java-17) built with its"
                    + " jars in build/ (see model/README.md).");
            return 2;
        }
        File runJpf = new File(home, "build/RunJPF.jar");
        if (!runJpf.isFile()) {
            System.err.println("JPF_HOME=" + home + " has no build/RunJPF.jar: build jpf-core first.");
            return 2;
        }
        if (args.length < 1 || !new File(args[0]).isDirectory()) {
            System.err.println("usage: RunJpf <directory of .jpf files> [harness...]");
            return 2;
        }
        Path dir = Path.of(args[0]);
        List<Path> files = new ArrayList<>();
        if (args.length > 1) {
            for (int i = 1; i < args.length; i++) {
                Path p = dir.resolve(args[i] + ".jpf");
                if (!Files.isRegularFile(p)) {
                    System.err.println("no harness " + args[i] + " (no " + p + ")");
                    return 2;
                }
                files.add(p);
            }
        } else {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.toString().endsWith(".jpf")).sorted().forEach(files::add);
            }
        }
        Path outDir = dir.resolveSibling("target").resolve("jpf");
        Files.createDirectories(outDir);
        System.out.printf("%-28s %-40s %-40s %12s %10s%n", "harness", "verdict", "expected", "new states", "time");
        boolean allAsExpected = true;
        for (Path f : files) {
            String name = f.getFileName().toString().replace(".jpf", "");
            Properties props = new Properties();
            try (var r = Files.newBufferedReader(f)) {
                props.load(r);
            }
            String expected = props.getProperty("rqspin.expected", "pass").trim();
            Path out = outDir.resolve(name + ".out");
            Process p = new ProcessBuilder("java", "-Xmx6g", "-jar", runJpf.getPath(), f.getFileName().toString())
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String verdict = "pass";
            String states = "?";
            String elapsed = "?";
            StringBuilder all = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    all.append(line).append('\n');
                    Matcher m = ERROR.matcher(line);
                    if (m.find() && verdict.equals("pass")) {
                        verdict = "error:" + m.group(1);
                    }
                    m = STATES.matcher(line);
                    if (m.find()) {
                        states = m.group(1);
                    }
                    m = ELAPSED.matcher(line);
                    if (m.find()) {
                        elapsed = m.group(1);
                    }
                }
            }
            p.waitFor();
            if (!all.toString().contains("search finished")) {
                verdict = "jpf-failed (see " + out + ")";
            }
            Files.writeString(out, all);
            boolean ok = expected.equals("pass") ? verdict.equals("pass") : verdict.startsWith("error:")
                    && verdict.contains(expected.substring("error:".length()));
            allAsExpected &= ok;
            System.out.printf("%-28s %-40s %-40s %12s %10s%s%n", name, shorten(verdict), shorten(expected), states,
                    elapsed, ok ? "" : "   <-- differs");
        }
        return allAsExpected ? 0 : 1;
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
