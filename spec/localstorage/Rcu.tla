-------------------------------- MODULE Rcu --------------------------------
(***************************************************************************)
(* RCU as BPF local storage uses it: read-side sections of two flavours,  *)
(* callbacks that reclaim memory after a grace period, synchronize_rcu()   *)
(* and the barriers. A base module: it declares the RCU variables, and     *)
(* LocalStorage.tla extends it.                                            *)
(*                                                                         *)
(* Kernel: include/linux/rcupdate.h (rcu_read_lock, rcu_read_unlock),      *)
(* kernel/rcu/tree.c (call_rcu, synchronize_rcu, rcu_barrier),             *)
(* include/linux/rcupdate_trace.h (rcu_read_lock_trace,                    *)
(* rcu_read_unlock_trace), kernel/rcu/tasks.h (call_rcu_tasks_trace,       *)
(* synchronize_rcu_tasks_trace, rcu_barrier_tasks_trace).                  *)
(*                                                                         *)
(* Two flavours of reader:                                                 *)
(*   readers       vanilla: a non-sleepable BPF program, a syscall, the    *)
(*                 map_free bucket walk, bpf_sk_storage_free;              *)
(*   traceReaders  RCU Tasks Trace: a sleepable BPF program, which holds   *)
(*                 rcu_read_lock_trace() only and may be preempted.        *)
(* call_rcu() and synchronize_rcu() wait for the vanilla readers only;     *)
(* call_rcu_tasks_trace() waits for both (bpf_local_storage's callbacks    *)
(* chain to call_rcu unless rcu_trace_implies_rcu_gp(): a Tasks Trace      *)
(* grace period followed by a vanilla one).                                *)
(*                                                                         *)
(* A callback is [kind, obj, wait]: what it frees, and the readers it      *)
(* still waits for (those inside a section when it was queued). Its grace  *)
(* period ends when wait is empty: each of them has left its section. A    *)
(* reader that enters later is not waited for.                             *)
(***************************************************************************)

VARIABLES
    readers,       \* processes inside rcu_read_lock() .. rcu_read_unlock()
    traceReaders,  \* processes inside rcu_read_lock_trace() .. rcu_read_unlock_trace()
    cbs,           \* pending callbacks [kind, obj, wait]
    gpw            \* [process -> the readers its synchronize_rcu() still waits for]

\* Nobody reads, nothing is pending; P is the set of processes.
RcuInit(P) == readers = {} /\ traceReaders = {} /\ cbs = {} /\ gpw = [p \in P |-> {}]

\* rcu_read_lock() / rcu_read_lock_trace() by p
RcuReadLock(p) == readers' = readers \cup {p} /\ UNCHANGED traceReaders
RcuReadLockTrace(p) == traceReaders' = traceReaders \cup {p} /\ UNCHANGED readers

\* call_rcu_tasks_trace(): waits for every reader (both flavours).
Cb(kind, obj) == [kind |-> kind, obj |-> obj, wait |-> readers \cup traceReaders]
\* call_rcu(): the same, but it waits for the vanilla readers only; a
\* sleepable program that is still in its section does not hold it up.
CbVanilla(kind, obj) == [Cb(kind, obj) EXCEPT !.wait = @ \cap readers]

\* p leaves its read-side section: the callbacks C and every
\* synchronize_rcu() stop waiting for it.
Leave(p, C) == {[c EXCEPT !.wait = @ \ {p}] : c \in C}
GpwLeave(p) == [q \in DOMAIN gpw |-> gpw[q] \ {p}]

\* rcu_read_unlock() / rcu_read_unlock_trace() by p, with C the callbacks
\* pending at that point (cbs and those p queued in the same step).
RcuReadUnlock(p, C) ==
    /\ readers' = readers \ {p}
    /\ traceReaders' = traceReaders \ {p}
    /\ cbs' = Leave(p, C)
    /\ gpw' = GpwLeave(p)

\* synchronize_rcu() by p starts: it waits for the vanilla readers other than
\* p that are inside a section now; SyncDone(p): it has returned.
SyncWait(p) == readers \ {p}
SyncDone(p) == gpw[p] = {}

\* rcu_read_unlock() by p, then synchronize_rcu() by p (C as in RcuReadUnlock).
RcuReadUnlockSync(p, C) ==
    /\ readers' = readers \ {p}
    /\ traceReaders' = traceReaders \ {p}
    /\ cbs' = Leave(p, C)
    /\ gpw' = [GpwLeave(p) EXCEPT ![p] = SyncWait(p)]

\* The grace period of callback c has ended: it may run.
GpEnded(c) == c.wait = {}

\* rcu_barrier() (and rcu_barrier_tasks_trace()): waits for the callbacks
\* queued before it. BarrierObjs is what they free, taken when the barrier
\* starts; BarrierDone(bar): none of them is pending any more.
BarrierObjs == {c.obj : c \in cbs}
BarrierDone(bar) == \A c \in cbs : c.obj \notin bar

=============================================================================
