------------------------------- MODULE Memory -------------------------------
(***************************************************************************)
(* Freed memory and the accesses to it: how an object of BPF local        *)
(* storage (an selem, a local storage, an smap, an owner) is freed, and    *)
(* the one ghost variable that records touching it afterwards.             *)
(*                                                                         *)
(* Kernel: bpf_selem_free and bpf_local_storage_free in                    *)
(* kernel/bpf/bpf_local_storage.c hand an object to call_rcu /             *)
(* call_rcu_tasks_trace; the callback (bpf_selem_free_rcu,                 *)
(* bpf_local_storage_free_rcu) kfree()s it after a grace period            *)
(* (mm/slub.c; with slub_debug=P the freed object is poisoned, so a later  *)
(* read or write is a use-after-free that KASAN or the poison check        *)
(* reports).                                                               *)
(*                                                                         *)
(* An object record has a field st:                                        *)
(*   "none"    not allocated (yet);                                        *)
(*   "live"    allocated and in use (an owner: "alive" or "dying");        *)
(*   "queued"  handed to call_rcu by its free function: readers that       *)
(*             found it before may still use it;                           *)
(*   "freed"   kfree()d by its callback: the memory is poisoned;           *)
(* and, for what the free functions free (selems and local storages), a    *)
(* ghost field frees: how many times the free function was called on it    *)
(* (0, 1, or 2 for "twice or more"). The state keeps whether an object     *)
(* was freed (st) but not that a free function ran on it again: frees      *)
(* records that event.                                                     *)
(*                                                                         *)
(* The operators take the records as parameters: f is any function from   *)
(* object ids to records with the field st (and frees where it is freed). *)
(***************************************************************************)

EXTENDS Naturals

VARIABLE
    usedAfterFree  \* ghost: the freed ("freed") objects some step has read or written

\* The objects among X that are kfree()d in f (ids outside DOMAIN f, e.g. NULL, are not objects).
FreedIn(f, X) == {x \in X \cap DOMAIN f : f[x].st = "freed"}

\* A step reads or writes the freed objects F (usually {} : nothing is recorded).
Touch(F) == usedAfterFree' = usedAfterFree \cup F

\* The free function (bpf_selem_free, bpf_local_storage_free) called on x:
\* a live x is queued for its RCU callback; the call is counted either way.
FreeCall(f, x) ==
    [f EXCEPT ![x].st = IF @ = "live" THEN "queued" ELSE @,
              ![x].frees = IF @ < 2 THEN @ + 1 ELSE 2]
\* The same on every object of X (a to-free list).
FreeCalls(f, X) == [y \in DOMAIN f |-> IF y \in X THEN FreeCall(f, y)[y] ELSE f[y]]

\* The RCU callback kfree()s x.
Reclaim(f, x) == [f EXCEPT ![x].st = "freed"]

=============================================================================
