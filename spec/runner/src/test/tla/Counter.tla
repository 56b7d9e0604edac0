---------------------------- MODULE Counter ----------------------------
(* A tiny spec for the runner's own tests: two counters and a toggle.     *)
(* Each config below makes TLC give one kind of verdict, so the tests see *)
(* TLC's real exit codes and messages instead of assuming them.           *)
EXTENDS Naturals, TLC

VARIABLES x, y, flag, rec
vars == <<x, y, flag, rec>>

Init == x = 0 /\ y = 0 /\ flag = "off" /\ rec = [count |-> 0, who |-> (1 :> "a" @@ 2 :> "b")]

IncX == x < 3 /\ x' = x + 1 /\ rec' = [rec EXCEPT !.count = @ + 1, !.who[1] = "x"] /\ UNCHANGED <<y, flag>>
IncY == y < 2 /\ y' = y + 1 /\ rec' = [rec EXCEPT !.count = @ + 1] /\ UNCHANGED <<x, flag>>
Toggle == flag' = (IF flag = "on" THEN "off" ELSE "on") /\ UNCHANGED <<x, y, rec>>

NextFinite == IncX \/ IncY
NextToggle == NextFinite \/ Toggle

SpecFinite == Init /\ [][NextFinite]_vars /\ WF_vars(NextFinite)
\* Toggle is fair but IncX is not: a behaviour may toggle forever with x < 3.
SpecToggle == Init /\ [][NextToggle]_vars /\ WF_vars(Toggle)

TypeOK == x \in 0..3 /\ y \in 0..2 /\ flag \in {"on", "off"}
Small == x + y < 4                  \* violated: x + y reaches 5
XReaches3 == <>(x = 3)              \* holds under SpecFinite; fails under SpecToggle (lasso)
YReaches5 == <>(y = 5)              \* fails under SpecFinite: stutters at x = 3, y = 2
XNeverDecreases == [][x' >= x]_vars \* holds
YNeverMoves == [][y' = y]_vars      \* action property, violated by IncY
Broken == x \in y                   \* evaluation error: y is not a set
=============================================================================
