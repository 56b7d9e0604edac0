---- MODULE Slow ----
\* A spec with a large state space (about 27 million states), so that TLC runs
\* long enough for the runner's kill test (KillTest) to stop it midway.
EXTENDS Naturals
VARIABLES a, b, c
Init == a = 0 /\ b = 0 /\ c = 0
Next == \/ a' = (a + 1) % 300 /\ UNCHANGED <<b, c>>
        \/ b' = (b + 1) % 300 /\ UNCHANGED <<a, c>>
        \/ c' = (c + 1) % 300 /\ UNCHANGED <<a, b>>
Spec == Init /\ [][Next]_<<a, b, c>>
TypeOK == a \in 0..299 /\ b \in 0..299 /\ c \in 0..299
====
