------------------------------ MODULE PcpuFreelist ------------------------------
(***************************************************************************)
(* percpu_freelist, the per-CPU free list of preallocated BPF map          *)
(* elements (kernel/bpf/percpu_freelist.c), as converted to rqspinlock in  *)
(* Linux 6.15, as a design document that TLC checks.                       *)
(*                                                                         *)
(* Kernel source it follows: torvalds/linux f2ac0e5d1c4d "bpf: Convert     *)
(* percpu_freelist.c to rqspinlock" (Kumar Kartikeya Dwivedi; part of the  *)
(* pull "BPF resilient spin_lock for 6.15", bpf-next merge 6ffb9017e932,   *)
(* mainline merge 494e7fe591bf): functions pcpu_freelist_populate,         *)
(* ___pcpu_freelist_push, __pcpu_freelist_push, ___pcpu_freelist_pop,      *)
(* pcpu_freelist_push_node. The commit removed the extralist and the       *)
(* NMI-only trylock paths (___pcpu_freelist_push_nmi,                      *)
(* ___pcpu_freelist_pop_nmi): every context, NMI included, now takes the   *)
(* same path with raw_res_spin_lock, which may fail.                       *)
(*                                                                         *)
(* The free list is one LIFO list per possible CPU, each under its own     *)
(* rqspinlock (struct pcpu_freelist_head: first, lock).                    *)
(*  push (__pcpu_freelist_push): lock this CPU's head and link the node    *)
(*       (___pcpu_freelist_push); if that attempt fails, loop for ever     *)
(*       over the OTHER CPUs' heads in wrap order (for_each_cpu_wrap from  *)
(*       this CPU, skipping it, inside while (true)) until one lock        *)
(*       attempt succeeds. This CPU's head is never tried again.           *)
(*  pop (___pcpu_freelist_pop): for each CPU in wrap order from this one:  *)
(*       skip the head if READ_ONCE(head->first) is NULL; skip it if the   *)
(*       lock attempt fails; else take the first node under the lock. If  *)
(*       no head gave a node, return NULL.                                 *)
(*                                                                         *)
(* THE LOCK is abstracted to the contract of res_spin_lock (the lock       *)
(* itself is spec/rqspinlock/RqSpinLock.tla): an attempt on a free head    *)
(* succeeds, or fails with an injected failure while the budget MaxFail    *)
(* lasts; on a head held by a context of the same CPU it fails (AA,        *)
(* -EDEADLK); on a head held by the task of another CPU whose NMI is        *)
(* itself attempting a head held on this CPU it fails (ABBA, -EDEADLK: a   *)
(* waits-for cycle, which check_deadlock_ABBA finds, or else the timeout   *)
(* ends); on any other held head it waits, or fails while the budget lasts *)
(* (-ETIMEDOUT). AA and ABBA failures are forced and free; the budget      *)
(* counts the injected ones.                                               *)
(*                                                                         *)
(* CONTEXTS. Each CPU has a task and an NMI. pcpu_freelist_push/_pop       *)
(* disable interrupts, and the htab callers of the __ forms run with       *)
(* interrupts off, so only an NMI can interrupt an operation; it runs its  *)
(* whole script before the task resumes. Each context runs a script of     *)
(* "pop" and "push" operations, like a BPF program that allocates and      *)
(* frees preallocated elements: a pop adds the node it got to the          *)
(* context's hand; a push gives back the node last taken into the hand     *)
(* (nothing if the hand is empty).                                         *)
(*                                                                         *)
(* PROPERTIES (named after what they say):                                 *)
(*  TypeOK                the shape of every variable                      *)
(*  NothingLost           every element is in a list or in a hand          *)
(*  NothingDuplicated     no element is in two places                      *)
(*  LockHeldOnlyInside    a head lock is held only by a context between    *)
(*                        its successful attempt and its unlock: a failed  *)
(*                        attempt leaves nothing behind                    *)
(*  PopEmptyJustified     a pop returns NULL only if it saw every head     *)
(*                        empty or failed to lock it (what 6.15 keeps)     *)
(*  PopEmptyWasTrue       a pop returns NULL only if the whole free list   *)
(*                        was empty at some moment during the pop (the     *)
(*                        bag's guarantee; 6.15 does NOT keep it: findings *)
(*                        fl_empty_lockfail and fl_empty_race)             *)
(*  OpsReturn             (liveness) every push and pop returns; 6.15 does *)
(*                        not on one CPU (fl_nmi_push_hang_1cpu) nor when  *)
(*                        every CPU's NMI pushes while its task holds its  *)
(*                        own head (fl_nmi_push_hang_2cpu)                 *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    NCpus,        \* number of possible CPUs; the CPUs are 0 .. NCpus - 1
    NElems,       \* elements 1 .. NElems
    Populate,     \* [CPUs -> Seq(Elems)]: each head's list at start, first node first
    Hands,        \* [CPUs -> [Ctxs -> Seq(Elems)]]: nodes each context holds at start
    Scripts,      \* [CPUs -> [Ctxs -> Seq({"pop", "push"})]]
    MaxFail       \* injected lock failures allowed in a behaviour

CPUs  == 0 .. NCpus - 1
Elems == 1 .. NElems
Ctxs  == {"task", "nmi"}
NULL  == 0
NoOwner == <<>>
OK == "0"
EDEADLK == "-EDEADLK"
ETIMEDOUT == "-ETIMEDOUT"

(* for_each_cpu_wrap: the CPU after c, wrapping at nr_cpu_ids. *)
NextCpu(c) == (c + 1) % NCpus

(* pcpu_freelist_populate: nr_elems / nr_cpus nodes per CPU and one more   *)
(* for each of the first nr_elems % nr_cpus CPUs, pushed in order, so each *)
(* list holds its last node first. The MC module may use it for Populate.  *)
PopulateEven ==
    LET n == NElems \div NCpus
        m == NElems % NCpus
        cnt(c) == n + (IF c < m THEN 1 ELSE 0)
        base(c) == c * n + (IF c < m THEN c ELSE m)
    IN [c \in CPUs |-> [i \in 1 .. cnt(c) |-> base(c) + cnt(c) - i + 1]]

VARIABLES
    head,     \* [CPUs -> Seq(Elems)]: head->first and the chain of ->next
    owner,    \* [CPUs -> NoOwner or <<cpu, ctx>>]: who holds the head's rqspinlock
    ctx,      \* [CPUs -> [Ctxs -> record]]: each context's program state
    failsLeft,\* injected failures still allowed
    empty     \* history: [CPUs -> [Ctxs -> BOOLEAN]]: the whole free list was
              \* empty at some state since the context's running pop started

vars == <<head, owner, ctx, failsLeft, empty>>

(* Program counters. "idle": the context has not started (an NMI that has  *)
(* not arrived); "next": between operations; "done": the script ended.     *)
PushPcs == {"push_local", "push_fallback", "push_node", "push_unlock"}
PopPcs  == {"pop_read", "pop_lock", "pop_take", "pop_unlock", "pop_advance"}
Pcs == {"idle", "next", "done"} \cup PushPcs \cup PopPcs
(* Where a context owns the lock of head cur. *)
InsidePcs == {"push_node", "push_unlock", "pop_take", "pop_unlock"}

NoLast == [op |-> "none", ret |-> NULL, justified |-> TRUE, wasEmpty |-> TRUE]

Fresh(c, x) ==
    [pc |-> IF x = "task" THEN "next" ELSE "idle",
     ip |-> 1,                    \* next script operation
     hand |-> Hands[c][x],        \* nodes held, the last taken last
     cur |-> c,                   \* the head being tried
     got |-> NULL,                \* the node the running pop took
     scan |-> [d \in CPUs |-> "none"],  \* per head, what the running pop saw
     err |-> OK,                  \* what the last lock attempt returned
     last |-> NoLast]             \* the last finished pop

Init ==
    /\ head = Populate
    /\ owner = [c \in CPUs |-> NoOwner]
    /\ ctx = [c \in CPUs |-> [x \in Ctxs |-> Fresh(c, x)]]
    /\ failsLeft = MaxFail
    /\ empty = [c \in CPUs |-> [x \in Ctxs |-> FALSE]]

-----------------------------------------------------------------------------
(* Helpers *)
R(c, x) == ctx[c][x]
NmiActive(c) == R(c, "nmi").pc \notin {"idle", "done"}
(* Who runs on CPU c: the NMI once it arrived and until it ends, else the task. *)
Runs(c, x) == IF x = "nmi" THEN R(c, "nmi").pc # "done" ELSE ~NmiActive(c)
At(c, x, pc) == Runs(c, x) /\ R(c, x).pc = pc
Set(c, x, r) == ctx' = [ctx EXCEPT ![c][x] = r]


BagEmpty(h) == \A c \in CPUs : h[c] = <<>>

(* What a raw_res_spin_lock attempt by <<c, x>> on head d may return, as a  *)
(* set: OK (acquired), EDEADLK, ETIMEDOUT. Empty: the attempt waits.       *)
Interrupted(w) == w[2] = "task" /\ NmiActive(w[1])
AttemptPcs == {"push_local", "push_fallback", "pop_lock"}
(* An ABBA cycle: the holder of head d is a task of another CPU whose NMI   *)
(* is itself attempting a head held on CPU c.                               *)
Cycle(c, d) ==
    LET w == owner[d]  n == R(w[1], "nmi") IN
    /\ Interrupted(w)
    /\ n.pc \in AttemptPcs
    /\ owner[n.cur] # NoOwner
    /\ owner[n.cur][1] = c
LockResults(c, x, d) ==
    LET w == owner[d] IN
    IF w = NoOwner THEN {OK} \cup (IF failsLeft > 0 THEN {ETIMEDOUT} ELSE {})
    ELSE IF w[1] = c THEN {EDEADLK}                        \* AA
    ELSE IF Cycle(c, d) THEN {EDEADLK}                     \* ABBA
    ELSE IF failsLeft > 0 THEN {ETIMEDOUT} ELSE {}         \* wait, or time out

(* One attempt: take the lock or not, and pay for an injected failure. *)
Attempt(c, x, d, res) ==
    /\ owner' = IF res = OK THEN [owner EXCEPT ![d] = <<c, x>>] ELSE owner
    /\ failsLeft' = IF res = ETIMEDOUT THEN failsLeft - 1 ELSE failsLeft

(* History: a step that takes a node from a list notes, for every running  *)
(* pop, whether the free list is now empty (only taking a node can empty    *)
(* it; a pop that starts notes the state it starts in).                     *)
NoteEmpty ==
    empty' = [d \in CPUs |-> [y \in Ctxs |->
               IF ctx[d][y].pc \in PopPcs THEN empty[d][y] \/ BagEmpty(head') ELSE empty[d][y]]]

(* The next CPU of the push fallback: wrap order, skipping this CPU. *)
NextOther(c, d) == IF NextCpu(d) = c THEN NextCpu(c) ELSE NextCpu(d)

-----------------------------------------------------------------------------
(* Starting an operation. An NMI arrives with its first step. *)
StartOp(c, x) ==
    LET r == R(c, x) IN
    /\ Runs(c, x)
    /\ r.pc \in {"idle", "next"}
    /\ IF r.ip > Len(Scripts[c][x]) THEN
          /\ Set(c, x, [r EXCEPT !.pc = "done"])
       ELSE IF Scripts[c][x][r.ip] = "push" THEN
          IF r.hand = <<>> THEN Set(c, x, [r EXCEPT !.ip = @ + 1, !.pc = "next"])
          ELSE Set(c, x, [r EXCEPT !.pc = "push_local", !.cur = c])
       ELSE Set(c, x, [r EXCEPT !.pc = "pop_read", !.cur = c, !.got = NULL,
                                !.scan = [d \in CPUs |-> "none"]])
    /\ empty' = [empty EXCEPT ![c][x] = ctx'[c][x].pc = "pop_read" /\ BagEmpty(head)]
    /\ UNCHANGED <<head, owner, failsLeft>>

(* The node a push gives back: the last one taken into the hand. *)
PushNode(r) == r.hand[Len(r.hand)]

(* ___pcpu_freelist_push: raw_res_spin_lock(this CPU's head). On failure   *)
(* __pcpu_freelist_push goes to the fallback loop, starting after this CPU. *)
___pcpu_freelist_push(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "push_local")
    /\ \E res \in LockResults(c, x, c) :
         /\ Attempt(c, x, c, res)
         /\ Set(c, x, IF res = OK THEN [r EXCEPT !.pc = "push_node", !.err = OK]
                      ELSE [r EXCEPT !.pc = "push_fallback", !.cur = NextOther(c, c), !.err = res])
    /\ UNCHANGED <<head, empty>>

(* __pcpu_freelist_push, the while (true) loop: raw_res_spin_lock on the   *)
(* head of another CPU; on failure, the next one, for ever. With one CPU   *)
(* there is no other head: the loop spins without an attempt.              *)
__pcpu_freelist_push(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "push_fallback")
    /\ IF r.cur = c THEN   \* only this CPU is possible: nothing to try
          /\ Set(c, x, r)
          /\ UNCHANGED <<owner, failsLeft>>
       ELSE \E res \in LockResults(c, x, r.cur) :
          /\ Attempt(c, x, r.cur, res)
          /\ Set(c, x, IF res = OK THEN [r EXCEPT !.pc = "push_node", !.err = OK]
                       ELSE [r EXCEPT !.cur = NextOther(c, r.cur), !.err = res])
    /\ UNCHANGED <<head, empty>>

(* pcpu_freelist_push_node, under the lock: node->next = head->first;      *)
(* WRITE_ONCE(head->first, node).                                          *)
pcpu_freelist_push_node(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "push_node")
    /\ head' = [head EXCEPT ![r.cur] = <<PushNode(r)>> \o @]
    /\ Set(c, x, [r EXCEPT !.hand = SubSeq(@, 1, Len(@) - 1), !.pc = "push_unlock"])
    /\ UNCHANGED <<owner, failsLeft, empty>>

(* ___pcpu_freelist_pop: READ_ONCE(head->first); a NULL skips the head. *)
___pcpu_freelist_pop_read(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_read")
    /\ IF head[r.cur] = <<>>
          THEN Set(c, x, [r EXCEPT !.scan[r.cur] = "empty", !.pc = "pop_advance"])
          ELSE Set(c, x, [r EXCEPT !.pc = "pop_lock"])
    /\ UNCHANGED <<head, owner, failsLeft, empty>>

(* ___pcpu_freelist_pop: raw_res_spin_lock(&head->lock); failure skips the head. *)
___pcpu_freelist_pop_lock(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_lock")
    /\ \E res \in LockResults(c, x, r.cur) :
         /\ Attempt(c, x, r.cur, res)
         /\ Set(c, x, IF res = OK THEN [r EXCEPT !.pc = "pop_take", !.err = OK]
                      ELSE [r EXCEPT !.scan[r.cur] = "failed", !.pc = "pop_advance", !.err = res])
    /\ UNCHANGED <<head, empty>>

(* ___pcpu_freelist_pop, under the lock: node = head->first; if not NULL,  *)
(* WRITE_ONCE(head->first, node->next).                                    *)
___pcpu_freelist_pop_take(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_take")
    /\ IF head[r.cur] = <<>> THEN
          /\ Set(c, x, [r EXCEPT !.scan[r.cur] = "empty", !.pc = "pop_unlock"])
          /\ UNCHANGED <<head, empty>>
       ELSE
          /\ head' = [head EXCEPT ![r.cur] = Tail(@)]
          /\ Set(c, x, [r EXCEPT !.got = Head(head[r.cur]), !.hand = Append(@, Head(head[r.cur])),
                                 !.pc = "pop_unlock"])
          /\ NoteEmpty
    /\ UNCHANGED <<owner, failsLeft>>

(* The end of a pop: what it returned, and the record the properties read. *)
EndPop(c, x, r, ret) ==
    [r EXCEPT !.pc = "next", !.ip = @ + 1,
              !.last = [op |-> "pop", ret |-> ret,
                        justified |-> \A d \in CPUs : r.scan[d] \in {"empty", "failed"},
                        wasEmpty |-> empty[c][x]]]

(* The loop of ___pcpu_freelist_pop moves to the next CPU, or ends with NULL. *)
___pcpu_freelist_pop_next(c, x) ==
    LET r == R(c, x) IN
    /\ At(c, x, "pop_advance")
    /\ IF NextCpu(r.cur) = c THEN Set(c, x, EndPop(c, x, r, NULL))
       ELSE Set(c, x, [r EXCEPT !.cur = NextCpu(r.cur), !.pc = "pop_read"])
    /\ UNCHANGED <<head, owner, failsLeft, empty>>

(* raw_res_spin_unlock(&head->lock), ending the push, the pop with its node, *)
(* or going on with the pop's loop.                                         *)
raw_res_spin_unlock(c, x) ==
    LET r == R(c, x) IN
    /\ Runs(c, x)
    /\ r.pc \in {"push_unlock", "pop_unlock"}
    /\ owner' = [owner EXCEPT ![r.cur] = NoOwner]
    /\ Set(c, x, IF r.pc = "push_unlock" THEN [r EXCEPT !.pc = "next", !.ip = @ + 1]
                 ELSE IF r.got # NULL THEN EndPop(c, x, r, r.got)
                 ELSE [r EXCEPT !.pc = "pop_advance"])
    /\ UNCHANGED <<head, failsLeft, empty>>

-----------------------------------------------------------------------------
(* The steps of one context. The MC module may override one step operator  *)
(* (a seeded mutant).                                                      *)
CtxStep(c, x) ==
    \/ StartOp(c, x)
    \/ ___pcpu_freelist_push(c, x)
    \/ __pcpu_freelist_push(c, x)
    \/ pcpu_freelist_push_node(c, x)
    \/ ___pcpu_freelist_pop_read(c, x)
    \/ ___pcpu_freelist_pop_lock(c, x)
    \/ ___pcpu_freelist_pop_take(c, x)
    \/ ___pcpu_freelist_pop_next(c, x)
    \/ raw_res_spin_unlock(c, x)

RunCPU(c) == \E x \in Ctxs : CtxStep(c, x)

AllDone == \A c \in CPUs, x \in Ctxs : R(c, x).pc = "done"
Terminated == AllDone /\ UNCHANGED vars

Next == (\E c \in CPUs, x \in Ctxs : CtxStep(c, x)) \/ Terminated

Spec == Init /\ [][Next]_vars /\ \A c \in CPUs : WF_vars(RunCPU(c))

-----------------------------------------------------------------------------
(***************************************************************************)
(* Properties                                                              *)
(***************************************************************************)
Records == [op : {"none", "pop"}, ret : Elems \cup {NULL}, justified : BOOLEAN, wasEmpty : BOOLEAN]

TypeOK ==
    /\ head \in [CPUs -> Seq(Elems)]
    /\ owner \in [CPUs -> {NoOwner} \cup (CPUs \X Ctxs)]
    /\ failsLeft \in 0 .. MaxFail
    /\ empty \in [CPUs -> [Ctxs -> BOOLEAN]]
    /\ \A c \in CPUs, x \in Ctxs :
         LET r == ctx[c][x] IN
         /\ r.pc \in Pcs
         /\ r.ip \in 1 .. Len(Scripts[c][x]) + 1
         /\ r.hand \in Seq(Elems)
         /\ r.cur \in CPUs
         /\ r.got \in Elems \cup {NULL}
         /\ r.scan \in [CPUs -> {"none", "empty", "failed"}]
         /\ r.err \in {OK, EDEADLK, ETIMEDOUT}
         /\ r.last \in Records

(* How many times element e is in the lists and the hands. *)
Copies(e) ==
    Cardinality(UNION {{<<d, i>> : i \in {k \in DOMAIN head[d] : head[d][k] = e}} : d \in CPUs})
  + Cardinality(UNION {{<<w, i>> : i \in {k \in DOMAIN ctx[w[1]][w[2]].hand : ctx[w[1]][w[2]].hand[k] = e}}
                       : w \in CPUs \X Ctxs})

(* Every element is in a list or in a context's hand: a failed lock attempt *)
(* never drops the node it was for.                                         *)
NothingLost == \A e \in Elems : Copies(e) >= 1

(* No element is in two places (two lists, a list and a hand, or twice in  *)
(* one list): no node is handed out twice.                                  *)
NothingDuplicated == \A e \in Elems : Copies(e) <= 1

(* A head lock is held only by a context that is inside its critical       *)
(* section on that head: a failed attempt leaves nothing behind.            *)
LockHeldOnlyInside ==
    \A d \in CPUs : owner[d] # NoOwner =>
        LET r == ctx[owner[d][1]][owner[d][2]] IN r.pc \in InsidePcs /\ r.cur = d

(* What 6.15 guarantees of a NULL pop: it saw every head empty (by         *)
(* READ_ONCE or under the lock) or failed to lock it.                       *)
PopEmptyJustified ==
    \A c \in CPUs, x \in Ctxs :
        ctx[c][x].last.op = "pop" /\ ctx[c][x].last.ret = NULL => ctx[c][x].last.justified

(* What a bag guarantees: a NULL pop saw the whole free list empty at some  *)
(* moment between its start and its end. 6.15 does not keep it.            *)
PopEmptyWasTrue ==
    \A c \in CPUs, x \in Ctxs :
        ctx[c][x].last.op = "pop" /\ ctx[c][x].last.ret = NULL => ctx[c][x].last.wasEmpty

(* Liveness: every context ends its script, so every push and pop returns. *)
OpsReturn == <>AllDone

=============================================================================
