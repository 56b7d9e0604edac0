---------------------------- MODULE LocalStorage ----------------------------
(***************************************************************************)
(* BPF local storage teardown: bpf_local_storage_map_free() and            *)
(* bpf_local_storage_destroy() racing to unlink and free storage elements  *)
(* (selems) while any rqspinlock attempt may fail. This module holds the   *)
(* constants, the variables and the protocol (the actions and Spec).       *)
(*                                                                         *)
(* SOURCES. kernel/bpf/bpf_local_storage.c and                             *)
(* include/linux/bpf_local_storage.h (with net/core/bpf_sk_storage.c for   *)
(* the sk owner):                                                          *)
(*   final  torvalds/linux 0542972950ef, with commit 5d800f87d0a5 "bpf:    *)
(*          Support lockless unlink when freeing map or local storage";    *)
(*   v3     "[PATCH bpf-next v3 10/16] bpf: Support lockless unlink when   *)
(*          freeing map or local storage" (2025-12-18) and 11/16.          *)
(* Review mails, all in the thread "Re: [PATCH bpf-next v3 10/16] bpf:     *)
(* Support lockless unlink when freeing map or local storage":             *)
(*   [R1] Martin KaFai Lau, 2026-01-09 13:38 PST, Message-ID               *)
(*     36b3dc2d-b850-491f-bfc5-3581d5de7b82@linux.dev                      *)
(*   [R2] Kumar Kartikeya Dwivedi, 2026-01-12 16:36 and 16:49 CET,         *)
(*     CAP01T77R+inOoL-f7RMovqE1rwG5YTBysEXg2Sez60LiWZu2eg@mail.gmail.com  *)
(*     CAP01T77j50Mfh52zvOzg_1PqseGvoeMB8mDPTi-8dJ1EMqA2Zw@mail.gmail.com  *)
(*   [R3] Amery Hung, 2026-01-12 13:17 PST,                                *)
(*     CAMB2axNT04=cc7-7XaDqhVKRbHm4zivW5kmwRpLbrFTVYwmm3g@mail.gmail.com  *)
(*   [R4] Amery Hung, 2026-01-12 14:38 PST,                                *)
(*     CAMB2axNtrFEL0x+j6M3De-ezR38cv5s7LFtpuAeN7QCf_AyHaQ@mail.gmail.com  *)
(*   [R5] Martin KaFai Lau, 2026-01-12 16:15 PST, Message-ID               *)
(*     1eb1715a-c1b0-4741-8d2d-f66adffcf91d@linux.dev                      *)
(*   [PR] kernel-patches/bpf PR #11056 "bpf: Add warning to detect memory  *)
(*        leak in bpf_selem_unlink_nofail()" (2026-02-13).                 *)
(*                                                                         *)
(* MODULES, each readable alone:                                           *)
(*   Hlist.tla       the two hlists of an selem (pure operators)           *)
(*   Refcount.tla    refcount_t (pure operators)                           *)
(*   Rcu.tla         readers, callbacks, grace periods (its variables)     *)
(*   Memory.tla      freed objects and the use-after-free ghost            *)
(*   LocalStorage.tla  this module: constants, variables, protocol, Spec   *)
(*   LocalStorageProperties.tla  TypeOK, P1..P9, ListIntegrity             *)
(*   MCLocalStorage.tla  the TLC scenarios and the seeded mutants          *)
(*                                                                         *)
(* NAMED STEPS. Each step that a seeded mutant or a candidate fix changes  *)
(* is a named operator here (marked "named step"), so that the mutant is a *)
(* one-line operator in MCLocalStorage.tla swapped in by its config with   *)
(* "CONSTANT Step <- MutStep": MapFreeListAfterFree, NofailSelectBucket,   *)
(* NofailFreesFields, NofailClearsSmap, NofailWarns, NofailUnlinkMapNode,  *)
(* NofailMemCharge, NofailUnpinRef, NofailSetsBit, NofailShouldFree,       *)
(* NofailFreesStorage, NofailTakesSnode, NofailWarnsStorage, WarnPrints,   *)
(* DestroyRefDecAndTest, UpdateLinksNewMap, UpdateUnlinksOldMap,           *)
(* DeleteClearsOwnerStorage, DeleteMemUncharge; and Cb, CbVanilla in       *)
(* Rcu.tla.                                                                *)
(*                                                                         *)
(* LIFECYCLE. An owner (a socket, task, cgroup or inode) has at most one   *)
(* local storage (LS), published in owner->storage. The LS holds a list of *)
(* selems, one per map the owner has a value in, linked through            *)
(* selem->snode, and protected by LS->lock. Each selem is also linked      *)
(* through selem->map_node into one bucket of its map (smap); the bucket   *)
(* list, protected by b->lock, only lets map_free find the selems. The LS  *)
(* list owns the selems. Lock order: LS->lock, then b->lock; both are      *)
(* rqspinlocks, so every attempt may fail with -EDEADLK or -ETIMEDOUT.     *)
(*                                                                         *)
(*   update  (bpf_local_storage_update): allocates and charges a new       *)
(*           selem, links it into the bucket and the LS list, unlinks the  *)
(*           old one, frees it after a grace period. The first selem of an *)
(*           owner also allocates the LS (bpf_local_storage_alloc) and     *)
(*           publishes it with a cmpxchg of owner->storage.                *)
(*   delete  (bpf_selem_unlink): LS->lock, b->lock, unlink both nodes,     *)
(*           uncharge; frees the LS with its last selem. May fail.         *)
(*   lookup  (bpf_local_storage_lookup): lockless; caches the sdata in     *)
(*           LS->cache[smap->cache_idx] under LS->lock                     *)
(*           (__bpf_local_storage_insert_cache), which may fail.           *)
(*   map_free (bpf_local_storage_map_free): the map has no users; walk     *)
(*           each bucket inside an RCU read-side section and unlink every  *)
(*           selem from both lists; may resched (cond_resched_rcu) and     *)
(*           restart the walk at the head of the bucket; then wait for     *)
(*           readers and callbacks and free the smap.                      *)
(*   destroy (bpf_local_storage_destroy): the owner is going away; walk    *)
(*           the LS list and unlink every selem; the owner uncharges what  *)
(*           destroy returns, then is freed.                               *)
(*                                                                         *)
(* Teardown cannot fail, so it uses an unlink that tolerates lock          *)
(* failures. The two protocols of the series are a CONSTANT (Protocol):    *)
(*                                                                         *)
(* "v3" (bpf_selem_unlink_lockless, patches v3 10-11/16, 2025-12-18).      *)
(*   The bucket is chosen by hashing the selem. link_cnt starts at 2.      *)
(*   map_free only unlinks map_node (and clears smap even when b->lock     *)
(*   fails); only destroy unlinks snode (and always clears                 *)
(*   local_storage). A caller that unlinked both nodes frees the selem;    *)
(*   otherwise the caller whose atomic_dec_and_test(link_cnt) reaches 0    *)
(*   does. map_free loops "while the bucket has a first selem", frees its  *)
(*   to-free list and calls cond_resched_rcu after every selem. destroy    *)
(*   sums the sizes, always frees the LS and returns the total to uncharge.*)
(*                                                                         *)
(* "final" (bpf_selem_unlink_nofail, commit 5d800f87d0a5, read from        *)
(*   torvalds/linux 0542972950ef). The bucket is chosen by hashing the LS; *)
(*   map_free passes its own bucket. Both callers unlink both nodes. On a  *)
(*   b->lock failure map_free WARNs and clears smap, destroy keeps it; on  *)
(*   an LS->lock failure destroy clears local_storage, map_free keeps it.  *)
(*   A caller that unlinked both nodes frees the selem; otherwise each     *)
(*   caller ORs its own bit (SELEM_MAP_UNLINKED / SELEM_STORAGE_UNLINKED)  *)
(*   into selem->state and the single winner of the cmpxchg from both bits *)
(*   to SELEM_TOFREE frees it. map_free uncharges under LS->lock while it  *)
(*   pins the owner with refcount_inc_not_zero(owner_refcnt); destroy      *)
(*   drops the initial reference with refcount_dec_and_test, spins until   *)
(*   owner_refcnt reads 0, and returns LS->mem_charge. The caller that     *)
(*   unlinks the last selem under LS->lock frees the LS.                   *)
(*                                                                         *)
(* ACTIONS AND THE KERNEL. Each process has a pc naming the kernel step  *)
(* it is at, and locals named after the kernel's local variables, so a    *)
(* trace reads as "which process, which function, which lock failed".     *)
(*                                                                         *)
(*  action                    kernel function: step                        *)
(*  ------------------------  -------------------------------------------  *)
(*  UpdateStart               bpf_local_storage_update: owner->storage,    *)
(*                            hlist_empty; bpf_selem_alloc (charge), and   *)
(*                            for the first selem bpf_local_storage_alloc  *)
(*                            (charge, owner_refcnt = 1, link to the LS)   *)
(*  StorageAllocLockBucket    bpf_local_storage_alloc: b->lock, link       *)
(*                            map_node, cmpxchg(owner->storage), unlock;   *)
(*                            on error or -EAGAIN the "uncharge:" path and *)
(*                            bpf_selem_free(selem, true) (StorageAllocFail)*)
(*  UpdateLockStorage         update: LS->lock, recheck hlist_empty,       *)
(*                            bpf_local_storage_lookup (old_sdata)         *)
(*  UpdateLockBucket          update: select_bucket + b->lock, then        *)
(*    (UpdateLockOldBucket)   (v3: the old selem's b->lock) and UpdateLink:*)
(*                            bpf_selem_link_map_nolock,                   *)
(*                            bpf_selem_link_storage_nolock,               *)
(*                            bpf_selem_unlink_map_nolock(old),            *)
(*                            bpf_selem_unlink_storage_nolock(old), unlock,*)
(*                            bpf_selem_free_list(old, false); errors take *)
(*                            "free_selem:" (UpdateFreeNew)                *)
(*  DeleteStart               bpf_sk_storage_del: lookup,                  *)
(*                            selem_linked_to_storage_lockless             *)
(*  DeleteLockStorage         bpf_selem_unlink: LS->lock                   *)
(*  DeleteLockBucket          bpf_selem_unlink_map: b->lock, unlink        *)
(*                            map_node; bpf_selem_unlink_storage_nolock    *)
(*                            (_misc: cache, uncharge, last selem), unlock,*)
(*                            bpf_selem_free_list, bpf_local_storage_free  *)
(*  LookupStart               bpf_local_storage_lookup: cache slot, walk   *)
(*                            (a non-sleepable program: rcu_read_lock)     *)
(*  SleepableLookupStart      the same from a sleepable program, which     *)
(*                            holds only rcu_read_lock_trace: cache slot,  *)
(*                            then the head of local_storage->list         *)
(*  SleepableLookupWalk       hlist_for_each_entry_rcu(.., snode,          *)
(*                            rcu_read_lock_trace_held()): one selem per   *)
(*                            step (smap compare, snode.next); preemptible *)
(*                            between steps under CONFIG_PREEMPT_RCU       *)
(*  LookupInsertCache         __bpf_local_storage_insert_cache (LS->lock)  *)
(*  LookupUse                 the program reads the sdata it got           *)
(*  MapFreeStart              bpf_local_storage_map_free: cache_idx_free,  *)
(*                            synchronize_rcu                              *)
(*  MapFreeRcuLock            rcu_read_lock, head of the bucket            *)
(*  MapFreeWalk               the walk: the next selem (final: loads of    *)
(*                            bpf_selem_unlink_nofail, NofailLoc), or the  *)
(*                            end of the bucket (rcu_read_unlock)          *)
(*  MapFreeNext               final: need_resched / cond_resched_rcu, or   *)
(*                            map_node.next; v3: bpf_selem_free_list and   *)
(*                            cond_resched_rcu                             *)
(*  MapFreeCondResched        cond_resched_rcu's rcu_read_lock ("restart") *)
(*  MapFreeSync2, MapFreeFree synchronize_rcu, rcu_barrier(_tasks_trace),  *)
(*                            free buckets and smap                        *)
(*  DestroyStart              bpf_sk_storage_free: rcu_read_lock,          *)
(*                            owner->storage; destroy's list walk          *)
(*  DestroyWalk, DestroyNext  hlist_for_each_entry_rcu (final) /           *)
(*                            hlist_for_each_entry_safe + size sum (v3)    *)
(*  DestroyDecAndTest         refcount_dec_and_test(owner_refcnt)          *)
(*  DestroyWaitRefcnt         while (refcount_read(..)) cpu_relax();       *)
(*    (DestroySpin)           return mem_charge (DestroySpin: one spin)    *)
(*  DestroyAfterWalk          v3: sum + sizeof(LS), LS->owner = NULL,      *)
(*                            bpf_selem_free_list, bpf_local_storage_free  *)
(*  DestroyFinish (helper)    the caller: atomic_sub(sk_omem_alloc),       *)
(*                            rcu_read_unlock, the owner is freed          *)
(*  NofailLockBucket          bpf_selem_unlink_nofail: b->lock, unlink     *)
(*                            map_node, bpf_obj_free_fields, unlock; or    *)
(*                            WARN_ON_ONCE(err && in_map_free); smap=NULL  *)
(*  NofailLockStorage         LS->lock, hlist_is_singular_node,            *)
(*                            bpf_selem_unlink_storage_nolock_misc with    *)
(*                            pin_owner (refcount_inc_not_zero, uncharge), *)
(*                            unlink snode, unlock; local_storage = NULL   *)
(*  NofailUnpinOwner          _misc's refcount_dec; unlink snode; unlock   *)
(*  NofailSetState            atomic_or of the caller's bit, cmpxchg to    *)
(*                            SELEM_TOFREE, bpf_selem_free(selem, true),   *)
(*                            bpf_local_storage_free(local_storage, true)  *)
(*  Lockless*                 bpf_selem_unlink_lockless (v3): loads,       *)
(*                            b->lock, unlink map_node, LS->lock (destroy  *)
(*                            only), unlink snode, link_cnt                *)
(*  RcuCallback (Callbacks)   bpf_selem_free_rcu (bpf_obj_free_fields if   *)
(*                            smap is still set; kfree),                   *)
(*                            bpf_local_storage_free_rcu                   *)
(*                                                                         *)
(* A Java twin uses the same names: Owner, LocalStorage, LocalStorageMap,  *)
(* Selem; update, lookup, delete, mapFree, destroy, unlinkNofail,          *)
(* unlinkLockless.                                                         *)
(*                                                                         *)
(* RCU (Rcu.tla). A process is a reader while its pc is inside             *)
(* rcu_read_lock (BPF programs, map_free's bucket walk,                    *)
(* bpf_sk_storage_free); a sleepable program (kind "sleepable_lookup") is  *)
(* a Tasks Trace reader only (rcu_read_lock_trace, preemptible). call_rcu  *)
(* and synchronize_rcu (reuse_now = true: nofail, the update error paths)  *)
(* wait for the vanilla readers only; call_rcu_tasks_trace (reuse_now =    *)
(* false: delete, update's old selem, v3's frees) waits for every reader.  *)
(* rcu_barrier waits for the callbacks queued before it.                   *)
(*                                                                         *)
(* MEMORY (Memory.tla). A freed object goes live -> queued (call_rcu'd) -> *)
(* freed (kfree'd, poisoned). Every step passes the freed objects it reads *)
(* or writes (UseSel, UseLS, UseMap, UseOwner below), including the        *)
(* neighbours an hlist_add_head / hlist_del writes, to Touch, which adds   *)
(* them to the ghost usedAfterFree.                                        *)
(*                                                                         *)
(* GRANULARITY. One step per lock attempt together with the critical       *)
(* section it opens (nobody looks at a held lock but to take it; v3's      *)
(* lockless unlink keeps the attempt apart); a contended failure           *)
(* (FailOnlyWhenContended) sees a holder, or a process whose next step     *)
(* attempts the same lock and which is then its stalled holder (see        *)
(* "rqspinlock attempts" below); one step per lockless load or             *)
(* store that another process can observe; a return is one step with the  *)
(* rcu_read_unlock that follows it. A callback that frees no special       *)
(* fields runs as soon as its grace period ends (the earliest reclaim).    *)
(*                                                                         *)
(* ABSTRACTIONS (what the model does not distinguish): a sleepable         *)
(* program is only modelled as a lookup (its delete and update take locks  *)
(* and walk in one step, as a non-sleepable one does); the two loads at    *)
(* the start of the unlink are one step; allocation and charging never     *)
(* fail; every map charges its owner (as sk storage does); each map has a  *)
(* cache slot of its own; BPF_F_LOCK, BPF_NOEXIST/EXIST flags and sk clone *)
(* are not modelled; v3 link_cnt values below -1 are kept as -1            *)
(* (dec_and_test cannot reach 0 again); the to-free list is a set; BPF     *)
(* programs and syscalls on (owner, map) end before destroy(owner) or      *)
(* map_free(map) start, as the kernel guarantees with the sk/map reference *)
(* counts, except a late program (Late below: a lookup or a task delete on *)
(* an owner whose refcount is 0), which may run while destroy(owner) runs  *)
(* but ends before the owner is freed.                                     *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC, Hlist, Refcount, Rcu, Memory

CONSTANTS
    Protocol,        \* "v3" or "final"
    Owners,          \* owner ids (strings)
    Maps,            \* smap ids (strings)
    Selems,          \* selem ids, those linked at start and those updates allocate
    Storages,        \* local storage ids, those at start and those updates allocate
    SelemOwner,      \* [Selems -> Owners]
                     \* (SelemMap, [Selems -> Maps], is declared in Hlist.tla)
    StorageOwner,    \* [Storages -> Owners]
    InitLinked,      \* sequence of the selems linked at start, in the order they were linked
    InitStorage,     \* [Owners -> Storages \cup {NULL}]: owner->storage at start
    NBuckets,        \* buckets per map
    BucketOf,        \* [Selems \cup Storages -> 1..NBuckets]: hash_ptr (v3 hashes selems, final hashes LSes)
    Procs,           \* [process id -> [kind, owner, map, selem, storage]]
    MaxLockFailures, \* how many rqspinlock attempts may fail in one run
    MaxResched,      \* how many times need_resched() may be true in one map_free (final)
    FailOnlyWhenContended, \* TRUE: an attempt may fail only where another process of the model
                           \* holds the lock or its next step attempts it (and is then the lock's
                           \* stalled holder); FALSE: any attempt may fail (contention from outside
                           \* the model). See "rqspinlock attempts" below.
    PreemptRcu,      \* kernel configuration: TRUE = CONFIG_PREEMPT_RCU (without
                     \* CONFIG_DEBUG_ATOMIC_SLEEP): cond_resched_rcu() is empty, so
                     \* map_free's "goto restart" stays inside its read-side section
                     \* and no grace period can end there; a sleepable program is
                     \* preemptible in its walk, and only rcu_read_lock_trace holds
                     \* it. FALSE (PREEMPT_NONE / VOLUNTARY, non-preemptible RCU):
                     \* cond_resched_rcu() leaves the section (a grace period may
                     \* end), and a sleepable program's lookup, which does not sleep,
                     \* holds up vanilla grace periods like a vanilla reader.
    RefcountTwoStep, \* TRUE = include/linux/refcount.h: refcount_dec's
                     \* atomic_fetch_sub_release stores the new count (0 when it was 1)
                     \* and only then refcount_warn_saturate() stores
                     \* REFCOUNT_SATURATED, so another CPU can read the 0 in between.
                     \* FALSE: the idealised count whose failed decrement never
                     \* shows its result (one step), as the model had it before.
    ElemSize,        \* smap->elem_size, charged per selem
    StorageSize      \* sizeof(struct bpf_local_storage), charged per LS

MAPU == "SELEM_MAP_UNLINKED"
STOU == "SELEM_STORAGE_UNLINKED"
TOFREE == "SELEM_TOFREE"
UNLINKED == {MAPU, STOU}
WarnMapFree == "WARN_ON_ONCE(err && in_map_free)"
WarnDestroyLS == "WARN: destroy failed local_storage->lock [PR]"

V3 == Protocol = "v3"
ProcIds == DOMAIN Procs
Kind(p) == Procs[p].kind
MapFreeProcs == {p \in ProcIds : Kind(p) = "map_free"}
DestroyProcs == {p \in ProcIds : Kind(p) = "destroy"}
OpProcs == {p \in ProcIds : Kind(p) \in {"update", "delete", "lookup", "sleepable_lookup"}}
Teardown == MapFreeProcs \cup DestroyProcs
Buckets == 1..NBuckets
Min(a, b) == IF a < b THEN a ELSE b
MaxOf(S) == CHOOSE i \in S : \A j \in S : j <= i

ASSUME Protocol \in {"v3", "final"}
ASSUME MaxLockFailures \in Nat /\ MaxResched \in Nat /\ NBuckets \in Nat \ {0}
ASSUME PreemptRcu \in BOOLEAN /\ RefcountTwoStep \in BOOLEAN
\* every charge is visible: an uncharge always changes the owner's charge
ASSUME ElemSize \in Nat \ {0} /\ StorageSize \in Nat \ {0}
ASSUME \A p \in ProcIds : Kind(p) \in {"map_free", "destroy", "update", "delete", "lookup", "sleepable_lookup"}
ASSUME \A o \in Owners : InitStorage[o] \in Storages \cup {NULL}

-----------------------------------------------------------------------------
(* The state at start: every selem of InitLinked is linked into its owner's *)
(* LS and its map's bucket with hlist_add_head, in the order given, and is  *)
(* charged to its owner together with the LS header.                       *)

InitIdx(x) == CHOOSE i \in 1..Len(InitLinked) : InitLinked[i] = x
IsInit(x) == \E i \in 1..Len(InitLinked) : InitLinked[i] = x
InitLS(x) == InitStorage[SelemOwner[x]]
InitBucket(x) == IF V3 THEN BucketOf[x] ELSE BucketOf[InitLS(x)]
\* the selem linked last among the first i-1 that satisfy P: the next one in an hlist
LatestBefore(i, P(_)) ==
    LET J == {j \in 1..(i - 1) : P(InitLinked[j])}
    IN IF J = {} THEN NULL ELSE InitLinked[MaxOf(J)]
InitMNext(x) == LatestBefore(InitIdx(x), LAMBDA y : SelemMap[y] = SelemMap[x] /\ InitBucket(y) = InitBucket(x))
InitLNext(x) == LatestBefore(InitIdx(x), LAMBDA y : InitLS(y) = InitLS(x))
InitBucketFirst(m, b) == LatestBefore(Len(InitLinked) + 1, LAMBDA y : SelemMap[y] = m /\ InitBucket(y) = b)
InitLSFirst(l) == LatestBefore(Len(InitLinked) + 1, LAMBDA y : InitLS(y) = l)
InitCount(o) == Cardinality({x \in Selems : IsInit(x) /\ SelemOwner[x] = o})
IsInitStorage(l) == \E o \in Owners : InitStorage[o] = l

\* An selem: st (Memory.tla), smap, ls (selem->local_storage), the two
\* hlist nodes (Hlist.tla: inB, mnext, inL, lnext), cnt (v3 link_cnt), bits
\* (final selem->state), and two ghost counters: fields (how many times
\* bpf_obj_free_fields ran on it, 0..2) and frees (how many times
\* bpf_selem_free was called on it, 0..2; Memory.tla); and three ghosts of
\* P4 and P7: chg (its elem_size is counted in its owner's charge: set by
\* the charge, cleared by the step that uncharges it), wfired (the WARN sites
\* that fired for it: the condition held on this selem) and wprinted (those
\* of them that printed: a WARN_ON_ONCE / WARN_ONCE site prints only the
\* first time it fires, so a site already in warns prints nothing).
NoSelem == [st |-> "none", smap |-> NULL, ls |-> NULL, inB |-> 0, mnext |-> NULL,
            inL |-> NULL, lnext |-> NULL, cnt |-> 0, bits |-> {}, fields |-> 0, frees |-> 0,
            chg |-> FALSE, wfired |-> {}, wprinted |-> {}]
\* bpf_selem_alloc: smap set, state 0 (final) or link_cnt 2 (v3), nothing linked
NewSelem(m) == [NoSelem EXCEPT !.st = "live", !.smap = m, !.cnt = IF V3 THEN 2 ELSE 0]
\* A local storage: st, owner, first (the head of its list), lock (the holder of
\* local_storage->lock), cache, charge (mem_charge), refcnt (owner_refcnt), and
\* the ghost counter frees (bpf_local_storage_free calls, 0..2); ghosts as
\* for an selem: hchg (sizeof(LS) is counted in its owner's charge), wfired,
\* wprinted (the refcount_t WARNs of owner_refcnt).
NoStorage == [st |-> "none", owner |-> NULL, first |-> NULL, lock |-> NULL,
              cache |-> [m \in Maps |-> NULL], charge |-> 0, refcnt |-> 0, frees |-> 0,
              hchg |-> FALSE, wfired |-> {}, wprinted |-> {}]

\* Per-process locals (the kernel functions' local variables); Blank when idle
\* or done, except rv: the value an update or a delete returned ("ok",
\* "eagain", "err"), kept once it is done; "none" otherwise, and after the
\* early returns of bpf_sk_storage_del's first step, which P8 does not judge.
Blank == [x |-> NULL, ls |-> NULL, m |-> NULL, n |-> 0, last |-> FALSE, ret |-> "none",
          b |-> 0, nb |-> 0, b2 |-> 0, cur |-> NULL, resched |-> 0, total |-> 0,
          tofree |-> {}, old |-> NULL, stg |-> NULL, bar |-> {}, rv |-> "none"]

VARIABLES
    sel,      \* [Selems -> selem]
    lsv,      \* [Storages -> LS]
    bkt,      \* [Maps -> [Buckets -> [first, lock]]]
    smapSt,   \* [Maps -> "live" | "freed"]: the smap with its buckets
    own,      \* [Owners -> [st (alive/dying/freed), storage (owner->storage), omem (charged bytes, sk_omem_alloc)]]
    pc,       \* [ProcIds -> the kernel step the process is at]
    loc,      \* [ProcIds -> locals]
    fails,    \* sequence of the lock attempts that failed [by, lock, at]
    warns     \* the WARNs that fired
    \* and from Rcu.tla: readers, traceReaders, cbs, gpw;
    \* from Memory.tla: usedAfterFree (a ghost)

vars == <<sel, lsv, bkt, smapSt, own, pc, loc, readers, traceReaders, cbs, gpw, fails, warns, usedAfterFree>>

Init ==
    /\ sel = [x \in Selems |->
                IF IsInit(x)
                THEN [NewSelem(SelemMap[x]) EXCEPT !.ls = InitLS(x), !.inB = InitBucket(x),
                        !.mnext = InitMNext(x), !.inL = InitLS(x), !.lnext = InitLNext(x), !.chg = TRUE]
                ELSE NoSelem]
    /\ lsv = [l \in Storages |->
                IF IsInitStorage(l)
                THEN [NoStorage EXCEPT !.st = "live", !.owner = StorageOwner[l], !.first = InitLSFirst(l),
                        !.charge = IF V3 THEN 0 ELSE StorageSize + ElemSize * InitCount(StorageOwner[l]),
                        !.refcnt = IF V3 THEN 0 ELSE 1, !.hchg = TRUE]
                ELSE NoStorage]
    /\ bkt = [m \in Maps |-> [b \in Buckets |-> [first |-> InitBucketFirst(m, b), lock |-> NULL]]]
    /\ smapSt = [m \in Maps |-> "live"]
    /\ own = [o \in Owners |-> [st |-> "alive", storage |-> InitStorage[o],
                omem |-> IF InitStorage[o] = NULL THEN 0 ELSE StorageSize + ElemSize * InitCount(o)]]
    /\ pc = [p \in ProcIds |-> "idle"]
    /\ loc = [p \in ProcIds |-> Blank]
    /\ RcuInit(ProcIds)
    /\ fails = <<>>
    /\ warns = {}
    /\ usedAfterFree = {}

-----------------------------------------------------------------------------
(* bpf_local_storage_lookup(l, m) in one step (an LS l, possibly NULL, and  *)
(* map m): the cache slot, else the walk of the LS list.                   *)

\* The selems the walk from y reads until one of map m, and the one it finds.
RECURSIVE WalkRead(_, _), WalkFind(_, _)
WalkRead(y, m) == IF y = NULL THEN {} ELSE IF sel[y].smap = m THEN {y} ELSE {y} \cup WalkRead(sel[y].lnext, m)
WalkFind(y, m) == IF y = NULL THEN NULL ELSE IF sel[y].smap = m THEN y ELSE WalkFind(sel[y].lnext, m)

\* The fast path: local_storage->cache[smap->cache_idx] holds an sdata of smap.
CacheSlot(l, m) == IF l = NULL THEN NULL ELSE lsv[l].cache[m]
CacheHit(l, m) == CacheSlot(l, m) # NULL /\ sel[CacheSlot(l, m)].smap = m
\* The selem found (NULL if none), and every selem read on the way.
LookupFound(l, m) ==
    IF l = NULL THEN NULL ELSE IF CacheHit(l, m) THEN CacheSlot(l, m) ELSE WalkFind(lsv[l].first, m)
LookupReads(l, m) ==
    IF l = NULL THEN {} ELSE {CacheSlot(l, m)} \cup (IF CacheHit(l, m) THEN {} ELSE WalkRead(lsv[l].first, m))

-----------------------------------------------------------------------------
(* Memory: the freed objects among the selems, LSes, smaps and owners a    *)
(* step reads or writes (Touch adds them to usedAfterFree). NULL is no     *)
(* object.                                                                 *)

UseSel(X) == FreedIn(sel, X)
UseLS(L) == FreedIn(lsv, L)
UseMap(M) == {m \in M \cap Maps : smapSt[m] = "freed"}
UseOwner(O) == FreedIn(own, O)

\* mem_uncharge(smap, owner, amt): sk_omem_alloc -= amt (o = NULL: the model
\* changes nothing; P4 rules it out)
OwnAfterUncharge(ow, o, amt) == IF o = NULL THEN ow ELSE [ow EXCEPT ![o].omem = @ - amt]

\* Ghosts (P4): the selem x / the header of LS l is no longer counted in its
\* owner's charge (the step uncharges it).
Unchg(s, x) == [s EXCEPT ![x].chg = FALSE]
UnchgLS(lv, l) == [lv EXCEPT ![l].hchg = FALSE]
\* named step: of the WARN sites W that fire, those that print: WARN_ON_ONCE
\* and WARN_ONCE print only the first time their site fires.
WarnPrints(W) == W \ warns
\* Ghosts (P7): the WARN sites W fire for object y of the records f; each
\* site prints only if it has not fired before in the run (warns holds the
\* sites that fired: WARN_ON_ONCE, and refcount_warn_saturate's WARN_ONCE).
FireWarns(f, y, W) == [f EXCEPT ![y].wfired = @ \cup W, ![y].wprinted = @ \cup WarnPrints(W)]

-----------------------------------------------------------------------------
(* rqspinlock attempts, and the RCU reclaim order.                         *)

BName(m, b) == "b->lock " \o m \o "[" \o ToString(b) \o "]"
LName(l) == "local_storage->lock " \o l

\* A callback that frees no special fields (an LS, or an selem whose smap is
\* NULL by then) only reclaims memory: it runs as soon as its grace period
\* ends, before any other step. That is the earliest reclaim the kernel may
\* do, and every later one only turns fewer accesses into use-after-free.
\* A callback that runs bpf_obj_free_fields may run at any time after its
\* grace period.
ReclaimOnly(c) == c.kind = "storage" \/ sel[c.obj].smap = NULL
ReclaimDue == {c \in cbs : GpEnded(c) /\ ReclaimOnly(c)}
\* Process p is at kernel step l and may take it: a due reclaim goes first
\* (see Callbacks).
At(p, l) == pc[p] = l /\ ReclaimDue = {}

Owner(p) == Procs[p].owner
MapOf(p) == Procs[p].map
InMapFree(p) == Kind(p) = "map_free"
\* A late program: a BPF program that may reach its owner after the owner's
\* refcount dropped to 0, while bpf_local_storage_destroy runs (e.g.
\* bpf_task_storage_get or bpf_task_storage_delete on a task whose usage is
\* 0: kernel/bpf/bpf_task_storage.c, called from free_task() in
\* kernel/fork.c). Its lookup runs; a creation is refused (UpdateRefused).
\* (a process record without the field, as a recorded Java run writes it, is not late)
Late(p) == "late" \in DOMAIN Procs[p] /\ Procs[p].late
\* A late program that holds no reference on the owner, so destroy may start
\* while it runs: a lookup, and the task delete helper (which takes none; the
\* sk delete helper refuses a dying sk with refcount_inc_not_zero). A late
\* update that passed its refcount check holds the owner as sk's
\* refcount_inc_not_zero does (task's refcount_read is only a check: the
\* window between that read and the end of the update is not modelled).
MayOutliveRef(p) == Late(p) /\ Kind(p) \in {"lookup", "delete"}
\* select_bucket(smap, x): v3 hashes the selem, final hashes the local storage
SelectBucket(x, l) == IF V3 THEN BucketOf[x] ELSE BucketOf[l]

-----------------------------------------------------------------------------
(***************************************************************************)
(* rqspinlock attempts: when one may fail, and with what cause.           *)
(*                                                                         *)
(* res_spin_lock returns -EDEADLK when its AA or ABBA check finds a cycle  *)
(* through the held-lock tables, and -ETIMEDOUT after RES_DEF_TIMEOUT     *)
(* (250 ms) of waiting; a waiter queued behind a head that gave up gets an *)
(* error too. Each needs the lock to be taken by someone else while the    *)
(* attempt waits. Two forms, chosen by FailOnlyWhenContended:             *)
(*                                                                         *)
(* FALSE (any failure): an attempt may fail while the run has failures     *)
(*   left, whoever holds the lock. When no process of the model holds or   *)
(*   attempts it, the contender is a context outside the model: b->lock is *)
(*   shared with the selems of every owner hashed to that bucket (their    *)
(*   destroy, or programs and syscalls on them while the map is alive),    *)
(*   and local_storage->lock with every map of the owner (map_free of      *)
(*   another map pins the owner under it, programs on the owner with       *)
(*   another map cache or update under it). That context must hold the lock *)
(*   for 250 ms: a holder whose vCPU the hypervisor preempted, or that an  *)
(*   NMI program stalls, or that itself waits on another rqspinlock.       *)
(*                                                                         *)
(* TRUE (contended): an attempt may fail only where another process of the *)
(*   model contends for the lock: it holds it (a lock field below), or its *)
(*   next step attempts the same lock. In the second case the other        *)
(*   process is taken to have acquired the lock first and to be stalled    *)
(*   inside its critical section (the preempted vCPU or the NMI above)     *)
(*   until the failing attempt has timed out: an attempt and its critical  *)
(*   section are one step of the model, so the model shows it as "p fails, *)
(*   then q takes the lock". To keep that honest, the failure records q as *)
(*   the lock's stalled holder (fails[i].stalled): until q takes its step, *)
(*   nobody else acquires the lock (they may only fail on it, or wait), and *)
(*   q does not fail its own attempt (it holds the lock already). A cycle   *)
(*   (AA, ABBA) also needs another holder: AA is a nested context (an NMI  *)
(*   or tracing program) on the CPU that holds the lock, which is outside  *)
(*   the model; ABBA among the model's processes shows as a holder here.   *)
(*   The model's processes take local_storage->lock before b->lock and    *)
(*   hold two locks only in that order (v3 update: b->lock, then the old   *)
(*   bucket's), so no modelled ABBA exists in the final protocol.           *)
(* A finding that holds with FALSE only needs an unforced timeout (the     *)
(* weaker form: contention from outside the model); one that holds with    *)
(* TRUE needs only the processes of its scenario.                         *)
(***************************************************************************)

\* The lock the step of p at pc[p] attempts first ("none" for a step that
\* takes no lock), named as fails names it.
AttemptedLock(p) ==
    CASE pc[p] \in {"nofail:lock_bucket", "lockless:lock_bucket"} -> BName(loc[p].m, loc[p].nb)
      [] pc[p] = "bpf_selem_unlink:lock_bucket" -> BName(loc[p].m, loc[p].b)
      [] pc[p] \in {"update:lock_bucket", "storage_alloc:lock_bucket"} -> BName(MapOf(p), loc[p].b)
      [] pc[p] = "update:lock_old_bucket" -> BName(MapOf(p), BucketOf[loc[p].old])
      [] pc[p] \in {"nofail:lock_storage", "lockless:lock_storage", "bpf_selem_unlink:lock_storage"} -> LName(loc[p].ls)
      [] pc[p] \in {"update:lock_storage", "lookup:insert_cache"} -> LName(loc[p].stg)
      [] OTHER -> "none"

\* The processes other than p whose next step attempts lock name.
Pending(p, name) == {q \in ProcIds \ {p} : AttemptedLock(q) = name}
\* The stalled holder of lock name: named by a contended failure, it has not
\* taken its own attempt yet (at most one: later failures find it as holder).
StalledOn(name) == {fails[i].holder : i \in {j \in 1..Len(fails) : fails[j].lock = name /\ fails[j].stalled}}
\* Who holds lock name, whose lock field is h: h, or its stalled holder, or NULL.
Holder(name, h) == IF h # NULL THEN h ELSE IF StalledOn(name) = {} THEN NULL ELSE CHOOSE q \in StalledOn(name) : TRUE
\* p may take the lock: nobody holds it, or p is its stalled holder.
Free(p, h) == h = NULL \/ h = p
\* p takes a lock: if it was a stalled holder, it is one no more.
Resume(p) == fails' = [i \in 1..Len(fails) |-> IF fails[i].holder = p THEN [fails[i] EXCEPT !.stalled = FALSE] ELSE fails[i]]
\* p's attempt on lock name (holder h) fails with -EDEADLK/-ETIMEDOUT, while
\* the run has failures left; the record says who contended: the holder,
\* a process whose next step attempts the lock (now its stalled holder), or
\* NULL (any holder: where FailOnlyWhenContended is FALSE, so that those models
\* keep the states they had).
FailRec(p, name, c, st) == [by |-> p, lock |-> name, at |-> pc[p], holder |-> c, stalled |-> st]
Fail(p, name, h) ==
    /\ Len(fails) < MaxLockFailures
    /\ h # p
    /\ \/ ~FailOnlyWhenContended /\ fails' = Append(fails, FailRec(p, name, NULL, FALSE))
       \/ FailOnlyWhenContended /\ h # NULL /\ fails' = Append(fails, FailRec(p, name, h, FALSE))
       \/ FailOnlyWhenContended /\ h = NULL
          /\ \E q \in Pending(p, name) : fails' = Append(fails, FailRec(p, name, q, TRUE))

-----------------------------------------------------------------------------
(***************************************************************************)
(* bpf_local_storage_map_free(map)                                         *)
(***************************************************************************)

\* bpf_local_storage_cache_idx_free, then synchronize_rcu(). The map has no
\* users any more: no program or syscall on it is running or will start.
MapFreeStart(p) ==
    /\ At(p, "idle") /\ Kind(p) = "map_free"
    /\ \A q \in OpProcs : MapOf(q) = MapOf(p) => pc[q] \in {"idle", "done"}
    /\ gpw' = [gpw EXCEPT ![p] = SyncWait(p)]
    /\ pc' = [pc EXCEPT ![p] = "map_free:synchronize_rcu"]
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, loc, readers, traceReaders, cbs, fails, warns, usedAfterFree>>

\* synchronize_rcu() returned (every reader of before has left, e.g. a destroy
\* that had started); bucket by bucket: rcu_read_lock() and the walk starts at
\* the head of the bucket
MapFreeRcuLock(p) ==
    /\ \/ At(p, "map_free:synchronize_rcu") /\ SyncDone(p)
       \/ At(p, "map_free:rcu_read_lock")
    /\ LET b == IF pc[p] = "map_free:synchronize_rcu" THEN 1 ELSE loc[p].b
       IN loc' = [loc EXCEPT ![p].b = b, ![p].cur = bkt[MapOf(p)][b].first]
    /\ RcuReadLock(p)
    /\ pc' = [pc EXCEPT ![p] = "map_free:walk"]
    /\ Touch(UseMap({MapOf(p)}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* named step: final: bpf_selem_unlink_nofail(selem, NULL) called by destroy
\* locks b = select_bucket(smap, local_storage): the bucket of the selem's LS
\* (local_storage NULL: the model takes bucket 1).
NofailSelectBucket(x) == IF sel[x].ls = NULL THEN 1 ELSE BucketOf[sel[x].ls]

\* final: bpf_selem_unlink_nofail(selem, b) starts by loading
\*   local_storage = selem->local_storage and smap = SDATA(selem)->smap;
\*   it locks map_free's own bucket, or NofailSelectBucket for destroy
NofailLoc(p, x, ret) ==
    [loc[p] EXCEPT !.x = x, !.ls = sel[x].ls, !.m = sel[x].smap, !.n = 0, !.last = FALSE, !.ret = ret,
                   !.nb = IF InMapFree(p) THEN loc[p].b ELSE NofailSelectBucket(x)]
NofailAfterB(l) == IF l # NULL THEN "nofail:lock_storage" ELSE "nofail:set_state"
NofailFirstPc(x) == IF sel[x].smap # NULL THEN "nofail:lock_bucket" ELSE NofailAfterB(sel[x].ls)

\* final: hlist_for_each_entry_rcu(selem, &b->list, map_node) bpf_selem_unlink_nofail(selem, b)
\* v3:    while ((selem = first(&b->list))) bpf_selem_unlink_lockless(selem, &free_selem_list, MAP_FREE)
\* At the end of the bucket: rcu_read_unlock(), next bucket or synchronize_rcu().
MapFreeWalk(p) ==
    /\ At(p, "map_free:walk")
    /\ LET m == MapOf(p)
           b == loc[p].b
           x == IF V3 THEN bkt[m][b].first ELSE loc[p].cur
       IN IF x = NULL
          THEN /\ IF b < NBuckets
                  THEN /\ RcuReadUnlock(p, cbs)
                       /\ loc' = [loc EXCEPT ![p].b = b + 1, ![p].cur = NULL]
                       /\ pc' = [pc EXCEPT ![p] = "map_free:rcu_read_lock"]
                  ELSE /\ RcuReadUnlockSync(p, cbs)
                       /\ loc' = [loc EXCEPT ![p].cur = NULL]
                       /\ pc' = [pc EXCEPT ![p] = "map_free:synchronize_rcu_2"]
               /\ Touch(UseMap({m}))
          ELSE /\ IF V3
                  THEN /\ loc' = [loc EXCEPT ![p].x = x, ![p].cur = x, ![p].ret = "map_free:next"]
                       /\ pc' = [pc EXCEPT ![p] = "lockless:read"]
                       /\ Touch(UseMap({m}))
                  ELSE /\ loc' = [loc EXCEPT ![p] = NofailLoc(p, x, "map_free:next")]
                       /\ pc' = [pc EXCEPT ![p] = NofailFirstPc(x)]
                       /\ Touch(UseSel({x}))
               /\ UNCHANGED <<readers, traceReaders, cbs, gpw>>
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, fails, warns>>

\* named step: v3 map_free declares HLIST_HEAD(free_selem_list) once and
\* hands it to bpf_selem_free_list after every selem; nothing re-initialises
\* the head, so what was freed stays on it: the list after the free.
MapFreeListAfterFree(T) == T

\* Back from the unlink of cur.
\* final: if (need_resched()) { cond_resched_rcu(); goto restart; } else go on to cur->map_node.next
\* v3:    bpf_selem_free_list(&free_selem_list, false); cond_resched_rcu()
MapFreeNext(p) ==
    /\ At(p, "map_free:next")
    /\ IF V3
       THEN LET T == loc[p].tofree
            IN /\ sel' = FreeCalls(sel, T)
               /\ Touch(UseSel(T))
               /\ RcuReadUnlock(p, cbs \cup {Cb("selem", x) : x \in T})
               /\ pc' = [pc EXCEPT ![p] = "map_free:cond_resched_rcu"]
               /\ loc' = [loc EXCEPT ![p].tofree = MapFreeListAfterFree(T)]
       ELSE \/ /\ loc[p].resched < MaxResched          \* need_resched(): cond_resched_rcu()
               \* it leaves the read-side section, unless it is empty (PreemptRcu)
               /\ IF PreemptRcu THEN UNCHANGED <<readers, traceReaders, cbs, gpw>> ELSE RcuReadUnlock(p, cbs)
               /\ loc' = [loc EXCEPT ![p].resched = @ + 1]
               /\ pc' = [pc EXCEPT ![p] = "map_free:cond_resched_rcu"]
               /\ UNCHANGED <<sel, usedAfterFree>>
            \/ /\ loc' = [loc EXCEPT ![p].cur = sel[loc[p].cur].mnext]
               /\ pc' = [pc EXCEPT ![p] = "map_free:walk"]
               /\ Touch(UseSel({loc[p].cur}))
               /\ UNCHANGED <<sel, readers, traceReaders, cbs, gpw>>
    /\ UNCHANGED <<lsv, bkt, smapSt, own, fails, warns>>

\* cond_resched_rcu()'s rcu_read_lock() (PreemptRcu: nothing, the process is a
\* reader already); final restarts at the head of the bucket ("goto restart")
MapFreeCondResched(p) ==
    /\ At(p, "map_free:cond_resched_rcu")
    /\ RcuReadLock(p)
    /\ loc' = IF V3 THEN loc ELSE [loc EXCEPT ![p].cur = bkt[MapOf(p)][loc[p].b].first]
    /\ pc' = [pc EXCEPT ![p] = "map_free:walk"]
    /\ Touch(UseMap({MapOf(p)}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* synchronize_rcu() done: rcu_barrier_tasks_trace(); rcu_barrier() wait for the callbacks queued so far
MapFreeSync2(p) ==
    /\ At(p, "map_free:synchronize_rcu_2") /\ SyncDone(p)
    /\ loc' = [loc EXCEPT ![p].bar = BarrierObjs]
    /\ pc' = [pc EXCEPT ![p] = "map_free:rcu_barrier"]
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns, usedAfterFree>>

\* kvfree(smap->buckets); bpf_map_area_free(smap)
MapFreeFree(p) ==
    /\ At(p, "map_free:rcu_barrier")
    /\ BarrierDone(loc[p].bar)
    /\ smapSt' = [smapSt EXCEPT ![MapOf(p)] = "freed"]
    /\ pc' = [pc EXCEPT ![p] = "done"]
    /\ loc' = [loc EXCEPT ![p] = Blank]
    /\ UNCHANGED <<sel, lsv, bkt, own, readers, traceReaders, cbs, gpw, fails, warns, usedAfterFree>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* bpf_sk_storage_free(owner) -> bpf_local_storage_destroy(local_storage)  *)
(***************************************************************************)

\* rcu_read_lock(); local_storage = owner->storage. The owner is going away:
\* no program or syscall can reach it any more.
DestroyStart(p) ==
    /\ At(p, "idle") /\ Kind(p) = "destroy"
    /\ \A q \in OpProcs : Owner(q) = Owner(p) => pc[q] \in {"idle", "done"} \/ MayOutliveRef(q)
    /\ LET o == Owner(p)
           l == own[o].storage
       IN /\ RcuReadLock(p)
          /\ own' = [own EXCEPT ![o].st = "dying"]
          /\ loc' = [loc EXCEPT ![p].stg = l, ![p].cur = IF l = NULL THEN NULL ELSE lsv[l].first]
          /\ pc' = [pc EXCEPT ![p] = IF l = NULL THEN "destroy:owner_uncharge" ELSE "destroy:walk"]
          /\ Touch(UseLS({l}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, cbs, gpw, fails, warns>>

\* final: hlist_for_each_entry_rcu(selem, &local_storage->list, snode) nofail(selem, NULL)
\* v3:    hlist_for_each_entry_safe (next read first); uncharge += selem->size; lockless(selem, DESTROY)
DestroyWalk(p) ==
    /\ At(p, "destroy:walk")
    /\ LET x == loc[p].cur
       IN IF x = NULL
          THEN /\ pc' = [pc EXCEPT ![p] = IF V3 THEN "destroy:after_walk" ELSE "destroy:dec_and_test"]
               /\ UNCHANGED <<loc, usedAfterFree>>
          ELSE IF V3
          THEN /\ loc' = [loc EXCEPT ![p].x = x, ![p].cur = sel[x].lnext, ![p].total = @ + ElemSize,
                                     ![p].ret = "destroy:walk"]
               /\ pc' = [pc EXCEPT ![p] = "lockless:read"]
               /\ Touch(UseSel({x}))
          ELSE /\ loc' = [loc EXCEPT ![p] = NofailLoc(p, x, "destroy:next")]
               /\ pc' = [pc EXCEPT ![p] = NofailFirstPc(x)]
               /\ Touch(UseSel({x}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

\* final: back from nofail(cur): go on to cur->snode.next
DestroyNext(p) ==
    /\ At(p, "destroy:next")
    /\ LET nxt == sel[loc[p].cur].lnext
       IN /\ loc' = [loc EXCEPT ![p].cur = nxt]
          /\ pc' = [pc EXCEPT ![p] = IF nxt = NULL THEN "destroy:dec_and_test" ELSE "destroy:walk"]
    /\ Touch(UseSel({loc[p].cur}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

\* The end of bpf_sk_storage_free: the owner subtracts what destroy returned
\* (atomic_sub from sk_omem_alloc; v3 callers also clear owner->storage),
\* rcu_read_unlock(), and the owner is freed. ow and C are own and cbs as
\* destroy leaves them, F the freed objects destroy touched on the way.
DestroyFinish(p, t, ow, C, F) ==
    LET o == Owner(p)
        ow1 == [ow EXCEPT ![o].omem = @ - t, ![o].storage = IF V3 THEN NULL ELSE @]
    IN /\ \A q \in OpProcs : Late(q) /\ Owner(q) = o => pc[q] \in {"idle", "done"}
       /\ own' = [ow1 EXCEPT ![o].st = "freed"]
       /\ Touch(F \cup UseOwner({o}))
       /\ RcuReadUnlock(p, C)
       /\ pc' = [pc EXCEPT ![p] = "done"]
       /\ loc' = [loc EXCEPT ![p] = Blank]

\* named step: final: destroy drops the initial reference,
\* refcount_dec_and_test(&local_storage->owner_refcnt)
DestroyRefDecAndTest(r) == RefDecAndTest(r)

\* final: if (!refcount_dec_and_test(&local_storage->owner_refcnt)) spin; else
\* return local_storage->mem_charge (no pinned uncharge can start once the count is 0)
DestroyDecAndTest(p) ==
    /\ At(p, "destroy:dec_and_test")
    /\ LET l == loc[p].stg
           d == DestroyRefDecAndTest(lsv[l].refcnt)
       IN /\ lsv' = FireWarns([lsv EXCEPT ![l].refcnt = d.val], l, d.warn)
          /\ warns' = warns \cup d.warn
          /\ IF d.val = 0
             THEN DestroyFinish(p, lsv[l].charge, own, cbs, UseLS({l}))
             ELSE /\ pc' = [pc EXCEPT ![p] = "destroy:wait_owner_refcnt"]
                  /\ Touch(UseLS({l}))
                  /\ UNCHANGED <<own, readers, traceReaders, cbs, gpw, loc>>
    /\ UNCHANGED <<sel, bkt, smapSt, fails>>

\* while (refcount_read(&local_storage->owner_refcnt)) cpu_relax(); smp_mb();
\* return local_storage->mem_charge
DestroyWaitRefcnt(p) ==
    /\ At(p, "destroy:wait_owner_refcnt")
    /\ lsv[loc[p].stg].refcnt = 0
    /\ DestroyFinish(p, lsv[loc[p].stg].charge, own, cbs, UseLS({loc[p].stg}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, fails, warns>>

\* cpu_relax(): a spin that changes nothing (a stuttering step, so never a deadlock)
DestroySpin(p) ==
    /\ At(p, "destroy:wait_owner_refcnt")
    /\ lsv[loc[p].stg].refcnt # 0
    /\ UNCHANGED vars

\* v3: uncharge += sizeof(*local_storage); local_storage->owner = NULL;
\*     bpf_selem_free_list(&free_selem_list, false); bpf_local_storage_free(local_storage, false);
\*     return uncharge
DestroyAfterWalk(p) ==
    /\ At(p, "destroy:after_walk")
    /\ LET l == loc[p].stg
           T == loc[p].tofree
           lv1 == [lsv EXCEPT ![l].owner = NULL]
       IN /\ sel' = FreeCalls(sel, T)
          /\ lsv' = FreeCall(lv1, l)
          /\ DestroyFinish(p, loc[p].total + StorageSize, own,
                           cbs \cup {Cb("selem", x) : x \in T} \cup {Cb("storage", l)},
                           UseLS({l}) \cup UseSel(T))
    /\ UNCHANGED <<bkt, smapSt, fails, warns>>

\* owner->storage was NULL: nothing to destroy
DestroyNoStorage(p) ==
    /\ At(p, "destroy:owner_uncharge")
    /\ DestroyFinish(p, 0, own, cbs, {})
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, fails, warns>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* final: bpf_selem_unlink_nofail(selem, b); b is map_free's bucket, NULL  *)
(* for destroy. Locals: x = selem, ls = local_storage, m = smap, n =       *)
(* unlink, last = free_storage, nb = the bucket it locks. Each lock        *)
(* attempt is one step with the critical section it opens: no other       *)
(* process looks at a lock but to take it (with FailOnlyWhenContended, a   *)
(* nofail whose next step attempts a lock contends for it: Pending).       *)
(***************************************************************************)

\* named step: under b->lock, if (selem_linked_to_map(selem)) the unlink
\* calls bpf_obj_free_fields(smap->map.record, SDATA(selem)->data).
NofailFreesFields(linked) == linked
\* named step: if (!err || in_map_free) RCU_INIT_POINTER(SDATA(selem)->smap, NULL)
NofailClearsSmap(err, inMapFree) == ~err \/ inMapFree
\* named step: WARN_ON_ONCE(err && in_map_free)
NofailWarns(err, inMapFree) == err /\ inMapFree
\* named step: under b->lock, hlist_del_init_rcu(&selem->map_node) (the
\* selem's side: unhashed, and its predecessor's next skips it)
NofailUnlinkMapNode(s, bk, x) == SelMapDel(s, bk, x)

\* err = raw_res_spin_lock_irqsave(&b->lock);
\* ok:    if (selem_linked_to_map(selem)) { hlist_del_init_rcu(&selem->map_node);
\*        bpf_obj_free_fields(smap->map.record, ...); unlink++; } unlock
\* error: WARN_ON_ONCE(err && in_map_free)
\* then:  if (!err || in_map_free) RCU_INIT_POINTER(SDATA(selem)->smap, NULL)
NofailLockBucket(p) ==
    /\ At(p, "nofail:lock_bucket")
    /\ LET x == loc[p].x
           m == loc[p].m
           nb == loc[p].nb
           h == Holder(BName(m, nb), bkt[m][nb].lock)
           linked == sel[x].inB # 0
           s1 == NofailUnlinkMapNode(sel, bkt, x)
       IN /\ \/ /\ Free(p, h)
                /\ sel' = [s1 EXCEPT ![x].fields = IF NofailFreesFields(linked) THEN Min(@ + 1, 2) ELSE @,
                                     ![x].smap = IF NofailClearsSmap(FALSE, InMapFree(p)) THEN NULL ELSE @]
                /\ bkt' = BktMapDel(sel, bkt, x)
                /\ loc' = [loc EXCEPT ![p].n = IF linked THEN @ + 1 ELSE @]
                /\ Touch(UseMap({m}) \cup UseSel({x} \cup MapNeighbours(sel, bkt, x)))
                /\ UNCHANGED warns
                /\ Resume(p)
             \/ /\ Fail(p, BName(m, nb), h)
                /\ warns' = IF NofailWarns(TRUE, InMapFree(p)) THEN warns \cup {WarnMapFree} ELSE warns
                /\ sel' = LET s2 == IF NofailClearsSmap(TRUE, InMapFree(p)) THEN [sel EXCEPT ![x].smap = NULL] ELSE sel
                          IN IF NofailWarns(TRUE, InMapFree(p)) THEN FireWarns(s2, x, {WarnMapFree}) ELSE s2
                /\ Touch(UseMap({m}) \cup UseSel({x}))
                /\ UNCHANGED <<bkt, loc>>
          /\ pc' = [pc EXCEPT ![p] = NofailAfterB(loc[p].ls)]
    /\ UNCHANGED <<lsv, smapSt, own, readers, traceReaders, cbs, gpw>>

\* named step: under local_storage->lock, if (selem_linked_to_storage(selem))
\* nofail unlinks snode, and after the lock it clears selem->local_storage
\* (m: the smap it loaded at its start). Always, in the merged code.
NofailTakesSnode(p, m) == TRUE
\* named step: a WARN where destroy fails local_storage->lock (none at
\* 0542972950ef; [PR] proposes one for the C10 leak)
NofailWarnsStorage(err, inMapFree) == FALSE

\* named step: the pinned uncharge in bpf_selem_unlink_storage_nolock_misc:
\* local_storage->mem_charge -= uncharge
NofailMemCharge(charge, amt) == charge - amt

\* err = raw_res_spin_lock_irqsave(&local_storage->lock);
\* ok:    if (selem_linked_to_storage(selem)) {
\*          free_storage = hlist_is_singular_node(...);
\*          if (smap && in_map_free) bpf_selem_unlink_storage_nolock_misc(..., pin_owner = true):
\*            clear the cache slot; if (!refcount_inc_not_zero(&owner_refcnt)) return;
\*            mem_uncharge(smap, owner, elem_size [+ sizeof(LS)]); mem_charge -= ...;
\*            if (free_storage) { local_storage->owner = NULL; owner->storage = NULL; }
\*            [refcount_dec: NofailUnpinOwner]
\*          hlist_del_init_rcu(&selem->snode); unlink++; }  unlock
\* error: nothing
\* then:  if (!err || !in_map_free) RCU_INIT_POINTER(selem->local_storage, NULL)
NofailLockStorage(p) ==
    /\ At(p, "nofail:lock_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           m == loc[p].m
           h == Holder(LName(l), lsv[l].lock)
           takes == NofailTakesSnode(p, m)
           linked == sel[x].inL # NULL /\ takes
           last == linked /\ Singular(sel, lsv, x, l)
           misc == linked /\ m # NULL /\ InMapFree(p)
           lv1 == IF misc /\ lsv[l].cache[m] = x THEN [lsv EXCEPT ![l].cache[m] = NULL] ELSE lsv
           pinned == misc /\ RefIncNotZeroOk(lsv[l].refcnt)
           o == lsv[l].owner
           amt == ElemSize + (IF last THEN StorageSize ELSE 0)
       IN /\ \/ /\ Free(p, h)
                /\ IF pinned
                   THEN \* the pinned uncharge; LS->lock stays held until NofailUnpinOwner
                        /\ lsv' = [lv1 EXCEPT ![l].lock = p, ![l].refcnt = RefIncNotZero(@),
                                              ![l].charge = NofailMemCharge(@, amt),
                                              ![l].owner = IF last THEN NULL ELSE @,
                                              ![l].hchg = IF last THEN FALSE ELSE @]
                        /\ own' = LET ow1 == OwnAfterUncharge(own, o, amt)
                                  IN IF last /\ o # NULL THEN [ow1 EXCEPT ![o].storage = NULL] ELSE ow1
                        /\ pc' = [pc EXCEPT ![p] = "nofail:unpin_owner"]
                        /\ sel' = Unchg(sel, x)
                   ELSE /\ sel' = IF linked THEN [SelLSDel(sel, lv1, x) EXCEPT ![x].ls = NULL]
                                  ELSE IF takes THEN [sel EXCEPT ![x].ls = NULL] ELSE sel
                        /\ lsv' = IF linked THEN LsvLSDel(sel, lv1, x) ELSE lv1
                        /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
                        /\ UNCHANGED own
                /\ loc' = [loc EXCEPT ![p].last = last, ![p].n = IF linked /\ ~pinned THEN @ + 1 ELSE @]
                /\ Touch(UseLS({l})
                         \cup UseSel({x} \cup (IF linked /\ ~pinned THEN LSNeighbours(sel, lv1, x) ELSE {}))
                         \cup (IF pinned THEN UseOwner({o}) \cup UseMap({m}) ELSE {}))
                /\ UNCHANGED warns
                /\ Resume(p)
             \/ /\ Fail(p, LName(l), h)
                /\ LET s1 == IF InMapFree(p) THEN sel ELSE [sel EXCEPT ![x].ls = NULL]
                       w == NofailWarnsStorage(TRUE, InMapFree(p))
                   IN /\ sel' = IF w THEN FireWarns(s1, x, {WarnDestroyLS}) ELSE s1
                      /\ warns' = IF w THEN warns \cup {WarnDestroyLS} ELSE warns
                /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
                /\ Touch(UseLS({l}) \cup UseSel({x}))
                /\ UNCHANGED <<lsv, own, loc>>
    /\ UNCHANGED <<bkt, smapSt, readers, traceReaders, cbs, gpw>>

\* named step: _misc drops its pin: refcount_dec(&local_storage->owner_refcnt)
NofailUnpinRef(r) == RefDec(r)

\* refcount_dec(&local_storage->owner_refcnt); hlist_del_init_rcu(&selem->snode); unlink++; unlock;
\* RCU_INIT_POINTER(selem->local_storage, NULL).
\* With RefcountTwoStep, a decrement that saturates takes two steps of this
\* action: atomic_fetch_sub_release stores the new count (pc
\* "nofail:refcount_saturate"), then refcount_warn_saturate() stores
\* REFCOUNT_SATURATED and WARNs, and the unlink goes on.
NofailUnpinOwner(p) ==
    /\ \/ At(p, "nofail:unpin_owner")
       \/ At(p, "nofail:refcount_saturate")
    /\ LET x == loc[p].x
           l == loc[p].ls
           r == lsv[l].refcnt
           d == IF pc[p] = "nofail:refcount_saturate" THEN [val |-> SATURATED, warn |-> {WarnRefDec}]
                ELSE NofailUnpinRef(r)
           lv1 == [lsv EXCEPT ![l].refcnt = d.val, ![l].lock = NULL]
       IN IF pc[p] = "nofail:unpin_owner" /\ RefcountTwoStep /\ d.val = SATURATED /\ r # SATURATED
          THEN \* atomic_fetch_sub_release(1, &r->refs): the result is visible
               /\ lsv' = [lsv EXCEPT ![l].refcnt = r - 1]
               /\ pc' = [pc EXCEPT ![p] = "nofail:refcount_saturate"]
               /\ Touch(UseLS({l}))
               /\ UNCHANGED <<sel, loc, warns>>
          ELSE /\ sel' = [SelLSDel(sel, lv1, x) EXCEPT ![x].ls = NULL]
               /\ lsv' = FireWarns(LsvLSDel(sel, lv1, x), l, d.warn)
               /\ warns' = warns \cup d.warn
               /\ Touch(UseSel({x} \cup LSNeighbours(sel, lv1, x)) \cup UseLS({l}))
               /\ loc' = [loc EXCEPT ![p].n = @ + 1]
               /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails>>

\* named step: if (unlink != 2) atomic_or(caller's bit, &selem->state)
NofailSetsBit(p, x, n) == n # 2
\* named step: if (unlink == 2 || atomic_cmpxchg(&selem->state, SELEM_UNLINKED,
\* SELEM_TOFREE) == SELEM_UNLINKED) bpf_selem_free(selem, true): whether this
\* caller frees the selem (bits: the state after its atomic_or)
NofailShouldFree(n, bits) == n = 2 \/ bits = UNLINKED
\* named step: if (free_storage) bpf_local_storage_free(local_storage, true)
NofailFreesStorage(last) == last

\* if (unlink != 2) atomic_or(in_map_free ? MAP_UNLINKED : STORAGE_UNLINKED, &selem->state);
\* if (unlink == 2 || atomic_cmpxchg(&state, SELEM_UNLINKED, SELEM_TOFREE) == SELEM_UNLINKED)
\*     bpf_selem_free(selem, true);
\* if (free_storage) bpf_local_storage_free(local_storage, true);
NofailSetState(p) ==
    /\ At(p, "nofail:set_state")
    /\ LET x == loc[p].x
           n == loc[p].n
           l == loc[p].ls
           bit == IF InMapFree(p) THEN MAPU ELSE STOU
           b1 == IF NofailSetsBit(p, x, n) THEN sel[x].bits \cup {bit} ELSE sel[x].bits
           win == NofailShouldFree(n, b1)
           b2 == IF n # 2 /\ b1 = UNLINKED THEN {TOFREE} ELSE b1
           s1 == [sel EXCEPT ![x].bits = b2]
           freeLS == NofailFreesStorage(loc[p].last)
       IN /\ sel' = IF win THEN FreeCall(s1, x) ELSE s1
          /\ lsv' = IF freeLS THEN FreeCall(lsv, l) ELSE lsv
          /\ cbs' = cbs \cup (IF win THEN {CbVanilla("selem", x)} ELSE {})
                         \cup (IF freeLS THEN {CbVanilla("storage", l)} ELSE {})
          /\ Touch(UseSel({x}) \cup (IF freeLS THEN UseLS({l}) ELSE {}))
          /\ pc' = [pc EXCEPT ![p] = loc[p].ret]
          /\ loc' = [loc EXCEPT ![p].x = NULL, ![p].ls = NULL, ![p].m = NULL,
                                ![p].n = 0, ![p].last = FALSE, ![p].nb = 0, ![p].ret = "none"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, traceReaders, gpw, fails, warns>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* v3: bpf_selem_unlink_lockless(selem, to_free, caller)                   *)
(***************************************************************************)

LocklessAfterB(p, l) == IF l # NULL /\ ~InMapFree(p) THEN "lockless:lock_storage" ELSE "lockless:dec_link_cnt"

\* local_storage = selem->local_storage; smap = SDATA(selem)->smap; b = select_bucket(smap, selem)
LocklessRead(p) ==
    /\ At(p, "lockless:read")
    /\ LET x == loc[p].x
           l == sel[x].ls
           m == sel[x].smap
       IN /\ loc' = [loc EXCEPT ![p].ls = l, ![p].m = m, ![p].n = 0, ![p].nb = BucketOf[x]]
          /\ pc' = [pc EXCEPT ![p] = IF m # NULL THEN "lockless:lock_bucket" ELSE LocklessAfterB(p, l)]
          /\ Touch(UseSel({x}))
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

\* err = raw_res_spin_lock_irqsave(&b->lock); on error map_free (only) clears smap
LocklessLockBucket(p) ==
    /\ At(p, "lockless:lock_bucket")
    /\ LET x == loc[p].x
           m == loc[p].m
           nb == loc[p].nb
           h == Holder(BName(m, nb), bkt[m][nb].lock)
       IN /\ \/ /\ Free(p, h)
                /\ bkt' = [bkt EXCEPT ![m][nb].lock = p]
                /\ pc' = [pc EXCEPT ![p] = "lockless:unlink_map"]
                /\ UNCHANGED sel
                /\ Resume(p)
             \/ /\ Fail(p, BName(m, nb), h)
                /\ sel' = IF InMapFree(p) THEN [sel EXCEPT ![x].smap = NULL] ELSE sel
                /\ pc' = [pc EXCEPT ![p] = LocklessAfterB(p, loc[p].ls)]
                /\ UNCHANGED bkt
          /\ Touch(UseMap({m}) \cup UseSel({x}))
    /\ UNCHANGED <<lsv, smapSt, own, loc, readers, traceReaders, cbs, gpw, warns>>

\* under b->lock: if (selem_linked_to_map(selem)) { hlist_del_init_rcu(&selem->map_node);
\* bpf_obj_free_fields(...); RCU_INIT_POINTER(SDATA(selem)->smap, NULL); unlink++; } unlock
LocklessUnlinkMap(p) ==
    /\ At(p, "lockless:unlink_map")
    /\ LET x == loc[p].x
           m == loc[p].m
           nb == loc[p].nb
           linked == sel[x].inB # 0
           s1 == SelMapDel(sel, bkt, x)
       IN /\ sel' = IF linked THEN [s1 EXCEPT ![x].fields = Min(@ + 1, 2), ![x].smap = NULL] ELSE s1
          /\ bkt' = [BktMapDel(sel, bkt, x) EXCEPT ![m][nb].lock = NULL]
          /\ loc' = [loc EXCEPT ![p].n = IF linked THEN @ + 1 ELSE @]
          /\ Touch(UseSel({x} \cup MapNeighbours(sel, bkt, x)) \cup UseMap({m}))
          /\ pc' = [pc EXCEPT ![p] = LocklessAfterB(p, loc[p].ls)]
    /\ UNCHANGED <<lsv, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

\* destroy only: err = raw_res_spin_lock_irqsave(&local_storage->lock); on error
\* RCU_INIT_POINTER(selem->local_storage, NULL) all the same
LocklessLockStorage(p) ==
    /\ At(p, "lockless:lock_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           h == Holder(LName(l), lsv[l].lock)
       IN /\ \/ /\ Free(p, h)
                /\ lsv' = [lsv EXCEPT ![l].lock = p]
                /\ pc' = [pc EXCEPT ![p] = "lockless:unlink_storage"]
                /\ UNCHANGED sel
                /\ Resume(p)
             \/ /\ Fail(p, LName(l), h)
                /\ sel' = [sel EXCEPT ![x].ls = NULL]
                /\ pc' = [pc EXCEPT ![p] = "lockless:dec_link_cnt"]
                /\ UNCHANGED lsv
          /\ Touch(UseLS({l}) \cup UseSel({x}))
    /\ UNCHANGED <<bkt, smapSt, own, loc, readers, traceReaders, cbs, gpw, warns>>

\* under local_storage->lock: hlist_del_init_rcu(&selem->snode); unlink++; unlock;
\* RCU_INIT_POINTER(selem->local_storage, NULL)
LocklessUnlinkStorage(p) ==
    /\ At(p, "lockless:unlink_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           s1 == SelLSDel(sel, lsv, x)
       IN /\ sel' = [s1 EXCEPT ![x].ls = NULL]
          /\ lsv' = [LsvLSDel(sel, lsv, x) EXCEPT ![l].lock = NULL]
          /\ Touch(UseSel({x} \cup LSNeighbours(sel, lsv, x)) \cup UseLS({l}))
    /\ loc' = [loc EXCEPT ![p].n = @ + 1]
    /\ pc' = [pc EXCEPT ![p] = "lockless:dec_link_cnt"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

\* if (unlink == 2 || atomic_dec_and_test(&selem->link_cnt)) hlist_add_head(&selem->free_node, to_free)
LocklessDecLinkCnt(p) ==
    /\ At(p, "lockless:dec_link_cnt")
    /\ LET x == loc[p].x
           n == loc[p].n
           c1 == IF sel[x].cnt <= -1 THEN -1 ELSE sel[x].cnt - 1
           add == n = 2 \/ c1 = 0
       IN /\ sel' = IF n = 2 THEN sel ELSE [sel EXCEPT ![x].cnt = c1]
          /\ loc' = [loc EXCEPT ![p].tofree = IF add THEN @ \cup {x} ELSE @,
                                ![p].x = NULL, ![p].ls = NULL, ![p].m = NULL,
                                ![p].n = 0, ![p].nb = 0, ![p].ret = "none"]
          /\ pc' = [pc EXCEPT ![p] = loc[p].ret]
          /\ Touch(UseSel({x}))
    /\ UNCHANGED <<lsv, bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* BPF programs and syscalls on one (owner, map): update, delete, lookup.  *)
(* They start only while the map and the owner are in use, and run in an  *)
(* RCU read-side section.                                                  *)
(***************************************************************************)

OpMayStart(p) ==
    /\ At(p, "idle")
    /\ \A q \in Teardown : (Kind(q) = "map_free" /\ MapOf(q) = MapOf(p)) \/ (Kind(q) = "destroy" /\ Owner(q) = Owner(p))
                           => pc[q] = "idle" \/ (Late(p) /\ Kind(q) = "destroy" /\ pc[q] # "done")

\* The op returns r (kept in loc[p].rv) and leaves its read-side section:
\* rcu_read_unlock(), with C the callbacks pending at that point.
OpEnd(p, r, C) ==
    /\ RcuReadUnlock(p, C)
    /\ pc' = [pc EXCEPT ![p] = "done"]
    /\ loc' = [loc EXCEPT ![p] = [Blank EXCEPT !.rv = r]]

\* --- bpf_local_storage_update(owner, smap, value, BPF_ANY) ---
\* Each lock attempt is one step with the critical section it opens, and a
\* return is one step with the rcu_read_unlock() that follows it.

\* "free_selem:" mem_uncharge(elem_size); bpf_selem_free(alloc_selem, true); return r;
\* rcu_read_unlock(). s, lv: sel and lsv as the failed step leaves them.
UpdateFreeNew(p, r, s, lv) ==
    LET x == loc[p].x
        o == Owner(p)
    IN /\ sel' = Unchg(FreeCall(s, x), x)
       /\ lsv' = lv
       /\ own' = OwnAfterUncharge(own, o, ElemSize)
       /\ Touch(UseLS({loc[p].stg}) \cup UseSel({x}) \cup UseOwner({o}))
       /\ OpEnd(p, r, cbs \cup {CbVanilla("selem", x)})

\* local_storage = owner->storage; if (!local_storage || hlist_empty(&local_storage->list))
\* the very first selem: bpf_selem_alloc, then bpf_local_storage_alloc: charge sizeof(LS),
\* owner_refcnt = 1, mem_charge = sizeof(LS), bpf_selem_link_storage_nolock (no lock: the
\* LS is not published yet); otherwise bpf_selem_alloc (mem_charge elem_size)
\* The update proper (the owner is alive, or is held by the caller).
UpdateAlloc(p) ==
    /\ own[Owner(p)].st = "alive"
    /\ LET o == Owner(p)
           m == MapOf(p)
           l == own[o].storage
           x == Procs[p].selem
           nl == Procs[p].storage
           first == l = NULL \/ lsv[l].first = NULL
       IN /\ IF first
             THEN /\ sel' = [sel EXCEPT ![x] = [NewSelem(m) EXCEPT !.ls = nl, !.inL = nl, !.lnext = NULL, !.chg = TRUE]]
                  /\ lsv' = [lsv EXCEPT ![nl] = [NoStorage EXCEPT !.st = "live", !.owner = o, !.first = x,
                                                   !.charge = IF V3 THEN 0 ELSE StorageSize + ElemSize,
                                                   !.refcnt = IF V3 THEN 0 ELSE 1, !.hchg = TRUE]]
                  /\ own' = [own EXCEPT ![o].omem = @ + ElemSize + StorageSize]
                  /\ loc' = [loc EXCEPT ![p].x = x, ![p].ls = nl, ![p].b = SelectBucket(x, nl)]
                  /\ pc' = [pc EXCEPT ![p] = "storage_alloc:lock_bucket"]
             ELSE /\ sel' = [sel EXCEPT ![x] = [NewSelem(m) EXCEPT !.chg = TRUE]]
                  /\ own' = [own EXCEPT ![o].omem = @ + ElemSize]
                  /\ loc' = [loc EXCEPT ![p].x = x, ![p].stg = l]
                  /\ pc' = [pc EXCEPT ![p] = "update:lock_storage"]
                  /\ UNCHANGED lsv
          /\ Touch(UseOwner({o}) \cup UseLS({l}) \cup UseMap({m}))
    /\ RcuReadLock(p)
    /\ UNCHANGED <<bkt, smapSt, cbs, gpw, fails, warns>>

\* bpf_task_storage_get / bpf_sk_storage_get with F_CREATE on an owner whose
\* destroy has begun (a late program, Late(p)): the lookup finds no selem of
\* the map, and the creation is refused because the owner's refcount is 0
\* (task: refcount_read(&task->usage) is 0; sk: refcount_inc_not_zero(&sk->sk_refcnt)
\* fails); NULL is returned. One step: the reads of owner->storage and of the
\* list, inside the program's read-side section.
UpdateRefused(p) ==
    /\ Late(p) /\ own[Owner(p)].st # "alive"
    /\ LET o == Owner(p)
           l == own[o].storage
       IN Touch(UseOwner({o}) \cup UseLS({l}) \cup UseSel(LookupReads(l, MapOf(p))))
    /\ pc' = [pc EXCEPT ![p] = "done"]
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, loc, readers, traceReaders, cbs, gpw, fails, warns>>

UpdateStart(p) ==
    /\ Kind(p) = "update" /\ OpMayStart(p)
    /\ UpdateAlloc(p) \/ UpdateRefused(p)

\* bpf_local_storage_alloc "uncharge:": bpf_local_storage_free(storage, true);
\* mem_uncharge(sizeof(LS)); then in update: bpf_selem_free(selem, true); mem_uncharge(elem_size)
StorageAllocFail(p, r) ==
    LET x == loc[p].x
        l == loc[p].ls
        o == Owner(p)
    IN /\ sel' = Unchg(FreeCall(sel, x), x)
       /\ lsv' = UnchgLS(FreeCall(lsv, l), l)
       /\ own' = OwnAfterUncharge(own, o, StorageSize + ElemSize)
       /\ Touch(UseLS({l}) \cup UseSel({x}) \cup UseOwner({o}))
       /\ OpEnd(p, r, cbs \cup {CbVanilla("storage", l), CbVanilla("selem", x)})

\* bpf_local_storage_alloc: err = raw_res_spin_lock_irqsave(&b->lock);
\* bpf_selem_link_map_nolock; prev = cmpxchg(owner->storage, NULL, storage);
\* if another update won: bpf_selem_unlink_map_nolock, -EAGAIN. Unlock.
StorageAllocLockBucket(p) ==
    /\ At(p, "storage_alloc:lock_bucket")
    /\ LET x == loc[p].x
           l == loc[p].ls
           m == MapOf(p)
           b == loc[p].b
           o == Owner(p)
           h == Holder(BName(m, b), bkt[m][b].lock)
       IN \/ /\ Free(p, h) /\ own[o].storage = NULL
             /\ sel' = SelMapAdd(sel, bkt, x, m, b)
             /\ bkt' = BktMapAdd(bkt, x, m, b)
             /\ own' = [own EXCEPT ![o].storage = l]
             /\ Touch(UseOwner({o}) \cup UseSel({bkt[m][b].first}))
             /\ OpEnd(p, "ok", cbs)
             /\ UNCHANGED lsv
             /\ Resume(p)
          \/ /\ Free(p, h) /\ own[o].storage # NULL
             /\ StorageAllocFail(p, "eagain")
             /\ UNCHANGED bkt
             /\ Resume(p)
          \/ /\ Fail(p, BName(m, b), h)
             /\ StorageAllocFail(p, "err")
             /\ UNCHANGED bkt
    /\ UNCHANGED <<smapSt, warns>>

\* err = raw_res_spin_lock_irqsave(&local_storage->lock) (error: goto free_selem);
\* if (hlist_empty(&local_storage->list)) -EAGAIN;
\* old_sdata = bpf_local_storage_lookup(local_storage, smap, false); b = select_bucket(...)
UpdateLockStorage(p) ==
    /\ At(p, "update:lock_storage")
    /\ LET l == loc[p].stg
           m == MapOf(p)
           x == loc[p].x
           h == Holder(LName(l), lsv[l].lock)
       IN \/ /\ Free(p, h) /\ lsv[l].first = NULL
             /\ UpdateFreeNew(p, "eagain", sel, lsv)
             /\ Resume(p)
          \/ /\ Free(p, h) /\ lsv[l].first # NULL
             /\ lsv' = [lsv EXCEPT ![l].lock = p]
             /\ loc' = [loc EXCEPT ![p].old = LookupFound(l, m), ![p].b = SelectBucket(x, l)]
             /\ pc' = [pc EXCEPT ![p] = "update:lock_bucket"]
             /\ Touch(UseLS({l}) \cup UseSel(LookupReads(l, m)))
             /\ UNCHANGED <<sel, own, readers, traceReaders, cbs, gpw>>
             /\ Resume(p)
          \/ /\ Fail(p, LName(l), h)
             /\ UpdateFreeNew(p, "err", sel, lsv)
    /\ UNCHANGED <<bkt, smapSt, warns>>

\* named step: bpf_local_storage_update calls bpf_selem_link_map_nolock(b, selem)
UpdateLinksNewMap == TRUE
\* named step: bpf_local_storage_update calls bpf_selem_unlink_map_nolock(SELEM(old_sdata))
UpdateUnlinksOldMap == TRUE

\* bpf_selem_link_map_nolock(b, selem); bpf_selem_link_storage_nolock(local_storage, selem);
\* if (old_sdata) { bpf_selem_unlink_map_nolock(old); bpf_selem_unlink_storage_nolock(old):
\*   clear the cache slot, mem_uncharge, mem_charge -= elem_size; hlist_del_init_rcu(&old->snode) }
\* unlock the bucket(s) and LS; bpf_selem_free_list(&old_selem_free_list, false); rcu_read_unlock()
UpdateLink(p, bk) ==
    LET x == loc[p].x
        l == loc[p].stg
        m == MapOf(p)
        b == loc[p].b
        old == loc[p].old
        o == Owner(p)
        unlinkOld == old # NULL /\ UpdateUnlinksOldMap
        s1 == IF UpdateLinksNewMap THEN SelMapAdd(sel, bk, x, m, b) ELSE sel
        bk1 == IF UpdateLinksNewMap THEN BktMapAdd(bk, x, m, b) ELSE bk
        s2 == [SelLSAdd(s1, lsv, x, l) EXCEPT ![x].ls = l]
        lv1 == [LsvLSAdd(lsv, x, l) EXCEPT ![l].charge = IF V3 THEN @ ELSE @ + ElemSize]
        s3 == IF unlinkOld THEN SelMapDel(s2, bk1, old) ELSE s2
        bk2 == IF unlinkOld THEN BktMapDel(s2, bk1, old) ELSE bk1
        lv2 == IF old = NULL THEN lv1
               ELSE [lv1 EXCEPT ![l].cache[m] = IF @ = old THEN NULL ELSE @,
                                ![l].charge = IF V3 THEN @ ELSE @ - ElemSize]
        s4 == IF old = NULL THEN s3 ELSE SelLSDel(s3, lv2, old)
        lv3 == [IF old = NULL THEN lv2 ELSE LsvLSDel(s3, lv2, old) EXCEPT ![l].lock = NULL]
        bk3 == [m2 \in Maps |-> [i \in Buckets |->
                    IF m2 = m /\ bk2[m2][i].lock = p THEN [bk2[m2][i] EXCEPT !.lock = NULL] ELSE bk2[m2][i]]]
    IN /\ sel' = IF old = NULL THEN s4 ELSE Unchg(FreeCall(s4, old), old)
       /\ bkt' = bk3
       /\ lsv' = lv3
       /\ own' = IF old = NULL THEN own ELSE OwnAfterUncharge(own, o, ElemSize)
       /\ Touch(UseLS({l})
                \cup UseSel({x, old, bk[m][b].first, lsv[l].first}
                            \cup (IF unlinkOld THEN MapNeighbours(s2, bk1, old) ELSE {})
                            \cup (IF old = NULL THEN {} ELSE LSNeighbours(s3, lv2, old)))
                \cup (IF old = NULL THEN {} ELSE UseOwner({o})))
       /\ OpEnd(p, "ok", cbs \cup (IF old = NULL THEN {} ELSE {Cb("selem", old)}))

\* err = raw_res_spin_lock_irqsave(&b->lock) (error: unlock LS, goto free_selem);
\* v3 locks the old selem's bucket too when it is another one
UpdateLockBucket(p) ==
    /\ At(p, "update:lock_bucket")
    /\ LET m == MapOf(p)
           b == loc[p].b
           h == Holder(BName(m, b), bkt[m][b].lock)
           old == loc[p].old
           needOld == V3 /\ old # NULL /\ BucketOf[old] # b
       IN \/ /\ Free(p, h) /\ ~needOld
             /\ UpdateLink(p, bkt)
             /\ Resume(p)
          \/ /\ Free(p, h) /\ needOld
             /\ bkt' = [bkt EXCEPT ![m][b].lock = p]
             /\ pc' = [pc EXCEPT ![p] = "update:lock_old_bucket"]
             /\ UNCHANGED <<sel, lsv, own, loc, readers, traceReaders, cbs, gpw, usedAfterFree>>
             /\ Resume(p)
          \/ /\ Fail(p, BName(m, b), h)
             /\ UpdateFreeNew(p, "err", sel, [lsv EXCEPT ![loc[p].stg].lock = NULL])
             /\ UNCHANGED bkt
    /\ UNCHANGED <<smapSt, warns>>

\* v3: the old selem's b->lock (error: unlock b and LS, goto free_selem)
UpdateLockOldBucket(p) ==
    /\ At(p, "update:lock_old_bucket")
    /\ LET m == MapOf(p)
           b2 == BucketOf[loc[p].old]
           h == Holder(BName(m, b2), bkt[m][b2].lock)
       IN \/ /\ Free(p, h)
             /\ UpdateLink(p, [bkt EXCEPT ![m][b2].lock = p])
             /\ Resume(p)
          \/ /\ Fail(p, BName(m, b2), h)
             /\ bkt' = [bkt EXCEPT ![m][loc[p].b].lock = NULL]
             /\ UpdateFreeNew(p, "err", sel, [lsv EXCEPT ![loc[p].stg].lock = NULL])
    /\ UNCHANGED <<smapSt, warns>>

\* --- bpf_sk_storage_del(owner, smap) -> bpf_selem_unlink(selem) ---

\* return r; rcu_read_unlock()
DeleteEnd(p, r) ==
    /\ OpEnd(p, r, cbs)
    /\ UNCHANGED usedAfterFree

\* sdata = bpf_local_storage_lookup(local_storage, smap, false) (-ENOENT if none);
\* if (!selem_linked_to_storage_lockless(selem)) return 0; local_storage = selem->local_storage
DeleteStart(p) ==
    /\ Kind(p) = "delete" /\ OpMayStart(p)
    /\ LET o == Owner(p)
           m == MapOf(p)
           l == own[o].storage
           x == LookupFound(l, m)
       IN /\ Touch(UseOwner({o}) \cup UseLS({l}) \cup UseSel(LookupReads(l, m)))
          /\ IF x = NULL \/ sel[x].inL = NULL
             THEN \* -ENOENT, or 0 when it is already unlinked; the program ends: rcu_read_unlock
                  /\ pc' = [pc EXCEPT ![p] = "done"]
                  /\ UNCHANGED <<loc, readers, traceReaders, gpw>>
             ELSE /\ loc' = [loc EXCEPT ![p].x = x, ![p].ls = sel[x].ls]
                  /\ pc' = [pc EXCEPT ![p] = "bpf_selem_unlink:lock_storage"]
                  /\ RcuReadLock(p)
                  /\ UNCHANGED gpw
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, fails, warns>>

\* err = raw_res_spin_lock_irqsave(&local_storage->lock) (error: return err);
\* if (selem_linked_to_storage(selem)) go on to bpf_selem_unlink_map:
\* smap = selem->smap; b = select_bucket(smap, local_storage)
DeleteLockStorage(p) ==
    /\ At(p, "bpf_selem_unlink:lock_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           h == Holder(LName(l), lsv[l].lock)
       IN \/ /\ Free(p, h) /\ sel[x].inL # NULL
             /\ lsv' = [lsv EXCEPT ![l].lock = p]
             /\ loc' = [loc EXCEPT ![p].m = sel[x].smap, ![p].b = SelectBucket(x, l)]
             /\ pc' = [pc EXCEPT ![p] = "bpf_selem_unlink:lock_bucket"]
             /\ Touch(UseLS({l}) \cup UseSel({x}))
             /\ UNCHANGED <<readers, traceReaders, cbs, gpw>>
             /\ Resume(p)
          \/ /\ Free(p, h) /\ sel[x].inL = NULL
             /\ DeleteEnd(p, "ok")
             /\ UNCHANGED lsv
             /\ Resume(p)
          \/ /\ Fail(p, LName(l), h)
             /\ DeleteEnd(p, "err")
             /\ UNCHANGED lsv
    /\ UNCHANGED <<sel, bkt, smapSt, own, warns>>

\* named step: bpf_selem_unlink_storage_nolock_misc called by delete clears
\* owner->storage when it unlinks the last selem (free_local_storage)
DeleteClearsOwnerStorage(last) == last
\* named step: bpf_selem_unlink_storage_nolock_misc called by delete:
\* mem_uncharge(smap, owner, uncharge) (elem_size [+ sizeof(LS)])
DeleteMemUncharge(amt) == amt

\* bpf_selem_unlink_map: err = raw_res_spin_lock_irqsave(&b->lock) (error: unlock LS, return err);
\* hlist_del_init_rcu(&selem->map_node); unlock b; bpf_selem_unlink_storage_nolock:
\* free_local_storage = singular; _misc: clear the cache slot, mem_uncharge(elem_size [+ LS]),
\* mem_charge -= ..., if last { local_storage->owner = NULL; owner->storage = NULL };
\* hlist_del_init_rcu(&selem->snode); unlock LS; bpf_selem_free_list(.., false);
\* if last bpf_local_storage_free(local_storage, false); rcu_read_unlock()
DeleteLockBucket(p) ==
    /\ At(p, "bpf_selem_unlink:lock_bucket")
    /\ LET x == loc[p].x
           l == loc[p].ls
           m == loc[p].m
           b == loc[p].b
           h == Holder(BName(m, b), bkt[m][b].lock)
           s1 == SelMapDel(sel, bkt, x)
           last == Singular(s1, lsv, x, l)
           o == lsv[l].owner
           amt == ElemSize + (IF last THEN StorageSize ELSE 0)
           lv1 == [lsv EXCEPT ![l].cache[m] = IF @ = x THEN NULL ELSE @,
                              ![l].charge = IF V3 THEN @ ELSE @ - amt,
                              ![l].owner = IF last THEN NULL ELSE @]
           ow1 == OwnAfterUncharge(own, o, DeleteMemUncharge(amt))
           s2 == SelLSDel(s1, lv1, x)
           lv2 == [LsvLSDel(s1, lv1, x) EXCEPT ![l].lock = NULL]
       IN \/ /\ Free(p, h)
             /\ sel' = Unchg(FreeCall(s2, x), x)
             /\ bkt' = BktMapDel(sel, bkt, x)
             /\ lsv' = IF last THEN UnchgLS(FreeCall(lv2, l), l) ELSE lv2
             /\ own' = IF DeleteClearsOwnerStorage(last) /\ o # NULL THEN [ow1 EXCEPT ![o].storage = NULL] ELSE ow1
             /\ Touch(UseSel({x} \cup MapNeighbours(sel, bkt, x) \cup LSNeighbours(s1, lv1, x))
                      \cup UseLS({l}) \cup UseMap({m}) \cup UseOwner({o}))
             /\ OpEnd(p, "ok", cbs \cup {Cb("selem", x)} \cup (IF last THEN {Cb("storage", l)} ELSE {}))
             /\ Resume(p)
          \/ /\ Fail(p, BName(m, b), h)
             /\ lsv' = [lsv EXCEPT ![l].lock = NULL]
             /\ DeleteEnd(p, "err")
             /\ UNCHANGED <<sel, bkt, own>>
    /\ UNCHANGED <<smapSt, warns>>

\* --- bpf_local_storage_lookup(local_storage, smap, cacheit_lockit = true) ---

\* sdata = local_storage->cache[smap->cache_idx]; if it is of smap, done; else walk the list
LookupStart(p) ==
    /\ Kind(p) = "lookup" /\ OpMayStart(p)
    /\ LET o == Owner(p)
           m == MapOf(p)
           l == own[o].storage
           x == LookupFound(l, m)
       IN /\ Touch(UseOwner({o}) \cup UseLS({l}) \cup UseSel(LookupReads(l, m)))
          /\ loc' = [loc EXCEPT ![p].x = x, ![p].stg = l]
          /\ pc' = [pc EXCEPT ![p] = IF x = NULL \/ CacheHit(l, m) THEN "lookup:use_sdata" ELSE "lookup:insert_cache"]
    /\ RcuReadLock(p)
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* --- the same lookup from a sleepable program (bpf_task_storage_get in a
\* sleepable LSM or tracing program): __bpf_prog_enter_sleepable takes
\* rcu_read_lock_trace() and migrate_disable() only, so under
\* CONFIG_PREEMPT_RCU the walk can be preempted at any selem, and a vanilla
\* grace period does not wait for it. ---

\* sdata = local_storage->cache[smap->cache_idx]; on a miss the walk loads the head of the list
SleepableLookupStart(p) ==
    /\ Kind(p) = "sleepable_lookup" /\ OpMayStart(p)
    /\ LET o == Owner(p)
           m == MapOf(p)
           l == own[o].storage
           cached == CacheSlot(l, m)
           hit == CacheHit(l, m)
       IN /\ Touch(UseOwner({o}) \cup UseLS({l}) \cup UseSel({cached}))
          /\ loc' = [loc EXCEPT ![p].x = IF hit THEN cached ELSE NULL, ![p].stg = l,
                                 ![p].cur = IF l = NULL \/ hit THEN NULL ELSE lsv[l].first]
          /\ pc' = [pc EXCEPT ![p] = IF l = NULL \/ hit THEN "lookup:use_sdata" ELSE "sleepable_lookup:walk"]
    \* rcu_read_lock_trace(); without PreemptRcu nothing preempts the walk, so a
    \* vanilla grace period waits for it as for a vanilla reader (until the
    \* program ends: the model keeps it a reader to its end)
    /\ IF PreemptRcu THEN RcuReadLockTrace(p)
       ELSE readers' = readers \cup {p} /\ traceReaders' = traceReaders \cup {p}
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* One selem of hlist_for_each_entry_rcu(selem, &local_storage->list, snode,
\* rcu_read_lock_trace_held()): if (rcu_access_pointer(SDATA(selem)->smap) == smap) break;
\* else selem = snode.next. The end of the list: not found.
SleepableLookupWalk(p) ==
    /\ At(p, "sleepable_lookup:walk")
    /\ LET y == loc[p].cur
       IN IF y = NULL
          THEN /\ pc' = [pc EXCEPT ![p] = "lookup:use_sdata"]
               /\ UNCHANGED <<loc, usedAfterFree>>
          ELSE /\ Touch(UseSel({y}))
               /\ IF sel[y].smap = MapOf(p)
                  THEN /\ loc' = [loc EXCEPT ![p].x = y, ![p].cur = NULL]
                       /\ pc' = [pc EXCEPT ![p] = "lookup:insert_cache"]
                  ELSE /\ loc' = [loc EXCEPT ![p].cur = sel[y].lnext]
                       /\ UNCHANGED pc
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, traceReaders, cbs, gpw, fails, warns>>

\* __bpf_local_storage_insert_cache: LS->lock (on error: no caching);
\* if (selem_linked_to_storage(selem)) cache[smap->cache_idx] = SDATA(selem); unlock
LookupInsertCache(p) ==
    /\ At(p, "lookup:insert_cache")
    /\ LET x == loc[p].x
           l == loc[p].stg
           h == Holder(LName(l), lsv[l].lock)
       IN /\ \/ /\ Free(p, h)
                /\ lsv' = IF sel[x].inL # NULL THEN [lsv EXCEPT ![l].cache[MapOf(p)] = x] ELSE lsv
                /\ Resume(p)
             \/ /\ Fail(p, LName(l), h)
                /\ UNCHANGED lsv
          /\ Touch(UseLS({l}) \cup UseSel({x}))
    /\ pc' = [pc EXCEPT ![p] = "lookup:use_sdata"]
    /\ UNCHANGED <<sel, bkt, smapSt, own, loc, readers, traceReaders, cbs, gpw, warns>>

\* the program reads the value it got, then leaves its read-side section
LookupUse(p) ==
    /\ At(p, "lookup:use_sdata")
    /\ Touch(UseSel({loc[p].x}))
    /\ OpEnd(p, "none", cbs)
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, fails, warns>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* RCU callbacks: bpf_selem_free_rcu and bpf_local_storage_free_rcu.       *)
(***************************************************************************)

\* The grace period of c has ended: every reader c waited for has left.
\* selem: if (smap) bpf_obj_free_fields(smap->map.record, ...); kfree(selem)
\* local storage: kfree(local_storage)
RcuCallback(c) ==
    /\ c \in cbs /\ GpEnded(c)
    /\ cbs' = cbs \ {c}
    /\ IF c.kind = "selem"
       THEN LET x == c.obj
                m == sel[x].smap
            IN /\ sel' = [Reclaim(sel, x) EXCEPT ![x].fields = IF m # NULL THEN Min(@ + 1, 2) ELSE @]
               /\ Touch(UseMap({m}))
               /\ UNCHANGED lsv
       ELSE /\ lsv' = Reclaim(lsv, c.obj)
            /\ UNCHANGED <<sel, usedAfterFree>>
    /\ UNCHANGED <<bkt, smapSt, own, pc, loc, readers, traceReaders, gpw, fails, warns>>

-----------------------------------------------------------------------------

Step(p) ==
    \/ MapFreeStart(p) \/ MapFreeRcuLock(p) \/ MapFreeWalk(p) \/ MapFreeNext(p)
    \/ MapFreeCondResched(p) \/ MapFreeSync2(p) \/ MapFreeFree(p)
    \/ DestroyStart(p) \/ DestroyWalk(p) \/ DestroyNext(p) \/ DestroyDecAndTest(p) \/ DestroyWaitRefcnt(p)
    \/ DestroySpin(p) \/ DestroyAfterWalk(p) \/ DestroyNoStorage(p)
    \/ NofailLockBucket(p) \/ NofailLockStorage(p) \/ NofailUnpinOwner(p) \/ NofailSetState(p)
    \/ LocklessRead(p) \/ LocklessLockBucket(p) \/ LocklessUnlinkMap(p) \/ LocklessLockStorage(p)
    \/ LocklessUnlinkStorage(p) \/ LocklessDecLinkCnt(p)
    \/ UpdateStart(p) \/ StorageAllocLockBucket(p) \/ UpdateLockStorage(p) \/ UpdateLockBucket(p)
    \/ UpdateLockOldBucket(p)
    \/ DeleteStart(p) \/ DeleteLockStorage(p) \/ DeleteLockBucket(p)
    \/ LookupStart(p) \/ LookupInsertCache(p) \/ LookupUse(p)
    \/ SleepableLookupStart(p) \/ SleepableLookupWalk(p)

Callbacks ==
    IF ReclaimDue # {}
    THEN RcuCallback(CHOOSE c \in ReclaimDue : TRUE)
    ELSE \E c \in cbs : RcuCallback(c)

\* Nothing is running and no callback is pending.
Quiescent == (\A p \in ProcIds : pc[p] \in {"idle", "done"}) /\ cbs = {}
\* Every teardown has returned and no callback is pending.
Finished == (\A p \in Teardown : pc[p] = "done") /\ Quiescent
Terminated == Quiescent /\ UNCHANGED vars

Next == (\E p \in ProcIds : Step(p)) \/ Callbacks \/ Terminated

Spec == Init /\ [][Next]_vars
\* Every process keeps running and every grace period ends. Lock failures are
\* not forced: they are only allowed.
FairSpec == Spec /\ (\A p \in ProcIds : WF_vars(Step(p))) /\ WF_vars(Callbacks)

=============================================================================
