------------------------------ MODULE MCRqSpinLock ------------------------------
(***************************************************************************)
(* Model-only definitions for the TLC models of RqSpinLock (MCRqSpinLock_*  *)
(* .cfg): the CPUs and locks as model values, the scripts each context     *)
(* runs, the symmetry set, and the seeded mutants that the negative models *)
(* substitute for one operator of the spec with `CONSTANT Op <- MutantOp`.  *)
(***************************************************************************)
EXTENDS RqSpinLock

CONSTANTS c1, c2, c3,   \* CPUs (model values)
          A, B          \* locks (model values)

(***************************************************************************)
(* Scripts. A script is what one context (task, IRQ or NMI) runs, like a   *)
(* BPF program: lock/unlock operations, unlocking in LIFO order; it stops  *)
(* at the first failed lock attempt after releasing what it holds.         *)
(***************************************************************************)
None  == <<>>
OnlyA == <<LockOp(A), UnlockOp(A)>>
OnlyB == <<LockOp(B), UnlockOp(B)>>
AThenB == <<LockOp(A), LockOp(B), UnlockOp(B), UnlockOp(A)>>
BThenA == <<LockOp(B), LockOp(A), UnlockOp(A), UnlockOp(B)>>
ATwice == <<LockOp(A), UnlockOp(A), LockOp(A), UnlockOp(A)>>

Same(task, nmi) == [c \in CPUs |-> [task |-> task, irq |-> None, nmi |-> nmi]]
TasksOnly(f) == [c \in CPUs |-> [task |-> f[c], irq |-> None, nmi |-> None]]

(* Every CPU: the task takes A then B; an NMI takes A (AA with its own task,  *)
(* contention with the others). CPU-symmetric.                               *)
S_TaskAB_NmiA == Same(AThenB, OnlyA)
(* Every CPU: the task takes A then B; an NMI takes B. CPU-symmetric. *)
S_TaskAB_NmiB == Same(AThenB, OnlyB)
(* Every CPU: the task takes A then B, an NMI takes B then A: AA, and ABBA    *)
(* between an NMI and the task of another CPU. CPU-symmetric.                *)
S_TaskAB_NmiBA == Same(AThenB, BThenA)
(* One CPU with three nested contexts: the task takes A then B, an IRQ takes B, *)
(* an NMI takes A.                                                             *)
S_TaskAB_IrqB_NmiA == [c \in CPUs |-> [task |-> AThenB, irq |-> OnlyB, nmi |-> OnlyA]]
(* Every CPU: task and NMI both take A once (the AA scripts). *)
S_TaskA_NmiA == Same(OnlyA, OnlyA)
(* AA in an NMI: c1's task and NMI take A; the other CPUs' tasks take A. *)
S_NmiAA == [c \in CPUs |-> [task |-> OnlyA, irq |-> None, nmi |-> IF c = c1 THEN OnlyA ELSE None]]
(* ABBA through NMIs: c1's task takes A and its NMI B, c2's task takes B and  *)
(* its NMI A.                                                                *)
S_NmiCross == LET f == (c1 :> [task |-> OnlyA, irq |-> None, nmi |-> OnlyB])
                    @@ (c2 :> [task |-> OnlyB, irq |-> None, nmi |-> OnlyA])
                    @@ (c3 :> [task |-> None, irq |-> None, nmi |-> None])
              IN [c \in CPUs |-> f[c]]
(* Tasks only, the ABBA scripts: c1 takes A then B, c2 takes B then A. *)
S_ABBA == TasksOnly((c1 :> AThenB) @@ (c2 :> BThenA) @@ (c3 :> OnlyB))
(* Tasks only, both take A then B (same order: no deadlock). *)
S_AB_AB == TasksOnly([c \in CPUs |-> AThenB])
(* Tasks only, one lock, four attempts on three CPUs: owner, pending waiter,   *)
(* queue head and a waiter behind it (c1 comes back for A).                  *)
S_Queue3 == TasksOnly((c1 :> ATwice) @@ (c2 :> OnlyA) @@ (c3 :> OnlyA))
(* Tasks only, one lock, every CPU once. *)
S_TasksA == TasksOnly([c \in CPUs |-> OnlyA])
(* Three CPUs, two locks, nesting, for the full liveness models: c1 and c2    *)
(* run the ABBA scripts, c3's task takes A and its NMI takes B.              *)
S_FullLive == LET f == (c1 :> [task |-> AThenB, irq |-> None, nmi |-> None])
                    @@ (c2 :> [task |-> BThenA, irq |-> None, nmi |-> None])
                    @@ (c3 :> [task |-> OnlyA, irq |-> None, nmi |-> OnlyB])
              IN [c \in CPUs |-> f[c]]
(* v6.19 NMI fallback: c1's task queues for A behind c3's task (pending) and  *)
(* c2 (owner); c1's NMI then wants B, left in (0,1,0) by c3's NMI.          *)
S_NmiFallback == LET f == (c1 :> [task |-> OnlyA, irq |-> None, nmi |-> OnlyB])
                       @@ (c2 :> [task |-> AThenB, irq |-> None, nmi |-> None])
                       @@ (c3 :> [task |-> OnlyA, irq |-> None, nmi |-> OnlyB])
                 IN [c \in CPUs |-> f[c]]

(* A pending bit set and undone on the way to the queue: c1's task owns A;   *)
(* c2's task and c3's task want A (one becomes the pending waiter, the other *)
(* the queue head); c2's NMI wants A too. Once c1 lets go, the head's claim *)
(* may meet a pending bit that c2's NMI set and will undo, and the NMI, at  *)
(* queue:, may leave with -EDEADLK instead of queueing behind the head      *)
(* (rq_v619_undo_pending_hang).                                             *)
S_UndoPending == LET f == (c1 :> [task |-> OnlyA, irq |-> None, nmi |-> None])
                       @@ (c2 :> [task |-> OnlyA, irq |-> None, nmi |-> OnlyA])
                       @@ (c3 :> [task |-> OnlyA, irq |-> None, nmi |-> None])
                 IN [c \in CPUs |-> f[c]]

Sym == Permutations(CPUs)

(* Action constraint: explore only behaviours in which every -EDEADLK is     *)
(* returned on a real deadlock cycle (DeadlockIsReal as a filter), to show a *)
(* hang that follows a true verdict.                                         *)
OnlyRealDeadlocks ==
    \A c \in CPUs, x \in Ctxs : NewError(c, x, EDEADLK) => OnCycle(c, x)

(***************************************************************************)
(* Known causes, each excluded by a named action constraint so that a model *)
(* can check every property on the behaviours the cause does not explain    *)
(* (the sweep's method; README "Distinct causes").                         *)
(***************************************************************************)
(* A window closed: while a context is at a pc of P, the next step is its   *)
(* own (no interrupt on its CPU, no step of another CPU), as if the kernel  *)
(* did the two accesses around the window in one. Each pc of P is a step   *)
(* that is always enabled for a running context, so no behaviour is stuck. *)
FailedExitPcs == {"err_release_node", "err_release_entry", "tas_fail"}
Atomic(P) == \A c \in CPUs, y \in Ctxs : ctx[c][y].pc \in P => ctx'[c][y] # ctx[c][y]
(* late_entry (v6.15, v6.17): the entry is pushed after the lock word says   *)
(* the lock is taken or pending (fast_grab, pending_grab), and unlock pops   *)
(* before it releases: an AA in that window is missed (rq_v615_missed_aa).   *)
NoLateEntryWindow == Atomic({"fast_grab", "pending_grab"} \cup
                            IF EntryAt = "late" THEN {"unlock_release"} ELSE {})
(* unlock_window (v6.19 on, beb7021a6003): unlock releases the word, then   *)
(* pops: the stale entry gives a false AA to an NMI (rq_v619_nmi_false_aa)  *)
(* and a false ABBA to a remote scan (rq_v619_unlock_window).               *)
NoUnlockWindow == Atomic(IF EntryAt = "early" THEN {"unlock_pop"} ELSE {})
(* early_entry (v6.19 on): the entry is pushed before the fast path's       *)
(* cmpxchg: an NMI or a remote scan takes the entry of a lock not yet held  *)
(* for a held one (false AA, false ABBA).                                   *)
NoEarlyEntryWindow == Atomic(IF EntryAt = "early" THEN {"fast_cas"} ELSE {})
(* failed_entry (every version): a failed attempt has given back the word   *)
(* (after clear_pending, or after leaving the queue) but not yet its entry  *)
(* (err_release_node, err_release_entry, the TAS loop's failure exit): an   *)
(* NMI finds an entry that stands for nothing held (false AA,               *)
(* rq_v615_failed_entry_aa).                                                *)
NoFailedEntryWindow == Atomic(FailedExitPcs)

(* QueueLive where an action constraint cuts the verdict steps of known     *)
(* causes (NoKnownVerdict, the window closures). TLC checks the invariants  *)
(* of a successor before an ACTION_CONSTRAINT discards it, so a cut verdict *)
(* step is still judged: the one state right after an attempt on l decided *)
(* -EDEADLK (it sits in a failed exit) is not judged on l. Nothing is lost  *)
(* for a verdict that is not cut: its behaviour goes on, and a head it      *)
(* stranded is still stranded in the next state, where QueueLiveOn(l) is   *)
(* checked again (the deciding context's exit steps are always enabled).    *)
JustFailedOn(l) ==
    \E c \in CPUs, x \in Ctxs : /\ ctx[c][x].pc \in FailedExitPcs
                             /\ ctx[c][x].ret = EDEADLK /\ ctx[c][x].lk = l
QueueLiveBeyondCutVerdicts == \A l \in Locks : JustFailedOn(l) \/ QueueLiveOn(l)

(* in_flight_entry (every version): an AA or ABBA verdict built on a table  *)
(* entry (below the top of our table for AA, of any table for ABBA) that    *)
(* stands for an attempt still in flight, which owns nothing yet: AA on a   *)
(* lock the CPU is only waiting for (the kernel's intended AA: the NMI     *)
(* would wait behind its own task's pending bit or queue node, but no      *)
(* ownership cycle exists), or ABBA that takes that entry for a held lock  *)
(* (rq_v615_nmi_table, rq_v619_nmi_table). A filter on the verdict step.   *)
(* The entry's lock is owned by no context of d, and a context of d other  *)
(* than the deciding one <<c, x>> is attempting it (not in a failed exit:  *)
(* that is failed_entry; not before the fast path: that is early_entry).   *)
InFlightOn(d, l, c, x) ==
    \E y \in Ctxs : /\ <<d, y>> # <<c, x>>
                   /\ ctx[d][y].pc \in AttemptPcs \ (FailedExitPcs \cup {"fast_cas"})
                   /\ ctx[d][y].lk = l
InFlightBelow(d, c, x) ==
    \E i \in 1 .. VisibleCnt(d) - 1 : ~OwnCpuHolds(d, rqh[d][i]) /\ InFlightOn(d, rqh[d][i], c, x)
InFlightEntryVerdict(c, x) ==
    \/ ctx'[c][x].why = "AA" /\ InFlightBelow(c, c, x)
    \/ ctx'[c][x].why = "ABBA" /\ \E d \in CPUs : InFlightBelow(d, c, x)   \* ours or a remote's
(* cascade (v6.15, v6.17): a waiter cancelled by the abort cascade returns  *)
(* -EDEADLK (rq_v615_cascade_edeadlk); v6.19 returns -ETIMEDOUT.            *)
CascadeVerdict(c, x) == ctx'[c][x].why = "cascade" /\ ctx'[c][x].ret = EDEADLK
(* nmi_fallback (v6.19 on, by design): an NMI at idx > 0 makes one trylock  *)
(* and returns -EDEADLK (rq_v619_nmi_fallback).                             *)
FallbackVerdict(c, x) == ctx'[c][x].why = "fallback"
(* stale_scan (AbbaScan = "stepwise" only, every version): the ABBA verdict  *)
(* of a scan whose reads of the remote CPU's table no longer hold when it   *)
(* decides: the remote's count, or the entry at the top it read, changed   *)
(* since (its attempt failed and popped its entry meanwhile): -EDEADLK on  *)
(* no cycle (rq_v72_stale_scan). A filter on the verdict step.             *)
StaleScanVerdict(c, x) ==
    LET s == ctx[c][x].scan  d == ScanOrder[s.k] IN
    /\ AbbaScan = "stepwise"
    /\ ctx'[c][x].why = "ABBA"
    /\ s.ph = "entry"
    /\ (s.cnt # Len(rqh[d]) \/ Slot(d, s.cnt) # s.top)
NoStaleScanVerdict ==
    \A c \in CPUs, x \in Ctxs : NewError(c, x, EDEADLK) => ~StaleScanVerdict(c, x)
(* The verdict-step causes together, for the models of a fixed version that *)
(* check every property on what the known causes do not explain.          *)
KnownVerdicts(c, x) == InFlightEntryVerdict(c, x) \/ CascadeVerdict(c, x) \/ FallbackVerdict(c, x)
(* With the stepwise ABBA scan: and stale_scan. *)
KnownVerdictsStepwise(c, x) == KnownVerdicts(c, x) \/ StaleScanVerdict(c, x)
(* The same without one cause, for a model that shows that cause alone.   *)
VerdictsButInFlight(c, x) == CascadeVerdict(c, x) \/ FallbackVerdict(c, x)
VerdictsButCascade(c, x) == InFlightEntryVerdict(c, x) \/ FallbackVerdict(c, x)
VerdictsButFallback(c, x) == InFlightEntryVerdict(c, x) \/ CascadeVerdict(c, x)
NoKnownVerdict == \A c \in CPUs, x \in Ctxs : NewError(c, x, EDEADLK) => ~KnownVerdicts(c, x)
(* As a constraint (cuts what follows such a verdict) and as Excused (the   *)
(* verdict step itself is not counted): both, in the models that use it.   *)
NoInFlightEntryVerdict ==
    \A c \in CPUs, x \in Ctxs : NewError(c, x, EDEADLK) => ~InFlightEntryVerdict(c, x)

(***************************************************************************)
(* Seeded mutants: each breaks one step of the algorithm, so that one      *)
(* property fails; kept as negative models with their expected verdicts.   *)
(***************************************************************************)
(* The fast path adds _Q_LOCKED_VAL instead of a cmpxchg from 0 (a wrong     *)
(* atomic): a second CPU makes the locked byte 2. Breaks TypeOK.             *)
Mut_fastpath_cmpxchg(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "fast_cas")
    /\ lock' = [lock EXCEPT ![l].locked = @ + 1]
    /\ Set(c, x, IF EntryAt = "late" THEN [Acquire(r) EXCEPT !.pc = "fast_grab"]
                 ELSE Done0(c, x, Acquire(r)))
    /\ UNCHANGED <<node, count, rqh>>

(* The pending waiter does not wait for the owner. Breaks MutualExclusion. *)
Mut_OwnerGone(w) == TRUE

(* res_spin_unlock forgets the release store. Breaks LockWordMatchesOwner   *)
(* and LocksReleased.                                                        *)
Mut_ReleaseStore(w) == w

(* Failure exits do not call release_held_lock_entry. Breaks FailedAttemptClean. *)
Mut_DropEntry(t) == t

(* res_spin_unlock does not pop its table entry. Breaks HeldTableMatches. *)
Mut_PopEntry(t) == t

(* try_cmpxchg_tail resets the tail even when a successor has queued.       *)
(* Breaks QueueWellFormed.                                                  *)
Mut_CasTailOk(w, me) == TRUE

(* try_cmpxchg_tail never succeeds: an aborting waiter that is the tail      *)
(* waits for a successor that never comes. Breaks QueueLive.                *)
Mut_CasTailNever(w, me) == FALSE

(* queued_fetch_set_pending_acquire ignores a pending bit already set.      *)
(* Breaks AtMostOnePending.                                                 *)
Mut_SawContention(w) == w.tail # NoNode

(* The failing pending waiter does not clear the pending bit.               *)
(* Breaks QuiescentLockWordClean.                                           *)
Mut_ClearPendingOnFail(w) == w

(* check_deadlock_ABBA does not check that the remote's top entry is one of *)
(* our held locks. Breaks DeadlockIsReal.                                  *)
Mut_ABBAVerdict(c, d) == "ABBA"

(* check_deadlock_AA also looks at our own top entry (the lock being        *)
(* attempted). Breaks DetectionIsReal and AAIsReal.                         *)
Mut_AAIn(t, l) == \E i \in 1 .. Min(NrHeld, Len(t)) : t[i] = l

(* check_deadlock_AA never finds anything. Breaks AAIsDetected. *)
Mut_AANever(t, l) == FALSE

(* The aborting waiter leaves without writing RES_TIMEOUT_VAL into its       *)
(* successor: no abort cascade. Breaks AttemptsReturn.                      *)
Mut_abort_no_cascade(c, x) ==
    LET r == ctx[c][x] IN
    /\ At(c, x, "abort_signal")
    /\ LeaveNode(c, x, r, FALSE)
    /\ UNCHANGED <<lock, node, rqh>>
=============================================================================
