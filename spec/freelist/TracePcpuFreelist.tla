--------------------------- MODULE TracePcpuFreelist ---------------------------
(***************************************************************************)
(* Trace validation: is a recorded run of the Java twin                    *)
(* (rqspin.maps.freelist.PcpuFreelist) a behaviour of PcpuFreelist?        *)
(*                                                                         *)
(* A trace is a sequence of events, one per step of the run, each          *)
(*   [a |-> action name, p |-> <<cpu, ctx>>, o |-> observed values]        *)
(* where the action is one of the spec's (ActionNames: the disjuncts of    *)
(* CtxStep) and o may hold, after the step:                                *)
(*   head   the whole free list, each head's nodes first node first (the   *)
(*          twin's lists, read while every CPU waits at a step)            *)
(*   cur    the head the step touched (the twin's StepHook argument)       *)
(*   err    what the lock attempt of the step returned ("0" or an errno)   *)
(*   hand   the nodes the acting context holds (at StartOp: between two    *)
(*          operations, when the twin's caller knows them exactly)         *)
(*   ret    what the context's last pop returned (at StartOp)              *)
(* TraceNext takes the next event: the named action of that context must  *)
(* be enabled and lead to a state that agrees with every observed value.  *)
(* What the run does not observe (owner, failsLeft, the scan, the pcs) is *)
(* left to the spec, so TLC looks for any way the spec makes the run.     *)
(*                                                                         *)
(* Several traces of one scenario are checked in one TLC run: t picks the  *)
(* trace, i counts its events taken; TraceProgress (a CONSTRAINT that      *)
(* never prunes) prints each new longest prefix per trace with the state   *)
(* after it, so a rejected trace is reported with the first event the spec *)
(* cannot take. Run with one worker: TLC registers are per worker.         *)
(***************************************************************************)
EXTENDS MCPcpuFreelist, TLC

CONSTANT Traces   \* sequence of traces, each a sequence of events

TheTraces == Traces

VARIABLES t,  \* which trace this behaviour follows
          i   \* how many of its events it has taken

Act(e) ==
    LET c == e.p[1]  x == e.p[2] IN
    CASE e.a = "StartOp"                   -> StartOp(c, x)
      [] e.a = "___pcpu_freelist_push"     -> ___pcpu_freelist_push(c, x)
      [] e.a = "__pcpu_freelist_push"      -> __pcpu_freelist_push(c, x)
      [] e.a = "pcpu_freelist_push_node"   -> pcpu_freelist_push_node(c, x)
      [] e.a = "___pcpu_freelist_pop_read" -> ___pcpu_freelist_pop_read(c, x)
      [] e.a = "___pcpu_freelist_pop_lock" -> ___pcpu_freelist_pop_lock(c, x)
      [] e.a = "___pcpu_freelist_pop_take" -> ___pcpu_freelist_pop_take(c, x)
      [] e.a = "___pcpu_freelist_pop_next" -> ___pcpu_freelist_pop_next(c, x)
      [] e.a = "raw_res_spin_unlock"       -> raw_res_spin_unlock(c, x)

(* Every action name Act knows: the vocabulary the Java twin's steps use. *)
ActionNames ==
    {"StartOp", "___pcpu_freelist_push", "__pcpu_freelist_push", "pcpu_freelist_push_node",
     "___pcpu_freelist_pop_read", "___pcpu_freelist_pop_lock", "___pcpu_freelist_pop_take",
     "___pcpu_freelist_pop_next", "raw_res_spin_unlock"}

(* The state after the step agrees with every value the run observed. The *)
(* head a step touches is the context's cur before the step.              *)
Observed(e) ==
    LET o == e.o  c == e.p[1]  x == e.p[2] IN
    /\ "head" \in DOMAIN o => head' = o.head
    /\ "cur" \in DOMAIN o => ctx[c][x].cur = o.cur
    /\ "err" \in DOMAIN o => ctx'[c][x].err = o.err
    /\ "hand" \in DOMAIN o => ctx'[c][x].hand = o.hand
    /\ "ret" \in DOMAIN o => ctx'[c][x].last.ret = o.ret

StateView == [head |-> head, owner |-> owner, ctx |-> ctx, failsLeft |-> failsLeft]

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

=============================================================================
