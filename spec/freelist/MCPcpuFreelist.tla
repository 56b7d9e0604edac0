----------------------------- MODULE MCPcpuFreelist -----------------------------
(***************************************************************************)
(* Model-only definitions for the TLC models of PcpuFreelist               *)
(* (models/*.cfg): the starting lists, the hands and the scripts of each   *)
(* scenario, and the seeded mutants that the negative models substitute    *)
(* for one step operator of the spec with `CONSTANT Op <- MutantOp`.       *)
(***************************************************************************)
EXTENDS PcpuFreelist

None == <<>>
PopPush == <<"pop", "push">>

(* Two CPUs, two elements (one per head, pcpu_freelist_populate): each     *)
(* task pops and pushes back, an NMI on CPU 0 does the same in the middle   *)
(* of it (AA on head 0, then the fallback to head 1).                       *)
P_Even == PopulateEven
H_None == [c \in CPUs |-> [x \in Ctxs |-> <<>>]]
S_TasksAndNmi0 == [c \in CPUs |-> [task |-> PopPush, nmi |-> IF c = 0 THEN PopPush ELSE None]]

(* The small one: CPU 0's task pops and pushes back, an NMI on CPU 0 does  *)
(* the same; CPU 1 runs nothing (its head is where the fallback goes).      *)
S_Small == [c \in CPUs |-> [task |-> IF c = 0 THEN PopPush ELSE None, nmi |-> IF c = 0 THEN PopPush ELSE None]]

(* Every CPU: the task pops and pushes back, and an NMI does the same. *)
S_All == [c \in CPUs |-> [task |-> PopPush, nmi |-> PopPush]]

(* One pop on CPU 0: with one injected failure it returns NULL while its    *)
(* element is on the list.                                                  *)
S_OnePop == [c \in CPUs |-> [task |-> IF c = 0 THEN <<"pop">> ELSE None, nmi |-> None]]

(* The scan race, no lock failure: element 1 on head 1; CPU 0's task pops;  *)
(* an NMI on CPU 0 gives back element 2 (in its hand) to head 0 after the   *)
(* pop read head 0; CPU 1's task pops element 1 before the pop reads head 1.*)
P_Race == [c \in CPUs |-> IF c = 1 THEN <<1>> ELSE <<>>]
H_Race == [c \in CPUs |-> [x \in Ctxs |-> IF c = 0 /\ x = "nmi" THEN <<2>> ELSE <<>>]]
S_Race == [c \in CPUs |-> [task |-> <<"pop">>, nmi |-> IF c = 0 THEN <<"push">> ELSE None]]

(* The push hang: every CPU's task pops from its own head (element c + 1)   *)
(* and every CPU's NMI gives back the element in its hand (NCpus + c + 1).  *)
P_OnePerCpu == [c \in CPUs |-> <<c + 1>>]
H_NmiHolds == [c \in CPUs |-> [x \in Ctxs |-> IF x = "nmi" THEN <<NCpus + c + 1>> ELSE <<>>]]
S_PopAndNmiPush == [c \in CPUs |-> [task |-> <<"pop">>, nmi |-> <<"push">>]]

(***************************************************************************)
(* Seeded mutants: each is one step operator of the spec, rewritten; a     *)
(* negative model substitutes it and expects its property to fail.         *)
(***************************************************************************)
(* ___pcpu_freelist_push returns false and the caller drops the node (no    *)
(* fallback loop): a failure path that forgets its node. Breaks NothingLost. *)
Mut_push_drops(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "push_local")
    /\ \E res \in LockResults(c, x, c) :
         /\ Attempt(c, x, c, res)
         /\ Set(c, x, IF res = OK THEN [r EXCEPT !.pc = "push_node", !.err = OK]
                      ELSE [r EXCEPT !.hand = SubSeq(@, 1, Len(@) - 1), !.pc = "next", !.ip = @ + 1, !.err = res])
    /\ UNCHANGED <<head, empty>>

(* The pop unlinks two nodes and returns one. Breaks NothingLost. *)
Mut_pop_drops(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_take")
    /\ IF head[r.cur] = <<>> THEN
          /\ Set(c, x, [r EXCEPT !.scan[r.cur] = "empty", !.pc = "pop_unlock"])
          /\ UNCHANGED <<head, empty>>
       ELSE
          /\ head' = [head EXCEPT ![r.cur] = IF Len(@) > 1 THEN Tail(Tail(@)) ELSE Tail(@)]
          /\ Set(c, x, [r EXCEPT !.got = Head(head[r.cur]), !.hand = Append(@, Head(head[r.cur])),
                                 !.pc = "pop_unlock"])
          /\ NoteEmpty
    /\ UNCHANGED <<owner, failsLeft>>

(* A failed attempt of the pop is not undone: the lock stays marked as the  *)
(* pop's. Breaks LockHeldOnlyInside.                                        *)
Mut_pop_fail_keeps_lock(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_lock")
    /\ \E res \in LockResults(c, x, r.cur) :
         /\ owner' = [owner EXCEPT ![r.cur] = <<c, x>>]
         /\ failsLeft' = IF res = ETIMEDOUT THEN failsLeft - 1 ELSE failsLeft
         /\ Set(c, x, IF res = OK THEN [r EXCEPT !.pc = "pop_take", !.err = OK]
                      ELSE [r EXCEPT !.scan[r.cur] = "failed", !.pc = "pop_advance", !.err = res])
    /\ UNCHANGED <<head, empty>>

(* The pop gives up at its first failed attempt and returns NULL without    *)
(* trying the other heads. Breaks PopEmptyJustified.                        *)
Mut_pop_gives_up(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_lock")
    /\ \E res \in LockResults(c, x, r.cur) :
         /\ Attempt(c, x, r.cur, res)
         /\ Set(c, x, IF res = OK THEN [r EXCEPT !.pc = "pop_take", !.err = OK]
                      ELSE EndPop(c, x, [r EXCEPT !.scan[r.cur] = "failed", !.err = res], NULL))
    /\ UNCHANGED <<head, empty>>

=============================================================================
