------------------------------- MODULE RqSpinLock -------------------------------
(***************************************************************************)
(* rqspinlock, the resilient queued spin lock of Linux 6.15+, as a design   *)
(* document that TLC checks. Kernel sources it follows (torvalds/linux):   *)
(* kernel/bpf/rqspinlock.c (resilient_queued_spin_lock_slowpath,           *)
(* check_timeout, check_deadlock_AA/_ABBA, resilient_tas_spin_lock),        *)
(* kernel/bpf/rqspinlock.h, include/asm-generic/rqspinlock.h               *)
(* (res_spin_lock, res_spin_unlock, grab/release_held_lock_entry) and       *)
(* kernel/locking/qspinlock.h (trylock, xchg_tail, set_locked, ...). v6.15 *)
(* is the code merged for 6.15 (pull "BPF resilient spin_lock for 6.15",   *)
(* merge 494e7fe591bf of bpf-next's 6ffb9017e932), read at 5709be4c35ba;    *)
(* v6.19 is the code after the commits listed below, read in a v6.19 tree   *)
(* (yailabs/yai 5f6e5cf60127, kernel/bpf/rqspinlock.c).                    *)
(*                                                                         *)
(* rqspinlock is qspinlock (a lock word with a locked byte, a pending bit   *)
(* and the tail of an MCS queue of per-CPU nodes) whose lock attempt can    *)
(* fail: res_spin_lock returns 0, -EDEADLK (an AA or ABBA deadlock was seen *)
(* in the per-CPU held-lock tables) or -ETIMEDOUT (the last line of          *)
(* defence). BPF programs run in any context, so a lock attempt may         *)
(* interrupt, on the same CPU, the holder or a waiter of the same lock.     *)
(*                                                                         *)
(* THE VERSION IS A CONSTANT of this one spec:                             *)
(*   "v6.15"  as merged (6ffb9017e932, March 2025);                         *)
(*   "v6.19"  after the Oct-Nov 2025 reworks (beb7021a6003 entry before     *)
(*            the fast path and release before pop; 5860f5ce479f AA at the  *)
(*            start of each wait; 81d5a6a43859 + 30dc2f7025fe the NMI       *)
(*            FALLBACK; 087849cca31d AA before queueing; 7bd6e5ce5be6 the   *)
(*            head hands the queue over on -EDEADLK).                       *)
(* Resilient = FALSE is plain qspinlock (no checks, no timeouts, no held-  *)
(* lock table): the negative baseline. TasFallback selects the test-and-set *)
(* lock: "native" (no queued spinlocks: res_spin_lock is the TAS loop) or   *)
(* "virt" (x86 guest with virt_spin_lock_key: the slow path goes to the TAS *)
(* loop).                                                                  *)
(*                                                                         *)
(* THE LOCK WORD (32 bits, NR_CPUS < 16K), written (tail, pending, locked): *)
(*                                                                         *)
(*   31                     18 17   16 15           9   8   7            0 *)
(*  +-------------------------+-------+--------------+---+--------------+  *)
(*  |      tail CPU + 1       |  idx  |    unused    | P |    locked    |  *)
(*  +-------------------------+-------+--------------+---+--------------+  *)
(*   \____ tail: the last queued MCS node ________/  pending  owner byte   *)
(*                                                                         *)
(* Here lock[l] = [locked |-> 0..1, pending |-> 0..1, tail |-> <<cpu, idx>>*)
(* or <<>> for "no tail"]. Per CPU: node[c][0..NrNodes-1] (rqnodes[], with *)
(* locked 0 = wait, 1 = you are the head, 2 = RES_TIMEOUT_VAL "abort", and  *)
(* next), count[c] (rqnodes[0].count: how many contexts of c are in the     *)
(* queue path) and rqh[c] (rqspinlock_held_locks: cnt = Len(rqh[c]), the    *)
(* first NrHeld entries are the recorded slots).                            *)
(*                                                                         *)
(* THE PATHS (one res_spin_lock attempt; [v] = only in that version):      *)
(*                                                                         *)
(*  res_spin_lock(l)                                                       *)
(*   [v6.19] grab_held_lock_entry(l)                                       *)
(*   cmpxchg (0,0,0) -> (0,0,1) ............................ 0             *)
(*   [v6.15] grab_held_lock_entry(l) after the cmpxchg succeeded           *)
(*   resilient_queued_spin_lock_slowpath(l, val):                          *)
(*    [virt] resilient_tas_spin_lock: loop {cmpxchg 0 -> 1; check_timeout}  *)
(*    val = (0,1,0): re-read a bounded number of times                     *)
(*    no pending, no tail: fetch_or pending; if we set it from 0 and there  *)
(*    is no tail, we are THE PENDING WAITER ([v6.15] grab entry):           *)
(*       wait locked = 0, with check_timeout (T);                           *)
(*       clear_pending_set_locked ....................................... 0 *)
(*       failure: clear_pending, release_held_lock_entry ..... error        *)
(*    otherwise QUEUE ([v6.19] check_deadlock_AA first; [v6.15] grab entry):*)
(*       idx = count++; FALLBACK(idx) if no node may be used:               *)
(*         [v6.15] idx >= 4: trylock loop with check_timeout                *)
(*         [v6.19] idx >= 4 or (NMI and idx > 0): one trylock, else -EDEADLK*)
(*       init node; trylock; xchg_tail; if there was a tail: link prev.next *)
(*       and wait node.locked # 0 (NO clock); 2 = abort: [v6.15] -EDEADLK,  *)
(*       [v6.19] -ETIMEDOUT                                                 *)
(*       HEAD: wait locked = 0 and pending = 0, with check_timeout (2T);    *)
(*         -EDEADLK: [v6.15] abort the queue; [v6.19] wait for next, make  *)
(*                   it the head (next.locked = 1), fail                    *)
(*         -ETIMEDOUT: abort the queue                                      *)
(*       claim: cmpxchg (me,0,0) -> (0,0,1) if we are the tail, else        *)
(*         set_locked, wait for next, next.locked = 1 ...................... 0*)
(*       ABORT: try_cmpxchg_tail(me -> 0) if we are the tail (the last      *)
(*         leaver resets the tail), else wait for next and write 2 into    *)
(*         next.locked (the cascade: the successor aborts in turn)          *)
(*       count--; on failure release_held_lock_entry ................ error *)
(*  res_spin_unlock(l): [v6.15] pop the entry, then release locked = 0;    *)
(*                      [v6.19] release locked = 0, then pop the entry.     *)
(*                                                                         *)
(* DEADLOCK CHECKS (over the tables as they are at that step):              *)
(*   AA(l): l is in our table below our own top entry.                      *)
(*   ABBA(l): a remote CPU d with 2 <= cnt <= NrHeld has l below its top;    *)
(*     the first such d decides: deadlock iff d's top entry is below our    *)
(*     own top. Where they run: [v6.15] AA and ABBA only from the second    *)
(*     check_timeout call of a wait (>= 1 ms after the first); [v6.19] AA   *)
(*     before queueing and on the first check_timeout call of every wait,   *)
(*     ABBA on the later calls.                                             *)
(*                                                                         *)
(* CONTEXTS AND SCRIPTS. Each CPU runs a stack of contexts: the task, an IRQ*)
(* and an NMI. An IRQ may arrive at any step of the task, an NMI at any     *)
(* step of the task or the IRQ; an interrupt runs to completion before the  *)
(* interrupted context continues. Each context runs Scripts[c][x]: lock and *)
(* unlock operations over Locks, unlocking in LIFO order (the verifier      *)
(* enforces it for BPF programs); after the first failed attempt it         *)
(* releases what it holds (LIFO) and stops. Ghost: ctx.owns is what the     *)
(* context really owns (from the atomic step that acquires the lock word to *)
(* the release store); ctx.why is the cause of a failure.                  *)
(*                                                                         *)
(* TIME AND THE TIMEOUT RULE. Time is not modeled. Only four waits measure  *)
(* time: the pending waiter (T), the queue head (2T), the 6.15 FALLBACK    *)
(* trylock loop (T) and the TAS loop (1 s). While such a wait's condition is*)
(* false, RES_CHECK_TIMEOUT calls check_timeout, modeled by three steps:    *)
(*   check_timeout_arm      the first call of the wait: arms the deadline;  *)
(*                          [v6.19] runs check_deadlock_AA. Arming alone is *)
(*                          invisible to every other context, so it is      *)
(*                          merged into the step that starts the wait       *)
(*                          (ts = "armed"); it stays a step of its own only *)
(*                          when its AA check will fail (ts = "unarmed"):   *)
(*                          the own table cannot change while we run (exact *)
(*                          as long as interrupts leave the table as they   *)
(*                          found it, which HeldTableMatches checks).       *)
(*   check_deadlock         a later call, >= 1 ms after the last one:       *)
(*                          [v6.15] AA then ABBA, [v6.19] ABBA.             *)
(*   check_timeout_expired  the deadline passed: -ETIMEDOUT.                *)
(* RULE: a deadline may pass at any moment after at least one               *)
(* check_deadlock of the same wait came out clean (ts = "checked"), and     *)
(* never before. Reasons: (1) 1 ms is far below T = 250 ms, so the kernel   *)
(* scans many times before any deadline; (2) the owner, the pending waiter  *)
(* or the waiters ahead may be slow for any reason the model does not see   *)
(* (a long critical section, a preempted vCPU, interrupts), so a timeout is *)
(* possible whenever a waiter waits, even when everybody else progresses.   *)
(* Timeouts are a nondeterministic choice, never forced. Waits WITHOUT a    *)
(* clock: a non-head waiter on its node, a head waiting for its successor  *)
(* to link (after set_locked, in the abort, and the v6.19 deadlock         *)
(* handover): these may wait forever. Consequence for liveness: under weak *)
(* fairness of each CPU's running context every timed wait ends (by its     *)
(* exit, a deadlock verdict or the timeout), so AttemptsReturn can only fail*)
(* through an untimed wait, or through a context that never runs again     *)
(* because an interrupt above it never returns.                            *)
(*                                                                         *)
(* ABSTRACTIONS, and what they buy:                                         *)
(*  A1 Sequential consistency; each step is one atomic access of the kernel *)
(*     (load, store, cmpxchg, xchg, fetch_or) plus local computation.       *)
(*  A2 Steps that touch only per-CPU data that no other CPU reads are       *)
(*     merged into the step before: idx = count++ with the node init (and  *)
(*     the 6.15 queue grab); the arming call of check_timeout; the         *)
(*     slot store and the cnt update of grab/release_held_lock_entry (a     *)
(*     remote scan of the half-done update could only see a NULL top and    *)
(*     skip the CPU; 6.15's res_spin_unlock does its cnt-- after the release *)
(*     store, so its pop is merged across that step: the Java twin keeps the *)
(*     kernel's order and reads a NULL slot as popped, see the README's      *)
(*     Conformance section); and, in 6.15 and qspinlock, the count-- that  *)
(*     leaves the queue path (there the count only names the node of a     *)
(*     later interrupt; v6.19 keeps release_node, its NMI FALLBACK reads    *)
(*     idx).                                                                *)
(*     REDUCTION: several steps per attempt (-19% on 6.15, two CPUs).       *)
(*  A3 check_deadlock_ABBA reads every table in one step, and the order of  *)
(*     for_each_possible_cpu is abstracted to "any CPU found first decides" *)
(*     (an over-approximation of the fixed order), which keeps the model   *)
(*     CPU-symmetric. REDUCTION: symmetry over CPUs (x6 on three CPUs).     *)
(*  A4 The bounded re-read of (0,1,0) is one re-read (PENDING_LOOPS = 1, as *)
(*     in generic code; x86 uses 512, whose intermediate reads are not      *)
(*     observable).                                                        *)
(*  A5 count++ is atomic with respect to interrupts of the same CPU.       *)
(*  A6 A context that is done or has not started keeps no locals (a trace  *)
(*     shows its last return value on the step that returns); why is reset *)
(*     when the failed attempt returns; each interrupt context runs its     *)
(*     script at most once; scripts are short.                             *)
(*     REDUCTION: canonical context records, short scripts.                *)
(*  A7 The table keeps every pushed lock; only the first NrHeld are visible *)
(*     to the checks and an ABBA scan skips a CPU whose cnt exceeds NrHeld, *)
(*     the kernel's overflow behaviour (models use NrHeld = 31, except     *)
(*     rq_v619_overflow with NrHeld = 1).                                   *)
(*  A8 NrNodes (_Q_MAX_NODES = 4) is a constant; three contexts never reach *)
(*     idx >= 4, so rq_v615_no_node uses NrNodes = 1 to exercise FALLBACK.  *)
(*  A9 The lock word is three fields (the NR_CPUS < 16K layout, whose       *)
(*     pending and tail updates are byte and halfword stores).              *)
(*                                                                         *)
(* ACTIONS (named after the kernel function or step they model; the steps  *)
(* of the Java twin, enum rqspin.lock.Step, carry the same names):          *)
(*  action                           kernel                   pc            *)
(*  interrupt                        IRQ/NMI entry            idle -> ...   *)
(*  grab_held_lock_entry             grab_held_lock_entry: in res_spin_lock *)
(*                                   [v6.19] grab_entry, after the fast     *)
(*                                   path [v6.15] fast_grab, pending waiter *)
(*                                   [v6.15] pending_grab, resilient_tas_   *)
(*                                   spin_lock tas_grab                     *)
(*  fastpath_cmpxchg                 res_spin_lock: atomic_try_cmpxchg_    *)
(*                                   acquire 0 -> _Q_LOCKED_VAL   fast_cas  *)
(*  pending_reread                   slowpath: bounded read of (0,1,0)     *)
(*  queued_fetch_set_pending_acquire slowpath: set pending   set_pending    *)
(*  clear_pending                    undo (undo_pending) / failure of the  *)
(*                                   pending waiter (pending_fail)          *)
(*  pending_wait_owner               smp_cond_load_acquire(locked == 0)     *)
(*  clear_pending_set_locked         the pending waiter takes the lock     *)
(*  check_deadlock_AA_queue          [v6.19] check_deadlock_AA at queue:    *)
(*  grab_mcs_node                    queue: [v6.15 grab entry] idx=count++, *)
(*                                   FALLBACK(idx)?, grab_mcs_node, init    *)
(*  queued_spin_trylock              trylock on the cold node, FALLBACK     *)
(*  xchg_tail                        xchg_tail                              *)
(*  link_prev                        WRITE_ONCE(prev->next, node)           *)
(*  arch_mcs_spin_lock_contended     non-head wait on node->locked          *)
(*  head_wait_owner_pending          head: atomic_cond_read_acquire exit    *)
(*  claim_cmpxchg                    head: cmpxchg (me,0,0) -> (0,0,1)      *)
(*  set_locked                       head: set_locked                       *)
(*  arch_mcs_spin_unlock_contended   wait next, next->locked = 1 (handover;*)
(*                                   [v6.19] also on -EDEADLK)              *)
(*  try_cmpxchg_tail                 abort: the last leaver resets the tail *)
(*  abort_signal_next                abort: wait next, next->locked = 2     *)
(*  release_node                     __this_cpu_dec(rqnodes[0].count): a   *)
(*                                   step in v6.19; in 6.15 merged into the *)
(*                                   step that leaves the queue (LeaveNode) *)
(*  release_held_lock_entry          failure exit (err_release_entry, TAS)  *)
(*  tas_cmpxchg                      resilient_tas_spin_lock: cmpxchg 0 -> 1*)
(*  check_timeout_arm, check_deadlock, check_timeout_expired               *)
(*                                   check_timeout (see the timeout rule)   *)
(*  res_spin_unlock_release          smp_store_release(&lock->locked, 0)    *)
(*  res_spin_unlock_pop              res_spin_unlock: clear slot, cnt--     *)
(*  Terminated                       every script has ended (no deadlock)   *)
(*                                                                         *)
(* PROPERTIES (defined at the end, each with what it protects): TypeOK,     *)
(* MutualExclusion, LockWordMatchesOwner, HeldTableMatches, QueueWellFormed,*)
(* AtMostOnePending, QuiescentLockWordClean (invariants); FailedAttemptClean,*)
(* DeadlockIsReal, DetectionIsReal, AAIsReal, AAIsDetected (action          *)
(* properties, checked on the step where an attempt fails);                 *)
(* AttemptsReturn, LocksReleased (liveness). The models and the verdict of  *)
(* each version are in spec/models.json and the README's findings table.    *)
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

(* Where the held-lock entry is pushed: "early", before the fast path (v6.19); *)
(* "late", once the lock word said which path (v6.15); "none": qspinlock     *)
(* (Resilient = FALSE) has no table, like the kernel's queued_spin_lock.    *)
EntryAt == IF ~Resilient THEN "none" ELSE IF Version = "v6.19" THEN "early" ELSE "late"
LockStart   == IF TasFallback = "native" THEN "tas_grab"
               ELSE IF EntryAt = "early" THEN "grab_entry" ELSE "fast_cas"
UnlockStart == IF EntryAt = "late" THEN "unlock_pop" ELSE "unlock_release"

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
DoneErr(c, x, r) == Begin(c, x, [r EXCEPT !.ts = "none", !.idx = -1, !.prev = NoNode, !.why = "none"])
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
(* check_deadlock_AA over table t: l is below the top of the visible slots. *)
AAIn(t, l) == \E i \in 1 .. Min(NrHeld, Len(t)) - 1 : t[i] = l
AAFound(c, l) == AAIn(rqh[c], l)

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

(* The state of the deadline at the start of a wait whose table will be t.   *)
(* The first check_timeout call arms the deadline, a step no other CPU can  *)
(* observe, merged into the step that starts the wait; except in v6.19 when *)
(* its check_deadlock_AA will fail (the table of the own CPU cannot change   *)
(* while this context runs), which stays a step: check_timeout_arm.         *)
WaitTs(t, l) == IF Version = "v6.19" /\ Resilient /\ AAIn(t, l) THEN "unarmed" ELSE "armed"
(* Leaving the queue path: __this_cpu_dec(rqnodes[0].count), then return (ok) *)
(* or release the table entry. count only matters to a later grab_mcs_node   *)
(* of an interrupt on this CPU: as the name of its node, and through         *)
(* FALLBACK(idx). When FALLBACK cannot depend on it (6.15 or qspinlock with   *)
(* at least one node per context) the dec is merged into the step that       *)
(* leaves the queue (the states differ only in node names); otherwise, as in *)
(* v6.19 where an NMI at idx > 0 takes the fallback, release_node is a step. *)
MergeCountDec == (Version = "v6.15" \/ ~Resilient) /\ NrNodes >= Cardinality(Ctxs)
LeaveNode(c, x, r, ok) ==
    IF MergeCountDec
    THEN /\ count' = [count EXCEPT ![c] = @ - 1]
         /\ Set(c, x, IF ok THEN Done0(c, x, r) ELSE [r EXCEPT !.pc = "err_release_entry", !.idx = -1])
    ELSE /\ count' = count
         /\ Set(c, x, [r EXCEPT !.pc = IF ok THEN "release_node" ELSE "err_release_node"])

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
                   [] r.pc = "pending_grab" -> [r EXCEPT !.pc = "pending_wait", !.ts = WaitTs(rqh'[c], r.lk)]
                   [] r.pc = "tas_grab"     -> [r EXCEPT !.pc = "tas_spin", !.ts = WaitTs(rqh'[c], r.lk)])
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
            /\ Set(c, x, IF EntryAt = "late" THEN [Acquire(r) EXCEPT !.pc = "fast_grab"]
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
                 ELSE IF EntryAt = "late" THEN [r EXCEPT !.pc = "pending_grab"]
                 ELSE [r EXCEPT !.pc = "pending_wait", !.ts = WaitTs(rqh[c], r.lk)])
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
    /\ rqh' = IF EntryAt = "late" THEN [rqh EXCEPT ![c] = GrabEntry(@, r.lk)] ELSE rqh
    /\ IF Fallback(x, i)
       THEN /\ node' = node
            /\ Set(c, x, [r EXCEPT !.pc = "fallback", !.idx = i, !.ts = WaitTs(rqh[c], r.lk)])
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
            /\ LeaveNode(c, x, [Acquire(r) EXCEPT !.ts = "none"], TRUE)
       ELSE /\ lock' = lock
            /\ \/ /\ r.pc = "trylock_cold"
                  /\ count' = count
                  /\ Set(c, x, [r EXCEPT !.pc = "xchg_tail"])
               \/ /\ r.pc = "fallback" /\ Resilient /\ Version = "v6.19"
                  /\ LeaveNode(c, x, [r EXCEPT !.ret = EDEADLK, !.why = "fallback", !.ts = "none"], FALSE)
    /\ UNCHANGED <<node, rqh>>

xchg_tail(c, x) ==
    LET r == ctx[c][x]  l == r.lk  old == lock[l].tail IN
    /\ At(c, x, "xchg_tail")
    /\ lock' = [lock EXCEPT ![l].tail = Me(c, x)]
    /\ Set(c, x, IF old # NoNode THEN [r EXCEPT !.pc = "link_prev", !.prev = old]
                 ELSE [r EXCEPT !.pc = "head_wait", !.ts = WaitTs(rqh[c], r.lk)])
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
    /\ Set(c, x, IF s = 1 THEN [r EXCEPT !.pc = "head_wait", !.ts = WaitTs(rqh[c], r.lk)]
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
            /\ LeaveNode(c, x, Acquire(r), TRUE)
       ELSE /\ lock' = lock
            /\ count' = count
            /\ Set(c, x, [r EXCEPT !.pc = "set_locked"])
    /\ UNCHANGED <<node, rqh>>

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
    /\ LeaveNode(c, x, r, r.pc = "handover")
    /\ UNCHANGED <<lock, rqh>>

try_cmpxchg_tail(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "abort")
    /\ IF CasTailOk(lock[l], Me(c, x))
       THEN /\ lock' = [lock EXCEPT ![l].tail = NoNode]
            /\ LeaveNode(c, x, r, FALSE)
       ELSE /\ lock' = lock
            /\ count' = count
            /\ Set(c, x, [r EXCEPT !.pc = "abort_signal"])
    /\ UNCHANGED <<node, rqh>>

abort_signal_next(c, x) ==
    LET r == ctx[c][x]  nx == node[c][r.idx].next IN
    /\ At(c, x, "abort_signal")
    /\ nx # NoNode
    /\ node' = [node EXCEPT ![nx[1]][nx[2]].locked = 2]
    /\ LeaveNode(c, x, r, FALSE)
    /\ UNCHANGED <<lock, rqh>>

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
       Set(c, x, IF EntryAt = "early" THEN [r2 EXCEPT !.pc = "unlock_pop"] ELSE DoneUnlock(c, x, r2))
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

(* Every context has run its script: the system stops (not a deadlock). *)
AllDone == \A c \in CPUs, x \in Ctxs : ctx[c][x].pc \in {"idle", "done"}
Terminated == AllDone /\ UNCHANGED vars

Next == \/ \E c \in CPUs : \/ RunCPU(c)
                           \/ \E x \in Ctxs : interrupt(c, x)
        \/ Terminated

Spec == Init /\ [][Next]_vars /\ \A c \in CPUs : WF_vars(RunCPU(c))

(* The same behaviours with one fairness condition, cheaper for TLC. Every   *)
(* step either starts an interrupt (finitely many) or advances a context     *)
(* through its finite script (waits are disabled steps, ts only grows), so   *)
(* every behaviour stutters forever after finitely many steps; under either  *)
(* fairness form the state it stutters in is one where no running context   *)
(* has an enabled step. The liveness models use FairSpec.                   *)
FairSpec == Init /\ [][Next]_vars /\ WF_vars(\E c \in CPUs : RunCPU(c))

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
(* exactly the locks it holds, in acquisition order; an idle CPU has none;    *)
(* qspinlock (Resilient = FALSE) never writes a table.                        *)
(* Protects deadlock detection, which trusts the table to mirror ownership.   *)
HeldTableMatches ==
    \A c \in CPUs :
        /\ RunningSet(c) = {} => rqh[c] = <<>>
        /\ ~Resilient => rqh[c] = <<>>
        /\ \A x \in RunningSet(c) :
              Resilient /\ ctx[c][x].pc \in {LockStart, UnlockStart} =>
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
(* The predecessors of node n among the queue nodes q of the waiters ws: a   *)
(* node whose next is n, or the prev of n's owner if it has not linked yet.  *)
Preds(q, ws, n) ==
    {m \in q : node[m[1]][m[2]].next = n}
    \cup {ctx[w[1]][w[2]].prev : w \in {v \in ws : NodeOf(v) = n /\ ctx[v[1]][v[2]].pc = "link_prev"}}
RECURSIVE Chain(_, _, _, _)
Chain(q, ws, n, k) ==   \* the nodes met walking back from n, at most k of them
    IF k <= 1 \/ Preds(q, ws, n) = {} THEN {n}
    ELSE {n} \cup Chain(q, ws, CHOOSE m \in Preds(q, ws, n) : TRUE, k - 1)

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
         LET ws == Waiters(l)  t == lock[l].tail IN
         IF ws = {} THEN t = NoNode
         ELSE LET q == {NodeOf(w) : w \in ws}
                  heads == {n \in q : Preds(q, ws, n) = {}} IN
              /\ Cardinality(q) = Cardinality(ws)
              /\ t \in q
              /\ \A n \in q : /\ Preds(q, ws, n) \subseteq q
                              /\ Cardinality(Preds(q, ws, n)) <= 1
                              /\ node[n[1]][n[2]].next \in q \cup {NoNode}
              /\ Cardinality(heads) = 1
              /\ Chain(q, ws, t, Cardinality(q)) = q
              /\ \A w \in ws :
                   NodeOf(w) \notin heads =>
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

(* A context of CPU c owns l, or is inside an attempt on l underneath the     *)
(* running context (an interrupt on c preempted it after its table entry was *)
(* pushed; the kernel treats it as held: it cannot move until the interrupt  *)
(* returns).                                                                 *)
HeldOrPreempted(c, l) ==
    \E y \in Ctxs : \/ l \in Range(ctx[c][y].owns)
                   \/ /\ ctx[c][y].pc \in AttemptPcs
                      /\ ctx[c][y].lk = l
                      /\ ~Runs(c, y)

(* The precise statement of the false AA verdicts a version allows: every    *)
(* -EDEADLK of check_deadlock_AA is for a lock that the CPU itself holds, or *)
(* is acquiring in a context preempted underneath. A violation is an AA      *)
(* verdict built on a stale table entry.                                     *)
AAIsReal ==
    [][\A c \in CPUs, x \in Ctxs :
         (NewError(c, x, EDEADLK) /\ ctx'[c][x].why = "AA") => HeldOrPreempted(c, ctx[c][x].lk)]_vars

(* An AA deadlock is never left to the timeout: no attempt returns          *)
(* -ETIMEDOUT for a lock that a context of its own CPU owns.                 *)
AAIsDetected ==
    [][\A c \in CPUs, x \in Ctxs :
         NewError(c, x, ETIMEDOUT) => ~OwnCpuHolds(c, ctx[c][x].lk)]_vars

(* Liveness, under weak fairness of each CPU's running context. *)
AttemptsReturnEach ==
    \A c \in CPUs, x \in Ctxs : (ctx[c][x].pc \in AttemptPcs) ~> (ctx[c][x].pc \notin AttemptPcs)
AttemptsReturn == <>[]NoAttemptInFlight
LocksReleasedEach ==
    \A l \in Locks : (lock[l].locked = 1) ~> (lock[l].locked = 0)
LocksReleased == <>[](\A l \in Locks : lock[l].locked = 0)

=============================================================================
