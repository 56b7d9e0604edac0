----------------------------- MODULE SimRqSpinLock -----------------------------
(***************************************************************************)
(* Scenarios for the simulation-only models (spec/simulation.json, run by  *)
(* spec/run-models --simulate): more CPUs and a third lock than any        *)
(* exhaustive model, and an IRQ and an NMI on every CPU. TLC draws random   *)
(* behaviours of these configurations; they are far too large to exhaust.  *)
(* Nothing here changes the spec: only scripts and model values are added   *)
(* to MCRqSpinLock.                                                         *)
(***************************************************************************)
EXTENDS MCRqSpinLock

CONSTANTS c4, c5,   \* more CPUs (model values)
          C         \* a third lock (model value)

OnlyC == <<LockOp(C), UnlockOp(C)>>
(* three locks, nested, in the two opposite orders *)
ABC == <<LockOp(A), LockOp(B), LockOp(C), UnlockOp(C), UnlockOp(B), UnlockOp(A)>>
CBA == <<LockOp(C), LockOp(B), LockOp(A), UnlockOp(A), UnlockOp(B), UnlockOp(C)>>
BThenC == <<LockOp(B), LockOp(C), UnlockOp(C), UnlockOp(B)>>

(* Every CPU runs three contexts. The tasks take all three locks, the CPUs  *)
(* c1, c3, c5 in the order A, B, C and the others in the order C, B, A (ABBA *)
(* between tasks); every IRQ takes B then C, every NMI takes A: AA with its *)
(* own task or IRQ, ABBA across CPUs and contexts, queues of up to one node *)
(* per context of every CPU on each lock.                                   *)
S_Big == [c \in CPUs |-> [task |-> IF c \in {c1, c3, c5} THEN ABC ELSE CBA,
                          irq  |-> BThenC,
                          nmi  |-> OnlyA]]

(* The same locks and contexts, every CPU in the same order (no ABBA between *)
(* tasks): long queues without deadlock verdicts between tasks.            *)
S_BigSameOrder == [c \in CPUs |-> [task |-> ABC, irq |-> BThenC, nmi |-> OnlyC]]
================================================================================
