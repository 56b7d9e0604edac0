---------------------------- MODULE LocalStorage ----------------------------
(***************************************************************************)
(* BPF local storage teardown: bpf_local_storage_map_free() and            *)
(* bpf_local_storage_destroy() racing to unlink and free storage elements  *)
(* (selems) while any rqspinlock attempt may fail.                         *)
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
(* RCU. A process is a reader while its pc is inside rcu_read_lock (BPF    *)
(* programs, map_free's bucket walk, bpf_sk_storage_free). A callback      *)
(* records the readers it must wait for; it may run (the memory is         *)
(* reclaimed) once each of them has left its read-side section. Two        *)
(* flavours: a sleepable program (kind "sleepable_lookup") is a Tasks      *)
(* Trace reader only (rcu_read_lock_trace, preemptible). call_rcu and      *)
(* synchronize_rcu (reuse_now = true: nofail, the update error paths)      *)
(* wait for the vanilla readers only; call_rcu_tasks_trace (reuse_now =    *)
(* false: delete, update's old selem) waits for every reader, since a      *)
(* Tasks Trace grace period implies a vanilla one. rcu_barrier waits for   *)
(* the callbacks queued before it. Freed memory is poisoned (st = "freed"): every read   *)
(* or write of a freed selem, LS, smap or owner is recorded in bugs,       *)
(* including the neighbours an hlist_add_head / hlist_del writes.          *)
(*                                                                         *)
(* GRANULARITY. One step per lock attempt together with the critical       *)
(* section it opens (nobody looks at a held lock but to take it; v3's      *)
(* lockless unlink keeps the attempt apart so that a contended failure,    *)
(* FailOnlyWhenContended, can be seen); one step per lockless load or      *)
(* store that another process can observe; a return is one step with the  *)
(* rcu_read_unlock that follows it. A callback that frees no special       *)
(* fields runs as soon as its grace period ends (the earliest reclaim).    *)
(*                                                                         *)
(* ABSTRACTIONS (what the model does not distinguish): a sleepable        *)
(* program is only modelled as a lookup (its delete and update take locks  *)
(* and walk in one step, as a non-sleepable one does); the two loads at the start of the unlink are one step; *)
(* allocation and charging never fail; every map charges its owner (as sk *)
(* storage does); each map has a cache slot of its own; BPF_F_LOCK,        *)
(* BPF_NOEXIST/EXIST flags and sk clone are not modelled; v3 link_cnt      *)
(* values below -1 are kept as -1 (dec_and_test cannot reach 0 again); the *)
(* to-free list is a set; BPF programs and syscalls on (owner, map) end    *)
(* before destroy(owner) or map_free(map) start, as the kernel guarantees  *)
(* with the sk/map reference counts.                                       *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Protocol,        \* "v3" or "final"
    Owners,          \* owner ids (strings)
    Maps,            \* smap ids (strings)
    Selems,          \* selem ids, those linked at start and those updates allocate
    Storages,        \* local storage ids, those at start and those updates allocate
    SelemOwner,      \* [Selems -> Owners]
    SelemMap,        \* [Selems -> Maps]
    StorageOwner,    \* [Storages -> Owners]
    InitLinked,      \* sequence of the selems linked at start, in the order they were linked
    InitStorage,     \* [Owners -> Storages \cup {NULL}]: owner->storage at start
    NBuckets,        \* buckets per map
    BucketOf,        \* [Selems \cup Storages -> 1..NBuckets]: hash_ptr (v3 hashes selems, final hashes LSes)
    Procs,           \* [process id -> [kind, owner, map, selem, storage]]
    MaxLockFailures, \* how many rqspinlock attempts may fail in one run
    MaxResched,      \* how many times need_resched() may be true in one map_free (final)
    FailOnlyWhenContended, \* TRUE: an attempt may fail only while another process holds the lock
    ElemSize,        \* smap->elem_size, charged per selem
    StorageSize      \* sizeof(struct bpf_local_storage), charged per LS

NULL == "null"
SATURATED == 1000        \* REFCOUNT_SATURATED (INT_MIN / 2): any non-zero value will do
MAPU == "SELEM_MAP_UNLINKED"
STOU == "SELEM_STORAGE_UNLINKED"
TOFREE == "SELEM_TOFREE"
UNLINKED == {MAPU, STOU}
WarnMapFree == "WARN_ON_ONCE(err && in_map_free)"
WarnRefDec == "refcount_t: decrement hit 0; leaking memory"
WarnRefUaf == "refcount_t: underflow; use-after-free"

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

NoSelem == [st |-> "none", smap |-> NULL, ls |-> NULL, inB |-> 0, mnext |-> NULL,
            inL |-> NULL, lnext |-> NULL, cnt |-> 0, bits |-> {}, fields |-> 0]
\* bpf_selem_alloc: smap set, state 0 (final) or link_cnt 2 (v3), nothing linked
NewSelem(m) == [NoSelem EXCEPT !.st = "live", !.smap = m, !.cnt = IF V3 THEN 2 ELSE 0]
NoStorage == [st |-> "none", owner |-> NULL, first |-> NULL, lock |-> NULL,
              cache |-> [m \in Maps |-> NULL], charge |-> 0, refcnt |-> 0]

\* Per-process locals (the kernel functions' local variables); Blank when idle or done.
Blank == [x |-> NULL, ls |-> NULL, m |-> NULL, n |-> 0, last |-> FALSE, ret |-> "none",
          b |-> 0, nb |-> 0, b2 |-> 0, cur |-> NULL, resched |-> 0, total |-> 0,
          tofree |-> {}, old |-> NULL, stg |-> NULL, bar |-> {}]

VARIABLES
    sel,      \* [Selems -> selem]: st (none/live/queued/freed), smap, ls (selem->local_storage),
              \*   inB (bucket whose list holds map_node, 0 = unhashed), mnext (map_node.next),
              \*   inL (LS whose list holds snode, NULL = unhashed), lnext (snode.next),
              \*   cnt (v3 link_cnt), bits (final state), fields (bpf_obj_free_fields runs)
    lsv,      \* [Storages -> LS]: st, owner, first, lock (holder), cache, charge (mem_charge), refcnt (owner_refcnt)
    bkt,      \* [Maps -> [Buckets -> [first, lock]]]
    smapSt,   \* [Maps -> "live" | "freed"]: the smap with its buckets
    own,      \* [Owners -> [st (alive/dying/freed), storage (owner->storage), omem (charged bytes, sk_omem_alloc)]]
    pc,       \* [ProcIds -> the kernel step the process is at]
    loc,      \* [ProcIds -> locals]
    readers,  \* processes inside an RCU read-side section
    cbs,      \* pending RCU callbacks [kind, obj, wait: readers it still waits for]
    gpw,      \* [ProcIds -> readers a synchronize_rcu of that process still waits for]
    fails,    \* sequence of the lock attempts that failed [by, lock, at]
    warns,    \* the WARNs that fired
    bugs      \* violations seen so far [prop, what, by, at]: a history variable for the invariants

vars == <<sel, lsv, bkt, smapSt, own, pc, loc, readers, cbs, gpw, fails, warns, bugs>>

Init ==
    /\ sel = [x \in Selems |->
                IF IsInit(x)
                THEN [NewSelem(SelemMap[x]) EXCEPT !.ls = InitLS(x), !.inB = InitBucket(x),
                        !.mnext = InitMNext(x), !.inL = InitLS(x), !.lnext = InitLNext(x)]
                ELSE NoSelem]
    /\ lsv = [l \in Storages |->
                IF IsInitStorage(l)
                THEN [NoStorage EXCEPT !.st = "live", !.owner = StorageOwner[l], !.first = InitLSFirst(l),
                        !.charge = IF V3 THEN 0 ELSE StorageSize + ElemSize * InitCount(StorageOwner[l]),
                        !.refcnt = IF V3 THEN 0 ELSE 1]
                ELSE NoStorage]
    /\ bkt = [m \in Maps |-> [b \in Buckets |-> [first |-> InitBucketFirst(m, b), lock |-> NULL]]]
    /\ smapSt = [m \in Maps |-> "live"]
    /\ own = [o \in Owners |-> [st |-> "alive", storage |-> InitStorage[o],
                omem |-> IF InitStorage[o] = NULL THEN 0 ELSE StorageSize + ElemSize * InitCount(o)]]
    /\ pc = [p \in ProcIds |-> "idle"]
    /\ loc = [p \in ProcIds |-> Blank]
    /\ readers = {}
    /\ cbs = {}
    /\ gpw = [p \in ProcIds |-> {}]
    /\ fails = <<>>
    /\ warns = {}
    /\ bugs = {}

TypeOK ==
    /\ \A x \in Selems :
         /\ sel[x].st \in {"none", "live", "queued", "freed"}
         /\ sel[x].smap \in Maps \cup {NULL}
         /\ sel[x].ls \in Storages \cup {NULL}
         /\ sel[x].inB \in 0..NBuckets
         /\ sel[x].mnext \in Selems \cup {NULL}
         /\ sel[x].inL \in Storages \cup {NULL}
         /\ sel[x].lnext \in Selems \cup {NULL}
         /\ sel[x].cnt \in -1..2
         /\ sel[x].bits \subseteq {MAPU, STOU, TOFREE}
         /\ sel[x].fields \in 0..2
    /\ \A l \in Storages :
         /\ lsv[l].st \in {"none", "live", "queued", "freed"}
         /\ lsv[l].owner \in Owners \cup {NULL}
         /\ lsv[l].first \in Selems \cup {NULL}
         /\ lsv[l].lock \in ProcIds \cup {NULL}
         /\ lsv[l].cache \in [Maps -> Selems \cup {NULL}]
         /\ lsv[l].charge \in Int
         /\ lsv[l].refcnt \in 0..2 \cup {SATURATED}
    /\ bkt \in [Maps -> [Buckets -> [first : Selems \cup {NULL}, lock : ProcIds \cup {NULL}]]]
    /\ smapSt \in [Maps -> {"live", "freed"}]
    /\ \A o \in Owners : own[o].st \in {"alive", "dying", "freed"} /\ own[o].storage \in Storages \cup {NULL}
    /\ readers \subseteq ProcIds
    /\ \A c \in cbs : c.kind \in {"selem", "storage"} /\ c.wait \subseteq ProcIds
    /\ Len(fails) <= MaxLockFailures

-----------------------------------------------------------------------------
(* Lists: struct hlist_node with hlist_add_head_rcu and hlist_del_init_rcu. *)
(* A deleted node is unhashed (pprev = NULL) but keeps its next pointer, so *)
(* an RCU walker standing on it goes on to the node that followed it.       *)

\* hlist_add_head_rcu(&x->map_node, &bucket->list)
SelMapAdd(s, bk, x, m, b) == [s EXCEPT ![x].inB = b, ![x].mnext = bk[m][b].first]
BktMapAdd(bk, x, m, b) == [bk EXCEPT ![m][b].first = x]
\* hlist_del_init_rcu(&x->map_node); a no-op on an unhashed node
MapPrev(s, x) == CHOOSE y \in Selems : s[y].inB = s[x].inB /\ SelemMap[y] = SelemMap[x] /\ s[y].mnext = x
SelMapDel(s, bk, x) ==
    IF s[x].inB = 0 THEN s
    ELSE IF bk[SelemMap[x]][s[x].inB].first = x THEN [s EXCEPT ![x].inB = 0]
    ELSE [s EXCEPT ![x].inB = 0, ![MapPrev(s, x)].mnext = s[x].mnext]
BktMapDel(s, bk, x) ==
    IF s[x].inB # 0 /\ bk[SelemMap[x]][s[x].inB].first = x
    THEN [bk EXCEPT ![SelemMap[x]][s[x].inB].first = s[x].mnext]
    ELSE bk

\* hlist_add_head_rcu(&x->snode, &ls->list)
SelLSAdd(s, lv, x, l) == [s EXCEPT ![x].inL = l, ![x].lnext = lv[l].first]
LsvLSAdd(lv, x, l) == [lv EXCEPT ![l].first = x]
\* hlist_del_init_rcu(&x->snode)
LSPrev(s, x) == CHOOSE y \in Selems : s[y].inL = s[x].inL /\ s[y].lnext = x
SelLSDel(s, lv, x) ==
    IF s[x].inL = NULL THEN s
    ELSE IF lv[s[x].inL].first = x THEN [s EXCEPT ![x].inL = NULL]
    ELSE [s EXCEPT ![x].inL = NULL, ![LSPrev(s, x)].lnext = s[x].lnext]
LsvLSDel(s, lv, x) ==
    IF s[x].inL # NULL /\ lv[s[x].inL].first = x
    THEN [lv EXCEPT ![s[x].inL].first = s[x].lnext]
    ELSE lv
\* The nodes an hlist update writes besides x: hlist_del writes the
\* predecessor's next and the successor's pprev; hlist_add_head writes the
\* old first node's pprev.
MapNeighbours(s, bk, x) ==
    IF s[x].inB = 0 THEN {}
    ELSE {s[x].mnext} \cup (IF bk[SelemMap[x]][s[x].inB].first = x THEN {} ELSE {MapPrev(s, x)})
LSNeighbours(s, lv, x) ==
    IF s[x].inL = NULL THEN {}
    ELSE {s[x].lnext} \cup (IF lv[s[x].inL].first = x THEN {} ELSE {LSPrev(s, x)})

\* hlist_is_singular_node(&x->snode, &ls->list)
Singular(s, lv, x, l) == lv[l].first = x /\ s[x].lnext = NULL

\* The selems bpf_local_storage_lookup reads walking the LS list from y until
\* one of map m, and the one it finds.
RECURSIVE WalkRead(_, _), WalkFind(_, _)
WalkRead(y, m) == IF y = NULL THEN {} ELSE IF sel[y].smap = m THEN {y} ELSE {y} \cup WalkRead(sel[y].lnext, m)
WalkFind(y, m) == IF y = NULL THEN NULL ELSE IF sel[y].smap = m THEN y ELSE WalkFind(sel[y].lnext, m)

\* bpf_local_storage_lookup(l, m) in one step (an LS l, possibly NULL, and map m).
\* The fast path: local_storage->cache[smap->cache_idx] holds an sdata of smap.
CacheSlot(l, m) == IF l = NULL THEN NULL ELSE lsv[l].cache[m]
CacheHit(l, m) == CacheSlot(l, m) # NULL /\ sel[CacheSlot(l, m)].smap = m
\* The selem found (NULL if none), and every selem read on the way.
LookupFound(l, m) ==
    IF l = NULL THEN NULL ELSE IF CacheHit(l, m) THEN CacheSlot(l, m) ELSE WalkFind(lsv[l].first, m)
LookupReads(l, m) ==
    IF l = NULL THEN {}
    ELSE {CacheSlot(l, m)} \cup (IF CacheHit(l, m) THEN {} ELSE WalkRead(lsv[l].first, m))

-----------------------------------------------------------------------------
(* refcount_t, as include/linux/refcount.h implements it.                   *)

\* refcount_inc_not_zero: fails (and changes nothing) at 0; a saturated count stays saturated
RefIncNotZeroOk(r) == r # 0
RefIncNotZero(r) == IF r = 0 \/ r = SATURATED THEN r ELSE r + 1
\* refcount_dec: a result of 0 or below is not stored: WARN and saturate
RefDec(r) == IF r = SATURATED \/ r <= 1 THEN SATURATED ELSE r - 1
RefDecSaturates(r) == r = SATURATED \/ r <= 1
\* refcount_dec_and_test: true when the count reaches 0; underflow WARNs and saturates
RefDecAndTest(r) == IF r = SATURATED \/ r <= 0 THEN SATURATED ELSE r - 1

-----------------------------------------------------------------------------
(* Violations. Each action adds what it did wrong to bugs; the invariants  *)
(* below look at bugs, so a trace ends at the step that did it.            *)

Bug(p, prop, what) == [prop |-> prop, what |-> what, by |-> p, at |-> pc[p]]
UseSel(p, X) == {Bug(p, "P5_NoUseAfterFree", "access to freed selem " \o x) :
                    x \in {y \in X : y # NULL /\ sel[y].st = "freed"}}
UseLS(p, L) == {Bug(p, "P5_NoUseAfterFree", "access to freed local_storage " \o l) :
                    l \in {k \in L : k # NULL /\ lsv[k].st = "freed"}}
UseMap(p, M) == {Bug(p, "P5_NoUseAfterFree", "access to freed smap " \o m) :
                    m \in {k \in M : k # NULL /\ smapSt[k] = "freed"}}
UseOwner(p, O) == {Bug(p, "P5_NoUseAfterFree", "access to freed owner " \o o) :
                    o \in {k \in O : k # NULL /\ own[k].st = "freed"}}

\* bpf_selem_free(x): call_rcu on x, checked against s and lv as they are at that point
FreeSelemBugs(p, s, lv, x) ==
    (IF s[x].st = "freed" THEN {Bug(p, "P5_NoUseAfterFree", "bpf_selem_free of freed selem " \o x)} ELSE {})
    \cup (IF s[x].st # "live" THEN {Bug(p, "P1_NoDoubleFree", "selem " \o x \o " freed twice")} ELSE {})
    \cup (IF s[x].inB # 0 /\ smapSt[SelemMap[x]] = "live"
          THEN {Bug(p, "P2_FreeOnlyUnlinked", "selem " \o x \o " freed while on a bucket of " \o SelemMap[x])}
          ELSE {})
    \cup (IF s[x].inL # NULL /\ lv[s[x].inL].st = "live"
          THEN {Bug(p, "P2_FreeOnlyUnlinked", "selem " \o x \o " freed while on the list of " \o s[x].inL)}
          ELSE {})
SelAfterFree(s, x) == IF s[x].st = "live" THEN [s EXCEPT ![x].st = "queued"] ELSE s
\* bpf_local_storage_free(l)
FreeLSBugs(p, lv, l) ==
    (IF lv[l].st = "freed" THEN {Bug(p, "P5_NoUseAfterFree", "bpf_local_storage_free of freed " \o l)} ELSE {})
    \cup (IF lv[l].st # "live" THEN {Bug(p, "P1_NoDoubleFree", "local_storage " \o l \o " freed twice")} ELSE {})
LsvAfterFree(lv, l) == IF lv[l].st = "live" THEN [lv EXCEPT ![l].st = "queued"] ELSE lv
\* bpf_obj_free_fields(smap->map.record, sdata->data) on x, by p
FieldsBugs(p, x, m) ==
    (IF sel[x].fields > 0 THEN {Bug(p, "P3_FreeFieldsOnce", "special fields of " \o x \o " freed twice")} ELSE {})
    \cup (IF smapSt[m] = "freed"
          THEN {Bug(p, "P3_FreeFieldsOnce", "special fields of " \o x \o " freed after smap " \o m \o " was freed")}
          ELSE {})
\* mem_uncharge(smap, owner, amt): the owner must be alive and charged that much
UnchargeBugs(p, o, amt) ==
    IF o = NULL THEN {Bug(p, "P4_ChargeBalanced", "mem_uncharge with a NULL owner")}
    ELSE (IF own[o].st = "freed"
          THEN {Bug(p, "P4_ChargeBalanced", "uncharge of freed owner " \o o),
                Bug(p, "P5_NoUseAfterFree", "access to freed owner " \o o)} ELSE {})
         \cup (IF own[o].omem < amt THEN {Bug(p, "P4_ChargeBalanced", "owner " \o o \o " uncharged below zero")} ELSE {})
OwnAfterUncharge(ow, o, amt) == IF o = NULL THEN ow ELSE [ow EXCEPT ![o].omem = @ - amt]

-----------------------------------------------------------------------------
(* RCU and rqspinlock.                                                      *)

\* Sleepable programs: readers of RCU Tasks Trace only (rcu_read_lock_trace).
TraceOnly(R) == {p \in R : Kind(p) = "sleepable_lookup"}
\* call_rcu_tasks_trace(): waits for every reader (a Tasks Trace grace
\* period implies a vanilla one). Used for reuse_now = false.
Cb(kind, obj) == [kind |-> kind, obj |-> obj, wait |-> readers]
\* call_rcu(): waits for the vanilla readers only; a sleepable program that
\* is still walking does not hold it up. Used for reuse_now = true.
CbVanilla(kind, obj) == [Cb(kind, obj) EXCEPT !.wait = @ \ TraceOnly(readers)]
\* p leaves its read-side section: grace periods stop waiting for it
Leave(p, C) == {[c EXCEPT !.wait = @ \ {p}] : c \in C}
GpwLeave(p) == [q \in ProcIds |-> gpw[q] \ {p}]

\* An attempt fails with -EDEADLK/-ETIMEDOUT: allowed while the run has failures left.
CanFail(p, holder) ==
    /\ Len(fails) < MaxLockFailures
    /\ (~FailOnlyWhenContended \/ (holder # NULL /\ holder # p))
FailRec(p, name) == [by |-> p, lock |-> name, at |-> pc[p]]
BName(m, b) == "b->lock " \o m \o "[" \o ToString(b) \o "]"
LName(l) == "local_storage->lock " \o l

\* A callback that frees no special fields (an LS, or an selem whose smap is
\* NULL by then) only reclaims memory: it runs as soon as its grace period
\* ends, before any other step. That is the earliest reclaim the kernel may
\* do, and every later one only turns fewer accesses into use-after-free.
\* A callback that runs bpf_obj_free_fields may run at any time after its
\* grace period.
ReclaimOnly(c) == c.kind = "storage" \/ sel[c.obj].smap = NULL
ReclaimDue == {c \in cbs : c.wait = {} /\ ReclaimOnly(c)}
\* Process p is at kernel step l and may take it: a due reclaim goes first
\* (see Callbacks).
At(p, l) == pc[p] = l /\ ReclaimDue = {}

Owner(p) == Procs[p].owner
MapOf(p) == Procs[p].map
InMapFree(p) == Kind(p) = "map_free"
\* select_bucket(smap, x): v3 hashes the selem, final hashes the local storage
SelectBucket(x, l) == IF V3 THEN BucketOf[x] ELSE BucketOf[l]

-----------------------------------------------------------------------------
(***************************************************************************)
(* bpf_local_storage_map_free(map)                                         *)
(***************************************************************************)

\* bpf_local_storage_cache_idx_free, then synchronize_rcu(). The map has no
\* users any more: no program or syscall on it is running or will start.
MapFreeStart(p) ==
    /\ At(p, "idle") /\ Kind(p) = "map_free"
    /\ \A q \in OpProcs : MapOf(q) = MapOf(p) => pc[q] \in {"idle", "done"}
    /\ gpw' = [gpw EXCEPT ![p] = readers \ TraceOnly(readers)]
    /\ pc' = [pc EXCEPT ![p] = "map_free:synchronize_rcu"]
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, loc, readers, cbs, fails, warns, bugs>>

\* synchronize_rcu() returned (every reader of before has left, e.g. a destroy
\* that had started); bucket by bucket: rcu_read_lock() and the walk starts at
\* the head of the bucket
MapFreeRcuLock(p) ==
    /\ \/ At(p, "map_free:synchronize_rcu") /\ gpw[p] = {}
       \/ At(p, "map_free:rcu_read_lock")
    /\ LET b == IF pc[p] = "map_free:synchronize_rcu" THEN 1 ELSE loc[p].b
       IN loc' = [loc EXCEPT ![p].b = b, ![p].cur = bkt[MapOf(p)][b].first]
    /\ readers' = readers \cup {p}
    /\ pc' = [pc EXCEPT ![p] = "map_free:walk"]
    /\ bugs' = bugs \cup UseMap(p, {MapOf(p)})
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* final: bpf_selem_unlink_nofail(selem, b) starts by loading
\*   local_storage = selem->local_storage and smap = SDATA(selem)->smap;
\*   it locks map_free's own bucket, or select_bucket(smap, local_storage) for destroy
NofailLoc(p, x, ret) ==
    [loc[p] EXCEPT !.x = x, !.ls = sel[x].ls, !.m = sel[x].smap, !.n = 0, !.last = FALSE, !.ret = ret,
                   !.nb = IF InMapFree(p) THEN loc[p].b ELSE IF sel[x].ls = NULL THEN 1 ELSE BucketOf[sel[x].ls]]
NofailAfterB(l) == IF l # NULL THEN "nofail:lock_storage" ELSE "nofail:set_state"
NofailFirstPc(x) == IF sel[x].smap # NULL THEN "nofail:lock_bucket" ELSE NofailAfterB(sel[x].ls)
NofailReadBugs(p, x) ==
    UseSel(p, {x}) \cup (IF sel[x].smap # NULL /\ sel[x].ls = NULL /\ ~InMapFree(p)
                         THEN {Bug(p, "ListIntegrity", "select_bucket(smap, NULL) for " \o x)} ELSE {})

\* final: hlist_for_each_entry_rcu(selem, &b->list, map_node) bpf_selem_unlink_nofail(selem, b)
\* v3:    while ((selem = first(&b->list))) bpf_selem_unlink_lockless(selem, &free_selem_list, MAP_FREE)
\* At the end of the bucket: rcu_read_unlock(), next bucket or synchronize_rcu().
MapFreeWalk(p) ==
    /\ At(p, "map_free:walk")
    /\ LET m == MapOf(p)
           b == loc[p].b
           x == IF V3 THEN bkt[m][b].first ELSE loc[p].cur
       IN IF x = NULL
          THEN /\ readers' = readers \ {p}
               /\ cbs' = Leave(p, cbs)
               /\ IF b < NBuckets
                  THEN /\ loc' = [loc EXCEPT ![p].b = b + 1, ![p].cur = NULL]
                       /\ pc' = [pc EXCEPT ![p] = "map_free:rcu_read_lock"]
                       /\ gpw' = GpwLeave(p)
                  ELSE /\ loc' = [loc EXCEPT ![p].cur = NULL]
                       /\ pc' = [pc EXCEPT ![p] = "map_free:synchronize_rcu_2"]
                       /\ gpw' = [GpwLeave(p) EXCEPT ![p] = (readers \ {p}) \ TraceOnly(readers)]
               /\ bugs' = bugs \cup UseMap(p, {m})
          ELSE /\ IF V3
                  THEN /\ loc' = [loc EXCEPT ![p].x = x, ![p].cur = x, ![p].ret = "map_free:next"]
                       /\ pc' = [pc EXCEPT ![p] = "lockless:read"]
                       /\ bugs' = bugs \cup UseMap(p, {m})
                  ELSE /\ loc' = [loc EXCEPT ![p] = NofailLoc(p, x, "map_free:next")]
                       /\ pc' = [pc EXCEPT ![p] = NofailFirstPc(x)]
                       /\ bugs' = bugs \cup NofailReadBugs(p, x)
               /\ UNCHANGED <<readers, cbs, gpw>>
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, fails, warns>>

\* v3 map_free declares HLIST_HEAD(free_selem_list) once and hands it to
\* bpf_selem_free_list after every selem; nothing re-initialises the head, so
\* what was freed stays on it. (A model may override this to isolate other
\* scenarios from that bug.)
MapFreeListAfterFree(T) == T

\* Back from the unlink of cur.
\* final: if (need_resched()) { cond_resched_rcu(); goto restart; } else go on to cur->map_node.next
\* v3:    bpf_selem_free_list(&free_selem_list, false); cond_resched_rcu()
MapFreeNext(p) ==
    /\ At(p, "map_free:next")
    /\ IF V3
       THEN LET T == loc[p].tofree
            IN /\ sel' = [x \in Selems |-> IF x \in T /\ sel[x].st = "live"
                                            THEN [sel[x] EXCEPT !.st = "queued"] ELSE sel[x]]
               /\ bugs' = bugs \cup UNION {FreeSelemBugs(p, sel, lsv, x) : x \in T}
               /\ cbs' = Leave(p, cbs \cup {Cb("selem", x) : x \in T})
               /\ readers' = readers \ {p}
               /\ gpw' = GpwLeave(p)
               /\ pc' = [pc EXCEPT ![p] = "map_free:cond_resched_rcu"]
               /\ loc' = [loc EXCEPT ![p].tofree = MapFreeListAfterFree(T)]
       ELSE \/ /\ loc[p].resched < MaxResched          \* need_resched(): cond_resched_rcu()
               /\ readers' = readers \ {p}
               /\ cbs' = Leave(p, cbs)
               /\ gpw' = GpwLeave(p)
               /\ loc' = [loc EXCEPT ![p].resched = @ + 1]
               /\ pc' = [pc EXCEPT ![p] = "map_free:cond_resched_rcu"]
               /\ UNCHANGED <<sel, bugs>>
            \/ /\ loc' = [loc EXCEPT ![p].cur = sel[loc[p].cur].mnext]
               /\ pc' = [pc EXCEPT ![p] = "map_free:walk"]
               /\ bugs' = bugs \cup UseSel(p, {loc[p].cur})
               /\ UNCHANGED <<sel, readers, cbs, gpw>>
    /\ UNCHANGED <<lsv, bkt, smapSt, own, fails, warns>>

\* cond_resched_rcu()'s rcu_read_lock(); final restarts at the head of the bucket
MapFreeCondResched(p) ==
    /\ At(p, "map_free:cond_resched_rcu")
    /\ readers' = readers \cup {p}
    /\ loc' = IF V3 THEN loc ELSE [loc EXCEPT ![p].cur = bkt[MapOf(p)][loc[p].b].first]
    /\ pc' = [pc EXCEPT ![p] = "map_free:walk"]
    /\ bugs' = bugs \cup UseMap(p, {MapOf(p)})
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* synchronize_rcu() done: rcu_barrier_tasks_trace(); rcu_barrier() wait for the callbacks queued so far
MapFreeSync2(p) ==
    /\ At(p, "map_free:synchronize_rcu_2") /\ gpw[p] = {}
    /\ loc' = [loc EXCEPT ![p].bar = {c.obj : c \in cbs}]
    /\ pc' = [pc EXCEPT ![p] = "map_free:rcu_barrier"]
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, cbs, gpw, fails, warns, bugs>>

\* kvfree(smap->buckets); bpf_map_area_free(smap)
MapFreeFree(p) ==
    /\ At(p, "map_free:rcu_barrier")
    /\ \A c \in cbs : c.obj \notin loc[p].bar
    /\ smapSt' = [smapSt EXCEPT ![MapOf(p)] = "freed"]
    /\ pc' = [pc EXCEPT ![p] = "done"]
    /\ loc' = [loc EXCEPT ![p] = Blank]
    /\ UNCHANGED <<sel, lsv, bkt, own, readers, cbs, gpw, fails, warns, bugs>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* bpf_sk_storage_free(owner) -> bpf_local_storage_destroy(local_storage)  *)
(***************************************************************************)

\* rcu_read_lock(); local_storage = owner->storage. The owner is going away:
\* no program or syscall can reach it any more.
DestroyStart(p) ==
    /\ At(p, "idle") /\ Kind(p) = "destroy"
    /\ \A q \in OpProcs : Owner(q) = Owner(p) => pc[q] \in {"idle", "done"}
    /\ LET o == Owner(p)
           l == own[o].storage
       IN /\ readers' = readers \cup {p}
          /\ own' = [own EXCEPT ![o].st = "dying"]
          /\ loc' = [loc EXCEPT ![p].stg = l, ![p].cur = IF l = NULL THEN NULL ELSE lsv[l].first]
          /\ pc' = [pc EXCEPT ![p] = IF l = NULL THEN "destroy:owner_uncharge" ELSE "destroy:walk"]
          /\ bugs' = bugs \cup UseLS(p, {l})
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, cbs, gpw, fails, warns>>

\* final: hlist_for_each_entry_rcu(selem, &local_storage->list, snode) nofail(selem, NULL)
\* v3:    hlist_for_each_entry_safe (next read first); uncharge += selem->size; lockless(selem, DESTROY)
DestroyWalk(p) ==
    /\ At(p, "destroy:walk")
    /\ LET x == loc[p].cur
       IN IF x = NULL
          THEN /\ pc' = [pc EXCEPT ![p] = IF V3 THEN "destroy:after_walk" ELSE "destroy:dec_and_test"]
               /\ UNCHANGED <<loc, bugs>>
          ELSE IF V3
          THEN /\ loc' = [loc EXCEPT ![p].x = x, ![p].cur = sel[x].lnext, ![p].total = @ + ElemSize,
                                     ![p].ret = "destroy:walk"]
               /\ pc' = [pc EXCEPT ![p] = "lockless:read"]
               /\ bugs' = bugs \cup UseSel(p, {x})
          ELSE /\ loc' = [loc EXCEPT ![p] = NofailLoc(p, x, "destroy:next")]
               /\ pc' = [pc EXCEPT ![p] = NofailFirstPc(x)]
               /\ bugs' = bugs \cup NofailReadBugs(p, x)
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, cbs, gpw, fails, warns>>

\* final: back from nofail(cur): go on to cur->snode.next
DestroyNext(p) ==
    /\ At(p, "destroy:next")
    /\ LET nxt == sel[loc[p].cur].lnext
       IN /\ loc' = [loc EXCEPT ![p].cur = nxt]
          /\ pc' = [pc EXCEPT ![p] = IF nxt = NULL THEN "destroy:dec_and_test" ELSE "destroy:walk"]
    /\ bugs' = bugs \cup UseSel(p, {loc[p].cur})
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, cbs, gpw, fails, warns>>

\* The end of bpf_sk_storage_free: the owner subtracts what destroy returned
\* (atomic_sub from sk_omem_alloc; v3 callers also clear owner->storage),
\* rcu_read_unlock(), and the owner is freed. ow and C are own and cbs as
\* destroy leaves them, B what destroy did wrong.
DestroyFinish(p, t, ow, C, B) ==
    LET o == Owner(p)
        ow1 == [ow EXCEPT ![o].omem = @ - t, ![o].storage = IF V3 THEN NULL ELSE @]
    IN /\ own' = [ow1 EXCEPT ![o].st = "freed"]
       /\ bugs' = bugs \cup B \cup UseOwner(p, {o})
                       \cup (IF ow1[o].omem < 0
                             THEN {Bug(p, "P4_ChargeBalanced", "owner " \o o \o " uncharged below zero")}
                             ELSE {})
       /\ readers' = readers \ {p}
       /\ cbs' = Leave(p, C)
       /\ gpw' = GpwLeave(p)
       /\ pc' = [pc EXCEPT ![p] = "done"]
       /\ loc' = [loc EXCEPT ![p] = Blank]

\* final: if (!refcount_dec_and_test(&local_storage->owner_refcnt)) spin; else
\* return local_storage->mem_charge (no pinned uncharge can start once the count is 0)
DestroyDecAndTest(p) ==
    /\ At(p, "destroy:dec_and_test")
    /\ LET l == loc[p].stg
           r == lsv[l].refcnt
           r1 == RefDecAndTest(r)
       IN /\ lsv' = [lsv EXCEPT ![l].refcnt = r1]
          /\ warns' = IF r = SATURATED \/ r <= 0 THEN warns \cup {WarnRefUaf} ELSE warns
          /\ IF r1 = 0
             THEN DestroyFinish(p, lsv[l].charge, own, cbs, UseLS(p, {l}))
             ELSE /\ pc' = [pc EXCEPT ![p] = "destroy:wait_owner_refcnt"]
                  /\ bugs' = bugs \cup UseLS(p, {l})
                  /\ UNCHANGED <<own, readers, cbs, gpw, loc>>
    /\ UNCHANGED <<sel, bkt, smapSt, fails>>

\* while (refcount_read(&local_storage->owner_refcnt)) cpu_relax(); smp_mb();
\* return local_storage->mem_charge
DestroyWaitRefcnt(p) ==
    /\ At(p, "destroy:wait_owner_refcnt")
    /\ lsv[loc[p].stg].refcnt = 0
    /\ DestroyFinish(p, lsv[loc[p].stg].charge, own, cbs, UseLS(p, {loc[p].stg}))
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
       IN /\ sel' = [x \in Selems |-> IF x \in T /\ sel[x].st = "live" THEN [sel[x] EXCEPT !.st = "queued"] ELSE sel[x]]
          /\ lsv' = LsvAfterFree(lv1, l)
          /\ DestroyFinish(p, loc[p].total + StorageSize, own,
                           cbs \cup {Cb("selem", x) : x \in T} \cup {Cb("storage", l)},
                           UseLS(p, {l}) \cup UNION {FreeSelemBugs(p, sel, lv1, x) : x \in T}
                                         \cup FreeLSBugs(p, lv1, l))
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
(* attempt is one step with the critical section it opens: no other        *)
(* process looks at a lock but to take it (a model with                    *)
(* FailOnlyWhenContended therefore sees no contention from nofail).        *)
(***************************************************************************)

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
           h == bkt[m][nb].lock
           linked == sel[x].inB # 0
           s1 == SelMapDel(sel, bkt, x)
       IN /\ \/ /\ h = NULL
                /\ sel' = [s1 EXCEPT ![x].fields = IF linked THEN Min(@ + 1, 2) ELSE @, ![x].smap = NULL]
                /\ bkt' = BktMapDel(sel, bkt, x)
                /\ loc' = [loc EXCEPT ![p].n = IF linked THEN @ + 1 ELSE @]
                /\ bugs' = bugs \cup UseMap(p, {m}) \cup UseSel(p, {x} \cup MapNeighbours(sel, bkt, x))
                                \cup (IF linked THEN FieldsBugs(p, x, m) ELSE {})
                                \cup (IF linked /\ sel[x].inB # nb
                                      THEN {Bug(p, "ListIntegrity", x \o " unlinked under the lock of another bucket")}
                                      ELSE {})
                /\ UNCHANGED <<fails, warns>>
             \/ /\ CanFail(p, h)
                /\ fails' = Append(fails, FailRec(p, BName(m, nb)))
                /\ warns' = IF InMapFree(p) THEN warns \cup {WarnMapFree} ELSE warns
                /\ sel' = IF InMapFree(p) THEN [sel EXCEPT ![x].smap = NULL] ELSE sel
                /\ bugs' = bugs \cup UseMap(p, {m}) \cup UseSel(p, {x})
                /\ UNCHANGED <<bkt, loc>>
          /\ pc' = [pc EXCEPT ![p] = NofailAfterB(loc[p].ls)]
    /\ UNCHANGED <<lsv, smapSt, own, readers, cbs, gpw>>

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
           h == lsv[l].lock
           linked == sel[x].inL # NULL
           last == linked /\ Singular(sel, lsv, x, l)
           misc == linked /\ m # NULL /\ InMapFree(p)
           lv1 == IF misc /\ lsv[l].cache[m] = x THEN [lsv EXCEPT ![l].cache[m] = NULL] ELSE lsv
           pinned == misc /\ RefIncNotZeroOk(lsv[l].refcnt)
           o == lsv[l].owner
           amt == ElemSize + (IF last THEN StorageSize ELSE 0)
       IN /\ \/ /\ h = NULL
                /\ IF pinned
                   THEN \* the pinned uncharge; LS->lock stays held until NofailUnpinOwner
                        /\ lsv' = [lv1 EXCEPT ![l].lock = p, ![l].refcnt = RefIncNotZero(@),
                                              ![l].charge = @ - amt, ![l].owner = IF last THEN NULL ELSE @]
                        /\ own' = LET ow1 == OwnAfterUncharge(own, o, amt)
                                  IN IF last /\ o # NULL THEN [ow1 EXCEPT ![o].storage = NULL] ELSE ow1
                        /\ pc' = [pc EXCEPT ![p] = "nofail:unpin_owner"]
                        /\ UNCHANGED sel
                   ELSE /\ sel' = IF linked THEN [SelLSDel(sel, lv1, x) EXCEPT ![x].ls = NULL]
                                  ELSE [sel EXCEPT ![x].ls = NULL]
                        /\ lsv' = IF linked THEN LsvLSDel(sel, lv1, x) ELSE lv1
                        /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
                        /\ UNCHANGED own
                /\ loc' = [loc EXCEPT ![p].last = last, ![p].n = IF linked /\ ~pinned THEN @ + 1 ELSE @]
                /\ bugs' = bugs \cup UseLS(p, {l})
                                \cup UseSel(p, {x} \cup (IF linked /\ ~pinned THEN LSNeighbours(sel, lv1, x) ELSE {}))
                                \cup (IF linked /\ sel[x].inL # l
                                      THEN {Bug(p, "ListIntegrity", x \o " unlinked under the lock of another local_storage")}
                                      ELSE {})
                                \cup (IF pinned THEN UnchargeBugs(p, o, amt) \cup UseMap(p, {m}) ELSE {})
                /\ UNCHANGED fails
             \/ /\ CanFail(p, h)
                /\ fails' = Append(fails, FailRec(p, LName(l)))
                /\ sel' = IF InMapFree(p) THEN sel ELSE [sel EXCEPT ![x].ls = NULL]
                /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
                /\ bugs' = bugs \cup UseLS(p, {l}) \cup UseSel(p, {x})
                /\ UNCHANGED <<lsv, own, loc>>
    /\ UNCHANGED <<bkt, smapSt, readers, cbs, gpw, warns>>

\* refcount_dec(&local_storage->owner_refcnt); hlist_del_init_rcu(&selem->snode); unlink++; unlock;
\* RCU_INIT_POINTER(selem->local_storage, NULL)
NofailUnpinOwner(p) ==
    /\ At(p, "nofail:unpin_owner")
    /\ LET x == loc[p].x
           l == loc[p].ls
           r == lsv[l].refcnt
           lv1 == [lsv EXCEPT ![l].refcnt = RefDec(r), ![l].lock = NULL]
       IN /\ sel' = [SelLSDel(sel, lv1, x) EXCEPT ![x].ls = NULL]
          /\ lsv' = LsvLSDel(sel, lv1, x)
          /\ warns' = IF RefDecSaturates(r) THEN warns \cup {WarnRefDec} ELSE warns
          /\ bugs' = bugs \cup UseSel(p, {x} \cup LSNeighbours(sel, lv1, x)) \cup UseLS(p, {l})
    /\ loc' = [loc EXCEPT ![p].n = @ + 1]
    /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, cbs, gpw, fails>>

\* if (unlink != 2) atomic_or(in_map_free ? MAP_UNLINKED : STORAGE_UNLINKED, &selem->state);
\* if (unlink == 2 || atomic_cmpxchg(&state, SELEM_UNLINKED, SELEM_TOFREE) == SELEM_UNLINKED)
\*     bpf_selem_free(selem, true);
\* if (free_storage) bpf_local_storage_free(local_storage, true);
NofailShouldFree(n, bits) == n = 2 \/ bits = UNLINKED
NofailSetState(p) ==
    /\ At(p, "nofail:set_state")
    /\ LET x == loc[p].x
           n == loc[p].n
           l == loc[p].ls
           bit == IF InMapFree(p) THEN MAPU ELSE STOU
           b1 == IF n # 2 THEN sel[x].bits \cup {bit} ELSE sel[x].bits
           win == NofailShouldFree(n, b1)
           b2 == IF n # 2 /\ b1 = UNLINKED THEN {TOFREE} ELSE b1
           s1 == [sel EXCEPT ![x].bits = b2]
           freeLS == loc[p].last
       IN /\ sel' = IF win THEN SelAfterFree(s1, x) ELSE s1
          /\ lsv' = IF freeLS THEN LsvAfterFree(lsv, l) ELSE lsv
          /\ cbs' = cbs \cup (IF win THEN {CbVanilla("selem", x)} ELSE {}) \cup (IF freeLS THEN {CbVanilla("storage", l)} ELSE {})
          /\ bugs' = bugs \cup UseSel(p, {x})
                          \cup (IF win THEN FreeSelemBugs(p, s1, lsv, x) ELSE {})
                          \cup (IF freeLS THEN FreeLSBugs(p, lsv, l) ELSE {})
          /\ pc' = [pc EXCEPT ![p] = loc[p].ret]
          /\ loc' = [loc EXCEPT ![p].x = NULL, ![p].ls = NULL, ![p].m = NULL,
                                ![p].n = 0, ![p].last = FALSE, ![p].nb = 0, ![p].ret = "none"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, gpw, fails, warns>>

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
          /\ bugs' = bugs \cup UseSel(p, {x})
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, cbs, gpw, fails, warns>>

\* err = raw_res_spin_lock_irqsave(&b->lock); on error map_free (only) clears smap
LocklessLockBucket(p) ==
    /\ At(p, "lockless:lock_bucket")
    /\ LET x == loc[p].x
           m == loc[p].m
           nb == loc[p].nb
           h == bkt[m][nb].lock
       IN /\ \/ /\ h = NULL
                /\ bkt' = [bkt EXCEPT ![m][nb].lock = p]
                /\ pc' = [pc EXCEPT ![p] = "lockless:unlink_map"]
                /\ UNCHANGED <<sel, fails>>
             \/ /\ CanFail(p, h)
                /\ fails' = Append(fails, FailRec(p, BName(m, nb)))
                /\ sel' = IF InMapFree(p) THEN [sel EXCEPT ![x].smap = NULL] ELSE sel
                /\ pc' = [pc EXCEPT ![p] = LocklessAfterB(p, loc[p].ls)]
                /\ UNCHANGED bkt
          /\ bugs' = bugs \cup UseMap(p, {m}) \cup UseSel(p, {x})
    /\ UNCHANGED <<lsv, smapSt, own, loc, readers, cbs, gpw, warns>>

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
          /\ bugs' = bugs \cup UseSel(p, {x} \cup MapNeighbours(sel, bkt, x)) \cup UseMap(p, {m})
                          \cup (IF linked THEN FieldsBugs(p, x, m) ELSE {})
                          \cup (IF linked /\ sel[x].inB # nb
                                THEN {Bug(p, "ListIntegrity", x \o " unlinked under the lock of another bucket")}
                                ELSE {})
          /\ pc' = [pc EXCEPT ![p] = LocklessAfterB(p, loc[p].ls)]
    /\ UNCHANGED <<lsv, smapSt, own, readers, cbs, gpw, fails, warns>>

\* destroy only: err = raw_res_spin_lock_irqsave(&local_storage->lock); on error
\* RCU_INIT_POINTER(selem->local_storage, NULL) all the same
LocklessLockStorage(p) ==
    /\ At(p, "lockless:lock_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           h == lsv[l].lock
       IN /\ \/ /\ h = NULL
                /\ lsv' = [lsv EXCEPT ![l].lock = p]
                /\ pc' = [pc EXCEPT ![p] = "lockless:unlink_storage"]
                /\ UNCHANGED <<sel, fails>>
             \/ /\ CanFail(p, h)
                /\ fails' = Append(fails, FailRec(p, LName(l)))
                /\ sel' = [sel EXCEPT ![x].ls = NULL]
                /\ pc' = [pc EXCEPT ![p] = "lockless:dec_link_cnt"]
                /\ UNCHANGED lsv
          /\ bugs' = bugs \cup UseLS(p, {l}) \cup UseSel(p, {x})
    /\ UNCHANGED <<bkt, smapSt, own, loc, readers, cbs, gpw, warns>>

\* under local_storage->lock: hlist_del_init_rcu(&selem->snode); unlink++; unlock;
\* RCU_INIT_POINTER(selem->local_storage, NULL)
LocklessUnlinkStorage(p) ==
    /\ At(p, "lockless:unlink_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           s1 == SelLSDel(sel, lsv, x)
       IN /\ sel' = [s1 EXCEPT ![x].ls = NULL]
          /\ lsv' = [LsvLSDel(sel, lsv, x) EXCEPT ![l].lock = NULL]
          /\ bugs' = bugs \cup UseSel(p, {x} \cup LSNeighbours(sel, lsv, x)) \cup UseLS(p, {l})
                          \cup (IF sel[x].inL # NULL /\ sel[x].inL # l
                                THEN {Bug(p, "ListIntegrity", x \o " unlinked under the lock of another local_storage")}
                                ELSE {})
    /\ loc' = [loc EXCEPT ![p].n = @ + 1]
    /\ pc' = [pc EXCEPT ![p] = "lockless:dec_link_cnt"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, cbs, gpw, fails, warns>>

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
          /\ bugs' = bugs \cup UseSel(p, {x})
    /\ UNCHANGED <<lsv, bkt, smapSt, own, readers, cbs, gpw, fails, warns>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* BPF programs and syscalls on one (owner, map): update, delete, lookup.  *)
(* They start only while the map and the owner are in use, and run in an  *)
(* RCU read-side section.                                                  *)
(***************************************************************************)

OpMayStart(p) ==
    /\ At(p, "idle")
    /\ \A q \in Teardown : (Kind(q) = "map_free" /\ MapOf(q) = MapOf(p)) \/ (Kind(q) = "destroy" /\ Owner(q) = Owner(p))
                           => pc[q] = "idle"

\* P8, checked on the state s an operation leaves when it returns r
AllOrNothing(p, r, s, lv) ==
    LET x == loc[p].x
        old == loc[p].old
        linkedBoth(y) == s[y].inB # 0 /\ s[y].inL # NULL
        unlinkedBoth(y) == s[y].inB = 0 /\ (s[y].inL = NULL \/ lv[s[y].inL].st # "live")
    IN CASE Kind(p) = "update" /\ r = "ok" -> linkedBoth(x) /\ (old = NULL \/ unlinkedBoth(old))
         [] Kind(p) = "update" -> unlinkedBoth(x) /\ (old = NULL \/ linkedBoth(old))
         [] Kind(p) = "delete" /\ r = "ok" -> x = NULL \/ unlinkedBoth(x)
         [] Kind(p) = "delete" /\ r = "err" -> linkedBoth(x)
         [] OTHER -> TRUE
P8Bugs(p, r, s, lv) ==
    IF AllOrNothing(p, r, s, lv) THEN {}
    ELSE {Bug(p, "P8_AllOrNothing", Kind(p) \o " returned " \o r \o " with the lists half changed")}

\* the op ends: rcu_read_unlock()
OpEnd(p) ==
    /\ readers' = readers \ {p}
    /\ gpw' = GpwLeave(p)
    /\ pc' = [pc EXCEPT ![p] = "done"]
    /\ loc' = [loc EXCEPT ![p] = Blank]

\* --- bpf_local_storage_update(owner, smap, value, BPF_ANY) ---
\* Each lock attempt is one step with the critical section it opens, and a
\* return is one step with the rcu_read_unlock() that follows it.

\* "free_selem:" mem_uncharge(elem_size); bpf_selem_free(alloc_selem, true); return r;
\* rcu_read_unlock(). s, lv: sel and lsv as the failed step leaves them.
UpdateFreeNew(p, r, s, lv) ==
    LET x == loc[p].x
        o == Owner(p)
        s1 == SelAfterFree(s, x)
    IN /\ sel' = s1
       /\ lsv' = lv
       /\ own' = OwnAfterUncharge(own, o, ElemSize)
       /\ cbs' = Leave(p, cbs \cup {CbVanilla("selem", x)})
       /\ bugs' = bugs \cup UseLS(p, {loc[p].stg}) \cup FreeSelemBugs(p, s, lv, x)
                       \cup UnchargeBugs(p, o, ElemSize) \cup P8Bugs(p, r, s1, lv)
       /\ OpEnd(p)

\* local_storage = owner->storage; if (!local_storage || hlist_empty(&local_storage->list))
\* the very first selem: bpf_selem_alloc, then bpf_local_storage_alloc: charge sizeof(LS),
\* owner_refcnt = 1, mem_charge = sizeof(LS), bpf_selem_link_storage_nolock (no lock: the
\* LS is not published yet); otherwise bpf_selem_alloc (mem_charge elem_size)
UpdateStart(p) ==
    /\ Kind(p) = "update" /\ OpMayStart(p)
    /\ LET o == Owner(p)
           m == MapOf(p)
           l == own[o].storage
           x == Procs[p].selem
           nl == Procs[p].storage
           first == l = NULL \/ lsv[l].first = NULL
       IN /\ IF first
             THEN /\ sel' = [sel EXCEPT ![x] = [NewSelem(m) EXCEPT !.ls = nl, !.inL = nl, !.lnext = NULL]]
                  /\ lsv' = [lsv EXCEPT ![nl] = [NoStorage EXCEPT !.st = "live", !.owner = o, !.first = x,
                                                   !.charge = IF V3 THEN 0 ELSE StorageSize + ElemSize,
                                                   !.refcnt = IF V3 THEN 0 ELSE 1]]
                  /\ own' = [own EXCEPT ![o].omem = @ + ElemSize + StorageSize]
                  /\ loc' = [loc EXCEPT ![p].x = x, ![p].ls = nl, ![p].b = SelectBucket(x, nl)]
                  /\ pc' = [pc EXCEPT ![p] = "storage_alloc:lock_bucket"]
             ELSE /\ sel' = [sel EXCEPT ![x] = NewSelem(m)]
                  /\ own' = [own EXCEPT ![o].omem = @ + ElemSize]
                  /\ loc' = [loc EXCEPT ![p].x = x, ![p].stg = l]
                  /\ pc' = [pc EXCEPT ![p] = "update:lock_storage"]
                  /\ UNCHANGED lsv
          /\ bugs' = bugs \cup UseOwner(p, {o}) \cup UseLS(p, {l}) \cup UseMap(p, {m})
    /\ readers' = readers \cup {p}
    /\ UNCHANGED <<bkt, smapSt, cbs, gpw, fails, warns>>

\* bpf_local_storage_alloc "uncharge:": bpf_local_storage_free(storage, true);
\* mem_uncharge(sizeof(LS)); then in update: bpf_selem_free(selem, true); mem_uncharge(elem_size)
StorageAllocFail(p, r) ==
    LET x == loc[p].x
        l == loc[p].ls
        o == Owner(p)
        lv1 == LsvAfterFree(lsv, l)
        s1 == SelAfterFree(sel, x)
    IN /\ sel' = s1
       /\ lsv' = lv1
       /\ own' = OwnAfterUncharge(own, o, StorageSize + ElemSize)
       /\ cbs' = Leave(p, cbs \cup {CbVanilla("storage", l), CbVanilla("selem", x)})
       /\ bugs' = bugs \cup FreeLSBugs(p, lsv, l) \cup FreeSelemBugs(p, sel, lv1, x)
                       \cup UnchargeBugs(p, o, StorageSize + ElemSize) \cup P8Bugs(p, r, s1, lv1)
       /\ OpEnd(p)

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
           h == bkt[m][b].lock
           s1 == SelMapAdd(sel, bkt, x, m, b)
       IN \/ /\ h = NULL /\ own[o].storage = NULL
             /\ sel' = s1
             /\ bkt' = BktMapAdd(bkt, x, m, b)
             /\ own' = [own EXCEPT ![o].storage = l]
             /\ cbs' = Leave(p, cbs)
             /\ bugs' = bugs \cup UseOwner(p, {o}) \cup UseSel(p, {bkt[m][b].first}) \cup P8Bugs(p, "ok", s1, lsv)
             /\ OpEnd(p)
             /\ UNCHANGED <<lsv, fails>>
          \/ /\ h = NULL /\ own[o].storage # NULL
             /\ StorageAllocFail(p, "eagain")
             /\ UNCHANGED <<bkt, fails>>
          \/ /\ CanFail(p, h)
             /\ fails' = Append(fails, FailRec(p, BName(m, b)))
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
           h == lsv[l].lock
           old == LookupFound(l, m)
           readSet == LookupReads(l, m)
       IN \/ /\ h = NULL /\ lsv[l].first = NULL
             /\ UpdateFreeNew(p, "eagain", sel, lsv)
             /\ UNCHANGED fails
          \/ /\ h = NULL /\ lsv[l].first # NULL
             /\ lsv' = [lsv EXCEPT ![l].lock = p]
             /\ loc' = [loc EXCEPT ![p].old = old, ![p].b = SelectBucket(x, l)]
             /\ pc' = [pc EXCEPT ![p] = "update:lock_bucket"]
             /\ bugs' = bugs \cup UseLS(p, {l}) \cup UseSel(p, readSet)
             /\ UNCHANGED <<sel, own, readers, cbs, gpw, fails>>
          \/ /\ CanFail(p, h)
             /\ fails' = Append(fails, FailRec(p, LName(l)))
             /\ UpdateFreeNew(p, "err", sel, lsv)
    /\ UNCHANGED <<bkt, smapSt, warns>>

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
        s1 == SelMapAdd(sel, bk, x, m, b)
        bk1 == BktMapAdd(bk, x, m, b)
        s2 == [SelLSAdd(s1, lsv, x, l) EXCEPT ![x].ls = l]
        lv1 == [LsvLSAdd(lsv, x, l) EXCEPT ![l].charge = IF V3 THEN @ ELSE @ + ElemSize]
        s3 == IF old = NULL THEN s2 ELSE SelMapDel(s2, bk1, old)
        bk2 == IF old = NULL THEN bk1 ELSE BktMapDel(s2, bk1, old)
        lv2 == IF old = NULL THEN lv1
               ELSE [lv1 EXCEPT ![l].cache[m] = IF @ = old THEN NULL ELSE @,
                                ![l].charge = IF V3 THEN @ ELSE @ - ElemSize]
        s4 == IF old = NULL THEN s3 ELSE SelLSDel(s3, lv2, old)
        lv3 == [IF old = NULL THEN lv2 ELSE LsvLSDel(s3, lv2, old) EXCEPT ![l].lock = NULL]
        bk3 == [m2 \in Maps |-> [i \in Buckets |->
                    IF m2 = m /\ bk2[m2][i].lock = p THEN [bk2[m2][i] EXCEPT !.lock = NULL] ELSE bk2[m2][i]]]
        s5 == IF old = NULL THEN s4 ELSE SelAfterFree(s4, old)
    IN /\ sel' = s5
       /\ bkt' = bk3
       /\ lsv' = lv3
       /\ own' = IF old = NULL THEN own ELSE OwnAfterUncharge(own, o, ElemSize)
       /\ cbs' = Leave(p, cbs \cup (IF old = NULL THEN {} ELSE {Cb("selem", old)}))
       /\ bugs' = bugs \cup UseLS(p, {l})
                       \cup UseSel(p, {x, old, bk[m][b].first, lsv[l].first}
                                     \cup (IF old = NULL THEN {} ELSE MapNeighbours(s2, bk1, old) \cup LSNeighbours(s3, lv2, old)))
                       \cup (IF old = NULL THEN {} ELSE UnchargeBugs(p, o, ElemSize) \cup FreeSelemBugs(p, s4, lv3, old))
                       \cup P8Bugs(p, "ok", s5, lv3)
       /\ OpEnd(p)

\* err = raw_res_spin_lock_irqsave(&b->lock) (error: unlock LS, goto free_selem);
\* v3 locks the old selem's bucket too when it is another one
UpdateLockBucket(p) ==
    /\ At(p, "update:lock_bucket")
    /\ LET m == MapOf(p)
           b == loc[p].b
           h == bkt[m][b].lock
           old == loc[p].old
           needOld == V3 /\ old # NULL /\ BucketOf[old] # b
       IN \/ /\ h = NULL /\ ~needOld
             /\ UpdateLink(p, bkt)
             /\ UNCHANGED <<fails>>
          \/ /\ h = NULL /\ needOld
             /\ bkt' = [bkt EXCEPT ![m][b].lock = p]
             /\ pc' = [pc EXCEPT ![p] = "update:lock_old_bucket"]
             /\ UNCHANGED <<sel, lsv, own, loc, readers, cbs, gpw, fails, bugs>>
          \/ /\ CanFail(p, h)
             /\ fails' = Append(fails, FailRec(p, BName(m, b)))
             /\ UpdateFreeNew(p, "err", sel, [lsv EXCEPT ![loc[p].stg].lock = NULL])
             /\ UNCHANGED bkt
    /\ UNCHANGED <<smapSt, warns>>

\* v3: the old selem's b->lock (error: unlock b and LS, goto free_selem)
UpdateLockOldBucket(p) ==
    /\ At(p, "update:lock_old_bucket")
    /\ LET m == MapOf(p)
           b2 == BucketOf[loc[p].old]
           h == bkt[m][b2].lock
       IN \/ /\ h = NULL
             /\ UpdateLink(p, [bkt EXCEPT ![m][b2].lock = p])
             /\ UNCHANGED fails
          \/ /\ CanFail(p, h)
             /\ fails' = Append(fails, FailRec(p, BName(m, b2)))
             /\ bkt' = [bkt EXCEPT ![m][loc[p].b].lock = NULL]
             /\ UpdateFreeNew(p, "err", sel, [lsv EXCEPT ![loc[p].stg].lock = NULL])
    /\ UNCHANGED <<smapSt, warns>>

\* --- bpf_sk_storage_del(owner, smap) -> bpf_selem_unlink(selem) ---

\* return r; rcu_read_unlock()
DeleteEnd(p, r) ==
    /\ bugs' = bugs \cup P8Bugs(p, r, sel, lsv)
    /\ cbs' = Leave(p, cbs)
    /\ OpEnd(p)

\* sdata = bpf_local_storage_lookup(local_storage, smap, false) (-ENOENT if none);
\* if (!selem_linked_to_storage_lockless(selem)) return 0; local_storage = selem->local_storage
DeleteStart(p) ==
    /\ Kind(p) = "delete" /\ OpMayStart(p)
    /\ LET o == Owner(p)
           m == MapOf(p)
           l == own[o].storage
           x == LookupFound(l, m)
           B == UseOwner(p, {o}) \cup UseLS(p, {l}) \cup UseSel(p, LookupReads(l, m))
       IN IF x = NULL \/ sel[x].inL = NULL
          THEN \* -ENOENT, or 0 when it is already unlinked; the program ends: rcu_read_unlock
               /\ bugs' = bugs \cup B
               /\ pc' = [pc EXCEPT ![p] = "done"]
               /\ UNCHANGED <<loc, readers, gpw>>
          ELSE /\ loc' = [loc EXCEPT ![p].x = x, ![p].ls = sel[x].ls]
               /\ pc' = [pc EXCEPT ![p] = "bpf_selem_unlink:lock_storage"]
               /\ readers' = readers \cup {p}
               /\ bugs' = bugs \cup B
               /\ UNCHANGED gpw
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, fails, warns>>

\* err = raw_res_spin_lock_irqsave(&local_storage->lock) (error: return err);
\* if (selem_linked_to_storage(selem)) go on to bpf_selem_unlink_map:
\* smap = selem->smap; b = select_bucket(smap, local_storage)
DeleteLockStorage(p) ==
    /\ At(p, "bpf_selem_unlink:lock_storage")
    /\ LET x == loc[p].x
           l == loc[p].ls
           h == lsv[l].lock
       IN \/ /\ h = NULL /\ sel[x].inL # NULL
             /\ lsv' = [lsv EXCEPT ![l].lock = p]
             /\ loc' = [loc EXCEPT ![p].m = sel[x].smap, ![p].b = SelectBucket(x, l)]
             /\ pc' = [pc EXCEPT ![p] = "bpf_selem_unlink:lock_bucket"]
             /\ bugs' = bugs \cup UseLS(p, {l}) \cup UseSel(p, {x})
             /\ UNCHANGED <<readers, cbs, gpw, fails>>
          \/ /\ h = NULL /\ sel[x].inL = NULL
             /\ DeleteEnd(p, "ok")
             /\ UNCHANGED <<lsv, fails>>
          \/ /\ CanFail(p, h)
             /\ fails' = Append(fails, FailRec(p, LName(l)))
             /\ DeleteEnd(p, "err")
             /\ UNCHANGED lsv
    /\ UNCHANGED <<sel, bkt, smapSt, own, warns>>

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
           h == bkt[m][b].lock
           s1 == SelMapDel(sel, bkt, x)
           last == Singular(s1, lsv, x, l)
           o == lsv[l].owner
           amt == ElemSize + (IF last THEN StorageSize ELSE 0)
           lv1 == [lsv EXCEPT ![l].cache[m] = IF @ = x THEN NULL ELSE @,
                              ![l].charge = IF V3 THEN @ ELSE @ - amt,
                              ![l].owner = IF last THEN NULL ELSE @]
           ow1 == OwnAfterUncharge(own, o, amt)
           s2 == SelLSDel(s1, lv1, x)
           lv2 == [LsvLSDel(s1, lv1, x) EXCEPT ![l].lock = NULL]
           lv3 == IF last THEN LsvAfterFree(lv2, l) ELSE lv2
           s3 == SelAfterFree(s2, x)
       IN \/ /\ h = NULL
             /\ sel' = s3
             /\ bkt' = BktMapDel(sel, bkt, x)
             /\ lsv' = lv3
             /\ own' = IF last /\ o # NULL THEN [ow1 EXCEPT ![o].storage = NULL] ELSE ow1
             /\ cbs' = Leave(p, cbs \cup {Cb("selem", x)} \cup (IF last THEN {Cb("storage", l)} ELSE {}))
             /\ bugs' = bugs \cup UseSel(p, {x} \cup MapNeighbours(sel, bkt, x) \cup LSNeighbours(s1, lv1, x))
                             \cup UseLS(p, {l}) \cup UseMap(p, {m})
                             \cup UnchargeBugs(p, o, amt) \cup FreeSelemBugs(p, s2, lv3, x)
                             \cup (IF last THEN FreeLSBugs(p, lv2, l) ELSE {})
                             \cup (IF sel[x].inB # 0 /\ sel[x].inB # b
                                   THEN {Bug(p, "ListIntegrity", x \o " unlinked under the lock of another bucket")}
                                   ELSE {})
                             \cup P8Bugs(p, "ok", s3, lv3)
             /\ OpEnd(p)
             /\ UNCHANGED fails
          \/ /\ CanFail(p, h)
             /\ fails' = Append(fails, FailRec(p, BName(m, b)))
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
       IN /\ bugs' = bugs \cup UseOwner(p, {o}) \cup UseLS(p, {l}) \cup UseSel(p, LookupReads(l, m))
          /\ loc' = [loc EXCEPT ![p].x = x, ![p].stg = l]
          /\ pc' = [pc EXCEPT ![p] = IF x = NULL \/ CacheHit(l, m) THEN "lookup:use_sdata" ELSE "lookup:insert_cache"]
    /\ readers' = readers \cup {p}
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
       IN /\ bugs' = bugs \cup UseOwner(p, {o}) \cup UseLS(p, {l}) \cup UseSel(p, {cached})
          /\ loc' = [loc EXCEPT ![p].x = IF hit THEN cached ELSE NULL, ![p].stg = l,
                                 ![p].cur = IF l = NULL \/ hit THEN NULL ELSE lsv[l].first]
          /\ pc' = [pc EXCEPT ![p] = IF l = NULL \/ hit THEN "lookup:use_sdata" ELSE "sleepable_lookup:walk"]
    /\ readers' = readers \cup {p}
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, cbs, gpw, fails, warns>>

\* One selem of hlist_for_each_entry_rcu(selem, &local_storage->list, snode,
\* rcu_read_lock_trace_held()): if (rcu_access_pointer(SDATA(selem)->smap) == smap) break;
\* else selem = snode.next. The end of the list: not found.
SleepableLookupWalk(p) ==
    /\ At(p, "sleepable_lookup:walk")
    /\ LET y == loc[p].cur
       IN IF y = NULL
          THEN /\ pc' = [pc EXCEPT ![p] = "lookup:use_sdata"]
               /\ UNCHANGED <<loc, bugs>>
          ELSE /\ bugs' = bugs \cup UseSel(p, {y})
               /\ IF sel[y].smap = MapOf(p)
                  THEN /\ loc' = [loc EXCEPT ![p].x = y, ![p].cur = NULL]
                       /\ pc' = [pc EXCEPT ![p] = "lookup:insert_cache"]
                  ELSE /\ loc' = [loc EXCEPT ![p].cur = sel[y].lnext]
                       /\ UNCHANGED pc
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, readers, cbs, gpw, fails, warns>>

\* __bpf_local_storage_insert_cache: LS->lock (on error: no caching);
\* if (selem_linked_to_storage(selem)) cache[smap->cache_idx] = SDATA(selem); unlock
LookupInsertCache(p) ==
    /\ At(p, "lookup:insert_cache")
    /\ LET x == loc[p].x
           l == loc[p].stg
           h == lsv[l].lock
       IN /\ \/ /\ h = NULL
                /\ lsv' = IF sel[x].inL # NULL THEN [lsv EXCEPT ![l].cache[MapOf(p)] = x] ELSE lsv
                /\ UNCHANGED fails
             \/ /\ CanFail(p, h)
                /\ fails' = Append(fails, FailRec(p, LName(l)))
                /\ UNCHANGED lsv
          /\ bugs' = bugs \cup UseLS(p, {l}) \cup UseSel(p, {x})
    /\ pc' = [pc EXCEPT ![p] = "lookup:use_sdata"]
    /\ UNCHANGED <<sel, bkt, smapSt, own, loc, readers, cbs, gpw, warns>>

\* the program reads the value it got, then leaves its read-side section
LookupUse(p) ==
    /\ At(p, "lookup:use_sdata")
    /\ bugs' = bugs \cup UseSel(p, {loc[p].x})
    /\ cbs' = Leave(p, cbs)
    /\ OpEnd(p)
    /\ UNCHANGED <<sel, lsv, bkt, smapSt, own, fails, warns>>

-----------------------------------------------------------------------------
(***************************************************************************)
(* RCU callbacks: bpf_selem_free_rcu and bpf_local_storage_free_rcu.       *)
(***************************************************************************)

\* The grace period of c has ended: every reader c waited for has left.
\* selem: if (smap) bpf_obj_free_fields(smap->map.record, ...); kfree(selem)
RcuCallback(c) ==
    /\ c \in cbs /\ c.wait = {}
    /\ cbs' = cbs \ {c}
    /\ IF c.kind = "selem"
       THEN LET x == c.obj
                m == sel[x].smap
                cbBug(prop, what) == [prop |-> prop, what |-> what, by |-> "rcu", at |-> "bpf_selem_free_rcu"]
            IN /\ sel' = [sel EXCEPT ![x].st = "freed", ![x].fields = IF m # NULL THEN Min(@ + 1, 2) ELSE @]
               /\ bugs' = bugs
                    \cup (IF sel[x].st = "freed" THEN {cbBug("P1_NoDoubleFree", "selem " \o x \o " kfreed twice")} ELSE {})
                    \cup (IF m # NULL /\ sel[x].fields > 0
                          THEN {cbBug("P3_FreeFieldsOnce", "special fields of " \o x \o " freed twice")} ELSE {})
                    \cup (IF m # NULL /\ smapSt[m] = "freed"
                          THEN {cbBug("P3_FreeFieldsOnce", "special fields of " \o x \o " freed after smap " \o m \o " was freed"),
                                cbBug("P5_NoUseAfterFree", "access to freed smap " \o m)} ELSE {})
               /\ UNCHANGED lsv
       ELSE /\ lsv' = [lsv EXCEPT ![c.obj].st = "freed"]
            /\ bugs' = bugs \cup (IF lsv[c.obj].st = "freed"
                                  THEN {[prop |-> "P1_NoDoubleFree", what |-> "local_storage " \o c.obj \o " kfreed twice",
                                         by |-> "rcu", at |-> "bpf_local_storage_free_rcu"]} ELSE {})
            /\ UNCHANGED sel
    /\ UNCHANGED <<bkt, smapSt, own, pc, loc, readers, gpw, fails, warns>>

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

-----------------------------------------------------------------------------
(***************************************************************************)
(* Properties (local-storage.md section 4).                                *)
(***************************************************************************)

BugsOf(prop) == {b \in bugs : b.prop = prop}

\* P1: each selem and each LS is freed (call_rcu'd, then kfree'd) at most once.
P1_NoDoubleFree == BugsOf("P1_NoDoubleFree") = {}

\* P2 (first half): an selem is handed to bpf_selem_free only after both its
\* nodes are unlinked from every live list (a bucket of a live map, the list
\* of a live LS).
P2_FreeOnlyUnlinked == BugsOf("P2_FreeOnlyUnlinked") = {}

\* P2 (second half): memory is reclaimed only after a grace period, so no
\* live list may hold a reclaimed selem.
P2_NoReclaimedOnLiveList ==
    \A x \in Selems : sel[x].st = "freed" =>
        /\ (sel[x].inB = 0 \/ smapSt[SelemMap[x]] = "freed")
        /\ (sel[x].inL = NULL \/ lsv[sel[x].inL].st # "live")

\* P2 for the LS: an LS is freed only after owner->storage stops pointing to
\* it, unless the owner is being destroyed (final's destroy leaves the
\* pointer of a dying owner alone).
P2_LSFreeOnlyUnpublished ==
    \A o \in Owners : own[o].st = "alive" /\ own[o].storage # NULL => lsv[own[o].storage].st = "live"

\* P3: bpf_obj_free_fields runs at most once per selem, and only while its smap is alive.
P3_FreeFieldsOnce == BugsOf("P3_FreeFieldsOnce") = {}

\* P4: nothing is uncharged twice or from a dead owner; an owner is never
\* uncharged below zero (what destroy returns plus what was uncharged
\* before equals what was charged).
P4_ChargeBalanced == BugsOf("P4_ChargeBalanced") = {}

\* P5 and "no access to freed memory": no read or write of a freed selem, LS, smap or owner.
P5_NoUseAfterFree == BugsOf("P5_NoUseAfterFree") = {}

\* The lists stay well formed (a node is unlinked under its own list's lock).
ListIntegrity == BugsOf("ListIntegrity") = {}

\* What is leaked: selems and LSes whose owner or map is gone (or that no
\* list holds) but that are not freed, special fields never freed before the
\* selem was reclaimed, and charges an owner was freed with. Fields and
\* charges are final as soon as they happen; the rest is judged when nothing
\* is running.
SelemOK(x) ==
    \/ sel[x].st \in {"none", "freed"}
    \/ /\ sel[x].st = "live"
       /\ smapSt[SelemMap[x]] = "live" /\ own[SelemOwner[x]].st = "alive"
       /\ sel[x].inB # 0 /\ sel[x].inL # NULL
StorageOK(l) ==
    \/ lsv[l].st \in {"none", "freed"}
    \/ /\ lsv[l].st = "live"
       /\ own[StorageOwner[l]].st = "alive" /\ own[StorageOwner[l]].storage = l
       /\ lsv[l].first # NULL
ExpectedCharge(o) ==
    ElemSize * Cardinality({x \in Selems : SelemOwner[x] = o /\ sel[x].st = "live" /\ sel[x].inL # NULL})
    + (IF own[o].storage # NULL THEN StorageSize ELSE 0)
ChargeOK(o) == IF own[o].st = "freed" THEN own[o].omem = 0 ELSE own[o].omem = ExpectedCharge(o)
Leaked ==
    {"special fields of " \o x : x \in {y \in Selems : sel[y].st = "freed" /\ sel[y].fields = 0}}
    \cup {"charge of owner " \o o : o \in {k \in Owners : own[k].st = "freed" /\ own[k].omem # 0}}
    \cup (IF Quiescent
          THEN {"selem " \o x : x \in {y \in Selems : ~SelemOK(y)}}
               \cup {"local_storage " \o l : l \in {k \in Storages : ~StorageOK(k)}}
               \cup {"charge of owner " \o o : o \in {k \in Owners : ~ChargeOK(k)}}
          ELSE {})
Clean == Leaked = {}
LockFailed == Len(fails) > 0

\* P6 (liveness): if every lock attempt succeeds, every selem and LS is
\* eventually freed and fully uncharged, with map_free, destroy, delete and
\* update running concurrently [R1].
P6_NoLeakWithoutFailure == <>(LockFailed \/ (Finished /\ Clean))

\* P7: a leak only after a lock failure [R1].
P7_LeakOnlyAfterLockFailure == Leaked # {} => LockFailed
\* A selem still on the list of its alive owner's LS lingers: the owner's
\* destroy will still reach and free it ("Lingering selem is ok in case of
\* lock failure" [R1]). Lost is what nobody can free any more.
Lingering(x) ==
    /\ sel[x].st = "live" /\ own[SelemOwner[x]].st = "alive"
    /\ sel[x].inL # NULL /\ sel[x].inL = own[SelemOwner[x]].storage /\ lsv[sel[x].inL].st = "live"
Lost == Leaked \ {"selem " \o x : x \in {y \in Selems : Lingering(y)}}
\* P7, second part: memory that is lost for good is WARNed.
P7_LeakWarned == Lost # {} => warns # {}

\* P8: delete and update either fully succeed or change nothing.
P8_AllOrNothing == BugsOf("P8_AllOrNothing") = {}

\* P9 (liveness): map_free and destroy terminate.
P9_TeardownTerminates == \A p \in Teardown : <>(pc[p] = "done")

=============================================================================
