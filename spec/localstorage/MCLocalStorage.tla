--------------------------- MODULE MCLocalStorage ---------------------------
(***************************************************************************)
(* Model-only definitions for the TLC models of LocalStorage.tla: the      *)
(* scenarios (owners, maps, selems and processes) a config picks with      *)
(* CONSTANT Scenario, and the candidate fixes and seeded mutants, each a   *)
(* one-line operator that a config swaps in for a named step of            *)
(* LocalStorage.tla (or Rcu.tla) with "CONSTANT Step <- MutStep". Nothing  *)
(* here is part of the design.                                             *)
(***************************************************************************)
EXTENDS LocalStorageProperties

CONSTANT Scenario

\* A process: what it runs and on which owner / map; update also names the
\* selem (and, for an owner's first selem, the LS) it allocates.
D(k, o, m, x, l) == [kind |-> k, owner |-> o, map |-> m, selem |-> x, storage |-> l, late |-> FALSE]
\* a late program (LocalStorage.tla, Late): it may run on the owner while its destroy runs
LateOp(d) == [d EXCEPT !.late = TRUE]
MapFree(m) == D("map_free", NULL, m, NULL, NULL)
Destroy(o) == D("destroy", o, NULL, NULL, NULL)
Update(o, m, x, l) == D("update", o, m, x, l)
Delete(o, m) == D("delete", o, m, NULL, NULL)
Lookup(o, m) == D("lookup", o, m, NULL, NULL)
SleepableLookup(o, m) == D("sleepable_lookup", o, m, NULL, NULL)

AllOne(S) == [s \in S |-> 1]

(* one: owner o1 has selem x1 in map m1; map_free(m1) races destroy(o1). *)
SOne == [owners |-> {"o1"}, maps |-> {"m1"}, selems |-> {"x1"}, storages |-> {"ls1"},
         sowner |-> ("x1" :> "o1"), smap |-> ("x1" :> "m1"), lsowner |-> ("ls1" :> "o1"),
         init |-> <<"x1">>, initls |-> ("o1" :> "ls1"), nb |-> 1,
         hash |-> AllOne({"x1", "ls1"}),
         procs |-> ("mf" :> MapFree("m1")) @@ ("ds" :> Destroy("o1"))]

(* two_maps: owner o1 has x1 in m1 and x2 in m2; map_free(m1) races destroy(o1),
   which walks both. *)
STwoMaps == [owners |-> {"o1"}, maps |-> {"m1", "m2"}, selems |-> {"x1", "x2"}, storages |-> {"ls1"},
         sowner |-> ("x1" :> "o1" @@ "x2" :> "o1"), smap |-> ("x1" :> "m1" @@ "x2" :> "m2"),
         lsowner |-> ("ls1" :> "o1"),
         init |-> <<"x1", "x2">>, initls |-> ("o1" :> "ls1"), nb |-> 1,
         hash |-> AllOne({"x1", "x2", "ls1"}),
         procs |-> ("mf" :> MapFree("m1")) @@ ("ds" :> Destroy("o1"))]

(* two_owners: x1 of o1 and x2 of o2, both in the one bucket of m1 (x1 at the
   head); map_free(m1) races destroy(o1) and destroy(o2). *)
STwoOwners == [owners |-> {"o1", "o2"}, maps |-> {"m1"}, selems |-> {"x1", "x2"}, storages |-> {"ls1", "ls2"},
         sowner |-> ("x1" :> "o1" @@ "x2" :> "o2"), smap |-> ("x1" :> "m1" @@ "x2" :> "m1"),
         lsowner |-> ("ls1" :> "o1" @@ "ls2" :> "o2"),
         init |-> <<"x2", "x1">>, initls |-> ("o1" :> "ls1" @@ "o2" :> "ls2"), nb |-> 1,
         hash |-> AllOne({"x1", "x2", "ls1", "ls2"}),
         procs |-> ("mf" :> MapFree("m1")) @@ ("ds1" :> Destroy("o1")) @@ ("ds2" :> Destroy("o2"))]

(* linger: x1 of o1 in m1; map_free(m1) alone: o1 is a long-lived socket. *)
SLinger == [SOne EXCEPT !.procs = ("mf" :> MapFree("m1"))]

(* linger2: x1 of o1 and x2 of o2 in the one bucket of m1 (x1 at the head);
   map_free(m1) alone: both owners are long-lived sockets. *)
SLinger2 == [STwoOwners EXCEPT !.procs = ("mf" :> MapFree("m1"))]

(* c5: x1 of o1 and x2 of o2 share the one bucket of m1, x1 at the head;
   map_free(m1) races destroy(o2) only. *)
SC5 == [STwoOwners EXCEPT !.procs = ("mf" :> MapFree("m1")) @@ ("ds2" :> Destroy("o2"))]

(* grid: owners o1, o2 each with a selem in maps m1 and m2 (one bucket per
   map); both map_frees race both destroys. *)
SGrid == [owners |-> {"o1", "o2"}, maps |-> {"m1", "m2"},
          selems |-> {"x11", "x12", "x21", "x22"}, storages |-> {"ls1", "ls2"},
          sowner |-> ("x11" :> "o1" @@ "x12" :> "o1" @@ "x21" :> "o2" @@ "x22" :> "o2"),
          smap |-> ("x11" :> "m1" @@ "x12" :> "m2" @@ "x21" :> "m1" @@ "x22" :> "m2"),
          lsowner |-> ("ls1" :> "o1" @@ "ls2" :> "o2"),
          init |-> <<"x11", "x12", "x21", "x22">>, initls |-> ("o1" :> "ls1" @@ "o2" :> "ls2"), nb |-> 1,
          hash |-> AllOne({"x11", "x12", "x21", "x22", "ls1", "ls2"}),
          procs |-> ("mf1" :> MapFree("m1")) @@ ("mf2" :> MapFree("m2"))
                    @@ ("ds1" :> Destroy("o1")) @@ ("ds2" :> Destroy("o2"))]

(* grid_maps: the grid with both map_frees and destroy(o1); o2 lives on. *)
SGridMaps == [SGrid EXCEPT !.procs = ("mf1" :> MapFree("m1")) @@ ("mf2" :> MapFree("m2")) @@ ("ds1" :> Destroy("o1"))]

(* grid_owners: the grid with map_free(m1) and both destroys; m2 lives on. *)
SGridOwners == [SGrid EXCEPT !.procs = ("mf1" :> MapFree("m1")) @@ ("ds1" :> Destroy("o1")) @@ ("ds2" :> Destroy("o2"))]

(* ops: o1 has x11 in m1 and x12 in m2, o2 has no storage yet. update(o1, m1)
   replaces x11 with u1 while a lookup(o1, m1) caches; delete(o1, m2);
   update(o2, m1) allocates o2's first selem u2 and LS ls2; then map_free(m2)
   and destroy(o1) tear down. *)
SOps == [owners |-> {"o1", "o2"}, maps |-> {"m1", "m2"},
         selems |-> {"x11", "x12", "u1", "u2"}, storages |-> {"ls1", "ls2"},
         sowner |-> ("x11" :> "o1" @@ "x12" :> "o1" @@ "u1" :> "o1" @@ "u2" :> "o2"),
         smap |-> ("x11" :> "m1" @@ "x12" :> "m2" @@ "u1" :> "m1" @@ "u2" :> "m1"),
         lsowner |-> ("ls1" :> "o1" @@ "ls2" :> "o2"),
         init |-> <<"x11", "x12">>, initls |-> ("o1" :> "ls1"), nb |-> 1,
         hash |-> AllOne({"x11", "x12", "u1", "u2", "ls1", "ls2"}),
         procs |-> ("up1" :> Update("o1", "m1", "u1", NULL)) @@ ("lk1" :> Lookup("o1", "m1"))
                   @@ ("del1" :> Delete("o1", "m2")) @@ ("up2" :> Update("o2", "m1", "u2", "ls2"))
                   @@ ("mf2" :> MapFree("m2")) @@ ("ds1" :> Destroy("o1"))]

(* upd: x1 of o1 in m1; update(o1, m1) replaces it with u1, then map_free(m1). *)
SUpd == [SOne EXCEPT !.selems = {"x1", "u1"}, !.sowner = ("x1" :> "o1" @@ "u1" :> "o1"),
                     !.smap = ("x1" :> "m1" @@ "u1" :> "m1"), !.hash = AllOne({"x1", "u1", "ls1"}),
                     !.procs = ("up" :> Update("o1", "m1", "u1", NULL)) @@ ("mf" :> MapFree("m1"))]

(* one2b: as one, with two buckets: x1 hashes to bucket 2, ls1 to bucket 1. *)
SOne2b == [SOne EXCEPT !.nb = 2, !.hash = ("x1" :> 2 @@ "ls1" :> 1)]

(* ops_small: ops without o2: update(o1, m1), lookup(o1, m1), delete(o1, m2),
   then map_free(m2) and destroy(o1). *)
SOpsSmall == [SOps EXCEPT !.selems = {"x11", "x12", "u1"},
                          !.sowner = ("x11" :> "o1" @@ "x12" :> "o1" @@ "u1" :> "o1"),
                          !.smap = ("x11" :> "m1" @@ "x12" :> "m2" @@ "u1" :> "m1"),
                          !.hash = AllOne({"x11", "x12", "u1", "ls1", "ls2"}),
                          !.procs = ("up1" :> Update("o1", "m1", "u1", NULL)) @@ ("lk1" :> Lookup("o1", "m1"))
                                    @@ ("del1" :> Delete("o1", "m2")) @@ ("mf2" :> MapFree("m2"))
                                    @@ ("ds1" :> Destroy("o1"))]

(* first: o2 has no storage; update(o2, m1) and update(o2, m2) race to
   publish its first LS (one loses the cmpxchg), then map_free(m1) and
   destroy(o2). *)
SFirst == [owners |-> {"o2"}, maps |-> {"m1", "m2"}, selems |-> {"u2", "u3"}, storages |-> {"ls2", "ls3"},
           sowner |-> ("u2" :> "o2" @@ "u3" :> "o2"), smap |-> ("u2" :> "m1" @@ "u3" :> "m2"),
           lsowner |-> ("ls2" :> "o2" @@ "ls3" :> "o2"),
           init |-> <<>>, initls |-> [o \in {} |-> NULL], nb |-> 1,
           hash |-> AllOne({"u2", "u3", "ls2", "ls3"}),
           procs |-> ("upA" :> Update("o2", "m1", "u2", "ls2")) @@ ("upB" :> Update("o2", "m2", "u3", "ls3"))
                     @@ ("mf1" :> MapFree("m1")) @@ ("ds2" :> Destroy("o2"))]

(* sleepable: owner o1 has x2 in m2, then x1 in m1 (so the LS list is
   x1 -> x2); a sleepable program looks up (o1, m2), walking past x1, while
   map_free(m1) tears x1 down. *)
SSleepable == [STwoMaps EXCEPT !.init = <<"x2", "x1">>,
                               !.procs = ("mf" :> MapFree("m1")) @@ ("sl" :> SleepableLookup("o1", "m2"))]
(* del: x1 of o1 in m1; delete(o1, m1) deletes the owner's last selem. *)
SDel == [SOne EXCEPT !.procs = ("del" :> Delete("o1", "m1"))]

(* dying: o1 has x1 in m1. destroy(o1) runs while late programs (a task's
   BPF programs reached after its usage dropped to 0) call
   bpf_task_storage_get(m1) (a lookup, which caches) and
   bpf_task_storage_get(m2, F_CREATE) (o1 has no selem of m2: the creation is
   refused once destroy has begun; before, it is an update that allocates u2). *)
SDying == [owners |-> {"o1"}, maps |-> {"m1", "m2"}, selems |-> {"x1", "u2"}, storages |-> {"ls1"},
           sowner |-> ("x1" :> "o1" @@ "u2" :> "o1"), smap |-> ("x1" :> "m1" @@ "u2" :> "m2"),
           lsowner |-> ("ls1" :> "o1"),
           init |-> <<"x1">>, initls |-> ("o1" :> "ls1"), nb |-> 1,
           hash |-> AllOne({"x1", "u2", "ls1"}),
           procs |-> ("ds" :> Destroy("o1")) @@ ("lk" :> LateOp(Lookup("o1", "m1")))
                     @@ ("up" :> LateOp(Update("o1", "m2", "u2", NULL)))]

Scen == CASE Scenario = "one" -> SOne
          [] Scenario = "dying" -> SDying
          [] Scenario = "del" -> SDel
          [] Scenario = "ops_small" -> SOpsSmall
          [] Scenario = "first" -> SFirst
          [] Scenario = "upd" -> SUpd
          [] Scenario = "one2b" -> SOne2b
          [] Scenario = "linger" -> SLinger
          [] Scenario = "linger2" -> SLinger2
          [] Scenario = "c5" -> SC5
          [] Scenario = "grid" -> SGrid
          [] Scenario = "grid_maps" -> SGridMaps
          [] Scenario = "grid_owners" -> SGridOwners
          [] Scenario = "ops" -> SOps
          [] Scenario = "two_maps" -> STwoMaps
          [] Scenario = "two_owners" -> STwoOwners
          [] Scenario = "sleepable" -> SSleepable

MC_Owners == Scen.owners
MC_Maps == Scen.maps
MC_Selems == Scen.selems
MC_Storages == Scen.storages
MC_SelemOwner == Scen.sowner
MC_SelemMap == Scen.smap
MC_StorageOwner == Scen.lsowner
MC_InitLinked == Scen.init
MC_InitStorage == [o \in Scen.owners |-> IF o \in DOMAIN Scen.initls THEN Scen.initls[o] ELSE NULL]
MC_NBuckets == Scen.nb
MC_BucketOf == Scen.hash
MC_Procs == Scen.procs
-----------------------------------------------------------------------------
(***************************************************************************)
(* Model overrides and fix candidates for the findings on the final       *)
(* protocol (model only, swapped in like the mutants).                     *)
(***************************************************************************)

(* MapFreeListAfterFree <- ReinitFreeList. v3 with its map_free to-free   *)
(* list re-initialised after each bpf_selem_free_list: keeps the           *)
(* reviewers' scenarios (C7, C8) apart from the stale-list double free.    *)
ReinitFreeList(T) == {}

(* CbVanilla <- FixFreeAfterTasksTrace. A sleepable walker reads an selem  *)
(* that map_free freed after a vanilla grace period only: free map_free's  *)
(* selems and LSes with call_rcu_tasks_trace (reuse_now = false), whose    *)
(* grace period waits for sleepable programs too.                          *)
(* synchronize_rcu_tasks_trace() in map_free before the frees would do the *)
(* same.                                                                   *)
FixFreeAfterTasksTrace(kind, obj) == Cb(kind, obj)

(* NofailUnpinRef <- FixUnpinMayReachZero. Hang on a saturated             *)
(* owner_refcnt: _misc drops its pin with a decrement that may reach 0     *)
(* (refcount_dec_and_test, result ignored) instead of refcount_dec, so     *)
(* destroy's wait for 0 can end.                                           *)
FixUnpinMayReachZero(r) == RefDecAndTest(r)

(* NofailSetsBit <- FixNoMapBitAfterFailure. Use-after-free through        *)
(* map_free's restart: after its b->lock failed, map_free does not set     *)
(* SELEM_MAP_UNLINKED, so nobody frees a selem that is still on the bucket *)
(* (it leaks, under the WARN that already fired). In the model "map_free's *)
(* b->lock failed" is "x is still on a bucket".                            *)
FixNoMapBitAfterFailure(p, x, n) == n # 2 /\ ~(InMapFree(p) /\ sel[x].inB # 0)

(* NofailTakesSnode <- FixMapFreeLeavesSnodeWithoutSmap. map_free frees an *)
(* LS its live owner still points to (ls_final_f2_unpublished): on the     *)
(* restart after failing both locks on the last selem, the smap it loads   *)
(* is NULL, _misc is skipped, yet it unlinks snode and frees the LS. Patch: *)
(* when map_free's smap is NULL it neither unlinks snode nor clears        *)
(* selem->local_storage, and leaves both to destroy, which unlinks the     *)
(* selem and frees the LS of its dying owner.                              *)
FixMapFreeLeavesSnodeWithoutSmap(p, m) == ~(InMapFree(p) /\ m = NULL)

(* NofailWarnsStorage <- FixWarnDestroyStorageFailure. C10 (destroy fails  *)
(* local_storage->lock; nobody unlinks the selem; the LS leaks): no fix of *)
(* the leak is possible without a retry (destroy is the last walker of the *)
(* list), so the patch is the WARN [PR] asks for: WARN_ON_ONCE(err &&      *)
(* !in_map_free) after destroy's local_storage->lock attempt.              *)
FixWarnDestroyStorageFailure(err, inMapFree) == err /\ ~inMapFree

(* WarnPrints <- FixWarnEveryLeak. A second leak under the same            *)
(* WARN_ON_ONCE prints nothing (ls_final_linger_f2_silent). Patch: WARN_ON *)
(* (or a ratelimited pr_warn naming the selem) at each leak site, so each  *)
(* leak is reported.                                                       *)
FixWarnEveryLeak(W) == W

-----------------------------------------------------------------------------
(***************************************************************************)
(* Seeded mutants, one per property: each changes one named step, and a    *)
(* negative model swaps it in with "CONSTANT Step <- Mutant". Each shows   *)
(* that its property can fail.                                             *)
(***************************************************************************)

(* P1. NofailShouldFree: a caller that unlinked anything frees the selem   *)
(* (no state bits, no single cmpxchg winner).                              *)
MutFreeOnAnyUnlink(n, bits) == n >= 1 \/ bits = UNLINKED

(* P2. UpdateUnlinksOldMap: bpf_local_storage_update forgets               *)
(* bpf_selem_unlink_map_nolock(old): the old selem is freed while its      *)
(* map_node is still on the bucket.                                        *)
MutUpdateKeepsOldMapNode == FALSE

(* P2 (LS). DeleteClearsOwnerStorage: deleting the last selem forgets to   *)
(* clear owner->storage: the LS is freed while the owner still points to   *)
(* it.                                                                     *)
MutDeleteKeepsOwnerStorage(last) == FALSE

(* P3. NofailClearsSmap: bpf_selem_unlink_nofail forgets                   *)
(* RCU_INIT_POINTER(SDATA(selem)->smap, NULL) after freeing the special    *)
(* fields under b->lock (it still clears it on map_free's failure):        *)
(* bpf_selem_free_rcu frees them again.                                    *)
MutNofailKeepsSmap(err, inMapFree) == err /\ inMapFree

(* P4. NofailMemCharge: the pinned uncharge in                             *)
(* bpf_selem_unlink_storage_nolock_misc forgets mem_charge -= uncharge:    *)
(* destroy then returns (and the owner uncharges) what map_free already    *)
(* uncharged.                                                              *)
MutNofailKeepsMemCharge(charge, amt) == charge

(* P4 (exact balance). DeleteMemUncharge: delete unlinks and frees the     *)
(* selem but forgets mem_uncharge: the owner stays charged for freed       *)
(* memory (a missing uncharge, with every count still at or above 0).      *)
MutDeleteSkipsUncharge(amt) == 0

(* P5. Cb (Rcu.tla): grace periods that do not wait for readers:           *)
(* call_rcu_tasks_trace, and call_rcu, which Rcu.tla derives from it,      *)
(* reclaim as soon as the callback may run.                                *)
MutCbNoGracePeriod(kind, obj) == [kind |-> kind, obj |-> obj, wait |-> {}]

(* P6. NofailFreesStorage: the caller that unlinks the last selem never    *)
(* frees the local storage.                                                *)
MutNofailNeverFreesStorage(last) == FALSE

(* P7. NofailFreesFields: bpf_selem_unlink_nofail forgets                  *)
(* bpf_obj_free_fields under b->lock: the special fields leak although     *)
(* every lock was taken.                                                   *)
MutNofailSkipsFreeFields(linked) == FALSE

(* P7 (WARN). NofailWarns: map_free's b->lock failure path without         *)
(* WARN_ON_ONCE.                                                           *)
MutNofailNoWarn(err, inMapFree) == FALSE

(* P7 (WARN, per leak). NofailWarns: the WARN_ON_ONCE fires when map_free *)
(* takes b->lock (err and !err swapped): a WARN fires in the run, but not  *)
(* for the selem whose b->lock failed and whose fields leak.               *)
MutNofailWarnsOnSuccess(err, inMapFree) == ~err /\ inMapFree

(* P8. UpdateLinksNewMap: bpf_local_storage_update forgets                 *)
(* bpf_selem_link_map_nolock(b, selem) and returns success with the new    *)
(* selem on the LS list only.                                              *)
MutUpdateSkipsLinkMap == FALSE

(* P9. DestroyRefDecAndTest: bpf_local_storage_destroy waits for           *)
(* owner_refcnt to reach 0 without dropping its own reference first (the   *)
(* count stays; the WARNs are those of refcount_dec_and_test).             *)
MutDestroyKeepsOwnRef(r) == [RefDecAndTest(r) EXCEPT !.val = r]

(* ListIntegrity (well formed). NofailUnlinkMapNode: the unlink under      *)
(* b->lock unhashes the selem but leaves its predecessor's next pointing   *)
(* to it (hlist_del without *pprev = next).                                *)
MutUnlinkKeepsPrev(s, bk, x) == [s EXCEPT ![x].inB = 0]

(* ListIntegrity. NofailSelectBucket: destroy's nofail picks the bucket by *)
(* hashing the selem (as v3 did) while the final update linked it by       *)
(* hashing the LS.                                                         *)
MutNofailHashesSelem(x) == BucketOf[x]

=============================================================================
