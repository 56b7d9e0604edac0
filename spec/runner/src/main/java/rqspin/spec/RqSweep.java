package rqspin.spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cause sweep of rqspinlock (spec/rqspinlock/sweep): for each version,
 * every generated scenario of {@code MCSweep.tla} (2 or 3 CPUs; per CPU a task
 * script of one or two lock steps over one or two locks and an NMI script of
 * none or one lock step; one scenario per class of CPU permutations and the
 * A/B swap) is checked with every property. A violation is classified by its
 * root cause from the trace (the pcs around the failing step, README
 * "Distinct causes"), that cause is excluded (the constant {@code Excluded}
 * of MCSweep) and the scenario runs again, until it passes or a violation
 * cannot be classified: that one is reported as NEW, with its trace, for a
 * person to read against the kernel. The excluded causes carry over to the
 * next scenarios of the same version.
 */
public final class RqSweep {
    private RqSweep() {}

    static final List<String> VERSIONS = List.of("v6.15", "v6.17", "v6.19", "v7.0", "v7.2");
    /** MCSweep's CauseNames. */
    static final List<String> CAUSES = List.of("late_entry", "early_entry", "unlock_window", "failed_entry",
            "in_flight_entry", "cascade", "nmi_fallback", "nmi_queue_hang", "handover_hang");
    static final String[] MENU = {"None", "OnlyA", "OnlyB", "AThenB", "BThenA"};
    static final int[] TASKS = {2, 3, 4, 5};
    static final int[] NMIS = {1, 2, 3};
    static final String INVARIANTS = "TypeOK MutualExclusion LockWordMatchesOwner HeldTableMatches QueueWellFormed"
            + " QueueLive AtMostOnePending QuiescentLockWordClean";
    static final String PROPERTIES = "FailedAttemptClean DeadlockIsReal DetectionIsReal AAIsReal AAIsDetected"
            + " AttemptsReturn LocksReleased";

    /** One cause as the sweep met it first in a version. */
    record Found(String cause, String scenario, String property, int traceLength, Path trace) {}

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.out));
        } catch (UsageException e) {
            System.err.println("sweep: " + e.getMessage());
            System.exit(2);
        } catch (IOException | InterruptedException e) {
            System.err.println("sweep: " + e.getMessage());
            System.exit(1);
        }
    }

    static int run(String[] args, PrintStream out) throws UsageException, IOException, InterruptedException {
        List<String> versions = VERSIONS;
        int cpus = 2;
        int budget = Integer.MAX_VALUE;
        Path spec = Path.of(System.getProperty("rqspin.spec.dir", "spec"));
        Path dir = null;
        Set<String> only = null;
        Set<String> preset = new TreeSet<>();
        for (String a : args) {
            if (a.startsWith("--versions=")) {
                versions = Arrays.asList(a.substring(11).split(","));
                for (String v : versions) {
                    if (!VERSIONS.contains(v)) {
                        throw new UsageException("unknown version " + v + " (known: " + String.join(", ", VERSIONS) + ")");
                    }
                }
            } else if (a.startsWith("--cpus=")) {
                cpus = number(a, 2, 3);
            } else if (a.startsWith("--budget=")) {
                budget = number(a, 1, Integer.MAX_VALUE);
            } else if (a.startsWith("--excluded=")) {
                for (String c : a.substring(11).split(",")) {
                    if (!CAUSES.contains(c)) {
                        throw new UsageException("unknown cause " + c + " (known: " + String.join(", ", CAUSES) + ")");
                    }
                    preset.add(c);
                }
            } else if (a.startsWith("--scenarios=")) {
                only = new LinkedHashSet<>(Arrays.asList(a.substring(12).split(",")));
            } else if (a.startsWith("--out=")) {
                dir = Path.of(a.substring(6));
            } else if (a.equals("-h") || a.equals("--help")) {
                out.println("usage: spec/rqspinlock/sweep [--versions=v6.15,...] [--cpus=2|3] [--budget=N] [--scenarios=CODE,...]"
                        + " [--excluded=CAUSE,...] [--out=DIR]");
                out.println("  sweeps the generated scenarios of MCSweep.tla per version, classifying and excluding");
                out.println("  each violation's cause until none is left; writes DIR/sweep.md (default spec/target/sweep)");
                out.println("  --excluded: causes excluded from the start (MCSweep's CauseNames), e.g. to re-run a few");
                out.println("  scenarios after a full sweep found them");
                out.println("  --scenarios: only these scenarios, by code (the CPUs' task and NMI menu digits, sorted,");
                out.println("  as in the trace names: 41_53 is task A>B; task B>A + NMI B); the causes found in");
                out.println("  the skipped scenarios are then not excluded beforehand");
                return 0;
            } else {
                throw new UsageException("unknown argument " + a + " (see --help)");
            }
        }
        if (dir == null) {
            dir = spec.resolve("target").resolve("sweep");
        }
        List<int[]> scenarios = scenarios(cpus);
        if (only != null) {
            Set<String> known = new LinkedHashSet<>();
            List<int[]> chosen = new ArrayList<>();
            for (int[] s : scenarios) {
                known.add(code(s));
                if (only.contains(code(s))) {
                    chosen.add(s);
                }
            }
            for (String o : only) {
                if (!known.contains(o)) {
                    throw new UsageException("unknown scenario " + o + " for " + cpus + " CPUs (codes like "
                            + code(scenarios.get(0)) + ", as in the sweep's trace names)");
                }
            }
            scenarios = chosen;
        }
        if (scenarios.size() > budget) {
            scenarios = scenarios.subList(0, budget);
        }
        Files.createDirectories(dir.resolve("cfg"));
        StringBuilder md = new StringBuilder();
        md.append("# rqspinlock cause sweep\n\n").append(scenarios.size()).append(" scenarios of ").append(cpus)
                .append(" CPUs per version (task: ").append("A, B, A>B, B>A; NMI: none, A, B").append(")\n\n");
        Map<String, Set<String>> survives = new LinkedHashMap<>();
        boolean unknown = false;
        for (String v : versions) {
            long start = System.nanoTime();
            Set<String> excluded = new TreeSet<>(preset);
            List<Found> found = new ArrayList<>();
            List<String> news = new ArrayList<>();
            int runs = 0;
            for (int[] s : scenarios) {
                for (;;) {
                    runs++;
                    String name = "sweep_" + v.replace(".", "") + "_" + code(s) + "_" + runs;
                    TlcResult r = check(spec, dir, name, v, cpus, s, excluded);
                    if (r.verdict().kind() == Verdict.Kind.PASS) {
                        break;
                    }
                    String cause = classify(r, v);
                    Path trace = dir.resolve(name + ".trace.txt");
                    Files.writeString(trace, dump(r),
                            StandardCharsets.UTF_8);
                    if (cause == null || excluded.contains(cause)) {
                        news.add(describe(s) + ": " + r.verdict() + (cause == null ? " (unclassified)" : " (" + cause
                                + " not excluded by its constraint)") + ", trace " + trace);
                        unknown = true;
                        break;
                    }
                    excluded.add(cause);
                    found.add(new Found(cause, describe(s), r.verdict().toString(), r.trace().size(), trace));
                    survives.computeIfAbsent(cause, k -> new LinkedHashSet<>()).add(v);
                    out.println(v + ": " + cause + " in " + describe(s) + " (" + r.verdict() + ", "
                            + r.trace().size() + " states)");
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            md.append("## ").append(v).append("\n\n").append(scenarios.size()).append(" scenarios, ").append(runs)
                    .append(" TLC runs, ").append(String.format("%.0f s", secs)).append("\n\n");
            md.append("| cause | first shown by | property | states in the trace |\n|---|---|---|---|\n");
            for (Found f : found) {
                md.append("| `").append(f.cause()).append("` | ").append(f.scenario()).append(" | ")
                        .append(f.property()).append(" | ").append(f.traceLength()).append(" |\n");
            }
            for (String n : news) {
                md.append("| **NEW** | ").append(n).append(" | | |\n");
            }
            md.append('\n');
            Files.writeString(dir.resolve("sweep.md"), md.toString(), StandardCharsets.UTF_8);
            out.println(v + ": " + found.size() + " causes, " + news.size() + " unclassified, " + scenarios.size()
                    + " scenarios, " + runs + " runs, " + String.format("%.0f s", secs));
        }
        md.append("## Versions each cause survives\n\n| cause | versions |\n|---|---|\n");
        survives.forEach((c, vs) -> md.append("| `").append(c).append("` | ").append(String.join(", ", vs))
                .append(" |\n"));
        Files.writeString(dir.resolve("sweep.md"), md.toString(), StandardCharsets.UTF_8);
        out.println("wrote " + dir.resolve("sweep.md"));
        return unknown ? 1 : 0;
    }

    static int number(String a, int lo, int hi) throws UsageException {
        String v = a.substring(a.indexOf('=') + 1);
        try {
            int n = Integer.parseInt(v);
            if (n >= lo && n <= hi) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException(a.substring(0, a.indexOf('=')) + " takes a number from " + lo + " to " + hi
                + ", not '" + v + "'");
    }

    /** One scenario per class of CPU permutations and of the A/B swap: per CPU (task, NMI) menu indices. */
    static List<int[]> scenarios(int cpus) {
        List<int[]> per = new ArrayList<>();
        for (int t : TASKS) {
            for (int n : NMIS) {
                per.add(new int[] {t, n});
            }
        }
        Set<String> seen = new TreeSet<>();
        List<int[]> out = new ArrayList<>();
        int k = per.size();
        int[] pick = new int[cpus];
        while (true) {
            boolean sorted = true;
            for (int i = 1; i < cpus; i++) {
                sorted &= pick[i - 1] <= pick[i];
            }
            if (sorted) {
                int[] s = new int[2 * cpus];
                for (int i = 0; i < cpus; i++) {
                    s[2 * i] = per.get(pick[i])[0];
                    s[2 * i + 1] = per.get(pick[i])[1];
                }
                String a = canonical(s);
                String b = canonical(swap(s));
                if (seen.add(a.compareTo(b) <= 0 ? a : b)) {
                    out.add(s);
                }
            }
            int i = cpus - 1;
            while (i >= 0 && ++pick[i] == k) {
                pick[i--] = 0;
            }
            if (i < 0) {
                return out;
            }
        }
    }

    static int[] swap(int[] s) {
        int[] o = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            o[i] = switch (s[i]) {
                case 2 -> 3;
                case 3 -> 2;
                case 4 -> 5;
                case 5 -> 4;
                default -> s[i];
            };
        }
        return o;
    }

    /** The CPUs' (task, NMI) pairs sorted: the same for every permutation of the CPUs. */
    static String canonical(int[] s) {
        List<String> cpu = new ArrayList<>();
        for (int i = 0; i < s.length; i += 2) {
            cpu.add(s[i] + "" + s[i + 1]);
        }
        cpu.sort(null);
        return String.join("-", cpu);
    }

    static String code(int[] s) {
        return canonical(s).replace("-", "_");
    }

    static String describe(int[] s) {
        List<String> cpu = new ArrayList<>();
        for (int i = 0; i < s.length; i += 2) {
            cpu.add("c" + (i / 2 + 1) + ": task " + MENU[s[i] - 1] + (s[i + 1] == 1 ? "" : " + NMI " + MENU[s[i + 1] - 1]));
        }
        return String.join("; ", cpu);
    }

    static TlcResult check(Path spec, Path dir, String name, String version, int cpus, int[] s, Set<String> excluded)
            throws IOException, InterruptedException, UsageException {
        List<String> gen = new ArrayList<>();
        for (int x : s) {
            gen.add(Integer.toString(x));
        }
        List<String> ex = new ArrayList<>();
        for (String e : excluded) {
            ex.add("\"" + e + "\"");
        }
        String cfg = String.join("\n",
                "\\* " + name + ": generated by spec/rqspinlock/sweep",
                "CONSTANTS",
                "  c1 = c1  c2 = c2  c3 = c3  A = A  B = B",
                "  CPUs = " + (cpus == 2 ? "{c1, c2}" : "{c1, c2, c3}"),
                "  Locks = {A, B}",
                "  Version = \"" + version + "\"",
                "  Resilient = TRUE",
                "  TasFallback = \"none\"",
                "  SetPending = \"fetch_or\"",
                "  AbbaScan = \"atomic\"",
                "  NrHeld = 31",
                "  NrNodes = 4",
                "  Gen = " + String.join("", gen),
                "  Excluded = {" + String.join(", ", ex) + "}",
                "  Scripts <- S_Gen",
                "  Excused <- SweepVerdicts",
                "SPECIFICATION FairSpec",
                "INVARIANTS " + invariants(excluded),
                "PROPERTIES " + PROPERTIES,
                "ACTION_CONSTRAINT SweepConstraint",
                "CHECK_DEADLOCK FALSE", "");
        Path cfgFile = dir.resolve("cfg").resolve(name + ".cfg");
        Files.writeString(cfgFile, cfg, StandardCharsets.UTF_8);
        Path module = dir.toAbsolutePath().relativize(spec.toAbsolutePath().resolve("rqspinlock").resolve("MCSweep.tla"));
        String json = "{\"models\": [{\"name\": \"" + name + "\", \"mechanism\": \"rqspinlock\", \"module\": \""
                + module.toString().replace('\\', '/') + "\", \"config\": \"cfg/" + name + ".cfg\", \"size\": \"full\","
                + " \"variant\": \"" + version + "\", \"purpose\": \"sweep\", \"expected\": {\"verdict\": \"pass\"}}]}";
        Path mf = dir.resolve(name + ".json");
        Files.writeString(mf, json, StandardCharsets.UTF_8);
        Manifest m = Manifest.load(mf);
        TlcResult r = Tlc.run(m, m.models().get(0), "1", dir.resolve(name + ".log"), null, true);
        Files.deleteIfExists(mf);
        if (r.verdict().kind() == Verdict.Kind.PASS || !r.trace().isEmpty()) {
            return r;
        }
        throw new IOException(name + ": TLC gave " + r.verdict() + " without a trace (see " + dir.resolve(name + ".log")
                + "): " + String.join(" ", r.errors()));
    }

    /**
     * The invariants of a run: with handover_hang excluded, QueueLive is
     * MCSweep's SweepQueueLive, which does not count the state that the
     * cause's constraint cuts the step into (TLC checks the invariants of
     * such a state too).
     */
    static String invariants(Set<String> excluded) {
        return excluded.contains("handover_hang") ? INVARIANTS.replace("QueueLive", "SweepQueueLive") : INVARIANTS;
    }

    /**
     * The root cause of a violation, from the program counters of the trace
     * (README "Distinct causes"); null when no rule fits.
     */
    static String classify(TlcResult r, String version) {
        List<TlcResult.State> t = r.trace();
        String last = t.get(t.size() - 1).vars().getOrDefault("ctx", "");
        String pre = t.size() > 1 ? t.get(t.size() - 2).vars().getOrDefault("ctx", "") : last;
        boolean early = VERSIONS.indexOf(version) >= VERSIONS.indexOf("v6.19");
        String p = r.verdict().property() == null ? "" : r.verdict().property();
        if (r.verdict().kind() == Verdict.Kind.LIVENESS || p.equals("QueueLive") || p.equals("SweepQueueLive")) {
            StringBuilder all = new StringBuilder();
            int from = r.loop() != null && !r.loop().stuttering() ? Math.max(0, r.loop().backTo() - 1) : t.size() - 1;
            for (int i = from; i < t.size(); i++) {
                all.append(t.get(i).vars().getOrDefault("ctx", ""));
            }
            String loop = all.toString();
            if (has(loop, "handover_deadlock")) {
                return "handover_hang";
            }
            if (has(loop, "wait_mcs")) {
                return "nmi_queue_hang";
            }
            return null;
        }
        if (p.equals("AAIsDetected")) {
            boolean window = has(pre, "fast_grab") || has(pre, "pending_grab") || has(pre, "unlock_release");
            return !early && window ? "late_entry" : null;
        }
        if (p.equals("AAIsReal") || p.equals("DetectionIsReal") || p.equals("DeadlockIsReal")) {
            if (newWhy(pre, last, "cascade")) {
                return "cascade";
            }
            if (newWhy(pre, last, "fallback")) {
                return "nmi_fallback";
            }
            if (early && has(pre, "unlock_pop")) {
                return "unlock_window";
            }
            if (has(pre, "err_release_node") || has(pre, "err_release_entry") || has(pre, "tas_fail")) {
                return "failed_entry";
            }
            if (early && has(pre, "fast_cas")) {
                return "early_entry";
            }
            if (newWhy(pre, last, "AA") || newWhy(pre, last, "ABBA")) {
                return "in_flight_entry";
            }
        }
        return null;
    }

    static boolean has(String ctx, String pc) {
        return ctx.contains("pc |-> \"" + pc + "\"");
    }

    static boolean newWhy(String pre, String last, String why) {
        return count(last, "why |-> \"" + why + "\"") > count(pre, "why |-> \"" + why + "\"");
    }

    static int count(String s, String pat) {
        int n = 0;
        for (int i = s.indexOf(pat); i >= 0; i = s.indexOf(pat, i + 1)) {
            n++;
        }
        return n;
    }

    static String dump(TlcResult r) {
        StringBuilder b = new StringBuilder(r.verdict().toString()).append('\n');
        for (TlcResult.State s : r.trace()) {
            b.append(s.number()).append(": ").append(s.action()).append('\n');
            s.vars().forEach((k, v) -> b.append("    ").append(k).append(" = ").append(v).append('\n'));
        }
        if (r.loop() != null) {
            b.append(r.loop().stuttering() ? "stutters\n" : "back to " + r.loop().backTo() + "\n");
        }
        return b.toString();
    }
}
