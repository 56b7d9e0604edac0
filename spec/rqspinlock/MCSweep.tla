------------------------------- MODULE MCSweep -------------------------------
(***************************************************************************)
(* The generated scenarios of the cause sweep (spec/rqspinlock/sweep, class *)
(* rqspin.spec.RqSweep): each CPU runs a task script and an NMI script      *)
(* picked from Menu by the constant Gen, and the causes found so far are    *)
(* excluded by the constant Excluded (a set of cause names, README          *)
(* "Distinct causes"; the windows and verdict filters are MCRqSpinLock's). *)
(***************************************************************************)
EXTENDS MCRqSpinLock

CONSTANTS Gen,       \* the digits: task of c1, NMI of c1, task of c2, ...: indices into Menu
          Excluded   \* the causes excluded so far: a subset of CauseNames

(* The scripts of one context: no op, or one or two lock steps over one or   *)
(* two locks, unlocking in LIFO order.                                      *)
Menu == <<None, OnlyA, OnlyB, AThenB, BThenA>>
CpuOrder == <<c1, c2, c3>>
CpuIndex(c) == CHOOSE i \in 1 .. 3 : CpuOrder[i] = c
(* The k-th of the 2 * |CPUs| decimal digits of Gen (a cfg has no tuples). *)
Digit(k) == (Gen \div (10 ^ (2 * NCpus - k))) % 10
S_Gen == [c \in CPUs |-> [task |-> Menu[Digit(2 * CpuIndex(c) - 1)],
                          irq  |-> None,
                          nmi  |-> Menu[Digit(2 * CpuIndex(c))]]]

CauseNames == {"late_entry", "early_entry", "unlock_window", "failed_entry", "in_flight_entry",
               "cascade", "nmi_fallback", "nmi_queue_hang", "handover_hang"}
ASSUME Excluded \subseteq CauseNames

(* nmi_queue_hang (v6.15): an NMI's xchg_tail finds a node of its own CPU    *)
(* as the old tail: it will wait behind the context it interrupted.         *)
NoNmiBehindOwnCpu ==
    \A c \in CPUs, x \in Ctxs :
        (ctx[c][x].pc = "xchg_tail" /\ ctx'[c][x].pc = "link_prev") => ctx'[c][x].prev[1] # c
(* handover_hang (v6.19, v7.0): a head that saw -EDEADLK goes to the hand-  *)
(* over while it is the tail and nobody has linked behind it.              *)
NoHeadlessHandover ==
    \A c \in CPUs, x \in Ctxs :
        (ctx'[c][x].pc = "handover_deadlock" /\ ctx[c][x].pc # "handover_deadlock" /\ ~DeadlockResetsTail)
            => ~(lock[ctx[c][x].lk].tail = Me(c, x) /\ node[c][ctx[c][x].idx].next = NoNode)

(* TLC checks the invariants of a successor state even when an action       *)
(* constraint cuts the step into it (tlc2.tool.Worker.addElement: a state    *)
(* outside the model counts as unseen and is checked, not explored), so a    *)
(* hang cut by NoHeadlessHandover still fails QueueLive in the state the cut *)
(* step leads to. That state, a head at the handover with -EDEADLK that is   *)
(* the tail with nobody linked, is reached only by the cut step (the tail    *)
(* never names a head's node again once it has moved past it, and a next,  *)
(* once linked, stays), so with handover_hang excluded the sweep checks     *)
(* QueueLive in every other state.                                          *)
HeadlessHandover ==
    \E c \in CPUs, x \in Ctxs :
        LET r == ctx[c][x] IN
        /\ r.pc = "handover_deadlock" /\ ~DeadlockResetsTail
        /\ lock[r.lk].tail = Me(c, x) /\ node[c][r.idx].next = NoNode
SweepQueueLive == ("handover_hang" \in Excluded /\ HeadlessHandover) \/ QueueLive

SweepVerdicts(c, x) ==
    \/ "in_flight_entry" \in Excluded /\ InFlightEntryVerdict(c, x)
    \/ "cascade" \in Excluded /\ CascadeVerdict(c, x)
    \/ "nmi_fallback" \in Excluded /\ FallbackVerdict(c, x)

(* Every excluded cause, as one action constraint. *)
SweepConstraint ==
    /\ "late_entry" \in Excluded => NoLateEntryWindow
    /\ "early_entry" \in Excluded => NoEarlyEntryWindow
    /\ "unlock_window" \in Excluded => NoUnlockWindow
    /\ "failed_entry" \in Excluded => NoFailedEntryWindow
    /\ "nmi_queue_hang" \in Excluded => NoNmiBehindOwnCpu
    /\ "handover_hang" \in Excluded => NoHeadlessHandover
    /\ \A c \in CPUs, x \in Ctxs : NewError(c, x, EDEADLK) => ~SweepVerdicts(c, x)
=============================================================================
