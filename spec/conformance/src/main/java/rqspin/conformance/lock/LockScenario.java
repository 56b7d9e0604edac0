package rqspin.conformance.lock;

import rqspin.spec.Tla;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rqspin.lock.Context;
import rqspin.lock.Version;
import rqspin.spec.Manifest;

/**
 * The spec's closed world for one manifest model, as the Java twin runs it:
 * the CPUs c1..cn (Java cpu0..), the locks (A, B), the version, resilience,
 * the TAS fallback, the table and node sizes, and the script of each CPU's
 * task, IRQ and NMI. Read from the model's cfg (its {@code CONSTANTS}); the
 * named script ({@code Scripts <- S_...}) is evaluated by TLC from
 * MCRqSpinLock.tla ({@link SpecScripts}). Substitutions of other operators
 * are a spec mutant's ({@link #mutations}). Immutable.
 *
 * @param model      the manifest model's name
 * @param cpus       the CPUs, as the spec names them (c1, c2, ...): Java cpu i is cpus.get(i)
 * @param locks      the locks (A, B)
 * @param version    the algorithm version
 * @param resilient  rqspinlock (true) or the qspinlock baseline
 * @param tas        the TAS fallback: "none", "native" (no queued spinlocks) or "virt" (x86 guest)
 * @param nrHeld     RES_NR_HELD
 * @param nrNodes    _Q_MAX_NODES
 * @param scripts    per CPU (in cpus order), per context, the operations
 * @param mutations  substitutions of spec operators other than Scripts (a spec mutant), as cfg text
 * @param x86SetPending  SetPending = "x86": the pending bit is set by a btsl, then the word is read
 * @param abbaStepwise   AbbaScan = "stepwise": check_deadlock_ABBA takes one step per read
 */
record LockScenario(String model, List<String> cpus, List<String> locks, Version version, boolean resilient,
                    String tas, int nrHeld, int nrNodes, List<Map<Ctx, List<Op>>> scripts, List<String> mutations,
                    boolean x86SetPending, boolean abbaStepwise) {

    /** The spec's contexts, lowest priority first, and the Java context each one is. */
    enum Ctx {
        task(Context.TASK), irq(Context.HARDIRQ), nmi(Context.NMI);

        final Context java;

        Ctx(Context java) {
            this.java = java;
        }

        /** The spec's context of a Java context, or null (SOFTIRQ has none). */
        static Ctx of(Context c) {
            for (Ctx x : values()) {
                if (x.java == c) {
                    return x;
                }
            }
            return null;
        }

        /** The TLA+ string of the context ({@code "task"}). */
        String tla() {
            return "\"" + name() + "\"";
        }
    }

    /** One operation of a script: {@code res_spin_lock(lock)} or {@code res_spin_unlock(lock)}. */
    record Op(boolean lock, String lockName) {
        @Override
        public String toString() {
            return (lock ? "lock " : "unlock ") + lockName;
        }

        String tla() {
            return "<<\"" + (lock ? "lock" : "unlock") + "\", " + lockName + ">>";
        }
    }

    /** A scenario with the generic set-pending and the atomic ABBA scan. */
    LockScenario(String model, List<String> cpus, List<String> locks, Version version, boolean resilient, String tas,
                 int nrHeld, int nrNodes, List<Map<Ctx, List<Op>>> scripts, List<String> mutations) {
        this(model, cpus, locks, version, resilient, tas, nrHeld, nrNodes, scripts, mutations, false, false);
    }

    LockScenario {
        cpus = List.copyOf(cpus);
        locks = List.copyOf(locks);
        scripts = List.copyOf(scripts);
        mutations = List.copyOf(mutations);
    }

    int nrCpus() {
        return cpus.size();
    }

    List<Op> script(int cpu, Ctx x) {
        return scripts.get(cpu).getOrDefault(x, List.of());
    }

    /** The spec's name of Java cpu {@code i}. */
    String cpuName(int i) {
        return cpus.get(i);
    }

    /** Java cpu number of a spec CPU name. */
    int cpuIndex(String name) {
        int i = cpus.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no CPU " + name + " in " + model);
        }
        return i;
    }

    boolean isSpecMutant() {
        return !mutations.isEmpty();
    }

    /** The TLA+ text of the scripts, a function from the CPUs. */
    String scriptsTla() {
        StringBuilder b = new StringBuilder("(");
        for (int c = 0; c < cpus.size(); c++) {
            b.append(c == 0 ? "" : " @@ ").append(cpus.get(c)).append(" :> [");
            boolean first = true;
            for (Ctx x : Ctx.values()) {
                b.append(first ? "" : ", ").append(x).append(" |-> <<");
                List<Op> ops = script(c, x);
                for (int k = 0; k < ops.size(); k++) {
                    b.append(k == 0 ? "" : ", ").append(ops.get(k).tla());
                }
                b.append(">>");
                first = false;
            }
            b.append("]");
        }
        return b.append(")").toString();
    }

    /** The same world with other scripts (e.g. recorded from a test). */
    LockScenario withScripts(String name, List<Map<Ctx, List<Op>>> newScripts) {
        return new LockScenario(name, cpus, locks, version, resilient, tas, nrHeld, nrNodes, newScripts, mutations,
                x86SetPending, abbaStepwise);
    }

    /** The same world in another version. */
    LockScenario withVersion(Version v) {
        return new LockScenario(model, cpus, locks, v, resilient, tas, nrHeld, nrNodes, scripts, mutations,
                x86SetPending, abbaStepwise);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(model).append(": ")
                .append(resilient ? version.spec() : "qspinlock")
                .append(tas.equals("none") ? "" : ", TAS " + tas).append(x86SetPending ? ", x86 set-pending" : "")
                .append(abbaStepwise ? ", stepwise ABBA scan" : "").append(", ").append(cpus.size()).append(" CPUs");
        for (int c = 0; c < cpus.size(); c++) {
            for (Ctx x : Ctx.values()) {
                if (!script(c, x).isEmpty()) {
                    b.append("; ").append(cpus.get(c)).append(' ').append(x).append(": ").append(script(c, x));
                }
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- from a manifest model

    private static final Pattern ASSIGN = Pattern.compile("(\\w+)\\s*(=|<-)\\s*(\\{[^}]*\\}|\"[^\"]*\"|[\\w.-]+)");
    private static final List<String> KEYWORDS = List.of("CONSTANT", "CONSTANTS", "SPECIFICATION", "INIT", "NEXT",
            "INVARIANT", "INVARIANTS", "PROPERTY", "PROPERTIES", "SYMMETRY", "CHECK_DEADLOCK", "ACTION_CONSTRAINT",
            "ACTION_CONSTRAINTS", "CONSTRAINT", "CONSTRAINTS", "VIEW", "ALIAS", "POSTCONDITION");

    /** The assignments ({@code X = v}) and substitutions ({@code X <- Op}) of a cfg's CONSTANTS section, in order. */
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

    /** The scenario of a manifest model of mechanism rqspinlock. */
    static LockScenario of(Manifest manifest, Manifest.Model model) throws IOException, InterruptedException {
        Path cfg = manifest.dir().resolve(model.config());
        Map<String, String[]> k = constants(cfg);
        List<String> cpus = setOf(k, "CPUs", cfg);
        List<String> locks = setOf(k, "Locks", cfg);
        String v = value(k, "Version", cfg);
        Version version = Version.ofSpec(v);
        if (version == null) {
            throw new IOException(cfg + ": unknown Version " + v);
        }
        String[] sp = k.get("SetPending");
        String[] ab = k.get("AbbaScan");
        boolean x86 = sp != null && sp[1].equals("\"x86\"");
        boolean stepwise = ab != null && ab[1].equals("\"stepwise\"");
        boolean resilient = value(k, "Resilient", cfg).equals("TRUE");
        String tas = value(k, "TasFallback", cfg).replace("\"", "");
        int nrHeld = Integer.parseInt(value(k, "NrHeld", cfg));
        int nrNodes = Integer.parseInt(value(k, "NrNodes", cfg));
        String[] s = k.get("Scripts");
        if (s == null || !s[0].equals("<-")) {
            throw new IOException(cfg + ": Scripts must be a named script (Scripts <- S_...)");
        }
        Tla all = SpecScripts.of(manifest.dir().resolve(model.module()).getParent()).get(s[1]);
        List<Map<Ctx, List<Op>>> scripts = new ArrayList<>();
        for (String c : cpus) {
            scripts.add(scriptsOf(all.get(c)));
        }
        List<String> mutations = new ArrayList<>();
        k.forEach((name, a) -> {
            // Excused names a known cause whose verdicts a property does not count: no change of the algorithm
            if (a[0].equals("<-") && !name.equals("Scripts") && !name.equals("Excused")) {
                mutations.add(name + " <- " + a[1]);
            }
        });
        List<String> sortedCpus = new ArrayList<>(cpus);
        sortedCpus.sort(null);
        return new LockScenario(model.name(), sortedCpus, locks, version, resilient, tas, nrHeld, nrNodes,
                reorder(cpus, sortedCpus, scripts), mutations, x86, stepwise);
    }

    private static List<Map<Ctx, List<Op>>> reorder(List<String> cpus, List<String> sorted,
                                                    List<Map<Ctx, List<Op>>> scripts) {
        List<Map<Ctx, List<Op>>> out = new ArrayList<>();
        for (String c : sorted) {
            out.add(scripts.get(cpus.indexOf(c)));
        }
        return out;
    }

    static Map<Ctx, List<Op>> scriptsOf(Tla perCtx) {
        Map<Ctx, List<Op>> m = new LinkedHashMap<>();
        for (Ctx x : Ctx.values()) {
            List<Op> ops = new ArrayList<>();
            for (Tla op : perCtx.get(x.name()).elems()) {
                List<Tla> p = op.elems();
                ops.add(new Op(p.get(0).atom().equals("\"lock\""), p.get(1).atom()));
            }
            m.put(x, List.copyOf(ops));
        }
        return m;
    }

    private static String value(Map<String, String[]> k, String name, Path cfg) throws IOException {
        String[] a = k.get(name);
        if (a == null || !a[0].equals("=")) {
            throw new IOException(cfg + ": no value for " + name);
        }
        return a[1];
    }

    private static List<String> setOf(Map<String, String[]> k, String name, Path cfg) throws IOException {
        String v = value(k, name, cfg);
        if (!v.startsWith("{")) {
            throw new IOException(cfg + ": " + name + " must be a set of model values, not " + v);
        }
        List<String> out = new ArrayList<>();
        for (String e : v.substring(1, v.length() - 1).split(",")) {
            if (!e.isBlank()) {
                out.add(e.strip());
            }
        }
        return out;
    }
}
