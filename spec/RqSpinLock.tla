------------------------------- MODULE RqSpinLock -------------------------------
(***************************************************************************)
(* DRAFT: documentation header is written below once the model is stable.  *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Version,      \* "v6.15" (as merged) or "v6.19" (after the Oct-Nov 2025 reworks)
    Resilient,    \* TRUE: rqspinlock; FALSE: plain qspinlock (no checks, no timeouts)
    TasFallback,  \* "none" | "native" (no queued spinlocks) | "virt" (x86 guest, virt_spin_lock_key on)
    CPUs,         \* the CPUs
    Locks,        \* the locks
    Scripts,      \* [CPUs -> [Ctxs -> Seq(Op)]]: the BPF-program-like scripts
    NrHeld,       \* RES_NR_HELD, slots of the held-lock table (31 in the kernel)
    NrNodes       \* _Q_MAX_NODES, MCS nodes per CPU (4 in the kernel)

Ctxs == {"task", "irq", "nmi"}
Prio == [task |-> 0, irq |-> 1, nmi |-> 2]

LockOp(l)   == <<"lock", l>>
UnlockOp(l) == <<"unlock", l>>
Ops == {LockOp(l) : l \in Locks} \cup {UnlockOp(l) : l \in Locks}

OK        == "0"           \* return values of res_spin_lock
EDEADLK   == "-EDEADLK"
ETIMEDOUT == "-ETIMEDOUT"

NoNode == <<>>                       \* tail 0 / next NULL
NoLock == "none"
Nodes  == CPUs \X (0 .. NrNodes - 1) \* <<cpu, idx>>: rqnodes[idx] of cpu
Tails  == Nodes \cup {NoNode}

Free       == [locked |-> 0, pending |-> 0, tail |-> NoNode]   \* (0,0,0)
LockedOnly == [locked |-> 1, pending |-> 0, tail |-> NoNode]   \* (0,0,1)
PendingOnly == [locked |-> 0, pending |-> 1, tail |-> NoNode]  \* (0,1,0)

Min(a, b) == IF a < b THEN a ELSE b
Range(s) == {s[i] : i \in DOMAIN s}

(* A script is well formed when its unlocks are LIFO and it ends holding nothing. *)
RECURSIVE Nested(_, _)
Nested(s, stack) ==
    IF s = <<>> THEN stack = <<>>
    ELSE LET op == Head(s) IN
         IF op[1] = "lock" THEN Nested(Tail(s), Append(stack, op[2]))
         ELSE /\ stack # <<>>
              /\ stack[Len(stack)] = op[2]
              /\ Nested(Tail(s), SubSeq(stack, 1, Len(stack) - 1))

ASSUME Version \in {"v6.15", "v6.19"}
ASSUME Resilient \in BOOLEAN
ASSUME TasFallback \in {"none", "native", "virt"}
ASSUME ~Resilient => TasFallback = "none"
ASSUME NrHeld \in Nat \ {0} /\ NrNodes \in Nat \ {0}
ASSUME Scripts \in [CPUs -> [Ctxs -> Seq(Ops)]]
ASSUME \A c \in CPUs, x \in Ctxs :
          Assert(Nested(Scripts[c][x], <<>>),
                 <<"script must unlock in LIFO order and end holding nothing", c, x>>)

VARIABLES
    lock,   \* [Locks -> [locked, pending, tail]]: the lock word
    node,   \* [CPUs -> [0..NrNodes-1 -> [locked, next]]]: rqnodes[].mcs
    count,  \* [CPUs -> Nat]: rqnodes[0].mcs.count, the nesting count
    rqh,    \* [CPUs -> Seq(Locks)]: rqspinlock_held_locks (cnt = Len, slots = first NrHeld)
    ctx     \* [CPUs -> [Ctxs -> record]]: each context's program counter and locals

vars == <<lock, node, count, rqh, ctx>>

(***************************************************************************)
(* Program counters.                                                       *)
(***************************************************************************)
QueuedPcs == {"link_prev", "wait_mcs", "head_wait", "claim", "set_locked", "handover",
              "handover_deadlock", "abort", "abort_signal"}
PendingPcs == {"pending_grab", "pending_wait", "pending_claim", "pending_fail"}
AttemptPcs == {"grab_entry", "fast_cas", "fast_grab", "pending_reread", "set_pending",
               "undo_pending", "queue", "trylock_cold", "fallback", "xchg_tail",
               "release_node", "err_release_node", "err_release_entry",
               "tas_grab", "tas_spin", "tas_fail"} \cup QueuedPcs \cup PendingPcs
UnlockPcs == {"unlock_release", "unlock_pop"}
Pcs == AttemptPcs \cup UnlockPcs \cup {"idle", "done"}

LockStart   == IF TasFallback = "native" THEN "tas_grab"
               ELSE IF Version = "v6.19" THEN "grab_entry" ELSE "fast_cas"
UnlockStart == IF Version = "v6.15" THEN "unlock_pop" ELSE "unlock_release"

Fresh == [pc |-> "idle", ip |-> 1, lk |-> NoLock, ret |-> OK, why |-> "none",
          idx |-> -1, prev |-> NoNode, ts |-> "none", owns |-> <<>>, base |-> 0]

(* Start the next operation of a context whose previous one has completed:   *)
(* the next script op, or, after a failed attempt, the next LIFO release.     *)
Begin(c, x, r) ==
    IF r.ret # OK THEN
        IF r.owns = <<>> THEN [Fresh EXCEPT !.pc = "done"]
        ELSE [r EXCEPT !.pc = UnlockStart, !.lk = r.owns[Len(r.owns)]]
    ELSE IF r.ip > Len(Scripts[c][x]) THEN [Fresh EXCEPT !.pc = "done"]
    ELSE LET op == Scripts[c][x][r.ip] IN
         IF op[1] = "lock"
         THEN [r EXCEPT !.pc = LockStart, !.lk = op[2], !.ret = OK, !.why = "none"]
         ELSE [r EXCEPT !.pc = UnlockStart, !.lk = op[2]]

Active(c, x) == ctx[c][x].pc \notin {"idle", "done"}
(* x is the running context of c: active, and no higher-priority context is active. *)
Runs(c, x) == Active(c, x) /\ \A y \in Ctxs : Prio[y] > Prio[x] => ~Active(c, y)
At(c, x, p) == ctx[c][x].pc = p /\ Runs(c, x)
Me(c, x) == <<c, ctx[c][x].idx>>
Set(c, x, r) == ctx' = [ctx EXCEPT ![c][x] = r]

(* Returns from res_spin_lock / res_spin_unlock. *)
Done0(c, x, r) == Begin(c, x, [r EXCEPT !.ip = @ + 1, !.ts = "none", !.idx = -1, !.prev = NoNode])
DoneErr(c, x, r) == Begin(c, x, [r EXCEPT !.ts = "none", !.idx = -1, !.prev = NoNode])
DoneUnlock(c, x, r) == IF r.ret # OK THEN Begin(c, x, r) ELSE Begin(c, x, [r EXCEPT !.ip = @ + 1])
Acquire(r) == [r EXCEPT !.owns = Append(@, r.lk)]

(***************************************************************************)
(* Held-lock table helpers and deadlock checks (operators a mutant may      *)
(* override with CONSTANT Op <- MutantOp).                                 *)
(***************************************************************************)
GrabEntry(t, l) == Append(t, l)                    \* grab_held_lock_entry
DropEntry(t) == SubSeq(t, 1, Len(t) - 1)           \* release_held_lock_entry (failure)
PopEntry(t)  == SubSeq(t, 1, Len(t) - 1)           \* res_spin_unlock's pop
ReleaseStore(w) == [w EXCEPT !.locked = 0]          \* smp_store_release(&lock->locked, 0)
ClearPendingOnFail(w) == [w EXCEPT !.pending = 0]   \* clear_pending on the failure exit
SawContention(w) == w.pending = 1 \/ w.tail # NoNode \* val & ~_Q_LOCKED_MASK after fetch_or
OwnerGone(w) == w.locked = 0                        \* pending waiter's exit condition
CasTailOk(w, me) == w.tail = me                     \* try_cmpxchg_tail compares the tail

(* Visible slots: locks[0 .. min(NrHeld, cnt) - 1]. *)
VisibleCnt(c) == Min(NrHeld, Len(rqh[c]))
NonTop(c) == {rqh[c][i] : i \in 1 .. VisibleCnt(c) - 1}
AAFound(c, l) == l \in NonTop(c)                     \* check_deadlock_AA

(* check_deadlock_ABBA: the first remote CPU found holding l (in its non-top  *)
(* entries) decides: deadlock iff its top entry is held by us. The scan order *)
(* (for_each_possible_cpu) is abstracted to any order, see the header.       *)
ABBADeciders(c, l) ==
    {d \in CPUs \ {c} : /\ Len(rqh[d]) >= 2
                        /\ Len(rqh[d]) <= NrHeld
                        /\ l \in {rqh[d][i] : i \in 1 .. Len(rqh[d]) - 1}}
ABBAVerdict(c, d) == IF rqh[d][Len(rqh[d])] \in NonTop(c) THEN "ABBA" ELSE "none"
ABBAOutcomes(c, l) ==
    IF ABBADeciders(c, l) = {} THEN {"none"} ELSE {ABBAVerdict(c, d) : d \in ABBADeciders(c, l)}

(* The deadlock check of a later check_timeout call (>= 1 ms after the last). *)
CheckOutcomes(c, l) ==
    IF Version = "v6.15" /\ AAFound(c, l) THEN {"AA"} ELSE ABBAOutcomes(c, l)

(* The state of the deadline at the start of a waiting period: v6.19 runs   *)
(* check_deadlock_AA on the first check_timeout call, a step of its own;    *)
(* in 6.15 that first call only arms the deadline, a local step that no     *)
(* other CPU can observe, merged into the step that starts the wait.        *)
WaitTs == IF Version = "v6.19" THEN "unarmed" ELSE "armed"
(* FALLBACK(idx): no MCS node for this attempt. *)
Fallback(x, i) == i >= NrNodes \/ (Resilient /\ Version = "v6.19" /\ x = "nmi" /\ i > 0)

Init ==
    /\ lock  = [l \in Locks |-> Free]
    /\ node  = [c \in CPUs |-> [i \in 0 .. NrNodes - 1 |-> [locked |-> 0, next |-> NoNode]]]
    /\ count = [c \in CPUs |-> 0]
    /\ rqh   = [c \in CPUs |-> <<>>]
    /\ ctx   = [c \in CPUs |-> [x \in Ctxs |->
                  IF x = "task" THEN Begin(c, x, Fresh)
                  ELSE IF Scripts[c][x] = <<>> THEN [Fresh EXCEPT !.pc = "done"] ELSE Fresh]]

(***************************************************************************)
(* Contexts: an IRQ or NMI arrives and runs to completion on top.          *)
(***************************************************************************)
interrupt(c, x) ==
    /\ x \in {"irq", "nmi"}
    /\ ctx[c][x].pc = "idle"
    /\ x = "irq" => ~Active(c, "nmi")
    /\ Set(c, x, Begin(c, x, [Fresh EXCEPT !.base = Len(rqh[c])]))
    /\ UNCHANGED <<lock, node, count, rqh>>

(***************************************************************************)
(* res_spin_lock                                                           *)
(***************************************************************************)
grab_held_lock_entry(c, x) ==
    LET r == ctx[c][x] IN
    /\ r.pc \in {"grab_entry", "fast_grab", "pending_grab", "tas_grab"}
    /\ Runs(c, x)
    /\ rqh' = [rqh EXCEPT ![c] = GrabEntry(@, r.lk)]
    /\ Set(c, x, CASE r.pc = "grab_entry"   -> [r EXCEPT !.pc = "fast_cas"]
                   [] r.pc = "fast_grab"    -> Done0(c, x, r)
                   [] r.pc = "pending_grab" -> [r EXCEPT !.pc = "pending_wait", !.ts = WaitTs]
                   [] r.pc = "tas_grab"     -> [r EXCEPT !.pc = "tas_spin", !.ts = WaitTs])
    /\ UNCHANGED <<lock, node, count>>

SlowEntry(w) ==
    IF TasFallback = "virt" THEN "tas_grab"
    ELSE IF w = PendingOnly THEN "pending_reread"
    ELSE IF w.pending = 1 \/ w.tail # NoNode THEN "queue"
    ELSE "set_pending"

fastpath_cmpxchg(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "fast_cas")
    /\ IF lock[l] = Free
       THEN /\ lock' = [lock EXCEPT ![l] = LockedOnly]
            /\ Set(c, x, IF Version = "v6.15" THEN [Acquire(r) EXCEPT !.pc = "fast_grab"]
                         ELSE Done0(c, x, Acquire(r)))
       ELSE /\ lock' = lock
            /\ Set(c, x, [r EXCEPT !.pc = SlowEntry(lock[l])])
    /\ UNCHANGED <<node, count, rqh>>

pending_reread(c, x) ==
    LET r == ctx[c][x]  w == lock[r.lk] IN
    /\ At(c, x, "pending_reread")
    /\ Set(c, x, [r EXCEPT !.pc = IF w.pending = 1 \/ w.tail # NoNode THEN "queue" ELSE "set_pending"])
    /\ UNCHANGED <<lock, node, count, rqh>>

queued_fetch_set_pending_acquire(c, x) ==
    LET r == ctx[c][x]  l == r.lk  w == lock[l] IN
    /\ At(c, x, "set_pending")
    /\ lock' = [lock EXCEPT ![l].pending = 1]
    /\ Set(c, x, IF SawContention(w)
                 THEN [r EXCEPT !.pc = IF w.pending = 0 THEN "undo_pending" ELSE "queue"]
                 ELSE IF Version = "v6.15" THEN [r EXCEPT !.pc = "pending_grab"]
                 ELSE [r EXCEPT !.pc = "pending_wait", !.ts = WaitTs])
    /\ UNCHANGED <<node, count, rqh>>

clear_pending(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ r.pc \in {"undo_pending", "pending_fail"}
    /\ Runs(c, x)
    /\ lock' = [lock EXCEPT ![l] = IF r.pc = "undo_pending" THEN [@ EXCEPT !.pending = 0]
                                   ELSE ClearPendingOnFail(@)]
    /\ Set(c, x, [r EXCEPT !.pc = IF r.pc = "undo_pending" THEN "queue" ELSE "err_release_entry"])
    /\ UNCHANGED <<node, count, rqh>>

pending_wait_owner(c, x) ==
    LET r == ctx[c][x] IN
    /\ At(c, x, "pending_wait")
    /\ OwnerGone(lock[r.lk])
    /\ Set(c, x, [r EXCEPT !.pc = "pending_claim", !.ts = "none"])
    /\ UNCHANGED <<lock, node, count, rqh>>

clear_pending_set_locked(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "pending_claim")
    /\ lock' = [lock EXCEPT ![l].locked = 1, ![l].pending = 0]
    /\ Set(c, x, Done0(c, x, Acquire(r)))
    /\ UNCHANGED <<node, count, rqh>>

(* v6.19 (087849cca31d): AA check before queueing. *)
check_deadlock_AA_queue(c, x) ==
    LET r == ctx[c][x] IN
    /\ At(c, x, "queue")
    /\ Resilient /\ Version = "v6.19" /\ AAFound(c, r.lk)
    /\ Set(c, x, [r EXCEPT !.ret = EDEADLK, !.why = "AA", !.pc = "err_release_entry"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* queue: [6.15: grab_held_lock_entry]; idx = count++; FALLBACK(idx)? ; node init. *)
grab_mcs_node(c, x) ==
    LET r == ctx[c][x]  i == count[c] IN
    /\ At(c, x, "queue")
    /\ ~(Resilient /\ Version = "v6.19" /\ AAFound(c, r.lk))
    /\ count' = [count EXCEPT ![c] = @ + 1]
    /\ rqh' = IF Version = "v6.15" THEN [rqh EXCEPT ![c] = GrabEntry(@, r.lk)] ELSE rqh
    /\ IF Fallback(x, i)
       THEN /\ node' = node
            /\ Set(c, x, [r EXCEPT !.pc = "fallback", !.idx = i, !.ts = WaitTs])
       ELSE /\ node' = [node EXCEPT ![c][i] = [locked |-> 0, next |-> NoNode]]
            /\ Set(c, x, [r EXCEPT !.pc = "trylock_cold", !.idx = i])
    /\ UNCHANGED lock

(* queued_spin_trylock: on the cold node, and the FALLBACK loop / single try. *)
queued_spin_trylock(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ r.pc \in {"trylock_cold", "fallback"}
    /\ Runs(c, x)
    /\ IF lock[l] = Free
       THEN /\ lock' = [lock EXCEPT ![l] = LockedOnly]
            /\ Set(c, x, [Acquire(r) EXCEPT !.pc = "release_node", !.ts = "none"])
       ELSE /\ lock' = lock
            /\ \/ /\ r.pc = "trylock_cold"
                  /\ Set(c, x, [r EXCEPT !.pc = "xchg_tail"])
               \/ /\ r.pc = "fallback" /\ Resilient /\ Version = "v6.19"
                  /\ Set(c, x, [r EXCEPT !.ret = EDEADLK, !.why = "fallback",
                                          !.pc = "err_release_node", !.ts = "none"])
    /\ UNCHANGED <<node, count, rqh>>

xchg_tail(c, x) ==
    LET r == ctx[c][x]  l == r.lk  old == lock[l].tail IN
    /\ At(c, x, "xchg_tail")
    /\ lock' = [lock EXCEPT ![l].tail = Me(c, x)]
    /\ Set(c, x, IF old # NoNode THEN [r EXCEPT !.pc = "link_prev", !.prev = old]
                 ELSE [r EXCEPT !.pc = "head_wait", !.ts = WaitTs])
    /\ UNCHANGED <<node, count, rqh>>

link_prev(c, x) ==
    LET r == ctx[c][x] IN
    /\ At(c, x, "link_prev")
    /\ node' = [node EXCEPT ![r.prev[1]][r.prev[2]].next = Me(c, x)]
    /\ Set(c, x, [r EXCEPT !.pc = "wait_mcs", !.prev = NoNode])
    /\ UNCHANGED <<lock, count, rqh>>

arch_mcs_spin_lock_contended(c, x) ==
    LET r == ctx[c][x]  s == node[c][r.idx].locked IN
    /\ At(c, x, "wait_mcs")
    /\ s # 0
    /\ Set(c, x, IF s = 1 THEN [r EXCEPT !.pc = "head_wait", !.ts = WaitTs]
                 ELSE [r EXCEPT !.pc = "abort", !.why = "cascade",
                                !.ret = IF Version = "v6.15" THEN EDEADLK ELSE ETIMEDOUT])
    /\ UNCHANGED <<lock, node, count, rqh>>

head_wait_owner_pending(c, x) ==
    LET r == ctx[c][x]  w == lock[r.lk] IN
    /\ At(c, x, "head_wait")
    /\ w.locked = 0 /\ w.pending = 0
    /\ Set(c, x, [r EXCEPT !.pc = "claim", !.ts = "none"])
    /\ UNCHANGED <<lock, node, count, rqh>>

claim_cmpxchg(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "claim")
    /\ IF lock[l] = [locked |-> 0, pending |-> 0, tail |-> Me(c, x)]
       THEN /\ lock' = [lock EXCEPT ![l] = LockedOnly]
            /\ Set(c, x, [Acquire(r) EXCEPT !.pc = "release_node"])
       ELSE /\ lock' = lock
            /\ Set(c, x, [r EXCEPT !.pc = "set_locked"])
    /\ UNCHANGED <<node, count, rqh>>

set_locked(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "set_locked")
    /\ lock' = [lock EXCEPT ![l].locked = 1]
    /\ Set(c, x, [Acquire(r) EXCEPT !.pc = "handover"])
    /\ UNCHANGED <<node, count, rqh>>

(* wait for next to link, then next->locked = 1: on success, and (v6.19) on   *)
(* a deadlock detected by the head, which hands the head role over.          *)
arch_mcs_spin_unlock_contended(c, x) ==
    LET r == ctx[c][x]  nx == node[c][r.idx].next IN
    /\ r.pc \in {"handover", "handover_deadlock"}
    /\ Runs(c, x)
    /\ nx # NoNode
    /\ node' = [node EXCEPT ![nx[1]][nx[2]].locked = 1]
    /\ Set(c, x, [r EXCEPT !.pc = IF r.pc = "handover" THEN "release_node" ELSE "err_release_node"])
    /\ UNCHANGED <<lock, count, rqh>>

try_cmpxchg_tail(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "abort")
    /\ IF CasTailOk(lock[l], Me(c, x))
       THEN /\ lock' = [lock EXCEPT ![l].tail = NoNode]
            /\ Set(c, x, [r EXCEPT !.pc = "err_release_node"])
       ELSE /\ lock' = lock
            /\ Set(c, x, [r EXCEPT !.pc = "abort_signal"])
    /\ UNCHANGED <<node, count, rqh>>

abort_signal_next(c, x) ==
    LET r == ctx[c][x]  nx == node[c][r.idx].next IN
    /\ At(c, x, "abort_signal")
    /\ nx # NoNode
    /\ node' = [node EXCEPT ![nx[1]][nx[2]].locked = 2]
    /\ Set(c, x, [r EXCEPT !.pc = "err_release_node"])
    /\ UNCHANGED <<lock, count, rqh>>

release_node(c, x) ==
    LET r == ctx[c][x] IN
    /\ r.pc \in {"release_node", "err_release_node"}
    /\ Runs(c, x)
    /\ count' = [count EXCEPT ![c] = @ - 1]
    /\ Set(c, x, IF r.pc = "release_node" THEN Done0(c, x, r)
                 ELSE [r EXCEPT !.pc = "err_release_entry", !.idx = -1])
    /\ UNCHANGED <<lock, node, rqh>>

release_held_lock_entry(c, x) ==
    LET r == ctx[c][x] IN
    /\ r.pc \in {"err_release_entry", "tas_fail"}
    /\ Runs(c, x)
    /\ rqh' = [rqh EXCEPT ![c] = DropEntry(@)]
    /\ Set(c, x, DoneErr(c, x, r))
    /\ UNCHANGED <<lock, node, count>>

tas_cmpxchg(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "tas_spin")
    /\ lock[l] = Free
    /\ lock' = [lock EXCEPT ![l] = LockedOnly]
    /\ Set(c, x, Done0(c, x, Acquire(r)))
    /\ UNCHANGED <<node, count, rqh>>

(***************************************************************************)
(* check_timeout, called by RES_CHECK_TIMEOUT while a wait condition is    *)
(* false: the pending waiter, the queue head, the 6.15 FALLBACK loop and   *)
(* the TAS loop. Non-head waiters never call it.                            *)
(***************************************************************************)
TimedPcs == {"pending_wait", "head_wait", "fallback", "tas_spin"}

StillWaiting(r) ==
    LET w == lock[r.lk] IN
    CASE r.pc = "pending_wait" -> ~OwnerGone(w)
      [] r.pc = "head_wait"    -> w.locked # 0 \/ w.pending # 0
      [] OTHER                 -> w # Free

Timed(r) == r.pc \in TimedPcs /\ (r.pc = "fallback" => Version = "v6.15")

FailPc(p, v) ==
    CASE p = "pending_wait" -> "pending_fail"
      [] p = "head_wait"    -> IF v = EDEADLK /\ Version = "v6.19" THEN "handover_deadlock" ELSE "abort"
      [] p = "fallback"     -> "err_release_node"
      [] p = "tas_spin"     -> "tas_fail"
Fail(r, v, why) == [r EXCEPT !.ret = v, !.why = why, !.pc = FailPc(r.pc, v), !.ts = "none"]

(* First call of a waiting period: arms the deadline; v6.19 runs check_deadlock_AA. *)
check_timeout_arm(c, x) ==
    LET r == ctx[c][x] IN
    /\ Timed(r) /\ Resilient /\ Runs(c, x) /\ StillWaiting(r)
    /\ r.ts = "unarmed"
    /\ Set(c, x, IF Version = "v6.19" /\ AAFound(c, r.lk) THEN Fail(r, EDEADLK, "AA")
                 ELSE [r EXCEPT !.ts = "armed"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* A later call, >= 1 ms after the last: 6.15 check_deadlock (AA, ABBA); v6.19 ABBA. *)
check_deadlock(c, x) ==
    LET r == ctx[c][x] IN
    /\ Timed(r) /\ Resilient /\ Runs(c, x) /\ StillWaiting(r)
    /\ r.ts \in {"armed", "checked"}
    /\ \E o \in CheckOutcomes(c, r.lk) :
          IF o = "none" THEN /\ r.ts = "armed"
                             /\ Set(c, x, [r EXCEPT !.ts = "checked"])
          ELSE Set(c, x, Fail(r, EDEADLK, o))
    /\ UNCHANGED <<lock, node, count, rqh>>

(* The deadline passes: only after at least one deadlock check came out clean. *)
check_timeout_expired(c, x) ==
    LET r == ctx[c][x] IN
    /\ Timed(r) /\ Resilient /\ Runs(c, x) /\ StillWaiting(r)
    /\ r.ts = "checked"
    /\ Set(c, x, Fail(r, ETIMEDOUT, "timeout"))
    /\ UNCHANGED <<lock, node, count, rqh>>

(***************************************************************************)
(* res_spin_unlock                                                         *)
(***************************************************************************)
res_spin_unlock_release(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "unlock_release")
    /\ lock' = [lock EXCEPT ![l] = ReleaseStore(@)]
    /\ LET r2 == [r EXCEPT !.owns = SubSeq(@, 1, Len(@) - 1)] IN
       Set(c, x, IF Version = "v6.15" THEN DoneUnlock(c, x, r2) ELSE [r2 EXCEPT !.pc = "unlock_pop"])
    /\ UNCHANGED <<node, count, rqh>>

res_spin_unlock_pop(c, x) ==
    LET r == ctx[c][x] IN
    /\ At(c, x, "unlock_pop")
    /\ rqh' = [rqh EXCEPT ![c] = PopEntry(@)]
    /\ Set(c, x, IF Version = "v6.15" THEN [r EXCEPT !.pc = "unlock_release"] ELSE DoneUnlock(c, x, r))
    /\ UNCHANGED <<lock, node, count>>

CtxStep(c, x) ==
    \/ grab_held_lock_entry(c, x)
    \/ fastpath_cmpxchg(c, x)
    \/ pending_reread(c, x)
    \/ queued_fetch_set_pending_acquire(c, x)
    \/ clear_pending(c, x)
    \/ pending_wait_owner(c, x)
    \/ clear_pending_set_locked(c, x)
    \/ check_deadlock_AA_queue(c, x)
    \/ grab_mcs_node(c, x)
    \/ queued_spin_trylock(c, x)
    \/ xchg_tail(c, x)
    \/ link_prev(c, x)
    \/ arch_mcs_spin_lock_contended(c, x)
    \/ head_wait_owner_pending(c, x)
    \/ claim_cmpxchg(c, x)
    \/ set_locked(c, x)
    \/ arch_mcs_spin_unlock_contended(c, x)
    \/ try_cmpxchg_tail(c, x)
    \/ abort_signal_next(c, x)
    \/ release_node(c, x)
    \/ release_held_lock_entry(c, x)
    \/ tas_cmpxchg(c, x)
    \/ check_timeout_arm(c, x)
    \/ check_deadlock(c, x)
    \/ check_timeout_expired(c, x)
    \/ res_spin_unlock_release(c, x)
    \/ res_spin_unlock_pop(c, x)

RunCPU(c) == \E x \in Ctxs : CtxStep(c, x)

Next == \E c \in CPUs : \/ RunCPU(c)
                        \/ \E x \in Ctxs : interrupt(c, x)

Spec == Init /\ [][Next]_vars /\ \A c \in CPUs : WF_vars(RunCPU(c))

(***************************************************************************)
(* Properties                                                              *)
(***************************************************************************)
Holders(l) == {w \in CPUs \X Ctxs : l \in Range(ctx[w[1]][w[2]].owns)}

TypeOK ==
    /\ lock \in [Locks -> [locked : {0, 1}, pending : {0, 1}, tail : Tails]]
    /\ node \in [CPUs -> [0 .. NrNodes - 1 -> [locked : {0, 1, 2}, next : Tails]]]
    /\ count \in [CPUs -> 0 .. Cardinality(Ctxs)]
    /\ \A c \in CPUs : rqh[c] \in Seq(Locks)
    /\ \A c \in CPUs, x \in Ctxs :
         LET r == ctx[c][x] IN
         /\ r.pc \in Pcs
         /\ r.ret \in {OK, EDEADLK, ETIMEDOUT}
         /\ r.ts \in {"none", "unarmed", "armed", "checked"}
         /\ r.idx \in -1 .. Cardinality(Ctxs) - 1
         /\ r.owns \in Seq(Locks)
         /\ r.lk \in Locks \cup {NoLock}

MutualExclusion == \A l \in Locks : Cardinality(Holders(l)) <= 1

LockWordMatchesOwner == \A l \in Locks : (lock[l].locked = 1) <=> (Holders(l) # {})


(* The running context of c, if any. *)
RunningSet(c) == {x \in Ctxs : Runs(c, x)}

(* The entries above the context's base: what this context has pushed. *)
OwnEntries(c, x) == SubSeq(rqh[c], ctx[c][x].base + 1, Len(rqh[c]))

(* At the start of each operation, the entries a context has pushed are      *)
(* exactly the locks it holds, in acquisition order; an idle CPU has none.    *)
(* Protects deadlock detection, which trusts the table to mirror ownership.   *)
HeldTableMatches ==
    \A c \in CPUs :
        /\ RunningSet(c) = {} => rqh[c] = <<>>
        /\ \A x \in RunningSet(c) :
              ctx[c][x].pc \in {LockStart, UnlockStart} =>
                  /\ Len(rqh[c]) >= ctx[c][x].base
                  /\ OwnEntries(c, x) = ctx[c][x].owns

(* A failed attempt returns holding neither the lock nor a table entry for   *)
(* it: checked on the step where res_spin_lock returns the error.            *)
FailedReturn(c, x) ==
    /\ ctx[c][x].pc \in {"err_release_entry", "tas_fail"}
    /\ ctx'[c][x].pc \notin {"err_release_entry", "tas_fail"}
FailedAttemptClean ==
    [][\A c \in CPUs, x \in Ctxs :
         FailedReturn(c, x) =>
            /\ ctx[c][x].lk \notin Range(ctx'[c][x].owns)
            /\ Len(rqh'[c]) >= ctx[c][x].base
            /\ SubSeq(rqh'[c], ctx[c][x].base + 1, Len(rqh'[c])) = ctx'[c][x].owns]_vars

(* Queue: the waiters of l past xchg_tail, their nodes, and the chain. *)
Waiters(l) == {w \in CPUs \X Ctxs : ctx[w[1]][w[2]].pc \in QueuedPcs /\ ctx[w[1]][w[2]].lk = l}
NodeOf(w) == <<w[1], ctx[w[1]][w[2]].idx>>
QNodes(l) == {NodeOf(w) : w \in Waiters(l)}
Preds(l, n) ==
    {m \in QNodes(l) : node[m[1]][m[2]].next = n}
    \cup {ctx[w[1]][w[2]].prev : w \in {v \in Waiters(l) : NodeOf(v) = n /\ ctx[v[1]][v[2]].pc = "link_prev"}}
RECURSIVE Chain(_, _, _)
Chain(l, n, k) ==   \* the nodes met walking back from n, at most k of them
    IF k <= 1 \/ Preds(l, n) = {} THEN {n}
    ELSE {n} \cup Chain(l, CHOOSE m \in Preds(l, n) : TRUE, k - 1)
QHead(l) == {n \in QNodes(l) : Preds(l, n) = {}}

(* The MCS queue of every lock is one chain from its head to the tail, made   *)
(* of distinct nodes of live waiters, and only its head may have left the     *)
(* wait on its own node; each CPU's nesting count equals the nodes it uses.   *)
(* Protects FIFO departure, the abort cascade and the handovers.              *)
QueueWellFormed ==
    /\ \A c \in CPUs :
         LET inUse == {x \in Ctxs : ctx[c][x].idx >= 0} IN
         /\ count[c] = Cardinality(inUse)
         /\ \A x, y \in inUse : x # y => ctx[c][x].idx # ctx[c][y].idx
    /\ \A l \in Locks :
         LET q == QNodes(l)  t == lock[l].tail IN
         /\ Cardinality(q) = Cardinality(Waiters(l))
         /\ (t = NoNode) <=> (q = {})
         /\ t # NoNode =>
              /\ t \in q
              /\ \A n \in q : Preds(l, n) \subseteq q /\ Cardinality(Preds(l, n)) <= 1
              /\ \A n \in q : node[n[1]][n[2]].next \in q \cup {NoNode}
              /\ Cardinality(QHead(l)) = 1
              /\ Chain(l, t, Cardinality(q)) = q
              /\ \A w \in Waiters(l) :
                   NodeOf(w) \notin QHead(l) =>
                      /\ ctx[w[1]][w[2]].pc \in {"link_prev", "wait_mcs"}
                      /\ node[w[1]][ctx[w[1]][w[2]].idx].locked = 0

(* At most one pending waiter per lock, and it owns the pending bit.          *)
PendingOwners(l) == {w \in CPUs \X Ctxs : ctx[w[1]][w[2]].pc \in PendingPcs /\ ctx[w[1]][w[2]].lk = l}
AtMostOnePending ==
    \A l \in Locks : /\ Cardinality(PendingOwners(l)) <= 1
                     /\ PendingOwners(l) # {} => lock[l].pending = 1

(* Once no attempt is in flight, no lock word has a pending bit or a tail:    *)
(* failed attempts left the lock word valid.                                 *)
NoAttemptInFlight == \A c \in CPUs, x \in Ctxs : ctx[c][x].pc \notin AttemptPcs
QuiescentLockWordClean ==
    NoAttemptInFlight => \A l \in Locks : lock[l].pending = 0 /\ lock[l].tail = NoNode

(***************************************************************************)
(* DeadlockIsReal. Ground truth is ownership (ctx.owns), not the tables.    *)
(* CPU c waits for CPU d when c's running context is inside an attempt on a *)
(* lock that a context of d owns (d = c for AA). A real deadlock through c   *)
(* is a cycle of this relation through c.                                  *)
(***************************************************************************)
WaitLock(c) ==
    IF RunningSet(c) = {} THEN NoLock
    ELSE LET x == CHOOSE y \in RunningSet(c) : TRUE IN
         IF ctx[c][x].pc \in AttemptPcs /\ ctx[c][x].lk \notin Range(ctx[c][x].owns)
         THEN ctx[c][x].lk ELSE NoLock
WaitsFor(c) == IF WaitLock(c) = NoLock THEN {} ELSE {w[1] : w \in Holders(WaitLock(c))}
RECURSIVE Reaches(_, _, _)
Reaches(c, d, k) == \* c is reached from d in at most k waits-for steps
    k > 0 /\ \E e \in WaitsFor(d) : e = c \/ Reaches(c, e, k - 1)
OnCycle(c) == Reaches(c, c, Cardinality(CPUs))
OwnCpuHolds(c, l) == \E x \in Ctxs : l \in Range(ctx[c][x].owns)

NewError(c, x, v) == ctx'[c][x].ret = v /\ ctx[c][x].ret # v

(* Every -EDEADLK is returned to a CPU that is on a real deadlock cycle at   *)
(* the step where the error is decided (strict; see the findings).          *)
DeadlockIsReal ==
    [][\A c \in CPUs, x \in Ctxs : NewError(c, x, EDEADLK) => OnCycle(c)]_vars

(* The same, only for verdicts of check_deadlock_AA / check_deadlock_ABBA.   *)
DetectionIsReal ==
    [][\A c \in CPUs, x \in Ctxs :
         (NewError(c, x, EDEADLK) /\ ctx'[c][x].why \in {"AA", "ABBA"}) => OnCycle(c)]_vars

(* An AA deadlock is never left to the timeout: no attempt returns          *)
(* -ETIMEDOUT for a lock that a context of its own CPU owns.                 *)
AAIsDetected ==
    [][\A c \in CPUs, x \in Ctxs :
         NewError(c, x, ETIMEDOUT) => ~OwnCpuHolds(c, ctx[c][x].lk)]_vars

(* Liveness, under weak fairness of each CPU's running context. *)
AttemptsReturn ==
    \A c \in CPUs, x \in Ctxs : (ctx[c][x].pc \in AttemptPcs) ~> (ctx[c][x].pc \notin AttemptPcs)
LocksReleased ==
    \A l \in Locks : (lock[l].locked = 1) ~> (lock[l].locked = 0)

=============================================================================
