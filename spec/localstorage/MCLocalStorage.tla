--------------------------- MODULE MCLocalStorage ---------------------------
(***************************************************************************)
(* Model-only definitions for the TLC models of LocalStorage.tla: the      *)
(* scenarios (owners, maps, selems and processes) a config picks with      *)
(* CONSTANT Scenario, and the seeded mutants a config swaps in with        *)
(* "CONSTANT Op <- MutantOp". Nothing here is part of the design.          *)
(***************************************************************************)
EXTENDS LocalStorage

CONSTANT Scenario

\* A process: what it runs and on which owner / map; update also names the
\* selem (and, for an owner's first selem, the LS) it allocates.
D(k, o, m, x, l) == [kind |-> k, owner |-> o, map |-> m, selem |-> x, storage |-> l]
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

Scen == CASE Scenario = "one" -> SOne
          [] Scenario = "del" -> SDel
          [] Scenario = "ops_small" -> SOpsSmall
          [] Scenario = "first" -> SFirst
          [] Scenario = "upd" -> SUpd
          [] Scenario = "one2b" -> SOne2b
          [] Scenario = "linger" -> SLinger
          [] Scenario = "c5" -> SC5
          [] Scenario = "grid" -> SGrid
          [] Scenario = "grid_maps" -> SGridMaps
          [] Scenario = "grid_owners" -> SGridOwners
          [] Scenario = "ops" -> SOps
          [] Scenario = "two_maps" -> STwoMaps
          [] Scenario = "two_owners" -> STwoOwners
          [] Scenario = "sleepable" -> SSleepable

\* v3 with its map_free to-free list re-initialised after each bpf_selem_free_list:
\* keeps the reviewers' scenarios apart from the stale-list double free.
ReinitFreeList(T) == {}

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
(* Fix candidates for the findings on the final protocol (model only,     *)
(* swapped in like the mutants): each is a copy of one operator of         *)
(* LocalStorage.tla with one change.                                       *)
(***************************************************************************)

(* A sleepable walker reads an selem that map_free freed after a vanilla
   grace period only: free map_free's selems and LSes with
   call_rcu_tasks_trace (reuse_now = false), whose grace period waits for
   sleepable programs too. synchronize_rcu_tasks_trace() in map_free before
   the frees would do the same. *)
FixFreeAfterTasksTrace(kind, obj) == Cb(kind, obj)

(* Hang on a saturated owner_refcnt: _misc drops its pin with a decrement
   that may reach 0 (refcount_dec_and_test, result ignored) instead of
   refcount_dec, so destroy's wait for 0 can end. *)
FixUnpinMayReachZero(p) ==
    /\ At(p, "nofail:unpin_owner")
    /\ LET x == loc[p].x
           l == loc[p].ls
           r == lsv[l].refcnt
           lv1 == [lsv EXCEPT ![l].refcnt = RefDecAndTest(r), ![l].lock = NULL]
       IN /\ sel' = [SelLSDel(sel, lv1, x) EXCEPT ![x].ls = NULL]
          /\ lsv' = LsvLSDel(sel, lv1, x)
          /\ warns' = IF r = SATURATED \/ r <= 0 THEN warns \cup {WarnRefUaf} ELSE warns
          /\ bugs' = bugs \cup UseSel(p, {x} \cup LSNeighbours(sel, lv1, x)) \cup UseLS(p, {l})
    /\ loc' = [loc EXCEPT ![p].n = @ + 1]
    /\ pc' = [pc EXCEPT ![p] = "nofail:set_state"]
    /\ UNCHANGED <<bkt, smapSt, own, readers, cbs, gpw, fails>>

(* Use-after-free through map_free's restart: after its b->lock failed,
   map_free does not set SELEM_MAP_UNLINKED, so nobody frees a selem that is
   still on the bucket (it leaks, under the WARN that already fired). In the
   model "map_free's b->lock failed" is "x is still on a bucket". *)
FixNoMapBitAfterFailure(p) ==
    /\ At(p, "nofail:set_state")
    /\ LET x == loc[p].x
           n == loc[p].n
           l == loc[p].ls
           bit == IF InMapFree(p) THEN MAPU ELSE STOU
           skip == InMapFree(p) /\ sel[x].inB # 0
           b1 == IF n # 2 /\ ~skip THEN sel[x].bits \cup {bit} ELSE sel[x].bits
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
(* Seeded mutants, one per property: each is a copy of one operator of     *)
(* LocalStorage.tla with one change, swapped in by a negative model with   *)
(* "CONSTANT Op <- Mutant". Each shows that its property can fail.         *)
(***************************************************************************)

(* P1. The free decision of bpf_selem_unlink_nofail: a caller that unlinked
   anything frees the selem (no state bits, no single cmpxchg winner). *)
MutFreeOnAnyUnlink(n, bits) == n >= 1 \/ bits = UNLINKED

(* P2. bpf_local_storage_update forgets bpf_selem_unlink_map_nolock(old): the
   old selem is freed while its map_node is still on the bucket. *)
MutUpdateLinkKeepsOldMapNode(p, bk) ==
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
        s3 == s2
        bk2 == bk1
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

(* P2 (LS). Deleting the last selem forgets to clear owner->storage:
   the LS is freed while the owner still points to it. *)
MutDeleteKeepsOwnerStorage(p) ==
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
             /\ own' = ow1
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

(* P3. bpf_selem_unlink_nofail forgets RCU_INIT_POINTER(SDATA(selem)->smap, NULL)
   after freeing the special fields under b->lock: bpf_selem_free_rcu frees
   them again. *)
MutNofailKeepsSmap(p) ==
    /\ At(p, "nofail:lock_bucket")
    /\ LET x == loc[p].x
           m == loc[p].m
           nb == loc[p].nb
           h == bkt[m][nb].lock
           linked == sel[x].inB # 0
           s1 == SelMapDel(sel, bkt, x)
       IN /\ \/ /\ h = NULL
                /\ sel' = [s1 EXCEPT ![x].fields = IF linked THEN Min(@ + 1, 2) ELSE @]
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

(* P4. The pinned uncharge in bpf_selem_unlink_storage_nolock_misc forgets
   local_storage->mem_charge -= uncharge: destroy then returns (and the owner
   uncharges) what map_free already uncharged. *)
MutNofailKeepsMemCharge(p) ==
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
                                              ![l].owner = IF last THEN NULL ELSE @]
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

(* P5. Grace periods that do not wait for readers: call_rcu reclaims as soon
   as the callback may run. *)
MutCbNoGracePeriod(kind, obj) == [kind |-> kind, obj |-> obj, wait |-> {}]

(* P6. The caller that unlinks the last selem never frees the local storage. *)
MutNofailNeverFreesStorage(p) ==
    /\ At(p, "nofail:set_state")
    /\ LET x == loc[p].x
           n == loc[p].n
           l == loc[p].ls
           bit == IF InMapFree(p) THEN MAPU ELSE STOU
           b1 == IF n # 2 THEN sel[x].bits \cup {bit} ELSE sel[x].bits
           win == NofailShouldFree(n, b1)
           b2 == IF n # 2 /\ b1 = UNLINKED THEN {TOFREE} ELSE b1
           s1 == [sel EXCEPT ![x].bits = b2]
           freeLS == FALSE
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

(* P7. bpf_selem_unlink_nofail forgets bpf_obj_free_fields under b->lock: the
   special fields leak although every lock was taken. *)
MutNofailSkipsFreeFields(p) ==
    /\ At(p, "nofail:lock_bucket")
    /\ LET x == loc[p].x
           m == loc[p].m
           nb == loc[p].nb
           h == bkt[m][nb].lock
           linked == sel[x].inB # 0
           s1 == SelMapDel(sel, bkt, x)
       IN /\ \/ /\ h = NULL
                /\ sel' = [s1 EXCEPT ![x].smap = NULL]
                /\ bkt' = BktMapDel(sel, bkt, x)
                /\ loc' = [loc EXCEPT ![p].n = IF linked THEN @ + 1 ELSE @]
                /\ bugs' = bugs \cup UseMap(p, {m}) \cup UseSel(p, {x} \cup MapNeighbours(sel, bkt, x))
                                
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

(* P7 (WARN). map_free's b->lock failure path without WARN_ON_ONCE. *)
MutNofailNoWarn(p) ==
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
                /\ UNCHANGED warns
                /\ sel' = IF InMapFree(p) THEN [sel EXCEPT ![x].smap = NULL] ELSE sel
                /\ bugs' = bugs \cup UseMap(p, {m}) \cup UseSel(p, {x})
                /\ UNCHANGED <<bkt, loc>>
          /\ pc' = [pc EXCEPT ![p] = NofailAfterB(loc[p].ls)]
    /\ UNCHANGED <<lsv, smapSt, own, readers, cbs, gpw>>

(* P8. bpf_local_storage_update forgets bpf_selem_link_map_nolock(b, selem)
   and returns success with the new selem on the LS list only. *)
MutUpdateLinkSkipsMap(p, bk) ==
    LET x == loc[p].x
        l == loc[p].stg
        m == MapOf(p)
        b == loc[p].b
        old == loc[p].old
        o == Owner(p)
        s1 == sel
        bk1 == bk
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

(* P9. bpf_local_storage_destroy waits for owner_refcnt to reach 0 without
   dropping its own reference first. *)
MutDestroyKeepsOwnRef(p) ==
    /\ At(p, "destroy:dec_and_test")
    /\ LET l == loc[p].stg
           r == lsv[l].refcnt
           r1 == r
       IN /\ lsv' = [lsv EXCEPT ![l].refcnt = r1]
          /\ warns' = IF r = SATURATED \/ r <= 0 THEN warns \cup {WarnRefUaf} ELSE warns
          /\ IF r1 = 0
             THEN DestroyFinish(p, lsv[l].charge, own, cbs, UseLS(p, {l}))
             ELSE /\ pc' = [pc EXCEPT ![p] = "destroy:wait_owner_refcnt"]
                  /\ bugs' = bugs \cup UseLS(p, {l})
                  /\ UNCHANGED <<own, readers, cbs, gpw, loc>>
    /\ UNCHANGED <<sel, bkt, smapSt, fails>>

(* ListIntegrity. destroy's nofail picks the bucket by hashing the selem (as
   v3 did) while the final update linked it by hashing the LS. *)
MutNofailHashesSelem(p, x, ret) ==
    [loc[p] EXCEPT !.x = x, !.ls = sel[x].ls, !.m = sel[x].smap, !.n = 0, !.last = FALSE, !.ret = ret,
                   !.nb = IF InMapFree(p) THEN loc[p].b ELSE BucketOf[x]]

=============================================================================
