package rqspin.conformance.storage;

import rqspin.spec.Tla;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rqspin.spec.Manifest;
import rqspin.spec.Tlc;
import rqspin.storage.Fix;
import rqspin.storage.Protocol;

/**
 * The spec's closed world for one manifest model of the local storage, as
 * the Java twin runs it: the protocol, the bounds (lock failures,
 * need_resched), the sizes, and the scenario (owners, maps, selems and
 * local storages with their owners and maps, what is linked at start and in
 * which order, the buckets, and the processes: one operation each). Read
 * from the model's cfg; the named scenario ({@code Scenario = "one"}) is
 * evaluated by TLC from MCLocalStorage.tla. The cfg's substitutions of named
 * steps are the model's candidate fixes (which the Java twin has as
 * {@link Fix} options) or its seeded mutant ({@link #specMutant}).
 * Immutable.
 *
 * @param model       the manifest model's name
 * @param protocol    the spec's Protocol
 * @param maxFailures MaxLockFailures
 * @param maxResched  MaxResched
 * @param contendedOnly FailOnlyWhenContended
 * @param elemSize    ElemSize (the spec's unit; the Java twin's charges are converted)
 * @param storageSize StorageSize
 * @param owners      owner ids
 * @param maps        map ids
 * @param selems      selem ids
 * @param storages    local storage ids
 * @param selemOwner  SelemOwner
 * @param selemMap    SelemMap
 * @param storageOwner StorageOwner
 * @param initLinked  InitLinked: the selems linked at start, in the order they were linked
 * @param initStorage InitStorage (owners without a storage left out)
 * @param nBuckets    NBuckets
 * @param bucketOf    BucketOf (1-based)
 * @param procs       the processes, by id, sorted: Java cpu i runs the i-th
 * @param fixes       the Fix options the model's substitutions switch on
 * @param substitutions every substitution of a named step, as cfg text
 * @param preemptRcu  PreemptRcu (kernel configuration CONFIG_PREEMPT_RCU)
 * @param refcountTwoStep RefcountTwoStep (refcount_dec shows its 0 before it saturates)
 */
public record StorageScenario(String model, Protocol protocol, int maxFailures, int maxResched, boolean contendedOnly,
                              int elemSize, int storageSize, List<String> owners, List<String> maps,
                              List<String> selems, List<String> storages, Map<String, String> selemOwner,
                              Map<String, String> selemMap, Map<String, String> storageOwner, List<String> initLinked,
                              Map<String, String> initStorage, int nBuckets, Map<String, Integer> bucketOf,
                              Map<String, Proc> procs, List<Fix> fixes, List<String> substitutions,
                              boolean preemptRcu, boolean refcountTwoStep) {

    /** A process: one operation (kind) on an owner and a map; an update also names what it allocates. */
    public record Proc(String id, String kind, String owner, String map, String selem, String storage) {
        boolean teardown() {
            return kind.equals("map_free") || kind.equals("destroy");
        }

        @Override
        public String toString() {
            return id + ": " + switch (kind) {
                case "map_free" -> "map_free(" + map + ")";
                case "destroy" -> "destroy(" + owner + ")";
                case "update" -> "update(" + owner + ", " + map + ") allocating " + selem
                        + (storage != null ? " (and " + storage + " if first)" : "");
                default -> kind + "(" + owner + ", " + map + ")";
            };
        }
    }

    /**
     * The candidate-fix substitutions of {@code substitutions} (a right side
     * {@code Fix...} or {@code Reinit...}) that the Java twin has no
     * {@link Fix} for: a model that names one checks a fix only the spec has,
     * so the Java twin cannot follow it.
     */
    public static List<String> fixesTheJavaTwinLacks(List<String> substitutions) {
        List<String> out = new ArrayList<>();
        for (String sub : substitutions) {
            String right = sub.substring(sub.indexOf("<-") + 2).trim();
            if ((right.startsWith("Fix") || right.startsWith("Reinit")) && !FIXES.containsKey(sub)) {
                out.add(sub);
            }
        }
        return out;
    }

    static final Map<String, Fix> FIXES = Map.of(
            "NofailUnpinRef <- FixUnpinMayReachZero", Fix.UNPIN_MAY_REACH_ZERO,
            "NofailSetsBit <- FixNoMapBitAfterFailure", Fix.NO_MAP_BIT_AFTER_FAILURE,
            "CbVanilla <- FixFreeAfterTasksTrace", Fix.FREE_AFTER_TASKS_TRACE,
            "NofailTakesSnode <- FixMapFreeLeavesSnodeWithoutSmap", Fix.MAP_FREE_LEAVES_SNODE_WITHOUT_SMAP,
            "NofailWarnsStorage <- FixWarnDestroyStorageFailure", Fix.WARN_DESTROY_STORAGE_FAILURE,
            "WarnPrints <- FixWarnEveryLeak", Fix.WARN_EVERY_LEAK,
            "MapFreeListAfterFree <- ReinitFreeList", Fix.V3_REINIT_FREE_LIST);

    public StorageScenario {
        owners = List.copyOf(owners);
        maps = List.copyOf(maps);
        selems = List.copyOf(selems);
        storages = List.copyOf(storages);
        initLinked = List.copyOf(initLinked);
        fixes = List.copyOf(fixes);
        substitutions = List.copyOf(substitutions);
    }

    /** Whether the model is a seeded mutant of the spec (a substitution the Java twin has no option for). */
    public boolean specMutant() {
        return substitutions.size() > fixes.size();
    }

    /** The process ids, in Java cpu order. */
    List<String> procIds() {
        return new ArrayList<>(procs.keySet());
    }

    int nrProcs() {
        return procs.size();
    }

    Proc proc(int cpu) {
        return procs.get(procIds().get(cpu));
    }

    int cpuOf(String procId) {
        int i = procIds().indexOf(procId);
        if (i < 0) {
            throw new IllegalArgumentException("no process " + procId + " in " + model);
        }
        return i;
    }

    @Override
    public String toString() {
        return model + ": " + protocol + ", " + maxFailures + " failure(s), " + procs.values();
    }

    // ---------------------------------------------------------------- from a manifest model

    private static final Pattern ASSIGN = Pattern.compile("(\\w+)\\s*(=|<-)\\s*(\"[^\"]*\"|[\\w.-]+)");
    private static final List<String> KEYWORDS = List.of("CONSTANT", "CONSTANTS", "SPECIFICATION", "INIT", "NEXT",
            "INVARIANT", "INVARIANTS", "PROPERTY", "PROPERTIES", "SYMMETRY", "CHECK_DEADLOCK", "ACTION_CONSTRAINT",
            "ACTION_CONSTRAINTS", "CONSTRAINT", "CONSTRAINTS", "VIEW", "ALIAS", "POSTCONDITION");

    /** The assignments and substitutions of a cfg's CONSTANTS section, in order. */
    static Map<String, String[]> constants(Path cfg) throws IOException {
        Map<String, String[]> out = new LinkedHashMap<>();
        boolean in = false;
        for (String raw : Files.readAllLines(cfg, StandardCharsets.UTF_8)) {
            String line = raw.replaceAll("\\\\\\*.*$", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            String first = line.split("\\s+")[0];
            if (KEYWORDS.contains(first)) {
                in = first.startsWith("CONSTANT");
                line = line.substring(first.length());
            }
            if (!in) {
                continue;
            }
            Matcher m = ASSIGN.matcher(line);
            while (m.find()) {
                out.put(m.group(1), new String[] {m.group(2), m.group(3)});
            }
        }
        return out;
    }

    /** The scenario of a manifest model of mechanism localstorage. */
    public static StorageScenario of(Manifest manifest, Manifest.Model model) throws IOException, InterruptedException {
        Path cfg = manifest.dir().resolve(model.config());
        Map<String, String[]> k = constants(cfg);
        String proto = value(k, "Protocol", cfg);
        Protocol protocol = switch (proto) {
            case "\"v3\"" -> Protocol.V3;
            case "\"final\"" -> Protocol.FINAL;
            default -> throw new IOException(cfg + ": unknown Protocol " + proto);
        };
        String scen = value(k, "Scenario", cfg).replace("\"", "");
        Tla s = Scenarios.of(manifest.dir().resolve(model.module()).getParent(), cfg).get(scen);
        List<String> subs = new ArrayList<>();
        List<Fix> fixes = new ArrayList<>();
        k.forEach((name, a) -> {
            if (a[0].equals("<-") && !a[1].startsWith("MC_")) {
                String sub = name + " <- " + a[1];
                subs.add(sub);
                if (FIXES.containsKey(sub)) {
                    fixes.add(FIXES.get(sub));
                }
            }
        });
        List<String> late = latePrograms(s);
        if (!late.isEmpty()) {
            throw new IOException(cfg + ": scenario " + scen + " has late programs " + late
                    + " (they run on an owner whose destroy has begun), which the Java twin does not have");
        }
        Map<String, Proc> procs = new TreeMap<>();
        s.get("procs").asMap().forEach((id, d) -> procs.put(id, new Proc(id, str(d.get("kind")), str(d.get("owner")),
                str(d.get("map")), str(d.get("selem")), str(d.get("storage")))));
        Map<String, Integer> hash = new LinkedHashMap<>();
        s.get("hash").asMap().forEach((x, v) -> hash.put(x, Integer.parseInt(v.atom())));
        return new StorageScenario(model.name(), protocol, Integer.parseInt(value(k, "MaxLockFailures", cfg)),
                Integer.parseInt(value(k, "MaxResched", cfg)), value(k, "FailOnlyWhenContended", cfg).equals("TRUE"),
                Integer.parseInt(value(k, "ElemSize", cfg)), Integer.parseInt(value(k, "StorageSize", cfg)),
                strings(s.get("owners")), strings(s.get("maps")), strings(s.get("selems")), strings(s.get("storages")),
                strMap(s.get("sowner")), strMap(s.get("smap")), strMap(s.get("lsowner")), strings(s.get("init")),
                strMap(s.get("initls")), Integer.parseInt(s.get("nb").atom()), hash, new LinkedHashMap<>(procs), fixes,
                subs, value(k, "PreemptRcu", cfg).equals("TRUE"), value(k, "RefcountTwoStep", cfg).equals("TRUE"));
    }

    /** The Scenario constant of {@code cfg} ({@code one}, ...). */
    static String scenarioName(Path cfg) throws IOException {
        return value(constants(cfg), "Scenario", cfg).replace("\"", "");
    }

    /** The processes of scenario record {@code s} marked late (LocalStorage.tla's Late), by id. */
    static List<String> latePrograms(Tla s) {
        List<String> out = new ArrayList<>();
        s.get("procs").asMap().forEach((id, d) -> {
            if (d.keys().contains("late") && d.get("late").atom().equals("TRUE")) {
                out.add(id);
            }
        });
        return out;
    }

    /** The names of the scenarios of {@code specDir}'s MCLocalStorage.tla that have a late program. */
    public static java.util.Set<String> scenariosWithLatePrograms(Path specDir, Path cfg)
            throws IOException, InterruptedException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        Scenarios.of(specDir, cfg).forEach((name, s) -> {
            if (!latePrograms(s).isEmpty()) {
                out.add(name);
            }
        });
        return out;
    }

    private static String value(Map<String, String[]> k, String name, Path cfg) throws IOException {
        String[] a = k.get(name);
        if (a == null || !a[0].equals("=")) {
            throw new IOException(cfg + ": no value for " + name);
        }
        return a[1];
    }

    /** A string atom without its quotes; the spec's NULL ("null") as null. */
    static String str(Tla v) {
        String a = v.atom().replace("\"", "");
        return a.equals("null") ? null : a;
    }

    private static List<String> strings(Tla v) {
        List<String> out = new ArrayList<>();
        List<Tla> es = v instanceof Tla.SetValue sv ? sv.elems : v.elems();
        for (Tla e : es) {
            out.add(str(e));
        }
        out.sort(null);
        if (!(v instanceof Tla.SetValue)) {
            out.clear();
            for (Tla e : es) {
                out.add(str(e));
            }
        }
        return out;
    }

    private static Map<String, String> strMap(Tla v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v instanceof Tla.Tuple t && t.elems.isEmpty()) {
            return out;
        }
        v.asMap().forEach((key, val) -> out.put(key.replace("\"", ""), str(val)));
        return out;
    }

    /**
     * The scenario records of MCLocalStorage.tla ({@code SOne}, ...) as TLC
     * evaluates them, by the names the cfgs use ({@code "one"}): one TLC run
     * per spec folder and JVM, with the constants of the cfg it is first
     * asked for (the records do not depend on them).
     */
    static final class Scenarios {
        private static final Map<Path, Map<String, Tla>> CACHE = new ConcurrentHashMap<>();
        private static final Pattern CASE = Pattern.compile("Scenario = \"(\\w+)\" -> (\\w+)");

        private Scenarios() {}

        static Map<String, Tla> of(Path specDir, Path cfg) throws IOException, InterruptedException {
            Path key = specDir.toAbsolutePath().normalize();
            Map<String, Tla> m = CACHE.get(key);
            if (m == null) {
                m = evaluate(key, cfg);
                CACHE.put(key, m);
            }
            return m;
        }

        private static Map<String, Tla> evaluate(Path specDir, Path cfg) throws IOException, InterruptedException {
            String mc = Files.readString(specDir.resolve("MCLocalStorage.tla"), StandardCharsets.UTF_8);
            Map<String, String> names = new LinkedHashMap<>();
            Matcher cm = CASE.matcher(mc);
            while (cm.find()) {
                names.put(cm.group(1), cm.group(2));
            }
            Path work = Files.createTempDirectory("rqspin-scenarios-");
            StringBuilder mod = new StringBuilder("---- MODULE ConformScenarios ----\n")
                    .append("\\* generated by rqspin.conformance.storage.StorageScenario\nEXTENDS MCLocalStorage, TLC\n");
            names.forEach((n, op) -> mod.append("ASSUME PrintT(<<\"SCENARIO\", \"").append(n).append("\", ").append(op)
                    .append(">>)\n"));
            mod.append("NoInit == Init /\\ FALSE\n====\n");
            Files.writeString(work.resolve("ConformScenarios.tla"), mod.toString(), StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>();
            boolean in = false;
            for (String raw : Files.readAllLines(cfg, StandardCharsets.UTF_8)) {
                String line = raw.replaceAll("\\\\\\*.*$", "");
                String first = line.strip().split("\\s+")[0];
                if (KEYWORDS.contains(first)) {
                    in = first.startsWith("CONSTANT");
                }
                if (in && !line.contains(" <- Mut") && !line.contains(" <- Fix") && !line.contains(" <- Reinit")) {
                    lines.add(line);
                }
            }
            lines.add("INIT NoInit");
            lines.add("NEXT Next");
            Files.write(work.resolve("ConformScenarios.cfg"), lines, StandardCharsets.UTF_8);
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+UseParallelGC", "-DTLA-Library=" + specDir, "-cp", Tlc.jar().toString(), "tlc2.TLC",
                    "-workers", "1", "-metadir", work.resolve("states").toString(), "-config", "ConformScenarios.cfg",
                    "ConformScenarios.tla");
            Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
            List<String> out = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.add(line);
                }
            }
            int exit = p.waitFor();
            Map<String, Tla> res = new LinkedHashMap<>();
            for (int k = 0; k < out.size(); k++) {
                if (!out.get(k).replace(" ", "").startsWith("<<\"SCENARIO\"")) {
                    continue;
                }
                StringBuilder b = new StringBuilder(out.get(k));
                while (!Tla.balanced(b) && k + 1 < out.size()) {
                    b.append('\n').append(out.get(++k));
                }
                List<Tla> t = Tla.parse(b.toString()).elems();
                res.put(t.get(1).atom().replace("\"", ""), t.get(2));
            }
            if (exit != 0 || !res.keySet().containsAll(names.keySet())) {
                throw new IOException("TLC did not evaluate the scenarios of " + specDir + " (exit " + exit + "): "
                        + String.join("\n", out.subList(Math.max(0, out.size() - 15), out.size())));
            }
            return res;
        }
    }
}
