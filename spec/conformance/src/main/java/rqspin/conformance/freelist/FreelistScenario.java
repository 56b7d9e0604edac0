package rqspin.conformance.freelist;

import java.util.List;
import java.util.Map;

/**
 * The scenario of a freelist model of the manifest, as the Java twin runs
 * it: the CPUs, the elements ({@code pcpu_freelist_populate}, the spec's
 * {@code PopulateEven}), and the script of each context. The scripts are
 * written out here for the models trace validation uses, and
 * {@link #cfgLines} says which constants of the model's cfg they stand for;
 * {@link #cfgProblems} (checked by the validation test) finds a scenario that
 * no longer matches its model's cfg.
 *
 * @param model   the manifest model whose constants the traces are checked under
 * @param nrCpus  {@code NCpus}
 * @param nrElems {@code NElems}
 * @param maxFail {@code MaxFail}: how many injected lock failures a run may have
 * @param populateDef the definition {@code Populate} names; {@code P_Even} is {@code pcpu_freelist_populate}
 * @param populate    otherwise each head's nodes, first node first
 * @param handsDef    the definition {@code Hands} names; {@code H_None}: nobody holds a node at start
 * @param hands       otherwise, per CPU, per context, the nodes it holds at start
 * @param scriptsDef  the definition {@code Scripts} names
 * @param scripts     per CPU, per context ({@code "task"}, {@code "nmi"}), the operations {@code "pop"}, {@code "push"}
 */
public record FreelistScenario(String model, int nrCpus, int nrElems, int maxFail, String populateDef,
                               List<List<Integer>> populate, String handsDef, List<Map<String, List<Integer>>> hands,
                               String scriptsDef, List<Map<String, List<String>>> scripts) {
    private static final List<String> POP_PUSH = List.of("pop", "push");
    private static final List<String> NONE = List.of();

    /** fl_safety_small: S_Small, CPU 0's task and its NMI pop and push back; 1 element. */
    public static final FreelistScenario SAFETY_SMALL = new FreelistScenario("fl_safety_small", 2, 1, 1, "P_Even",
            null, "H_None", null, "S_Small",
            List.of(Map.of("task", POP_PUSH, "nmi", POP_PUSH), Map.of("task", NONE, "nmi", NONE)));

    /** fl_safety: S_TasksAndNmi0, both tasks and an NMI on CPU 0 pop and push back; 2 elements. */
    public static final FreelistScenario SAFETY = new FreelistScenario("fl_safety", 2, 2, 1, "P_Even", null,
            "H_None", null, "S_TasksAndNmi0",
            List.of(Map.of("task", POP_PUSH, "nmi", POP_PUSH), Map.of("task", POP_PUSH, "nmi", NONE)));

    /** fl_empty_lockfail: S_OnePop, one CPU pops its one element; 1 failure. */
    public static final FreelistScenario EMPTY_LOCKFAIL = new FreelistScenario("fl_empty_lockfail", 1, 1, 1, "P_Even",
            null, "H_None", null, "S_OnePop", List.of(Map.of("task", List.of("pop"), "nmi", NONE)));

    /** fl_empty_race: P_Race (node 1 on head 1), H_Race (CPU 0's NMI holds node 2), S_Race; no failure. */
    public static final FreelistScenario EMPTY_RACE = new FreelistScenario("fl_empty_race", 2, 2, 0, "P_Race",
            List.of(List.of(), List.of(1)), "H_Race",
            List.of(Map.of("task", List.of(), "nmi", List.of(2)), Map.of("task", List.of(), "nmi", List.of())),
            "S_Race", List.of(Map.of("task", List.of("pop"), "nmi", List.of("push")),
                    Map.of("task", List.of("pop"), "nmi", NONE)));

    /** The nodes context {@code ctx} of CPU {@code cpu} holds at start. */
    public List<Integer> hand(int cpu, String ctx) {
        return hands == null ? List.of() : hands.get(cpu).get(ctx);
    }

    /** The constant lines of the model's cfg this scenario stands for (each must be in it). */
    public List<String> cfgLines() {
        return List.of("NCpus = " + nrCpus, "NElems = " + nrElems, "MaxFail = " + maxFail,
                "Populate <- " + populateDef, "Hands <- " + handsDef, "Scripts <- " + scriptsDef);
    }

    /** One line per constant of {@link #cfgLines} that the model's cfg file ({@code cfgText}) does not say. */
    public List<String> cfgProblems(String cfgText) {
        List<String> lines = cfgText.lines().map(l -> l.replaceAll("\\\\\\*.*$", "").strip()).toList();
        return cfgLines().stream().filter(l -> !lines.contains(l))
                .map(l -> model + ": the Java scenario stands for \"" + l + "\", its cfg does not say it").toList();
    }

    /** The script of context {@code ctx} ("task" or "nmi") of CPU {@code cpu}. */
    public List<String> script(int cpu, String ctx) {
        return scripts.get(cpu).get(ctx);
    }
}
