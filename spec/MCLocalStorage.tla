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

Scen == CASE Scenario = "one" -> SOne
          [] Scenario = "linger" -> SLinger
          [] Scenario = "c5" -> SC5
          [] Scenario = "grid" -> SGrid
          [] Scenario = "ops" -> SOps
          [] Scenario = "two_maps" -> STwoMaps
          [] Scenario = "two_owners" -> STwoOwners

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
=============================================================================
