package rqspin.maps.freelist;

/**
 * The steps of percpu_freelist that a {@link StepHook} sees, named as the
 * actions of spec/freelist/PcpuFreelist.tla (one vocabulary: kernel function
 * = TLA+ action = Java step). The hook is called before the step, with the
 * head it is about to touch.
 */
public enum Step {
    /** {@code ___pcpu_freelist_push}: the attempt on this CPU's head. */
    ___pcpu_freelist_push("raw_res_spin_lock on this CPU's head (the push's first attempt)"),
    /** {@code __pcpu_freelist_push}: one turn of the while (true) fallback loop, an attempt on another CPU's head. */
    __pcpu_freelist_push("raw_res_spin_lock on another CPU's head in the push's fallback loop"),
    /** {@code pcpu_freelist_push_node}: link the node under the lock. */
    pcpu_freelist_push_node("node->next = head->first; WRITE_ONCE(head->first, node)"),
    /** {@code ___pcpu_freelist_pop}: READ_ONCE(head->first). */
    ___pcpu_freelist_pop_read("READ_ONCE(head->first): NULL skips the head"),
    /** {@code ___pcpu_freelist_pop}: the attempt on the head. */
    ___pcpu_freelist_pop_lock("raw_res_spin_lock(&head->lock): a failure skips the head"),
    /** {@code ___pcpu_freelist_pop}: take the first node under the lock. */
    ___pcpu_freelist_pop_take("node = head->first; WRITE_ONCE(head->first, node->next)"),
    /** {@code ___pcpu_freelist_pop}: the loop moves to the next CPU, or the pop returns NULL. */
    ___pcpu_freelist_pop_next("for_each_cpu_wrap: the next CPU, or return NULL after the last"),
    /** {@code raw_res_spin_unlock}: release the head's lock. */
    raw_res_spin_unlock("raw_res_spin_unlock(&head->lock)");

    private final String kernel;

    Step(String kernel) {
        this.kernel = kernel;
    }

    /** What the step is in kernel terms. */
    public String kernel() {
        return kernel;
    }
}
