package rqspin.maps.freelist;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rqspin.lock.Cpu;
import rqspin.lock.Errno;
import rqspin.lock.LockFailedException;
import rqspin.lock.Machine;
import rqspin.lock.RqSpinLock;
import rqspin.lock.Version;

/**
 * The Java twin of {@code kernel/bpf/percpu_freelist.c} as converted to
 * rqspinlock for Linux 6.15 (torvalds/linux f2ac0e5d1c4d "bpf: Convert
 * percpu_freelist.c to rqspinlock"): the free list of preallocated BPF map
 * elements, one LIFO list per possible CPU ({@code struct
 * pcpu_freelist_head}: {@code first} and an {@link RqSpinLock}). The commit
 * removed the extralist and the NMI-only trylock paths: every context takes
 * the same path, and every lock attempt may fail.
 *
 * <ul>
 * <li>{@link #push} ({@code pcpu_freelist_push} / {@code __pcpu_freelist_push}):
 *     attempt this CPU's head ({@code ___pcpu_freelist_push}); if that fails,
 *     loop for ever over the other CPUs' heads in wrap order, skipping this
 *     CPU, until an attempt succeeds. This CPU's head is never tried again,
 *     so with one possible CPU the loop has nothing to try.</li>
 * <li>{@link #pop} ({@code pcpu_freelist_pop} / {@code ___pcpu_freelist_pop}):
 *     for each CPU in wrap order from this one, skip the head if its first
 *     node reads NULL, skip it if the attempt fails, else take the first node
 *     under the lock; NULL when no head gave one.</li>
 * </ul>
 *
 * <p>What a caller gets (spec/freelist/PcpuFreelist.tla checks the same in
 * the model; README "What percpu_freelist guarantees"): no node is lost or
 * handed out twice, whatever fails; a failed attempt leaves no lock held; a
 * NULL pop saw each head empty or failed to lock it. A NULL pop does NOT
 * mean the free list was empty at any moment of the pop: a failed attempt
 * skips a non-empty head, and a node given back to a head the pop already
 * passed is not seen. And a push may never return: in an NMI whose task
 * holds this CPU's head, with no other CPU or with every other head held by
 * an interrupted task.
 *
 * <p>Threads: each CPU is a thread attached to the {@link Machine}; a nested
 * context (an NMI) runs on the same thread through {@code Cpu.runNested}.
 * In the kernel {@code pcpu_freelist_push}/{@code _pop} disable interrupts
 * and the htab callers of the {@code __} forms run with them off, so only an
 * NMI nests there; the twin does not stop a test from nesting an IRQ.
 * {@code first} is volatile (READ_ONCE/WRITE_ONCE); {@code next} is written
 * and read under the head's lock, except by {@link #snapshot}, which is for
 * quiescent moments.
 */
public final class PcpuFreelist {
    /** {@code struct pcpu_freelist_node}: an element of the free list, numbered from 1. */
    public static final class Node {
        private final int id;
        Node next;

        Node(int id) {
            this.id = id;
        }

        /** The element's number. */
        public int id() {
            return id;
        }

        @Override
        public String toString() {
            return "node" + id;
        }
    }

    /** {@code struct pcpu_freelist_head}. */
    static final class Head {
        final RqSpinLock lock;
        volatile Node first;

        Head(RqSpinLock lock) {
            this.lock = lock;
        }
    }

    /** What a pop saw at one head. */
    public enum Seen {
        /** The pop did not reach this head (it took a node before). */
        NOT_SEEN,
        /** The head was empty: READ_ONCE(head->first) or the read under the lock gave NULL. */
        EMPTY,
        /** The lock attempt failed: the head was skipped. */
        FAILED,
        /** The pop took its node here. */
        TOOK
    }

    /**
     * A pop's result and what it saw at each head (indexed by CPU).
     * {@link #justified}: a NULL result saw every head empty or failed to
     * lock it, the only thing 6.15 guarantees about a NULL pop.
     */
    public record PopResult(Node node, List<Seen> scan) {
        /** True when the pop took a node, or every head was seen empty or failed. */
        public boolean justified() {
            return node != null || scan.stream().allMatch(s -> s == Seen.EMPTY || s == Seen.FAILED);
        }

        /** True when a lock attempt of this pop failed. */
        public boolean sawFailure() {
            return scan.contains(Seen.FAILED);
        }

        // written out, as for every record of impl (RecordsUnderJpfTest)
        @Override
        public boolean equals(Object o) {
            return o instanceof PopResult r && node == r.node && scan.equals(r.scan);
        }

        @Override
        public int hashCode() {
            return Objects.hash(node, scan);
        }

        @Override
        public String toString() {
            return (node == null ? "NULL" : node.toString()) + " " + scan;
        }
    }

    private final Machine machine;
    private final Head[] heads;
    private final Mutation mutation;
    private final FailureInjector failures = new FailureInjector();
    private final List<Node> nodes = Collections.synchronizedList(new ArrayList<>());
    private volatile StepHook hook;
    private volatile long fallbackRounds;

    /**
     * {@code pcpu_freelist_init}: one empty head per CPU of {@code machine},
     * each with an rqspinlock of {@code version} named {@code head<cpu>}.
     */
    public PcpuFreelist(Machine machine, Version version) {
        this(machine, version, Mutation.NONE);
    }

    /**
     * A free list with a seeded bug ({@link Mutation}): for tests that show a
     * check catches it, never for use.
     */
    public static PcpuFreelist mutant(Machine machine, Version version, Mutation mutation) {
        return new PcpuFreelist(machine, version, mutation);
    }

    PcpuFreelist(Machine machine, Version version, Mutation mutation) {
        this.machine = Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(version, "version");
        this.mutation = Objects.requireNonNull(mutation, "mutation");
        this.heads = new Head[machine.nrCpus()];
        for (int c = 0; c < heads.length; c++) {
            heads[c] = new Head(new RqSpinLock(machine, version, "head" + c));
        }
    }

    /** The failure injector of this free list's lock attempts. */
    public FailureInjector failures() {
        return failures;
    }

    /** Sets (or with null removes) the hook called before every step. */
    public void setStepHook(StepHook hook) {
        this.hook = hook;
    }

    /**
     * A diagnostic of the twin: a push whose fallback loop goes {@code rounds}
     * times round without placing its node throws {@link PushLoopException}
     * instead of looping for ever as the kernel does. 0 (the default): for ever.
     */
    public PcpuFreelist stopFallbackAfter(long rounds) {
        if (rounds < 0) {
            throw new IllegalArgumentException("rounds must not be negative");
        }
        this.fallbackRounds = rounds;
        return this;
    }

    /** The rqspinlock of CPU {@code cpu}'s head (a test may hold it to make attempts wait or fail). */
    public RqSpinLock lock(int cpu) {
        return heads[checkHead(cpu)].lock;
    }

    /** The number of heads (possible CPUs). */
    public int nrCpus() {
        return heads.length;
    }

    /**
     * {@code pcpu_freelist_populate}: {@code nrElems} new nodes, numbered on
     * from the nodes made so far, spread as the kernel does: nrElems / nrCpus
     * to each head, one more to each of the first nrElems % nrCpus heads,
     * pushed in order without locks (nothing else may use the list yet).
     *
     * @return the new nodes, in the order they were pushed
     */
    public List<Node> populate(int nrElems) {
        if (nrElems < 0) {
            throw new IllegalArgumentException("nrElems must not be negative");
        }
        int n = nrElems / heads.length;
        int m = nrElems % heads.length;
        List<Node> made = newNodes(nrElems);
        int k = 0;
        for (int c = 0; c < heads.length; c++) {
            int j = n + (c < m ? 1 : 0);
            for (int i = 0; i < j; i++) {
                Node node = made.get(k++);
                node.next = heads[c].first;
                heads[c].first = node;
            }
        }
        return made;
    }

    /** {@code k} new nodes that are in no list: the caller holds them (to push them later). */
    public List<Node> newNodes(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must not be negative");
        }
        List<Node> made = new ArrayList<>();
        synchronized (nodes) {
            for (int i = 0; i < k; i++) {
                Node node = new Node(nodes.size() + 1);
                nodes.add(node);
                made.add(node);
            }
        }
        return made;
    }

    // ------------------------------------------------------------------ push

    /**
     * {@code pcpu_freelist_push} (and {@code __pcpu_freelist_push}, the same
     * with interrupts already off): gives {@code node} back to the free list.
     * Returns once the node is in a list. May not return (see the class
     * comment); with {@link #stopFallbackAfter} it throws
     * {@link PushLoopException} instead, the node not placed.
     */
    public void push(Cpu cpu, Node node) {
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(node, "node");
        int me = cpu.id();
        step(cpu, Step.___pcpu_freelist_push, me);
        if (attempt(cpu, LockSite.PUSH_LOCAL, me) == null) {
            pushNode(cpu, me, node);
            return;
        }
        if (mutation == Mutation.PUSH_DROPS_ON_FAILURE) {
            return;
        }
        int n = heads.length;
        long rounds = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                int h = (me + i) % n;
                if (h == me) {
                    continue;
                }
                step(cpu, Step.__pcpu_freelist_push, h);
                if (attempt(cpu, LockSite.PUSH_FALLBACK, h) != null) {
                    continue;
                }
                pushNode(cpu, h, node);
                return;
            }
            if (n == 1) {
                step(cpu, Step.__pcpu_freelist_push, me); // a turn of the loop with no head to try
            }
            rounds++;
            long stop = fallbackRounds;
            if (stop > 0 && rounds >= stop) {
                throw new PushLoopException(node, rounds, me, n);
            }
            Thread.onSpinWait();
        }
    }

    /** pcpu_freelist_push_node under the lock of head {@code h}, then raw_res_spin_unlock. */
    private void pushNode(Cpu cpu, int h, Node node) {
        Head head = heads[h];
        step(cpu, Step.pcpu_freelist_push_node, h);
        node.next = head.first;
        head.first = node;
        step(cpu, Step.raw_res_spin_unlock, h);
        head.lock.unlock(cpu);
    }

    // ------------------------------------------------------------------- pop

    /** {@code pcpu_freelist_pop} (and {@code __pcpu_freelist_pop}): a node, or null (NULL). */
    public Node pop(Cpu cpu) {
        return popTraced(cpu).node();
    }

    /** {@link #pop}, with what it saw at each head. */
    public PopResult popTraced(Cpu cpu) {
        Objects.requireNonNull(cpu, "cpu");
        int n = heads.length;
        int me = cpu.id();
        Seen[] scan = new Seen[n];
        Arrays.fill(scan, Seen.NOT_SEEN);
        for (int i = 0; i < n; i++) {
            int h = (me + i) % n;
            Head head = heads[h];
            step(cpu, Step.___pcpu_freelist_pop_read, h);
            if (head.first == null) {
                scan[h] = Seen.EMPTY;
                step(cpu, Step.___pcpu_freelist_pop_next, h);
                continue;
            }
            Node early = null;
            if (mutation == Mutation.POP_UNLINKS_BEFORE_LOCK) {
                early = head.first;
                if (early != null) {
                    head.first = early.next;
                }
            }
            step(cpu, Step.___pcpu_freelist_pop_lock, h);
            if (attempt(cpu, LockSite.POP, h) != null) {
                scan[h] = Seen.FAILED;
                if (mutation == Mutation.POP_GIVES_UP) {
                    return result(null, scan);
                }
                step(cpu, Step.___pcpu_freelist_pop_next, h);
                continue;
            }
            step(cpu, Step.___pcpu_freelist_pop_take, h);
            Node node = early != null ? early : head.first;
            if (node != null) {
                if (early == null) {
                    Node rest = node.next;
                    if (mutation == Mutation.POP_DROPS_ELEMENT && rest != null) {
                        rest = rest.next;
                    }
                    head.first = rest;
                }
                node.next = null;
                scan[h] = Seen.TOOK;
                step(cpu, Step.raw_res_spin_unlock, h);
                head.lock.unlock(cpu);
                return result(node, scan);
            }
            scan[h] = Seen.EMPTY;
            step(cpu, Step.raw_res_spin_unlock, h);
            head.lock.unlock(cpu);
            step(cpu, Step.___pcpu_freelist_pop_next, h);
        }
        return result(null, scan);
    }

    private static PopResult result(Node node, Seen[] scan) {
        return new PopResult(node, List.of(scan));
    }

    // ----------------------------------------------------------------- locks

    /** One raw_res_spin_lock at {@code site} on head {@code h}: null when held, else the errno it returned. */
    private Errno attempt(Cpu cpu, LockSite site, int h) {
        Errno injected = failures.decide(site);
        if (injected != null) {
            failures.record(new LockFailure(site, h, cpu.id(), cpu.context(), injected, true));
            return injected;
        }
        try {
            heads[h].lock.lock(cpu);
            return null;
        } catch (LockFailedException e) {
            failures.record(new LockFailure(site, h, cpu.id(), cpu.context(), e.errno(), false));
            return e.errno();
        }
    }

    private void step(Cpu cpu, Step step, int h) {
        StepHook k = hook;
        if (k != null) {
            k.before(cpu, step, h);
        }
    }

    private int checkHead(int cpu) {
        if (cpu < 0 || cpu >= heads.length) {
            throw new IllegalArgumentException("no cpu" + cpu + " on " + machine);
        }
        return cpu;
    }

    // ----------------------------------------------------------------- audit

    /**
     * The node numbers of each head, first node first. Reads the lists
     * without their locks: for moments when no push or pop runs.
     */
    public List<List<Integer>> snapshot() {
        List<List<Integer>> out = new ArrayList<>();
        int limit;
        synchronized (nodes) {
            limit = nodes.size() + 1;
        }
        for (Head head : heads) {
            List<Integer> ids = new ArrayList<>();
            for (Node x = head.first; x != null && ids.size() <= limit; x = x.next) {
                ids.add(x.id);
            }
            out.add(ids);
        }
        return out;
    }

    /** The number of nodes in the lists (a {@link #snapshot} count). */
    public int size() {
        return snapshot().stream().mapToInt(List::size).sum();
    }

    /**
     * Nothing lost, nothing duplicated: given the nodes the callers hold
     * ({@code outside}), every node this free list made is in exactly one
     * place, a list or {@code outside}. Returns one line per problem, empty
     * when there is none. For quiescent moments, like {@link #snapshot}.
     */
    public List<String> audit(Collection<Node> outside) {
        Map<Integer, Integer> copies = new HashMap<>();
        List<List<Integer>> lists = snapshot();
        for (List<Integer> l : lists) {
            for (int id : l) {
                copies.merge(id, 1, Integer::sum);
            }
        }
        for (Node x : outside) {
            copies.merge(x.id, 1, Integer::sum);
        }
        List<String> problems = new ArrayList<>();
        int made;
        synchronized (nodes) {
            made = nodes.size();
        }
        for (int id = 1; id <= made; id++) {
            int k = copies.getOrDefault(id, 0);
            if (k == 0) {
                problems.add("node" + id + " is lost: in no list and held by no caller (lists " + lists + ")");
            } else if (k > 1) {
                problems.add("node" + id + " is in " + k + " places (lists " + lists + ", held " + outside + ")");
            }
        }
        return problems;
    }

    @Override
    public String toString() {
        return "pcpu_freelist " + snapshot();
    }
}
