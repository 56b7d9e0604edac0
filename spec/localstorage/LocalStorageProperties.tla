----------------------- MODULE LocalStorageProperties -----------------------
(***************************************************************************)
(* The properties of LocalStorage.tla: TypeOK, P1..P9 and ListIntegrity.  *)
(* They state what kernel/bpf/bpf_local_storage.c must guarantee (memory   *)
(* safety, charges, all-or-nothing updates) and what the review of the     *)
(* series asked of the teardown ([R1]: no leak without a lock failure, a   *)
(* lingering selem is ok after one; [PR]: a leak WARNs); the references    *)
(* are listed in the header of LocalStorage.tla.                           *)
(*                                                                         *)
(* Each is one of:                                                         *)
(*   a state predicate (an INVARIANT in a config): P2_FreeOnlyUnlinked,    *)
(*     P2_NoReclaimedOnLiveList, P2_LSFreeOnlyUnpublished, P7_*; and P1    *)
(*     and P5, which read a ghost (see below);                             *)
(*   an action property [][A]_vars (a PROPERTY in a config): "every step   *)
(*     that does X does it so": P3_FreeFieldsOnce, P4_ChargeBalanced,      *)
(*     P8_AllOrNothing, ListIntegrity;                                     *)
(*   a liveness property (a PROPERTY, checked with FairSpec): P6, P9.      *)
(*                                                                         *)
(* Ghosts. Three properties are about a past event that the kernel state   *)
(* does not keep, so they read a ghost that a step updates:                *)
(*   P1 reads the frees counter of each selem and LS (Memory.tla): the     *)
(*     state shows that an object was freed (st), not that its free        *)
(*     function ran on it a second time;                                   *)
(*   P3 reads the fields counter of each selem: the state does not show    *)
(*     that bpf_obj_free_fields already ran (P7's Leaked reads it too:     *)
(*     special fields never freed);                                        *)
(*   P5 reads usedAfterFree (Memory.tla): a read or a write leaves no      *)
(*     trace in the state.                                                 *)
(*                                                                         *)
(* The locks a step holds are not in the state either (a lock attempt and  *)
(* its critical section are one step), so ListIntegrity reads them from    *)
(* the pc of the process that takes the step.                              *)
(***************************************************************************)
EXTENDS LocalStorage

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
         /\ sel[x].frees \in 0..2
         /\ sel[x].chg \in BOOLEAN
         /\ sel[x].wprinted \subseteq sel[x].wfired
    /\ \A l \in Storages :
         /\ lsv[l].st \in {"none", "live", "queued", "freed"}
         /\ lsv[l].owner \in Owners \cup {NULL}
         /\ lsv[l].first \in Selems \cup {NULL}
         /\ lsv[l].lock \in ProcIds \cup {NULL}
         /\ lsv[l].cache \in [Maps -> Selems \cup {NULL}]
         /\ lsv[l].charge \in Int
         /\ lsv[l].refcnt \in 0..2 \cup {SATURATED}
         /\ lsv[l].frees \in 0..2
         /\ lsv[l].hchg \in BOOLEAN
         /\ lsv[l].wprinted \subseteq lsv[l].wfired
    /\ bkt \in [Maps -> [Buckets -> [first : Selems \cup {NULL}, lock : ProcIds \cup {NULL}]]]
    /\ smapSt \in [Maps -> {"live", "freed"}]
    /\ \A o \in Owners : own[o].st \in {"alive", "dying", "freed"} /\ own[o].storage \in Storages \cup {NULL}
    /\ \A p \in ProcIds : loc[p].rv \in {"none", "ok", "eagain", "err"}
    /\ readers \subseteq ProcIds
    /\ traceReaders \subseteq ProcIds
    /\ \A c \in cbs : c.kind \in {"selem", "storage"} /\ c.wait \subseteq ProcIds
    /\ Len(fails) <= MaxLockFailures
    /\ usedAfterFree \subseteq Selems \cup Storages \cup Maps \cup Owners

-----------------------------------------------------------------------------
(* P1: each selem and each LS is handed to its free function               *)
(* (bpf_selem_free, bpf_local_storage_free: call_rcu) at most once, so it  *)
(* is also kfree()d at most once.                                          *)
(* Checks: no selem and no LS has a frees count above 1. Ghost: frees      *)
(* counts the free-function calls on the object (Memory.tla, FreeCall);    *)
(* the state keeps only that it was freed.                                 *)
P1_NoDoubleFree ==
    /\ \A x \in Selems : sel[x].frees <= 1
    /\ \A l \in Storages : lsv[l].frees <= 1

(* An LS whose list can still be walked or written once the grace period *)
(* of a free that starts now has ended (every reader in a section now has  *)
(* left by then, with the pointers it holds): published by an owner that  *)
(* is alive (a program, or later its destroy, may walk it), or the         *)
(* local_storage of an selem that is not kfree()d (a nofail or a delete    *)
(* may still lock it and unlink that selem, writing its neighbours on the  *)
(* list). An LS that neither reaches is leaked or being destroyed: once   *)
(* the readers of now have left, nothing reads or writes its list again    *)
(* (the C10 leak, whose dying owner's destroy is its last reader).         *)
(* A dying owner's LS is not reachable that way: its destroy, a reader    *)
(* from before the free, clears every selem's local_storage (on success    *)
(* and on failure) before it leaves its read-side section, so whoever      *)
(* still writes that list loaded the pointer inside a section the grace    *)
(* period waits for. (If a bug broke that, P5 would see the access.)       *)
LSReachable(l) ==
    \/ \E o \in Owners : own[o].st = "alive" /\ own[o].storage = l
    \/ \E y \in Selems : sel[y].st \in {"live", "queued"} /\ sel[y].ls = l /\ own[SelemOwner[y]].st = "alive"

(* x is on a live list: its map_node on a bucket of a map that is not      *)
(* freed, or its snode on the list of an LS that is live (not yet handed   *)
(* to bpf_local_storage_free) and reachable. (Before issue 13 an LS list   *)
(* counted as live while the LS was allocated, also when leaked and        *)
(* unreachable: a selem reclaimed on such a list is a leak, P6/P7, that    *)
(* nothing can touch, not a use of freed memory.)                          *)
OnLiveList(x) ==
    \/ sel[x].inB # 0 /\ smapSt[SelemMap[x]] = "live"
    \/ sel[x].inL # NULL /\ lsv[sel[x].inL].st = "live" /\ LSReachable(sel[x].inL)

(* P2 (first half): an selem is handed to bpf_selem_free only after both   *)
(* its nodes are unlinked from every live list.                            *)
(* Checks: every selem that has been handed to bpf_selem_free (st queued   *)
(* or freed) is on no live list. Nothing links an selem again, so this is  *)
(* the state after its free; an selem freed in the same step as the LS     *)
(* whose list still holds it is allowed.                                   *)
P2_FreeOnlyUnlinked == \A x \in Selems : sel[x].st \in {"queued", "freed"} => ~OnLiveList(x)

(* P2 (second half): memory is reclaimed only after a grace period.        *)
(* Checks: no live list holds a kfree()d selem.                            *)
P2_NoReclaimedOnLiveList == \A x \in Selems : sel[x].st = "freed" => ~OnLiveList(x)

(* P2 for the LS: an LS is freed only after owner->storage stops pointing  *)
(* to it, unless the owner is being destroyed (final's destroy leaves the  *)
(* pointer of a dying owner alone).                                        *)
(* Checks: the LS an alive owner points to is live.                        *)
P2_LSFreeOnlyUnpublished ==
    \A o \in Owners : own[o].st = "alive" /\ own[o].storage # NULL => lsv[own[o].storage].st = "live"

(* P3: bpf_obj_free_fields runs at most once per selem, and only while its *)
(* smap is alive.                                                          *)
(* Checks: every step that runs bpf_obj_free_fields on x (raises its       *)
(* fields count) finds the count at 0 and x's map not freed. Ghost: fields *)
(* counts the bpf_obj_free_fields runs on x (0..2).                        *)
FieldsFreed(x) == sel'[x].fields # sel[x].fields
P3_FreeFieldsOnce ==
    [][\A x \in Selems : FieldsFreed(x) => sel[x].fields = 0 /\ smapSt[SelemMap[x]] = "live"]_vars

(* The steps that call mem_uncharge(smap, local_storage->owner, ...): the  *)
(* pinned uncharge of bpf_selem_unlink_storage_nolock_misc (nofail), and   *)
(* delete's bpf_selem_unlink_storage_nolock when it returns 0.             *)
UnchargesLSOwner(p) ==
    \/ pc[p] = "nofail:lock_storage" /\ pc'[p] = "nofail:unpin_owner"
    \/ pc[p] = "bpf_selem_unlink:lock_bucket" /\ pc'[p] = "done" /\ loc'[p].rv = "ok"

(* What an owner is charged for, by the ghosts chg / hchg: the elem_size   *)
(* of each of its selems and the sizeof(LS) of each of its LSes that were  *)
(* charged and not yet uncharged by the step that means to uncharge them   *)
(* (delete, update's old selem, an error path, map_free's pinned           *)
(* uncharge). destroy's return value uncharges whatever is left when the   *)
(* owner is freed.                                                         *)
Counted(o) ==
    ElemSize * Cardinality({x \in Selems : SelemOwner[x] = o /\ sel[x].chg})
    + StorageSize * Cardinality({l \in Storages : StorageOwner[l] = o /\ lsv[l].hchg})
(* Exact balance: charges = uncharges + what is still counted. An alive   *)
(* (or dying) owner's sk_omem_alloc is exactly what it is counted for (a   *)
(* missing, double, short or NULL-owner uncharge breaks it), and a freed   *)
(* owner was freed at 0 (destroy returned exactly the rest) and stays at 0.*)
ChargeExact(o) == IF own[o].st = "freed" THEN own[o].omem = 0 ELSE own[o].omem = Counted(o)
(* What is still counted is allocated: when nothing is running, no selem or *)
(* LS of an owner that is not freed is counted while it has been handed to  *)
(* its free function (the charge of freed memory was never returned). A   *)
(* leaked object (allocated, unreachable) may stay counted: that is a leak *)
(* (P6, P7), not an accounting error.                                      *)
CountedIsAllocated ==
    Quiescent =>
        /\ \A x \in Selems : sel[x].chg /\ own[SelemOwner[x]].st # "freed" => sel[x].st = "live"
        /\ \A l \in Storages : lsv[l].hchg /\ own[StorageOwner[l]].st # "freed" => lsv[l].st = "live"

(* P4: charges balance exactly. Every step leaves every owner's charge     *)
(* equal to what it is counted for (ChargeExact; so never below 0, nothing *)
(* uncharged twice or from a freed owner, no uncharge missing or short),   *)
(* a step that uncharges local_storage->owner reads a non-NULL owner, and  *)
(* at the end what is still counted is allocated. (Init holds it by        *)
(* construction: every linked selem and LS is charged and counted.)        *)
P4_ChargeBalanced ==
    [][/\ \A p \in ProcIds : UnchargesLSOwner(p) => lsv[loc[p].ls].owner # NULL
       /\ \A o \in Owners : ChargeExact(o)'
       /\ CountedIsAllocated']_vars

(* P5 and "no access to freed memory": no read or write of a freed         *)
(* (kfree()d) selem, LS, smap or owner, including the neighbours an hlist  *)
(* update writes and the smap bpf_selem_free_rcu reads.                    *)
(* Checks: the ghost usedAfterFree is empty. Ghost: every step adds the    *)
(* freed objects it reads or writes (LocalStorage.tla: Touch of UseSel,    *)
(* UseLS, UseMap, UseOwner); an access leaves no trace in the state.       *)
P5_NoUseAfterFree == usedAfterFree = {}

(* ListIntegrity: the lists stay well formed, and a node is unlinked only  *)
(* under its own list's lock.                                              *)
(* Well formed: from its head, each bucket list and each LS list reaches   *)
(* NULL through next pointers without visiting a node twice, and the      *)
(* nodes it visits are exactly the selems whose node says it is on that    *)
(* list (map_node: inB and the selem's map; snode: inL), each of the       *)
(* list's map / of the LS's owner. (hlist_del_init_rcu keeps next of the   *)
(* deleted node; that node is on no list and is not visited.)             *)
RECURSIVE MChain(_, _), LChain(_, _)
\* the nodes visited from y through map_node.next (snode.next), at most n of them
MChain(y, n) == IF y = NULL \/ n = 0 THEN <<>> ELSE <<y>> \o MChain(sel[y].mnext, n - 1)
LChain(y, n) == IF y = NULL \/ n = 0 THEN <<>> ELSE <<y>> \o LChain(sel[y].lnext, n - 1)
ChainOK(c, members) ==
    /\ Len(c) <= Cardinality(Selems)                               \* reaches NULL
    /\ Cardinality({c[i] : i \in 1..Len(c)}) = Len(c)               \* no node twice
    /\ {c[i] : i \in 1..Len(c)} = members
WellFormedLists ==
    /\ \A m \in Maps, b \in Buckets :
         ChainOK(MChain(bkt[m][b].first, Cardinality(Selems) + 1),
                 {x \in Selems : SelemMap[x] = m /\ sel[x].inB = b})
    /\ \A l \in Storages :
         ChainOK(LChain(lsv[l].first, Cardinality(Selems) + 1),
                 {x \in Selems : sel[x].inL = l /\ SelemOwner[x] = StorageOwner[l]})
    /\ \A x \in Selems : sel[x].inL # NULL => SelemOwner[x] = StorageOwner[sel[x].inL]
(* The locks p holds in the step it takes from pc[p]: taken in that step   *)
(* (one step per lock attempt with its critical section) or held since an  *)
(* earlier one. Buckets as <<map, bucket>>, local storages by id.          *)
BucketLocksHeld(p) ==
    CASE pc[p] \in {"nofail:lock_bucket", "lockless:unlink_map"} -> {<<loc[p].m, loc[p].nb>>}
      [] pc[p] = "bpf_selem_unlink:lock_bucket" -> {<<loc[p].m, loc[p].b>>}
      [] pc[p] = "update:lock_bucket" -> {<<MapOf(p), loc[p].b>>}
      [] pc[p] = "update:lock_old_bucket" -> {<<MapOf(p), loc[p].b>>, <<MapOf(p), BucketOf[loc[p].old]>>}
      [] OTHER -> {}
StorageLocksHeld(p) ==
    CASE pc[p] \in {"nofail:lock_storage", "nofail:unpin_owner", "nofail:refcount_saturate", "lockless:unlink_storage",
                    "bpf_selem_unlink:lock_bucket"} -> {loc[p].ls}
      [] pc[p] \in {"update:lock_bucket", "update:lock_old_bucket"} -> {loc[p].stg}
      [] OTHER -> {}
\* p takes the step (the only process whose pc changes in it)
Moves(p) == pc'[p] # pc[p]
\* the selems whose map_node / snode the step unhashes
MapNodesUnlinked == {x \in Selems : sel[x].inB # 0 /\ sel'[x].inB = 0}
SnodesUnlinked == {x \in Selems : sel[x].inL # NULL /\ sel'[x].inL = NULL}
(* Checks, for every step: each map_node it unhashes was on a bucket whose *)
(* b->lock the moving process holds; each snode it unhashes was on the     *)
(* list of an LS whose local_storage->lock the moving process holds; and   *)
(* destroy never enters bpf_selem_unlink_nofail's b->lock step for an      *)
(* selem whose local_storage is NULL (it would lock                        *)
(* select_bucket(smap, NULL), not the selem's bucket).                     *)
(* Checks, for every step: it leaves the lists well formed (Init builds   *)
(* them so: InitLinked with hlist_add_head), and the unlink conditions.    *)
ListIntegrity ==
    [][/\ WellFormedLists'
       /\ \A x \in MapNodesUnlinked :
            \E p \in ProcIds : Moves(p) /\ <<SelemMap[x], sel[x].inB>> \in BucketLocksHeld(p)
       /\ \A x \in SnodesUnlinked :
            \E p \in ProcIds : Moves(p) /\ sel[x].inL \in StorageLocksHeld(p)
       /\ \A p \in DestroyProcs :
            pc[p] = "destroy:walk" /\ pc'[p] = "nofail:lock_bucket" => loc'[p].ls # NULL]_vars

(* P8: delete and update either fully succeed or change nothing, and say   *)
(* which. Judged on the state an operation leaves when it returns r: an    *)
(* update that returned 0 has its new selem x on both lists and the old    *)
(* one off both; one that failed has x off both and the old one on both; a *)
(* delete that returned 0 has x off both, one that failed has x on both.   *)
(* Off the LS list includes "on the list of an LS that is freed".          *)
AllOrNothing(p, r) ==
    LET x == loc[p].x
        old == loc[p].old
        linkedBoth(y) == sel'[y].inB # 0 /\ sel'[y].inL # NULL
        unlinkedBoth(y) == sel'[y].inB = 0 /\ (sel'[y].inL = NULL \/ lsv'[sel'[y].inL].st # "live")
    IN CASE Kind(p) = "update" /\ r = "ok" -> linkedBoth(x) /\ (old = NULL \/ unlinkedBoth(old))
         [] Kind(p) = "update" -> unlinkedBoth(x) /\ (old = NULL \/ linkedBoth(old))
         [] Kind(p) = "delete" /\ r = "ok" -> x = NULL \/ unlinkedBoth(x)
         [] Kind(p) = "delete" /\ r = "err" -> linkedBoth(x)
         [] OTHER -> TRUE
\* p returns in this step, and not from its first step (delete's early
\* -ENOENT or 0 from idle is not judged)
Returns(p) == pc[p] \notin {"idle", "done"} /\ pc'[p] = "done"
(* Checks: every step in which an update or a delete returns r (kept in    *)
(* loc[p].rv) leaves the lists as AllOrNothing(p, r) says.                 *)
P8_AllOrNothing == [][\A p \in OpProcs : Returns(p) => AllOrNothing(p, loc'[p].rv)]_vars

-----------------------------------------------------------------------------
(* Leaks (P6, P7).                                                         *)

(* What is leaked: selems and LSes whose owner or map is gone (or that no  *)
(* list holds) but that are not freed, special fields never freed before   *)
(* the selem was reclaimed, and charges an owner was freed with. Fields    *)
(* and charges are final as soon as they happen; the rest is judged when   *)
(* nothing is running.                                                     *)
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
(* Each leak is a record [what, obj]: what leaked ("special fields",      *)
(* "selem", "local_storage", "charge") and of which object (an selem, an LS *)
(* or an owner).                                                           *)
Leak(w, y) == [what |-> w, obj |-> y]
Leaked ==
    {Leak("special fields", x) : x \in {y \in Selems : sel[y].st = "freed" /\ sel[y].fields = 0}}
    \cup {Leak("charge", o) : o \in {k \in Owners : own[k].st = "freed" /\ own[k].omem # 0}}
    \cup (IF Quiescent
          THEN {Leak("selem", x) : x \in {y \in Selems : ~SelemOK(y)}}
               \cup {Leak("local_storage", l) : l \in {k \in Storages : ~StorageOK(k)}}
               \cup {Leak("charge", o) : o \in {k \in Owners : ~ChargeOK(k)}}
          ELSE {})
Clean == Leaked = {}
LockFailed == Len(fails) > 0

(* P6 (liveness): if every lock attempt succeeds, every selem and LS is    *)
(* eventually freed and fully uncharged, with map_free, destroy, delete    *)
(* and update running concurrently [R1].                                   *)
(* Checks: eventually a lock attempt has failed, or every teardown has     *)
(* returned with nothing pending and nothing leaked.                       *)
P6_NoLeakWithoutFailure == <>(LockFailed \/ (Finished /\ Clean))

(* P7: a leak only after a lock failure [R1].                              *)
(* Checks: while nothing has failed, nothing is leaked.                    *)
P7_LeakOnlyAfterLockFailure == Leaked # {} => LockFailed

(* A selem still on the list of its alive owner's LS lingers: the owner's  *)
(* destroy will still reach and free it ("Lingering selem is ok in case of *)
(* lock failure" [R1]). Lost is what nobody can free any more.             *)
Lingering(x) ==
    /\ sel[x].st = "live" /\ own[SelemOwner[x]].st = "alive"
    /\ sel[x].inL # NULL /\ sel[x].inL = own[SelemOwner[x]].storage /\ lsv[sel[x].inL].st = "live"
(* A selem still on a bucket of a live map awaits that map's map_free,    *)
(* which will unlink it and free it (destroy keeps smap when its b->lock   *)
(* fails, for this): it is not lost either, whatever its owner.            *)
AwaitsMapFree(x) == sel[x].st = "live" /\ sel[x].inB # 0 /\ smapSt[SelemMap[x]] = "live"
Lost == Leaked \ {Leak("selem", x) : x \in {y \in Selems : Lingering(y) \/ AwaitsMapFree(y)}}

(* Which WARN covers which leak. A WARN fires for one object (the ghosts   *)
(* wfired / wprinted of Fired and Printed): map_free's WARN_ON_ONCE(err && *)
(* in_map_free) for the selem whose b->lock failed, refcount_t's WARN_ONCE *)
(* ("decrement hit 0; leaking memory", "underflow") for the LS whose       *)
(* owner_refcnt it saturated. A leak is covered by a WARN for the leaked   *)
(* object itself or for an object of the same owner (the selems and the LS *)
(* of one owner leak together: an LS is lost because one of its selems is, *)
(* the owner's charge because its LS or selems are):                       *)
LeakOwner(it) ==
    CASE it.what \in {"special fields", "selem"} -> SelemOwner[it.obj]
      [] it.what = "local_storage" -> StorageOwner[it.obj]
      [] OTHER -> it.obj
CoverObjs(it) ==
    {x \in Selems : SelemOwner[x] = LeakOwner(it)} \cup {l \in Storages : StorageOwner[l] = LeakOwner(it)}
Fired(y) == IF y \in Selems THEN sel[y].wfired ELSE lsv[y].wfired
Printed(y) == IF y \in Selems THEN sel[y].wprinted ELSE lsv[y].wprinted
(* The special fields of x are covered only by the WARN of x's own b->lock *)
(* failure (the one that gave up bpf_obj_free_fields for x).               *)
Covered(it, W(_)) ==
    IF it.what = "special fields" THEN WarnMapFree \in W(it.obj)
    ELSE \E y \in CoverObjs(it) : W(y) # {}

(* P7, second part: memory that is lost for good is WARNed, leak by leak.  *)
(* Checks: every lost object is covered by a WARN that fired for it (for   *)
(* it, or for an object of its owner): a WARN about another owner's        *)
(* selem does not cover it.                                                *)
P7_LeakWarned == \A it \in Lost : Covered(it, Fired)

(* P7, as an operator sees it: WARN_ON_ONCE and WARN_ONCE print the first  *)
(* time only. Checks: every lost object is covered by a WARN that printed  *)
(* for it. It fails where a second leak follows the first under the same   *)
(* site: the kernel says a leak happened, not how many.                    *)
P7_LeakReported == \A it \in Lost : Covered(it, Printed)

(* P9 (liveness): map_free and destroy terminate.                          *)
(* Checks: every teardown process eventually reaches "done".               *)
P9_TeardownTerminates == \A p \in Teardown : <>(pc[p] = "done")

=============================================================================
