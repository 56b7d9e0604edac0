------------------------------ MODULE MCRqSpinLock ------------------------------
EXTENDS RqSpinLock
CONSTANTS c1, c2, c3, A, B

NoOps == <<>>
\* task: A then B nested; nmi: B then A nested
TaskAB == <<LockOp(A), LockOp(B), UnlockOp(B), UnlockOp(A)>>
NmiBA  == <<LockOp(B), LockOp(A), UnlockOp(A), UnlockOp(B)>>
NmiB   == <<LockOp(B), UnlockOp(B)>>
OnlyA  == <<LockOp(A), UnlockOp(A)>>

ScriptsTest == [c \in CPUs |-> [task |-> TaskAB, irq |-> NoOps, nmi |-> NmiBA]]
NmiA   == <<LockOp(A), UnlockOp(A)>>
ScriptsFullA == [c \in CPUs |-> [task |-> TaskAB, irq |-> NoOps, nmi |-> NmiA]]
ScriptsFullB == [c \in CPUs |-> [task |-> TaskAB, irq |-> NoOps, nmi |-> NmiB]]
Sym == Permutations(CPUs)
=============================================================================
