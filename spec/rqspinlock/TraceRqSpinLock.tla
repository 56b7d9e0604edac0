----------------------------- MODULE TraceRqSpinLock -----------------------------
(***************************************************************************)
(* Trace validation: is a recorded run a behaviour of RqSpinLock?          *)
(*                                                                         *)
(* A trace is a sequence of events, one per step of the run, each          *)
(*   [a |-> action name, p |-> <<cpu, context>>, o |-> observed values]    *)
(* where the action is one of the spec's actions (the names below) and o   *)
(* holds the values after the step of any of the variables lock, node,     *)
(* count and rqh, or held (rqh as the kernel stores it: per CPU the count  *)
(* and the first NrHeld entries), and ret on the step that ends an attempt *)
(* (what res_spin_lock returns: the context's return value before the     *)
(* step, since a failure is decided earlier, by the check that fails).     *)
(* TraceNext takes the next event: the named action of that context must  *)
(* be enabled and lead to a state that agrees with every observed value.   *)
(* Variables the run did not observe (ctx: program counters, ghost         *)
(* ownership, deadline states) are left to the spec, so TLC looks for any  *)
(* way the spec can produce the observed run.                              *)
(*                                                                         *)
(* Several traces of one scenario are checked in one TLC run: t picks the  *)
(* trace, i counts its events taken. A trace is ACCEPTED when some         *)
(* behaviour takes all of its events (i = Len(Traces[t])). TraceProgress  *)
(* (a CONSTRAINT that never prunes) keeps the longest prefix taken per     *)
(* trace in TLC register t and prints each new longest prefix with the     *)
(* spec state after it, so a rejected trace is reported with the first    *)
(* event the spec cannot take and the spec state before it. Run with one   *)
(* worker: registers are per worker.                                      *)
(***************************************************************************)
EXTENDS MCRqSpinLock, TLC

CONSTANT Traces   \* sequence of traces, each a sequence of events

(* The traces, evaluated once: TLC computes a constant definition once, at *)
(* startup, but evaluates a CONSTANT overridden in the cfg by a definition  *)
(* at each use (here: the whole literal of every trace, at every state).   *)
TheTraces == Traces

VARIABLES t,  \* which trace this behaviour follows
          i   \* how many of its events it has taken

(* The spec action an event names, for the context it names. *)
Act(e) ==
    LET c == e.p[1]  x == e.p[2] IN
    CASE e.a = "interrupt"                        -> interrupt(c, x)
      [] e.a = "grab_held_lock_entry"             -> grab_held_lock_entry(c, x)
      [] e.a = "fastpath_cmpxchg"                 -> fastpath_cmpxchg(c, x)
      [] e.a = "pending_reread"                   -> pending_reread(c, x)
      [] e.a = "queued_fetch_set_pending_acquire" -> queued_fetch_set_pending_acquire(c, x)
      [] e.a = "queued_fetch_set_pending_read"    -> queued_fetch_set_pending_read(c, x)
      [] e.a = "clear_pending"                    -> clear_pending(c, x)
      [] e.a = "pending_wait_owner"               -> pending_wait_owner(c, x)
      [] e.a = "clear_pending_set_locked"         -> clear_pending_set_locked(c, x)
      [] e.a = "check_deadlock_AA_queue"          -> check_deadlock_AA_queue(c, x)
      [] e.a = "grab_mcs_node"                    -> grab_mcs_node(c, x)
      [] e.a = "queued_spin_trylock"              -> queued_spin_trylock(c, x)
      [] e.a = "xchg_tail"                        -> xchg_tail(c, x)
      [] e.a = "link_prev"                        -> link_prev(c, x)
      [] e.a = "arch_mcs_spin_lock_contended"     -> arch_mcs_spin_lock_contended(c, x)
      [] e.a = "head_wait_owner_pending"          -> head_wait_owner_pending(c, x)
      [] e.a = "claim_cmpxchg"                    -> claim_cmpxchg(c, x)
      [] e.a = "set_locked"                       -> set_locked(c, x)
      [] e.a = "arch_mcs_spin_unlock_contended"   -> arch_mcs_spin_unlock_contended(c, x)
      [] e.a = "try_cmpxchg_tail"                 -> try_cmpxchg_tail(c, x)
      [] e.a = "abort_signal_next"                -> abort_signal_next(c, x)
      [] e.a = "release_node"                     -> release_node(c, x)
      [] e.a = "release_held_lock_entry"          -> release_held_lock_entry(c, x)
      [] e.a = "tas_cmpxchg"                      -> tas_cmpxchg(c, x)
      [] e.a = "check_timeout_arm"                -> check_timeout_arm(c, x)
      [] e.a = "check_deadlock"                   -> check_deadlock(c, x)
      [] e.a = "check_timeout_expired"            -> check_timeout_expired(c, x)
      [] e.a = "abba_read_cnt"                    -> abba_read_cnt(c, x)
      [] e.a = "abba_is_lock_released"            -> abba_is_lock_released(c, x)
      [] e.a = "abba_read_top"                    -> abba_read_top(c, x)
      [] e.a = "abba_read_entry"                  -> abba_read_entry(c, x)
      [] e.a = "res_spin_unlock_release"          -> res_spin_unlock_release(c, x)
      [] e.a = "res_spin_unlock_pop"              -> res_spin_unlock_pop(c, x)

(* Every action name Act knows: the vocabulary the Java twin's steps must use. *)
ActionNames ==
    {"interrupt", "grab_held_lock_entry", "fastpath_cmpxchg", "pending_reread",
     "queued_fetch_set_pending_acquire", "queued_fetch_set_pending_read", "clear_pending", "pending_wait_owner",
     "clear_pending_set_locked", "check_deadlock_AA_queue", "grab_mcs_node",
     "queued_spin_trylock", "xchg_tail", "link_prev", "arch_mcs_spin_lock_contended",
     "head_wait_owner_pending", "claim_cmpxchg", "set_locked",
     "arch_mcs_spin_unlock_contended", "try_cmpxchg_tail", "abort_signal_next",
     "release_node", "release_held_lock_entry", "tas_cmpxchg", "check_timeout_arm",
     "check_deadlock", "check_timeout_expired", "abba_read_cnt", "abba_is_lock_released",
     "abba_read_top", "abba_read_entry", "res_spin_unlock_release", "res_spin_unlock_pop"}

(* A held-lock table as the kernel stores it: the count, and the entries of *)
(* the slots (the first NrHeld; later ones are counted, not stored).        *)
HeldView(tab) == <<Len(tab), SubSeq(tab, 1, Min(NrHeld, Len(tab)))>>

(* The state after the step agrees with every value the run observed. *)
Observed(e) ==
    LET o == e.o IN
    /\ "lock"  \in DOMAIN o => lock'  = o.lock
    /\ "node"  \in DOMAIN o => node'  = o.node
    /\ "count" \in DOMAIN o => count' = o.count
    /\ "rqh"   \in DOMAIN o => rqh'   = o.rqh
    /\ "held"  \in DOMAIN o => \A c \in CPUs : HeldView(rqh'[c]) = o.held[c]
    /\ "ret"   \in DOMAIN o => ctx[e.p[1]][e.p[2]].ret = o.ret

(* The spec state a report shows: every variable. *)
StateView == [lock |-> lock, node |-> node, count |-> count, rqh |-> rqh, ctx |-> ctx]

TraceInit ==
    /\ Init
    /\ t \in 1 .. Len(TheTraces)
    /\ i = 0
    /\ TLCSet(t, 0)
    /\ PrintT(<<"TRACE_PREFIX", t, 0, StateView>>)

TraceNext ==
    /\ i < Len(TheTraces[t])
    /\ LET e == TheTraces[t][i + 1] IN
       /\ Assert(e.a \in ActionNames, <<"the trace names no action of the spec", e.a>>)
       /\ Act(e)
       /\ Observed(e)
    /\ i' = i + 1
    /\ UNCHANGED t

TraceProgress ==
    IF i > TLCGet(t)
    THEN TLCSet(t, i) /\ PrintT(<<"TRACE_PREFIX", t, i, StateView>>)
    ELSE TRUE

===================================================================================
