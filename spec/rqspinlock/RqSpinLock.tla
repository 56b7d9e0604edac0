------------------------------- MODULE RqSpinLock -------------------------------
(***************************************************************************)
(* rqspinlock, the resilient queued spin lock of Linux 6.15+, as a design                   *)
(* document that TLC checks. Kernel sources it follows (torvalds/linux):                    *)
(* kernel/bpf/rqspinlock.c (resilient_queued_spin_lock_slowpath,                            *)
(* check_timeout, check_deadlock_AA/_ABBA, resilient_tas_spin_lock),                        *)
(* kernel/bpf/rqspinlock.h (try_cmpxchg_tail), include/asm-generic/                         *)
(* rqspinlock.h (res_spin_lock, res_spin_unlock, grab/release_held_lock_                    *)
(* entry), kernel/locking/qspinlock.h (clear_pending, xchg_tail, set_locked,                *)
(* the generic queued_fetch_set_pending_acquire, ...), include/asm-generic/                 *)
(* qspinlock.h (queued_spin_trylock), kernel/locking/mcs_spinlock.h                         *)
(* (arch_mcs_spin_lock/unlock_contended), arch/x86/include/asm/qspinlock.h                  *)
(* (the x86 queued_fetch_set_pending_acquire).                                              *)
(*                                                                                          *)
(* rqspinlock is qspinlock (a lock word with a locked byte, a pending bit                   *)
(* and the tail of an MCS queue of per-CPU nodes) whose lock attempt can                    *)
(* fail: res_spin_lock returns 0, -EDEADLK (an AA or ABBA deadlock was seen                 *)
(* in the per-CPU held-lock tables) or -ETIMEDOUT (the last line of                         *)
(* defence). BPF programs run in any context, so a lock attempt may                         *)
(* interrupt, on the same CPU, the holder or a waiter of the same lock.                     *)
(*                                                                                          *)
(* THE VERSION IS A CONSTANT of this one spec. Each version is the code of                  *)
(* a kernel release as far as the modeled paths go; commits by Kumar                        *)
(* Kartikeya Dwivedi; links https://git.kernel.org/torvalds/c/<id>.                         *)
(*  "v6.15" as merged for 6.15: pull "BPF resilient spin_lock for 6.15",                    *)
(*          bpf-next merge 6ffb9017e932, mainline merge 494e7fe591bf; read at               *)
(*          torvalds/linux 5709be4c35ba.                                                    *)
(*  "v6.17" v6.15 + 0d80e7f951be "Choose trylock fallback for NMI                           *)
(*          waiters" (bpf fixes tree, Sep 2025; mainline v6.17, stable                      *)
(*          6.16.y): FALLBACK is idx >= 4 || in_nmi(), the body unchanged                   *)
(*          (the trylock loop with check_timeout, T). Read in a later bpf                   *)
(*          tree (kernel-patches/bpf 11487a112a3a) whose only other change on               *)
(*          the modeled paths is the -ETIMEDOUT of a cancelled waiter, which                *)
(*          came with "Adjust return value for queue destruction" (Nov 2025,                *)
(*          v6.19-rc1) and is given to v6.19 here, not to v6.17.                            *)
(*  "v6.19" after the Oct-Nov 2025 reworks (v6.19-rc1): beb7021a6003 entry                  *)
(*          before the fast path, unlock releases before it pops;                           *)
(*          5860f5ce479f AA at the start of each wait; 087849cca31d AA before               *)
(*          queueing; 81d5a6a43859 FALLBACK for idx >= 4 or an NMI at idx > 0               *)
(*          and 30dc2f7025fe one trylock there, else -EDEADLK; 7bd6e5ce5be6 a               *)
(*          head that sees -EDEADLK hands the queue over; "Adjust return value              *)
(*          for queue destruction" (id not known) a cancelled waiter returns                *)
(*          -ETIMEDOUT. Read at yailabs/yai 5f6e5cf60127, which already has                 *)
(*          82f3b142c99c (see v7.0): v6.19's TAS fallback is the code before                *)
(*          that commit (its 6.19 stable review diff, 2026-02-24): in an x86                *)
(*          guest res_spin_lock and resilient_tas_spin_lock both push.                      *)
(*  "v7.0"  v6.19 + 82f3b142c99c "Fix TAS fallback lock entry creation"                     *)
(*          (mainline v7.0-rc1; stable 6.18.y, 6.19.y): the caller pushes the               *)
(*          entry, resilient_tas_spin_lock no longer does (it still pops it                 *)
(*          when it fails). Read at yailabs/yai 5f6e5cf60127.                               *)
(*  "v7.2"  v7.0 + 7a3c0289c3c8 "Reset tail when preserving queue on                        *)
(*          deadlock" (v7.2-rc7; stable 7.1.y): the newest code we can read.                *)
(*          ASSUMED LINES: no upstream diff of 7a3c0289c3c8 was readable; the               *)
(*          -EDEADLK block of the head (actions try_cmpxchg_tail and                        *)
(*          arch_mcs_spin_unlock_contended at pc "handover_deadlock" and                    *)
(*          "handover_deadlock_wait") is taken from the author's tree                       *)
(*          kkdwivedi/linux dac585f6c185 (kernel/bpf/rqspinlock.c), which                   *)
(*          matches the commit's subject: if no successor is linked, the head               *)
(*          tries try_cmpxchg_tail(lock, tail, 0) and, if it was the tail,                  *)
(*          leaves with -EDEADLK signalling nobody; if the cmpxchg fails a                  *)
(*          successor exists: wait for it to link and write 1 (hand over), as               *)
(*          before; a successor already linked gets 1 at once. Everything                   *)
(*          else of v7.2 is v7.0. Not modeled: the smp_cond_load_acquire_                   *)
(*          timeout rework of check_timeout (Ankur Arora), not in that tree;                *)
(*          whether mainline has it is not known.                                           *)
(* Resilient = FALSE is plain qspinlock (no checks, no timeouts, no held-                   *)
(* lock table): the negative baseline. TasFallback selects the test-and-set                 *)
(* lock: "native" (no queued spinlocks: res_spin_lock is the TAS loop) or                   *)
(* "virt" (x86 guest with virt_spin_lock_key: the slow path goes to the TAS                 *)
(* loop).                                                                                   *)
(*                                                                                          *)
(* ARCHITECTURE CONSTANTS (interleaving points inside one kernel function):                 *)
(*  SetPending = "fetch_or": queued_fetch_set_pending_acquire is one atomic                 *)
(*          fetch_or (the generic kernel/locking/qspinlock.h).                              *)
(*             = "x86": arch/x86/include/asm/qspinlock.h: a "lock btsl" of                  *)
(*          the pending bit (action queued_fetch_set_pending_acquire), then a               *)
(*          separate atomic_read of the rest of the word (action                            *)
(*          queued_fetch_set_pending_read): the value the slow path decides on              *)
(*          is the old pending bit and locked/tail of a later moment.                       *)
(*  AbbaScan = "atomic": check_deadlock_ABBA reads every table in one step                  *)
(*          and any CPU found first decides (A3).                                           *)
(*           = "stepwise": one access per step, in a fixed CPU order                        *)
(*          (ScanOrder; no CPU symmetry), per remote CPU: READ_ONCE(cnt)                    *)
(*          (abba_read_cnt); atomic_read_acquire of the lock word, released                 *)
(*          ends the scan with 0 (abba_is_lock_released); skip the own CPU,                 *)
(*          cnt < 2, cnt > NrHeld; READ_ONCE(locks[cnt-1]), NULL skips the                  *)
(*          CPU (abba_read_top); READ_ONCE(locks[i]) for i = 0..cnt-2                       *)
(*          (abba_read_entry), at the first match the own table (a local                    *)
(*          read) gives -EDEADLK or 0, which ends the scan. Interrupts may                  *)
(*          come between any two of them. For small models; liveness models                 *)
(*          use FairSpecStepwise (a deadline passes eventually: see below).                 *)
(*                                                                                          *)
(* THE LOCK WORD (32 bits, NR_CPUS < 16K), written (tail, pending, locked):                 *)
(*                                                                                          *)
(*   31                     18 17   16 15           9   8   7            0                  *)
(*  +-------------------------+-------+--------------+---+--------------+                   *)
(*  |      tail CPU + 1       |  idx  |    unused    | P |    locked    |                   *)
(*  +-------------------------+-------+--------------+---+--------------+                   *)
(*   \____ tail: the last queued MCS node ________/  pending  owner byte                    *)
(*                                                                                          *)
(* Here lock[l] = [locked |-> 0..1, pending |-> 0..1, tail |-> <<cpu, idx>>                 *)
(* or <<>> for "no tail"]. Per CPU: node[c][0..NrNodes-1] (rqnodes[], with                  *)
(* locked 0 = wait, 1 = you are the head, 2 = RES_TIMEOUT_VAL "abort", and                  *)
(* next), count[c] (rqnodes[0].count: how many contexts of c are in the                     *)
(* queue path) and rqh[c] (rqspinlock_held_locks: cnt = Len(rqh[c]), the                    *)
(* first NrHeld entries are the recorded slots).                                            *)
(*                                                                                          *)
(* THE PATHS (one res_spin_lock attempt; [v] = from that version on,                        *)
(* [..w] = up to that version):                                                             *)
(*                                                                                          *)
(*  res_spin_lock(l)                                                                        *)
(*   [v6.19] grab_held_lock_entry(l)                                                        *)
(*   cmpxchg (0,0,0) -> (0,0,1) ............................ 0                              *)
(*   [..v6.17] grab_held_lock_entry(l) after the cmpxchg succeeded                          *)
(*   resilient_queued_spin_lock_slowpath(l, val):                                           *)
(*    [virt] resilient_tas_spin_lock: [..v6.19] grab_held_lock_entry;                       *)
(*           loop {cmpxchg 0 -> 1; check_timeout (1 s)}                                     *)
(*    val = (0,1,0): re-read a bounded number of times                                      *)
(*    no pending, no tail: set pending (fetch_or; x86: btsl, then a read);                  *)
(*    if we set it from 0 and there is no tail, we are THE PENDING WAITER                   *)
(*    ([..v6.17] grab entry):                                                               *)
(*       wait locked = 0, with check_timeout (T);                                           *)
(*       clear_pending_set_locked ....................................... 0                 *)
(*       failure: clear_pending, release_held_lock_entry ..... error                        *)
(*    otherwise QUEUE ([v6.19] check_deadlock_AA first; [..v6.17] grab):                    *)
(*       idx = count++; FALLBACK(idx) if no node may be used:                               *)
(*         [v6.15] idx >= 4; [v6.17] idx >= 4 or an NMI: trylock loop                       *)
(*         with check_timeout (T); [v6.19] idx >= 4 or (NMI and idx > 0):                   *)
(*         one trylock, else -EDEADLK                                                       *)
(*       init node; trylock; xchg_tail; if there was a tail: link prev.next                 *)
(*       and wait node.locked # 0 (NO clock); 2 = abort: [..v6.17]                          *)
(*       -EDEADLK, [v6.19] -ETIMEDOUT                                                       *)
(*       HEAD: wait locked = 0 and pending = 0, with check_timeout (2T);                    *)
(*         -EDEADLK: [..v6.17] abort the queue; [v6.19] wait for next, make                 *)
(*                   it the head (next.locked = 1), fail; [v7.2] if no next                 *)
(*                   is linked, try_cmpxchg_tail(me -> 0) first: success                    *)
(*                   leaves (-EDEADLK), failure waits for next as before                    *)
(*         -ETIMEDOUT: abort the queue                                                      *)
(*       claim: cmpxchg (me,0,0) -> (0,0,1) if we are the tail, else                        *)
(*         set_locked, wait for next, next.locked = 1 ...................... 0              *)
(*       ABORT: try_cmpxchg_tail(me -> 0) if we are the tail (the last                      *)
(*         leaver resets the tail), else wait for next and write 2 into                     *)
(*         next.locked (the cascade: the successor aborts in turn)                          *)
(*       count--; on failure release_held_lock_entry ................ error                 *)
(*  res_spin_unlock(l): [..v6.17] pop the entry, then release locked = 0;                   *)
(*                      [v6.19] release locked = 0, then pop the entry.                     *)
(*                                                                                          *)
(* DEADLOCK CHECKS (over the tables as they are at that step):                              *)
(*   AA(l): l is in our table below our own top entry.                                      *)
(*   ABBA(l): a remote CPU d with 2 <= cnt <= NrHeld has l below its top;                   *)
(*     the first such d decides: deadlock iff d's top entry is below our                    *)
(*     own top. Where they run: [..v6.17] AA and ABBA only from the second                  *)
(*     check_timeout call of a wait (>= 1 ms after the first); [v6.19] AA                   *)
(*     before queueing and on the first check_timeout call of every wait,                   *)
(*     ABBA on the later calls.                                                             *)
(*                                                                                          *)
(* CONTEXTS AND SCRIPTS. Each CPU runs a stack of contexts: the task, an IRQ                *)
(* and an NMI. An IRQ may arrive at any step of the task, an NMI at any                     *)
(* step of the task or the IRQ; an interrupt runs to completion before the                  *)
(* interrupted context continues. Each context runs Scripts[c][x]: lock and                 *)
(* unlock operations over Locks, unlocking in LIFO order (the verifier                      *)
(* enforces it for BPF programs); after the first failed attempt it                         *)
(* releases what it holds (LIFO) and stops. Ghost: ctx.owns is what the                     *)
(* context really owns (from the atomic step that acquires the lock word to                 *)
(* the release store); ctx.why is the cause of a failure.                                   *)
(*                                                                                          *)
(* TIME AND THE TIMEOUT RULE. Time is not modeled. Only four waits measure                  *)
(* time: the pending waiter (T), the queue head (2T), the v6.15/v6.17                       *)
(* FALLBACK trylock loop (T) and the TAS loop (1 s). While such a wait's                    *)
(* condition is false, RES_CHECK_TIMEOUT calls check_timeout, modeled by                    *)
(* three steps:                                                                             *)
(*   check_timeout_arm      the first call of the wait: arms the deadline;                  *)
(*                          [v6.19] runs check_deadlock_AA. Arming alone is                 *)
(*                          invisible to every other context, so it is                      *)
(*                          merged into the step that starts the wait                       *)
(*                          (ts = "armed"); it stays a step of its own only                 *)
(*                          when its AA check will fail (ts = "unarmed"):                   *)
(*                          the own table cannot change while we run (exact                 *)
(*                          as long as interrupts leave the table as they                   *)
(*                          found it, which HeldTableMatches checks).                       *)
(*   check_deadlock         a later call, >= 1 ms after the last one:                       *)
(*                          [..v6.17] AA then ABBA, [v6.19] ABBA (stepwise:                 *)
(*                          the v6.15/v6.17 AA, then the start of the scan).                *)
(*   check_timeout_expired  the deadline passed: -ETIMEDOUT.                                *)
(* RULE: a deadline may pass at any moment after at least one                               *)
(* check_deadlock of the same wait came out clean (ts = "checked"), and                     *)
(* never before. Reasons: (1) 1 ms is far below T = 250 ms, so the kernel                   *)
(* scans many times before any deadline; (2) the owner, the pending waiter                  *)
(* or the waiters ahead may be slow for any reason the model does not see                   *)
(* (a long critical section, a preempted vCPU, interrupts), so a timeout is                 *)
(* possible whenever a waiter waits, even when everybody else progresses.                   *)
(* Timeouts are a nondeterministic choice, never forced (with the stepwise                  *)
(* scan, FairSpecStepwise adds strong fairness of check_timeout_expired:                    *)
(* otherwise a wait could rescan forever). Waits WITHOUT a clock: a                         *)
(* non-head waiter on its node, a head waiting for its successor to link                    *)
(* (after set_locked, in the abort, in the v6.19 deadlock handover and the                  *)
(* v7.2 one after a failed tail reset): these may wait forever. Under weak                  *)
(* fairness of each CPU's running context every timed wait ends (by its                     *)
(* exit, a deadlock verdict or the timeout), so AttemptsReturn can only fail                *)
(* through an untimed wait, or through a context that never runs again                      *)
(* because an interrupt above it never returns. Which scenarios show which                  *)
(* such hang is what the sweep reports (README); each model stops at its                    *)
(* first violation.                                                                         *)
(*                                                                                          *)
(* ABSTRACTIONS, and what they buy:                                                         *)
(*  A1 Sequential consistency; each step is one atomic access of the kernel                 *)
(*     (load, store, cmpxchg, xchg, fetch_or) plus local computation; the                   *)
(*     exceptions, accesses merged into one step, are A2, A3 (atomic scan),                 *)
(*     A10 and A11 (generic set-pending).                                                   *)
(*  A2 Steps that touch only per-CPU data that no other CPU reads are                       *)
(*     merged into the step before: idx = count++ with the node init (and                   *)
(*     the v6.15/v6.17 queue grab); the arming call of check_timeout; the                   *)
(*     slot store and the cnt update of grab/release_held_lock_entry (a                     *)
(*     remote scan of the half-done update could only see a NULL top and                    *)
(*     skip the CPU; v6.15's res_spin_unlock does its cnt-- after the                       *)
(*     release store, so its pop is merged across that step: the Java twin                  *)
(*     keeps the kernel's order and reads a NULL slot as popped, see the                    *)
(*     README's Conformance section); and, where FALLBACK cannot read idx                   *)
(*     (v6.15, v6.17, qspinlock), the count-- that leaves the queue path                    *)
(*     (there the count only names the node of a later interrupt; from                      *)
(*     v6.19 release_node is a step: its NMI FALLBACK reads idx).                           *)
(*     REDUCTION: several steps per attempt (-19% on 6.15, two CPUs).                       *)
(*  A3 With AbbaScan = "atomic", check_deadlock_ABBA reads every table in                   *)
(*     one step, and the order of for_each_possible_cpu is abstracted to                    *)
(*     "any CPU found first decides" (an over-approximation of the fixed                    *)
(*     order), which keeps the model CPU-symmetric. The kernel reads each                   *)
(*     count, lock word, top slot and entry separately and can be                           *)
(*     interrupted mid-scan: AbbaScan = "stepwise" models that (README:                     *)
(*     what changes). REDUCTION: symmetry over CPUs (x6 on three CPUs).                     *)
(*  A4 The bounded re-read of (0,1,0) is one re-read (PENDING_LOOPS = 1, as                 *)
(*     in generic code; x86 uses 512, whose intermediate reads are not                      *)
(*     observable).                                                                         *)
(*  A5 count++ is atomic with respect to interrupts of the same CPU.                        *)
(*  A6 A context that is done or has not started keeps no locals (a trace                   *)
(*     shows its last return value on the step that returns); why is reset                  *)
(*     when the failed attempt returns; each interrupt context runs its                     *)
(*     script at most once; scripts are short.                                              *)
(*     REDUCTION: canonical context records, short scripts.                                 *)
(*  A7 The table keeps every pushed lock; only the first NrHeld are visible                 *)
(*     to the checks and an ABBA scan skips a CPU whose cnt exceeds NrHeld,                 *)
(*     the kernel's overflow behaviour (models use NrHeld = 31, except                      *)
(*     rq_v619_overflow with NrHeld = 1).                                                   *)
(*  A8 NrNodes (_Q_MAX_NODES = 4) is a constant; three contexts never reach                 *)
(*     idx >= 4, so rq_v615_no_node uses NrNodes = 1 to exercise FALLBACK.                  *)
(*  A9 The lock word is three fields (the NR_CPUS < 16K layout, whose                       *)
(*     pending and tail updates are byte and halfword stores).                              *)
(*  A10 The head's local next (READ_ONCE(node->next) after its MCS wait) is                 *)
(*     the node's next at the step that uses it: a successor that linked in                 *)
(*     between makes the kernel's v7.2 try_cmpxchg_tail fail (no effect)                    *)
(*     before the same hand-over.                                                           *)
(*  A11 With SetPending = "fetch_or" the pending bit and the rest of the                    *)
(*     word are one snapshot; on x86 they are not (SetPending = "x86").                     *)
(*                                                                                          *)
(* ACTIONS: each names the kernel step it models; the steps of the Java                     *)
(* twin (enum rqspin.lock.Step) carry the same names. Files are of                          *)
(* torvalds/linux, e.g. https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/ *)
(* tree/kernel/bpf/rqspinlock.c?h=v6.19; "series" is the rqspinlock series as merged        *)
(* (https://git.kernel.org/torvalds/c/494e7fe591bf); the other ids are commits,             *)
(* https://git.kernel.org/torvalds/c/<id>.                                                  *)
(* action: kernel file: function (the step) [commit]                                        *)
(*  interrupt: IRQ/NMI entry, a context starts running                                      *)
(*  grab_held_lock_entry: include/asm-generic/rqspinlock.h: grab_held_lock_entry, in        *)
(*    res_spin_lock [v6.19] (pc grab_entry); [..v6.17] after the fast path (fast_grab), for *)
(*    the pending waiter (pending_grab), at queue: (in grab_mcs_node); in                   *)
(*    resilient_tas_spin_lock [..v6.19] (tas_grab) [series; beb7021a6003 moved it before    *)
(*    the fast path; 82f3b142c99c: TAS no longer pushes, its caller does]                   *)
(*  fastpath_cmpxchg: include/asm-generic/rqspinlock.h: res_spin_lock's                     *)
(*    atomic_try_cmpxchg_acquire 0 -> _Q_LOCKED_VAL [series]                                *)
(*  pending_reread: kernel/bpf/rqspinlock.c: resilient_queued_spin_lock_slowpath, the       *)
(*    bounded atomic_cond_read_relaxed of (0,1,0) [series]                                  *)
(*  queued_fetch_set_pending_acquire: kernel/locking/qspinlock.h (one fetch_or) or          *)
(*    arch/x86/include/asm/qspinlock.h (the lock btsl) [series]                             *)
(*  queued_fetch_set_pending_read: arch/x86/include/asm/qspinlock.h: the atomic_read after  *)
(*    the btsl [x86 only]                                                                   *)
(*  clear_pending: kernel/locking/qspinlock.h: clear_pending, the undo or the failing       *)
(*    pending waiter [series]                                                               *)
(*  pending_wait_owner: rqspinlock.c: res_smp_cond_load_acquire(&lock->locked, !VAL ||      *)
(*    RES_CHECK_TIMEOUT(...)) ends [series]                                                 *)
(*  clear_pending_set_locked: kernel/locking/qspinlock.h [series]                           *)
(*  check_deadlock_AA_queue: rqspinlock.c: check_deadlock_AA at queue: [087849cca31d]       *)
(*  grab_mcs_node: rqspinlock.c: idx = count++, FALLBACK(idx)?, grab_mcs_node, node init    *)
(*    [series; FALLBACK: 0d80e7f951be, 81d5a6a43859]                                        *)
(*  queued_spin_trylock: include/asm-generic/qspinlock.h: on the cold node; in FALLBACK the *)
(*    loop [..v6.17] or one try [series; 30dc2f7025fe]                                      *)
(*  xchg_tail: kernel/locking/qspinlock.h: xchg_tail [series]                               *)
(*  link_prev: rqspinlock.c: WRITE_ONCE(prev->next, node) [series]                          *)
(*  arch_mcs_spin_lock_contended: kernel/locking/mcs_spinlock.h, the non-head wait; 2 =     *)
(*    abort: -EDEADLK, [v6.19] -ETIMEDOUT [series; "Adjust return value for queue           *)
(*    destruction"]                                                                         *)
(*  head_wait_owner_pending: rqspinlock.c: res_atomic_cond_read_acquire(&lock->val,         *)
(*    !(VAL & _Q_LOCKED_PENDING_MASK) || RES_CHECK_TIMEOUT(...)) ends [series]              *)
(*  claim_cmpxchg: rqspinlock.c: the head's atomic_try_cmpxchg_relaxed (n,0,0) -> (0,0,1)   *)
(*    [series]                                                                              *)
(*  set_locked: kernel/locking/qspinlock.h: set_locked [series]                             *)
(*  arch_mcs_spin_unlock_contended: rqspinlock.c and mcs_spinlock.h: wait for next,         *)
(*    next->locked = 1; [v6.19] also on -EDEADLK [series; 7bd6e5ce5be6; 7a3c0289c3c8]       *)
(*  try_cmpxchg_tail: kernel/bpf/rqspinlock.h: try_cmpxchg_tail at waitq_timeout; [v7.2]    *)
(*    also on -EDEADLK (ASSUMED lines, see v7.2) [164c246571e9; 7a3c0289c3c8]               *)
(*  abort_signal_next: rqspinlock.c waitq_timeout: wait for next,                           *)
(*    WRITE_ONCE(next->locked, RES_TIMEOUT_VAL) [164c246571e9]                              *)
(*  release_node: rqspinlock.c release: / err_release_node: __this_cpu_dec(count) [series]  *)
(*  release_held_lock_entry: include/asm-generic/rqspinlock.h, at err_release_entry and in  *)
(*    resilient_tas_spin_lock [series]                                                      *)
(*  tas_cmpxchg: rqspinlock.c: resilient_tas_spin_lock's atomic_try_cmpxchg 0 -> 1          *)
(*    [c9102a68c070]                                                                        *)
(*  check_timeout_arm: rqspinlock.c: check_timeout, the first call of a wait; [v6.19] its   *)
(*    check_deadlock_AA [series; 5860f5ce479f]                                              *)
(*  check_deadlock: rqspinlock.c: check_timeout, a later call: check_deadlock               *)
(*    [..v6.17] / check_deadlock_ABBA [v6.19] [series; 5860f5ce479f]                        *)
(*  check_timeout_expired: rqspinlock.c: check_timeout, time > timeout_end [series]         *)
(*  abba_read_cnt, abba_is_lock_released, abba_read_top, abba_read_entry: rqspinlock.c:     *)
(*    check_deadlock_ABBA, one access each (AbbaScan = "stepwise" only) [series]            *)
(*  res_spin_unlock_release: include/asm-generic/rqspinlock.h: res_spin_unlock's            *)
(*    smp_store_release(&lock->locked, 0) [series; beb7021a6003: the order]                 *)
(*  res_spin_unlock_pop: res_spin_unlock: locks[cnt - 1] = NULL, cnt-- [same]               *)
(*  Terminated: every script has ended (no deadlock)                                        *)
(*                                                                                          *)
(* PROPERTIES (defined at the end, each with what it protects): TypeOK,                     *)
(* MutualExclusion, LockWordMatchesOwner, HeldTableMatches, QueueWellFormed,                *)
(* QueueLive, AtMostOnePending, QuiescentLockWordClean (invariants);                        *)
(* FailedAttemptClean, DeadlockIsReal, DetectionIsReal, AAIsReal,                           *)
(* AAIsDetected (action properties, checked on the step where an attempt                    *)
(* fails); AttemptsReturn, LocksReleased (liveness). The models and the                     *)
(* verdict of each version are in spec/models.json and the README.                          *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Version,      \* "v6.15" | "v6.17" | "v6.19" | "v7.0" | "v7.2" (see the header)
    Resilient,    \* TRUE: rqspinlock; FALSE: plain qspinlock (no checks, no timeouts)
    TasFallback,  \* "none" | "native" (no queued spinlocks) | "virt" (x86 guest, virt_spin_lock_key on)
    SetPending,   \* "fetch_or" (generic) | "x86" (btsl, then a separate read)
    AbbaScan,     \* "atomic" (one step, any order) | "stepwise" (one access per step, ScanOrder)
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

(***************************************************************************)
(* Versions, oldest first, and what each commit changed (see the header).  *)
(***************************************************************************)
VersionOrder == <<"v6.15", "v6.17", "v6.19", "v7.0", "v7.2">>
Rank(v) == CHOOSE i \in DOMAIN VersionOrder : VersionOrder[i] = v
Since(v) == Rank(Version) >= Rank(v)

(* beb7021a6003, 5860f5ce479f, 087849cca31d, 81d5a6a43859, 30dc2f7025fe,    *)
(* 7bd6e5ce5be6 and "Adjust return value for queue destruction": v6.19.    *)
EarlyEntry        == Since("v6.19")  \* entry before the fast path; unlock releases, then pops
AAEarly           == Since("v6.19")  \* AA at the first check_timeout call and before queueing
NmiFallbackNested == Since("v6.19")  \* FALLBACK for an NMI at idx > 0 (81d5a6a43859)
NmiFallbackAlways == Version = "v6.17" \* FALLBACK for every NMI (0d80e7f951be)
FallbackSpins     == ~Since("v6.19") \* FALLBACK loops with check_timeout (until 30dc2f7025fe)
HeadHandsOver     == Since("v6.19")  \* a head seeing -EDEADLK hands over (7bd6e5ce5be6)
CascadeTimedOut   == Since("v6.19")  \* a cancelled waiter returns -ETIMEDOUT ("Adjust return value")
TasPushesEntry    == ~Since("v7.0")  \* resilient_tas_spin_lock pushes (until 82f3b142c99c)
DeadlockResetsTail == Since("v7.2")  \* the -EDEADLK head resets the tail (7a3c0289c3c8, ASSUMED)

ASSUME Version \in Range(VersionOrder)
ASSUME Resilient \in BOOLEAN
ASSUME TasFallback \in {"none", "native", "virt"}
ASSUME ~Resilient => TasFallback = "none"
ASSUME SetPending \in {"fetch_or", "x86"}
ASSUME AbbaScan \in {"atomic", "stepwise"}
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
              "handover_deadlock", "handover_deadlock_wait", "abort", "abort_signal"}
PendingPcs == {"pending_grab", "pending_wait", "pending_claim", "pending_fail"}
AttemptPcs == {"grab_entry", "fast_cas", "fast_grab", "pending_reread", "set_pending",
               "set_pending_read", "undo_pending", "queue", "trylock_cold", "fallback",
               "xchg_tail", "release_node", "err_release_node", "err_release_entry",
               "tas_grab", "tas_spin", "tas_fail"} \cup QueuedPcs \cup PendingPcs
UnlockPcs == {"unlock_release", "unlock_pop"}
Pcs == AttemptPcs \cup UnlockPcs \cup {"idle", "done"}

(* Where the held-lock entry is pushed: "early", before the fast path (v6.19 *)
(* on); "late", once the lock word said which path (v6.15, v6.17); "none":   *)
(* qspinlock (Resilient = FALSE) has no table, like queued_spin_lock.       *)
EntryAt == IF ~Resilient THEN "none" ELSE IF EarlyEntry THEN "early" ELSE "late"
LockStart   == IF TasFallback = "native" THEN "tas_grab"
               ELSE IF EntryAt = "early" THEN "grab_entry" ELSE "fast_cas"
UnlockStart == IF EntryAt = "late" THEN "unlock_pop" ELSE "unlock_release"

(* The state of a stepwise ABBA scan (AbbaScan = "stepwise"): k indexes      *)
(* ScanOrder (0: no scan), ph the next access, cnt / top / i what was read.  *)
NoScan == [k |-> 0, ph |-> "none", cnt |-> 0, top |-> NoLock, i |-> 0]
NCpus == Cardinality(CPUs)
(* for_each_possible_cpu: a fixed order of the CPUs (models that use it have *)
(* no CPU symmetry; TLC's CHOOSE is deterministic).                          *)
ScanOrder == CHOOSE s \in [1 .. NCpus -> CPUs] : Range(s) = CPUs

Fresh == [pc |-> "idle", ip |-> 1, lk |-> NoLock, ret |-> OK, why |-> "none",
          idx |-> -1, prev |-> NoNode, ts |-> "none", owns |-> <<>>, base |-> 0,
          pend |-> 0, scan |-> NoScan]

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
(* The running context of c, if any: a set of at most one. *)
RunningSet(c) == {x \in Ctxs : Runs(c, x)}
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

(* check_deadlock_ABBA (AbbaScan = "atomic"): the first remote CPU found     *)
(* holding l (in its non-top entries) decides: deadlock iff its top entry is *)
(* held by us. The scan order (for_each_possible_cpu) is abstracted to any   *)
(* order, see A3.                                                            *)
ABBADeciders(c, l) ==
    {d \in CPUs \ {c} : /\ Len(rqh[d]) >= 2
                        /\ Len(rqh[d]) <= NrHeld
                        /\ l \in {rqh[d][i] : i \in 1 .. Len(rqh[d]) - 1}}
ABBAVerdict(c, d) == IF rqh[d][Len(rqh[d])] \in NonTop(c) THEN "ABBA" ELSE "none"
ABBAOutcomes(c, l) ==
    IF ABBADeciders(c, l) = {} THEN {"none"} ELSE {ABBAVerdict(c, d) : d \in ABBADeciders(c, l)}

(* The deadlock check of a later check_timeout call (>= 1 ms after the last). *)
CheckOutcomes(c, l) ==
    IF ~AAEarly /\ AAFound(c, l) THEN {"AA"} ELSE ABBAOutcomes(c, l)

(* The state of the deadline at the start of a wait whose table will be t.   *)
(* The first check_timeout call arms the deadline, a step no other CPU can  *)
(* observe, merged into the step that starts the wait; except from v6.19    *)
(* when its check_deadlock_AA will fail (the table of the own CPU cannot     *)
(* change while this context runs), which stays a step: check_timeout_arm.  *)
WaitTs(t, l) == IF AAEarly /\ Resilient /\ AAIn(t, l) THEN "unarmed" ELSE "armed"
(* Leaving the queue path: __this_cpu_dec(rqnodes[0].count), then return (ok) *)
(* or release the table entry. count only matters to a later grab_mcs_node   *)
(* of an interrupt on this CPU: as the name of its node, and through         *)
(* FALLBACK(idx). When FALLBACK cannot depend on it (v6.15, v6.17 or         *)
(* qspinlock with at least one node per context) the dec is merged into the *)
(* step that leaves the queue (the states differ only in node names);        *)
(* otherwise, as from v6.19 where an NMI at idx > 0 takes the fallback,     *)
(* release_node is a step.                                                   *)
MergeCountDec == (~NmiFallbackNested \/ ~Resilient) /\ NrNodes >= Cardinality(Ctxs)
LeaveNode(c, x, r, ok) ==
    IF MergeCountDec
    THEN /\ count' = [count EXCEPT ![c] = @ - 1]
         /\ Set(c, x, IF ok THEN Done0(c, x, r) ELSE [r EXCEPT !.pc = "err_release_entry", !.idx = -1])
    ELSE /\ count' = count
         /\ Set(c, x, [r EXCEPT !.pc = IF ok THEN "release_node" ELSE "err_release_node"])

(* FALLBACK(idx): no MCS node for this attempt. *)
Fallback(x, i) == \/ i >= NrNodes
                  \/ (Resilient /\ NmiFallbackAlways /\ x = "nmi")
                  \/ (Resilient /\ NmiFallbackNested /\ x = "nmi" /\ i > 0)

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

(* Where the slow path starts after the fast path saw the word w. In an x86 *)
(* guest it is resilient_tas_spin_lock, which pushes its own entry until    *)
(* 82f3b142c99c (v7.0; before it, from v6.19 on, a second one).              *)
SlowStart(c, r, w) ==
    IF TasFallback = "virt"
    THEN IF TasPushesEntry THEN [r EXCEPT !.pc = "tas_grab"]
         ELSE [r EXCEPT !.pc = "tas_spin", !.ts = WaitTs(rqh[c], r.lk)]
    ELSE [r EXCEPT !.pc = IF w = PendingOnly THEN "pending_reread"
                          ELSE IF w.pending = 1 \/ w.tail # NoNode THEN "queue"
                          ELSE "set_pending"]

fastpath_cmpxchg(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "fast_cas")
    /\ IF lock[l] = Free
       THEN /\ lock' = [lock EXCEPT ![l] = LockedOnly]
            /\ Set(c, x, IF EntryAt = "late" THEN [Acquire(r) EXCEPT !.pc = "fast_grab"]
                         ELSE Done0(c, x, Acquire(r)))
       ELSE /\ lock' = lock
            /\ Set(c, x, SlowStart(c, r, lock[l]))
    /\ UNCHANGED <<node, count, rqh>>

pending_reread(c, x) ==
    LET r == ctx[c][x]  w == lock[r.lk] IN
    /\ At(c, x, "pending_reread")
    /\ Set(c, x, [r EXCEPT !.pc = IF w.pending = 1 \/ w.tail # NoNode THEN "queue" ELSE "set_pending"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* What the slow path does with val, the value queued_fetch_set_pending_     *)
(* acquire returned: contention (a pending bit or a tail) queues, undoing    *)
(* the bit if we set it; otherwise we are the pending waiter.                *)
AfterSetPending(c, r, v) ==
    IF SawContention(v)
    THEN [r EXCEPT !.pc = IF v.pending = 0 THEN "undo_pending" ELSE "queue", !.pend = 0]
    ELSE IF EntryAt = "late" THEN [r EXCEPT !.pc = "pending_grab", !.pend = 0]
    ELSE [r EXCEPT !.pc = "pending_wait", !.ts = WaitTs(rqh[c], r.lk), !.pend = 0]

(* Generic: one atomic fetch_or. x86: lock btsl of the pending bit, whose    *)
(* old value is kept for queued_fetch_set_pending_read.                      *)
queued_fetch_set_pending_acquire(c, x) ==
    LET r == ctx[c][x]  l == r.lk  w == lock[l] IN
    /\ At(c, x, "set_pending")
    /\ lock' = [lock EXCEPT ![l].pending = 1]
    /\ Set(c, x, IF SetPending = "x86" THEN [r EXCEPT !.pc = "set_pending_read", !.pend = w.pending]
                 ELSE AfterSetPending(c, r, w))
    /\ UNCHANGED <<node, count, rqh>>

(* x86 only: val = old pending bit | (atomic_read(&lock->val) & ~pending).   *)
queued_fetch_set_pending_read(c, x) ==
    LET r == ctx[c][x]  w == lock[r.lk] IN
    /\ At(c, x, "set_pending_read")
    /\ Set(c, x, AfterSetPending(c, r, [w EXCEPT !.pending = r.pend]))
    /\ UNCHANGED <<lock, node, count, rqh>>

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
    /\ r.scan = NoScan
    /\ OwnerGone(lock[r.lk])
    /\ Set(c, x, [r EXCEPT !.pc = "pending_claim", !.ts = "none"])
    /\ UNCHANGED <<lock, node, count, rqh>>

clear_pending_set_locked(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ At(c, x, "pending_claim")
    /\ lock' = [lock EXCEPT ![l].locked = 1, ![l].pending = 0]
    /\ Set(c, x, Done0(c, x, Acquire(r)))
    /\ UNCHANGED <<node, count, rqh>>

(* From v6.19 (087849cca31d): AA check before queueing. *)
check_deadlock_AA_queue(c, x) ==
    LET r == ctx[c][x] IN
    /\ At(c, x, "queue")
    /\ Resilient /\ AAEarly /\ AAFound(c, r.lk)
    /\ Set(c, x, [r EXCEPT !.ret = EDEADLK, !.why = "AA", !.pc = "err_release_entry"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* queue: [v6.15, v6.17: grab_held_lock_entry]; idx = count++; FALLBACK(idx)? ; node init. *)
grab_mcs_node(c, x) ==
    LET r == ctx[c][x]  i == count[c] IN
    /\ At(c, x, "queue")
    /\ ~(Resilient /\ AAEarly /\ AAFound(c, r.lk))
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
    /\ r.scan = NoScan
    /\ IF lock[l] = Free
       THEN /\ lock' = [lock EXCEPT ![l] = LockedOnly]
            /\ LeaveNode(c, x, [Acquire(r) EXCEPT !.ts = "none"], TRUE)
       ELSE /\ lock' = lock
            /\ \/ /\ r.pc = "trylock_cold"
                  /\ count' = count
                  /\ Set(c, x, [r EXCEPT !.pc = "xchg_tail"])
               \/ /\ r.pc = "fallback" /\ Resilient /\ ~FallbackSpins
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
                                !.ret = IF CascadeTimedOut THEN ETIMEDOUT ELSE EDEADLK])
    /\ UNCHANGED <<lock, node, count, rqh>>

head_wait_owner_pending(c, x) ==
    LET r == ctx[c][x]  w == lock[r.lk] IN
    /\ At(c, x, "head_wait")
    /\ r.scan = NoScan
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

(* Wait for next to link, then next->locked = 1: on success, and (from      *)
(* v6.19) on a deadlock detected by the head, which hands the head role     *)
(* over (v7.2: when it was linked, or after the tail reset failed).          *)
arch_mcs_spin_unlock_contended(c, x) ==
    LET r == ctx[c][x]  nx == node[c][r.idx].next IN
    /\ r.pc \in {"handover", "handover_deadlock", "handover_deadlock_wait"}
    /\ Runs(c, x)
    /\ nx # NoNode
    /\ node' = [node EXCEPT ![nx[1]][nx[2]].locked = 1]
    /\ LeaveNode(c, x, r, r.pc = "handover")
    /\ UNCHANGED <<lock, rqh>>

(* try_cmpxchg_tail(lock, tail, 0): the aborting waiter that is still the    *)
(* tail resets it and leaves; otherwise it signals its successor. v7.2       *)
(* (7a3c0289c3c8, ASSUMED lines): the head that saw -EDEADLK and has no      *)
(* successor linked tries the same; success leaves with -EDEADLK, signalling *)
(* nobody; failure (a successor did xchg_tail) waits for it to link.         *)
try_cmpxchg_tail(c, x) ==
    LET r == ctx[c][x]  l == r.lk IN
    /\ r.pc \in {"abort", "handover_deadlock"}
    /\ Runs(c, x)
    /\ r.pc = "handover_deadlock" => DeadlockResetsTail /\ node[c][r.idx].next = NoNode
    /\ IF CasTailOk(lock[l], Me(c, x))
       THEN /\ lock' = [lock EXCEPT ![l].tail = NoNode]
            /\ LeaveNode(c, x, r, FALSE)
       ELSE /\ lock' = lock
            /\ count' = count
            /\ Set(c, x, [r EXCEPT !.pc = IF r.pc = "abort" THEN "abort_signal" ELSE "handover_deadlock_wait"])
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
    /\ r.scan = NoScan
    /\ lock[l] = Free
    /\ lock' = [lock EXCEPT ![l] = LockedOnly]
    /\ Set(c, x, Done0(c, x, Acquire(r)))
    /\ UNCHANGED <<node, count, rqh>>

(***************************************************************************)
(* check_timeout, called by RES_CHECK_TIMEOUT while a wait condition is    *)
(* false: the pending waiter, the queue head, the v6.15/v6.17 FALLBACK loop *)
(* and the TAS loop. Non-head waiters never call it.                       *)
(***************************************************************************)
TimedPcs == {"pending_wait", "head_wait", "fallback", "tas_spin"}

(* The wait's condition is false: for check_deadlock_ABBA's is_lock_released *)
(* the same test with its mask (pending waiter _Q_LOCKED_MASK, head          *)
(* _Q_LOCKED_PENDING_MASK, FALLBACK and TAS ~0u).                            *)
StillWaiting(r) ==
    LET w == lock[r.lk] IN
    CASE r.pc = "pending_wait" -> ~OwnerGone(w)
      [] r.pc = "head_wait"    -> w.locked # 0 \/ w.pending # 0
      [] OTHER                 -> w # Free

Timed(r) == r.pc \in TimedPcs /\ (r.pc = "fallback" => FallbackSpins)

FailPc(p, v) ==
    CASE p = "pending_wait" -> "pending_fail"
      [] p = "head_wait"    -> IF v = EDEADLK /\ HeadHandsOver THEN "handover_deadlock" ELSE "abort"
      [] p = "fallback"     -> "err_release_node"
      [] p = "tas_spin"     -> "tas_fail"
Fail(r, v, why) == [r EXCEPT !.ret = v, !.why = why, !.pc = FailPc(r.pc, v), !.ts = "none",
                             !.scan = NoScan]

(* First call of a waiting period: arms the deadline; from v6.19 runs check_deadlock_AA. *)
check_timeout_arm(c, x) ==
    LET r == ctx[c][x] IN
    /\ Timed(r) /\ Resilient /\ Runs(c, x) /\ StillWaiting(r)
    /\ r.ts = "unarmed"
    /\ Set(c, x, IF AAEarly /\ AAFound(c, r.lk) THEN Fail(r, EDEADLK, "AA")
                 ELSE [r EXCEPT !.ts = "armed"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* A later call, >= 1 ms after the last: v6.15/v6.17 check_deadlock (AA,     *)
(* ABBA); from v6.19 ABBA. With AbbaScan = "stepwise" the step runs the AA   *)
(* check of v6.15/v6.17 and starts the scan (abba_* below).                  *)
check_deadlock(c, x) ==
    LET r == ctx[c][x] IN
    /\ Timed(r) /\ Resilient /\ Runs(c, x) /\ StillWaiting(r)
    /\ r.ts \in {"armed", "checked"}
    /\ r.scan = NoScan
    /\ IF AbbaScan = "stepwise"
       THEN Set(c, x, IF ~AAEarly /\ AAFound(c, r.lk) THEN Fail(r, EDEADLK, "AA")
                      ELSE [r EXCEPT !.scan = [NoScan EXCEPT !.k = 1, !.ph = "cnt"]])
       ELSE \E o \in CheckOutcomes(c, r.lk) :
               IF o = "none" THEN /\ r.ts = "armed"
                                  /\ Set(c, x, [r EXCEPT !.ts = "checked"])
               ELSE Set(c, x, Fail(r, EDEADLK, o))
    /\ UNCHANGED <<lock, node, count, rqh>>

(* The deadline passes: only after at least one deadlock check came out clean. *)
check_timeout_expired(c, x) ==
    LET r == ctx[c][x] IN
    /\ Timed(r) /\ Resilient /\ Runs(c, x) /\ StillWaiting(r)
    /\ r.ts = "checked"
    /\ r.scan = NoScan
    /\ Set(c, x, Fail(r, ETIMEDOUT, "timeout"))
    /\ UNCHANGED <<lock, node, count, rqh>>

(***************************************************************************)
(* check_deadlock_ABBA one access per step (AbbaScan = "stepwise"), for the *)
(* remote CPU d = ScanOrder[scan.k]. The scan ends with 0 ("return 0":      *)
(* ts = "checked", the wait goes on) or with -EDEADLK (a failed check).     *)
(***************************************************************************)
Slot(d, j) == IF j <= Len(rqh[d]) THEN rqh[d][j] ELSE NoLock   \* locks[j - 1]; NULL above cnt
ScanClean(r) == [r EXCEPT !.scan = NoScan, !.ts = "checked"]
ScanNextCpu(r) ==
    IF r.scan.k < NCpus THEN [r EXCEPT !.scan = [NoScan EXCEPT !.k = r.scan.k + 1, !.ph = "cnt"]]
    ELSE ScanClean(r)

(* int real_cnt = READ_ONCE(rqh_cpu->cnt) *)
abba_read_cnt(c, x) ==
    LET r == ctx[c][x]  d == ScanOrder[r.scan.k] IN
    /\ Timed(r) /\ Runs(c, x)
    /\ r.scan.ph = "cnt"
    /\ Set(c, x, [r EXCEPT !.scan.cnt = Len(rqh[d]), !.scan.ph = "lock"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* is_lock_released(lock, mask): return 0; then skip ourselves, cnt < 2 and  *)
(* cnt > RES_NR_HELD.                                                        *)
abba_is_lock_released(c, x) ==
    LET r == ctx[c][x]  s == r.scan  d == ScanOrder[s.k] IN
    /\ Timed(r) /\ Runs(c, x)
    /\ s.ph = "lock"
    /\ Set(c, x, IF ~StillWaiting(r) THEN ScanClean(r)
                 ELSE IF d = c \/ s.cnt < 2 \/ s.cnt > NrHeld THEN ScanNextCpu(r)
                 ELSE [r EXCEPT !.scan.ph = "top"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* remote_lock = READ_ONCE(rqh_cpu->locks[cnt - 1]); NULL: skip the CPU. *)
abba_read_top(c, x) ==
    LET r == ctx[c][x]  s == r.scan  v == Slot(ScanOrder[s.k], s.cnt) IN
    /\ Timed(r) /\ Runs(c, x)
    /\ s.ph = "top"
    /\ Set(c, x, IF v = NoLock THEN ScanNextCpu(r)
                 ELSE [r EXCEPT !.scan.top = v, !.scan.i = 1, !.scan.ph = "entry"])
    /\ UNCHANGED <<lock, node, count, rqh>>

(* READ_ONCE(rqh_cpu->locks[i]) == lock? At the first match the own table   *)
(* (plain reads of per-CPU data) decides: -EDEADLK, or 0 (inconclusive).     *)
abba_read_entry(c, x) ==
    LET r == ctx[c][x]  s == r.scan  e == Slot(ScanOrder[s.k], s.i) IN
    /\ Timed(r) /\ Runs(c, x)
    /\ s.ph = "entry"
    /\ Set(c, x, IF e = r.lk
                 THEN IF s.top \in NonTop(c) THEN Fail(r, EDEADLK, "ABBA") ELSE ScanClean(r)
                 ELSE IF s.i + 1 <= s.cnt - 1 THEN [r EXCEPT !.scan.i = s.i + 1]
                 ELSE ScanNextCpu(r))
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
    /\ Set(c, x, IF EntryAt = "late" THEN [r EXCEPT !.pc = "unlock_release"] ELSE DoneUnlock(c, x, r))
    /\ UNCHANGED <<lock, node, count>>

CtxStep(c, x) ==
    \/ grab_held_lock_entry(c, x)
    \/ fastpath_cmpxchg(c, x)
    \/ pending_reread(c, x)
    \/ queued_fetch_set_pending_acquire(c, x)
    \/ queued_fetch_set_pending_read(c, x)
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
    \/ abba_read_cnt(c, x)
    \/ abba_is_lock_released(c, x)
    \/ abba_read_top(c, x)
    \/ abba_read_entry(c, x)
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

(* With AbbaScan = "stepwise" a wait whose deadline may pass can also rescan *)
(* forever (a clean scan leaves the state as it found it): the kernel's      *)
(* clock ends such a wait, so a deadline that can pass infinitely often does *)
(* pass (strong fairness of check_timeout_expired).                          *)
FairSpecStepwise ==
    FairSpec /\ \A c \in CPUs, x \in Ctxs : SF_vars(check_timeout_expired(c, x))

(***************************************************************************)
(* Properties                                                              *)
(***************************************************************************)
Holders(l) == {w \in CPUs \X Ctxs : l \in Range(ctx[w[1]][w[2]].owns)}

ScanRecs == [k : 0 .. NCpus, ph : {"none", "cnt", "lock", "top", "entry"}, cnt : Nat,
             top : Locks \cup {NoLock}, i : Nat]

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
         /\ r.pend \in {0, 1}
         /\ r.scan \in ScanRecs

MutualExclusion == \A l \in Locks : Cardinality(Holders(l)) <= 1

LockWordMatchesOwner == \A l \in Locks : (lock[l].locked = 1) <=> (Holders(l) # {})



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
(* The queue's links as pairs <<m, n>>, m the predecessor of n: a node of q  *)
(* whose next is the node n of q, or the prev that the owner of n, a waiter  *)
(* of ws at link_prev, has not linked yet.                                  *)
PredPairs(q, ws) ==
    {<<m, node[m[1]][m[2]].next>> : m \in {k \in q : node[k[1]][k[2]].next \in q}}
    \cup {<<ctx[w[1]][w[2]].prev, NodeOf(w)>> : w \in {v \in ws : ctx[v[1]][v[2]].pc = "link_prev"}}
PredsIn(E, n) == {e[1] : e \in {e \in E : e[2] = n}}
RECURSIVE Chain(_, _, _)
Chain(E, n, k) ==   \* the nodes met walking back from n through E, at most k of them
    LET p == PredsIn(E, n) IN
    IF k <= 1 \/ p = {} THEN {n} ELSE {n} \cup Chain(E, CHOOSE m \in p : TRUE, k - 1)

(* The MCS queue of every lock is one chain from its head to the tail, made   *)
(* of distinct nodes of live waiters, and only its head may have left the     *)
(* wait on its own node; each CPU's nesting count equals the nodes it uses.   *)
(* Protects FIFO departure, the abort cascade and the handovers. (E holds    *)
(* each link once: a node has at most one predecessor iff no two pairs of E  *)
(* share their second node; the heads are the nodes no pair leads to.)      *)
QueueWellFormed ==
    /\ \A c \in CPUs :
         LET inUse == {x \in Ctxs : ctx[c][x].idx >= 0} IN
         /\ count[c] = Cardinality(inUse)
         /\ \A x, y \in inUse : x # y => ctx[c][x].idx # ctx[c][y].idx
    /\ \A l \in Locks :
         LET ws == Waiters(l)  t == lock[l].tail IN
         IF ws = {} THEN t = NoNode
         ELSE LET q == {NodeOf(w) : w \in ws}
                  E == PredPairs(q, ws)
                  heads == q \ {e[2] : e \in E} IN
              /\ Cardinality(q) = Cardinality(ws)
              /\ t \in q
              /\ {e[1] : e \in E} \subseteq q
              /\ Cardinality({e[2] : e \in E}) = Cardinality(E)
              /\ \A n \in q : node[n[1]][n[2]].next \in q \cup {NoNode}
              /\ Cardinality(heads) = 1
              /\ Chain(E, t, Cardinality(q)) = q
              /\ \A w \in ws :
                   NodeOf(w) \notin heads =>
                      /\ ctx[w[1]][w[2]].pc \in {"link_prev", "wait_mcs"}
                      /\ node[w[1]][ctx[w[1]][w[2]].idx].locked = 0

(* A waiter that waits, without a clock, for its successor to link: after  *)
(* set_locked, in the abort, in the v6.19 deadlock handover (v7.2: only    *)
(* after its tail reset failed; before, it does not wait, it resets).       *)
WaitsForSuccessor(r) ==
    \/ r.pc \in {"handover", "abort_signal", "handover_deadlock_wait"}
    \/ (r.pc = "handover_deadlock" /\ ~DeadlockResetsTail)
(* A context on its way into l's queue: it saw the word before the tail was *)
(* set, set the pending bit (or is about to undo it) and will queue, as the  *)
(* head's claim assumes ("somebody is queued behind us or _Q_PENDING_VAL got *)
(* set which will then detect the remaining tail and queue behind us").      *)
Coming(l) == \E w \in CPUs \X Ctxs :
                LET r == ctx[w[1]][w[2]] IN
                r.lk = l /\ r.pc \in {"set_pending_read", "undo_pending", "queue", "trylock_cold", "xchg_tail"}
(* Per lock, at every state: the tail names the node of a live waiter (one   *)
(* in the queue), and a waiter that waits for its successor without a clock *)
(* has one coming: its node has a next, or the tail has moved past it (the  *)
(* successor's xchg_tail, its link follows), or a locker is on its way into  *)
(* the queue (Coming). A violation is a queue whose waiter nobody already   *)
(* on the way will ever signal: it spins, holding the lock's place, until   *)
(* some later attempt on l queues behind it, and for ever if none comes (a  *)
(* hang in a model whose scripts have no such attempt left: the liveness   *)
(* models then fail AttemptsReturn). It is seen at the state where it       *)
(* starts, whatever the other CPUs do next. (QuiescentLockWordClean only    *)
(* speaks when no attempt on the lock is in flight; the liveness properties *)
(* only at the end of a behaviour.)                                          *)
QueueLiveOn(l) ==
    /\ lock[l].tail # NoNode => \E w \in Waiters(l) : NodeOf(w) = lock[l].tail
    /\ \A w \in Waiters(l) :
          WaitsForSuccessor(ctx[w[1]][w[2]]) =>
              \/ node[w[1]][ctx[w[1]][w[2]].idx].next # NoNode
              \/ lock[l].tail # NodeOf(w)
              \/ Coming(l)
QueueLive == \A l \in Locks : QueueLiveOn(l)

(* At most one pending waiter per lock, and it owns the pending bit.          *)
PendingOwners(l) == {w \in CPUs \X Ctxs : ctx[w[1]][w[2]].pc \in PendingPcs /\ ctx[w[1]][w[2]].lk = l}
AtMostOnePending ==
    \A l \in Locks : /\ Cardinality(PendingOwners(l)) <= 1
                     /\ PendingOwners(l) # {} => lock[l].pending = 1

(* Per lock: once no attempt on l is in flight, l's word has no pending bit  *)
(* and no tail: failed attempts left the lock word valid. (Before, the       *)
(* formula spoke only when no attempt on any lock was in flight, so a stale  *)
(* bit or tail went unseen while any other CPU was busy.)                    *)
NoAttemptOn(l) == \A c \in CPUs, x \in Ctxs : ~(ctx[c][x].pc \in AttemptPcs /\ ctx[c][x].lk = l)
NoAttemptInFlight == \A c \in CPUs, x \in Ctxs : ctx[c][x].pc \notin AttemptPcs
QuiescentLockWordClean ==
    \A l \in Locks : NoAttemptOn(l) => lock[l].pending = 0 /\ lock[l].tail = NoNode

(***************************************************************************)
(* DeadlockIsReal. Ground truth is ownership (ctx.owns), not the tables.    *)
(* The waits-for relation is over contexts, every active one counted, the  *)
(* preempted ones too: a context inside an attempt on a lock it does not   *)
(* own waits for every context that owns the lock (on its own CPU for AA), *)
(* and a preempted context waits for the active contexts above it on its   *)
(* CPU (it runs again only once they have returned). A real deadlock       *)
(* through context <<c, x>> is a cycle of this relation through it. (Until *)
(* this version the relation was over CPUs and took only the running       *)
(* context's wait: the wait of a task preempted by an NMI was invisible,   *)
(* and a true ABBA with that task was judged false.)                       *)
(***************************************************************************)
AllCtxs == CPUs \X Ctxs
CtxWaitLock(w) ==
    LET r == ctx[w[1]][w[2]] IN
    IF r.pc \in AttemptPcs /\ r.lk \notin Range(r.owns) THEN r.lk ELSE NoLock
CtxWaitsFor(w) ==
    (IF CtxWaitLock(w) = NoLock THEN {} ELSE Holders(CtxWaitLock(w)))
    \cup (IF Active(w[1], w[2]) /\ ~Runs(w[1], w[2])
          THEN {<<w[1], y>> : y \in {z \in Ctxs : Prio[z] > Prio[w[2]] /\ Active(w[1], z)}}
          ELSE {})
RECURSIVE WaitClosure(_, _)
WaitClosure(S, k) == \* S and the contexts S waits for, in at most k more steps
    IF k = 0 THEN S ELSE WaitClosure(S \cup UNION {CtxWaitsFor(w) : w \in S}, k - 1)
OnCycle(c, x) == <<c, x>> \in WaitClosure(CtxWaitsFor(<<c, x>>), Cardinality(AllCtxs))
OwnCpuHolds(c, l) == \E x \in Ctxs : l \in Range(ctx[c][x].owns)

NewError(c, x, v) == ctx'[c][x].ret = v /\ ctx[c][x].ret # v

(* A model may name a known cause whose -EDEADLK verdicts the three         *)
(* properties below do not count (cfg: Excused <- Cause, MCRqSpinLock's     *)
(* "Known causes"); none by default. TLC checks action properties on every  *)
(* transition it generates, before an ACTION_CONSTRAINT cuts it, so a      *)
(* constraint alone cannot exclude a cause that shows on the verdict step.  *)
Excused(c, x) == FALSE

(* Every -EDEADLK is returned to a context that is on a real deadlock cycle *)
(* at the step where the error is decided (strict; see the findings).      *)
DeadlockIsReal ==
    [][\A c \in CPUs, x \in Ctxs : (NewError(c, x, EDEADLK) /\ ~Excused(c, x)) => OnCycle(c, x)]_vars

(* The same, only for verdicts of check_deadlock_AA / check_deadlock_ABBA.   *)
DetectionIsReal ==
    [][\A c \in CPUs, x \in Ctxs :
         (NewError(c, x, EDEADLK) /\ ctx'[c][x].why \in {"AA", "ABBA"} /\ ~Excused(c, x)) => OnCycle(c, x)]_vars

(***************************************************************************)
(* What "held" means to check_deadlock_AA. The check reports AA when the    *)
(* lock is in the CPU's table below the attempt's own (top) entry. Its      *)
(* intent (the comments of check_deadlock_AA and 087849cca31d): the CPU     *)
(* itself already has the lock, so waiting for it can only end by the       *)
(* timeout. A context of c "holds" l in that sense when it owns l, or when  *)
(* it sits, preempted underneath the running context, on a part of l's word *)
(* that the running attempt would have to wait behind: the pending bit it   *)
(* set (pending waiter, including one that has failed but not yet cleared  *)
(* the bit, or an undo to come) or a node in l's queue (including a waiter  *)
(* that has failed but not yet left the queue). A context that has given    *)
(* back what it took holds nothing, whatever its table entry says: a failed *)
(* attempt after clear_pending or after leaving the queue (err_release_node,*)
(* err_release_entry, tas_fail), and an attempt that has not touched the    *)
(* word yet (v6.19's entry before the fast path: grab_entry, fast_cas, the  *)
(* slow path before set_pending / xchg_tail, the TAS loop, FALLBACK). Until *)
(* this version of the property, every pc of an attempt counted as held.    *)
(***************************************************************************)
StakePcs == QueuedPcs \cup PendingPcs \cup {"undo_pending"}
HasStake(c, y, l) ==
    LET r == ctx[c][y] IN
    /\ r.lk = l
    /\ \/ r.pc \in StakePcs
       \/ (r.pc = "set_pending_read" /\ r.pend = 0)
HeldHere(c, l) ==
    \E y \in Ctxs : \/ l \in Range(ctx[c][y].owns)
                   \/ (HasStake(c, y, l) /\ ~Runs(c, y))

(* Every -EDEADLK of check_deadlock_AA is for a lock its CPU holds in that   *)
(* sense. A violation is an AA verdict built on a table entry that stands    *)
(* for nothing held: a stale or early entry.                                 *)
AAIsReal ==
    [][\A c \in CPUs, x \in Ctxs :
         (NewError(c, x, EDEADLK) /\ ctx'[c][x].why = "AA" /\ ~Excused(c, x)) => HeldHere(c, ctx[c][x].lk)]_vars

(* An AA deadlock is never left to the timeout: no attempt returns          *)
(* -ETIMEDOUT for a lock its own CPU holds in the same sense (owns, or sits *)
(* underneath on its pending bit or in its queue).                          *)
AAIsDetected ==
    [][\A c \in CPUs, x \in Ctxs :
         NewError(c, x, ETIMEDOUT) => ~HeldHere(c, ctx[c][x].lk)]_vars

(* Liveness, under weak fairness of each CPU's running context. *)
AttemptsReturnEach ==
    \A c \in CPUs, x \in Ctxs : (ctx[c][x].pc \in AttemptPcs) ~> (ctx[c][x].pc \notin AttemptPcs)
AttemptsReturn == <>[]NoAttemptInFlight
LocksReleasedEach ==
    \A l \in Locks : (lock[l].locked = 1) ~> (lock[l].locked = 0)
LocksReleased == <>[](\A l \in Locks : lock[l].locked = 0)

=============================================================================
