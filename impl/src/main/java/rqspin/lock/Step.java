package rqspin.lock;

/**
 * The steps of {@link RqSpinLock} and {@link QSpinLock}, named exactly as the
 * actions of the TLA+ spec that model them (spec/rqspinlock/RqSpinLock.tla):
 * one vocabulary for the spec, this Java twin and the kernel code both follow.
 *
 * <p>A step is one atomic access of the kernel (a load, store, cmpxchg, xchg
 * or fetch_or of shared state) together with the local computation around
 * it, with the spec's granularity: where the spec merges an update of
 * per-CPU data into the step before (its abstraction A2), the Java twin
 * announces one step for both. A {@link StepGate} installed on the
 * {@link Machine} sees every step the locks of that machine take; without
 * one, the steps are just the code.
 *
 * <p>The constant names are the spec's (lower case, as the kernel functions
 * they are named after); {@link #kernel()} says what each one does in kernel
 * terms. A test of the conformance module fails when this enum and the
 * spec's actions differ.
 */
public enum Step {
    /** IRQ or NMI entry: a nested context starts running on the CPU ({@link Cpu#runNested}). */
    interrupt("IRQ/NMI entry"),
    /** {@code grab_held_lock_entry}: push the lock on the CPU's held-lock table. */
    grab_held_lock_entry("grab_held_lock_entry: cnt++, locks[cnt - 1] = lock"),
    /** {@code res_spin_lock}: the fast path's {@code atomic_try_cmpxchg_acquire} (0,0,0) to (0,0,1). */
    fastpath_cmpxchg("res_spin_lock: atomic_try_cmpxchg_acquire(&lock->val, 0, _Q_LOCKED_VAL)"),
    /** The slow path's bounded re-read of a word (0,1,0) (the pending-to-locked handover). */
    pending_reread("slowpath: atomic_cond_read_relaxed(&lock->val, VAL != _Q_PENDING_VAL || !cnt--)"),
    /** {@code queued_fetch_set_pending_acquire}: fetch_or of the pending bit (x86: its {@code lock btsl}). */
    queued_fetch_set_pending_acquire("queued_fetch_set_pending_acquire: (0,0,*) -> (0,1,*) (x86: lock btsl)"),
    /** x86 only: the read of the rest of the word after the btsl ({@code atomic_read(&lock->val)}). */
    queued_fetch_set_pending_read("x86 queued_fetch_set_pending_acquire: val |= atomic_read(&lock->val) & ~_Q_PENDING_MASK"),
    /** {@code clear_pending}: undo a pending bit set under contention, or the failing pending waiter's exit. */
    clear_pending("clear_pending: (*,1,*) -> (*,0,*)"),
    /** The pending waiter sees the owner gone ({@code smp_cond_load_acquire(&lock->locked, !VAL)}). */
    pending_wait_owner("slowpath: smp_cond_load_acquire(&lock->locked, !VAL || RES_CHECK_TIMEOUT)"),
    /** {@code clear_pending_set_locked}: the pending waiter takes the lock. */
    clear_pending_set_locked("clear_pending_set_locked: (0,1,0) -> (0,0,1)"),
    /** [V6_19] {@code check_deadlock_AA} before queueing finds the lock in the CPU's table. */
    check_deadlock_AA_queue("queue: check_deadlock_AA(lock) -> -EDEADLK"),
    /** {@code idx = node->count++}, the no-node check and {@code grab_mcs_node} with the node's init. */
    grab_mcs_node("queue: idx = rqnodes[0].count++; FALLBACK(idx)?; node = grab_mcs_node(); node->locked = 0, next = NULL"),
    /** {@code queued_spin_trylock}: on the cold node, or the no-node fallback's trylock. */
    queued_spin_trylock("queued_spin_trylock: (0,0,0) -> (0,0,1)"),
    /** {@code xchg_tail}: publish this node as the queue's tail. */
    xchg_tail("xchg_tail(lock, tail)"),
    /** Link behind the previous tail: {@code WRITE_ONCE(prev->next, node)}. */
    link_prev("WRITE_ONCE(prev->next, node)"),
    /** The non-head waiter sees its node signalled ({@code arch_mcs_spin_lock_contended}). */
    arch_mcs_spin_lock_contended("arch_mcs_spin_lock_contended(&node->locked)"),
    /** The queue head sees owner and pending waiter gone: (*,0,0). */
    head_wait_owner_pending("head: res_atomic_cond_read_acquire(&lock->val, !(VAL & _Q_LOCKED_PENDING_MASK) || RES_CHECK_TIMEOUT)"),
    /** The head's claim: {@code atomic_try_cmpxchg_relaxed} (n,0,0) to (0,0,1) when it is the tail. */
    claim_cmpxchg("head: if ((val & _Q_TAIL_MASK) == tail) atomic_try_cmpxchg_relaxed(&lock->val, &val, _Q_LOCKED_VAL)"),
    /** {@code set_locked}: the head takes the lock behind which others queued. */
    set_locked("set_locked: (*,*,0) -> (*,*,1)"),
    /** The head passes the head role on: wait for {@code next}, {@code next->locked = 1}. */
    arch_mcs_spin_unlock_contended("next = smp_cond_load_relaxed(&node->next, VAL); arch_mcs_spin_unlock_contended(&next->locked)"),
    /**
     * An aborting waiter that is the tail resets it: {@code try_cmpxchg_tail(lock, tail, 0)}; [V7_2] also a
     * head that saw -EDEADLK with no successor linked (7a3c0289c3c8).
     */
    try_cmpxchg_tail("waitq_timeout (and [v7.2] the -EDEADLK head): try_cmpxchg_tail(lock, tail, 0)"),
    /** An aborting waiter signals its successor: wait for {@code next}, {@code next->locked = RES_TIMEOUT_VAL}. */
    abort_signal_next("waitq_timeout: next = smp_cond_load_relaxed(&node->next, VAL); WRITE_ONCE(next->locked, RES_TIMEOUT_VAL)"),
    /** {@code __this_cpu_dec(rqnodes[0].mcs.count)}, where the spec keeps it a step of its own. */
    release_node("release / err_release_node: __this_cpu_dec(rqnodes[0].mcs.count)"),
    /** {@code release_held_lock_entry}: the failure exit pops the table entry. */
    release_held_lock_entry("err_release_entry: release_held_lock_entry()"),
    /** {@code resilient_tas_spin_lock}'s {@code atomic_try_cmpxchg} 0 to 1. */
    tas_cmpxchg("resilient_tas_spin_lock: atomic_try_cmpxchg(&lock->val, &val, 1)"),
    /** The first {@code check_timeout} call of a wait, where its [V6_19] {@code check_deadlock_AA} fails. */
    check_timeout_arm("check_timeout: first call of the wait (arms the deadline; [V6_19] check_deadlock_AA)"),
    /** A later {@code check_timeout} call, at least 1 ms after the last: [V6_15] AA and ABBA, [V6_19] ABBA. */
    check_deadlock("check_timeout: check_deadlock / check_deadlock_ABBA"),
    /** {@code check_timeout}: the deadline of the wait passed, {@code -ETIMEDOUT}. */
    check_timeout_expired("check_timeout: time > ts->timeout_end -> -ETIMEDOUT"),
    /** Stepwise ABBA scan: {@code real_cnt = READ_ONCE(rqh_cpu->cnt)} of the next CPU. */
    abba_read_cnt("check_deadlock_ABBA: real_cnt = READ_ONCE(rqh_cpu->cnt)"),
    /** Stepwise ABBA scan: {@code is_lock_released(lock, mask)} (released: return 0), then the skip tests. */
    abba_is_lock_released("check_deadlock_ABBA: is_lock_released: atomic_read_acquire(&lock->val) & mask"),
    /** Stepwise ABBA scan: {@code remote_lock = READ_ONCE(rqh_cpu->locks[cnt - 1])} (NULL: next CPU). */
    abba_read_top("check_deadlock_ABBA: remote_lock = READ_ONCE(rqh_cpu->locks[cnt - 1])"),
    /** Stepwise ABBA scan: {@code READ_ONCE(rqh_cpu->locks[i]) == lock}; at a match the own table decides. */
    abba_read_entry("check_deadlock_ABBA: READ_ONCE(rqh_cpu->locks[i]) == lock ? (own table: -EDEADLK or 0)"),
    /** {@code res_spin_unlock}'s {@code smp_store_release(&lock->locked, 0)} ({@code queued_spin_unlock}). */
    res_spin_unlock_release("res_spin_unlock: smp_store_release(&lock->locked, 0)"),
    /** {@code res_spin_unlock}'s pop of the table entry: {@code locks[cnt - 1] = NULL; cnt--}. */
    res_spin_unlock_pop("res_spin_unlock: WRITE_ONCE(rqh->locks[rqh->cnt - 1], NULL); this_cpu_dec(rqh->cnt)");

    private final String kernel;

    Step(String kernel) {
        this.kernel = kernel;
    }

    /** What the step does, in the kernel's code. */
    public String kernel() {
        return kernel;
    }
}
