---------------------------- MODULE SimLocalStorage ----------------------------
(***************************************************************************)
(* A scenario for the simulation-only models (spec/simulation.json, run by *)
(* spec/run-models --simulate): larger than any exhaustive model. Nothing  *)
(* here changes the spec; the cfgs swap these definitions in for the       *)
(* MC_* ones of MCLocalStorage (`Owners <- Sim_Owners`, ...).              *)
(***************************************************************************)
EXTENDS MCLocalStorage

(* big: three owners o1..o3, each with one selem in each of three maps     *)
(* m1..m3 (x<owner><map>), two buckets per map. Seven processes race:       *)
(* map_free(m1) and map_free(m2), destroy(o1) and destroy(o2), update(o1,  *)
(* m3) replacing x13 by u13, delete(o2, m3), and a lookup(o3, m1); o3 and  *)
(* m3 live on.                                                             *)
XS == {"x11", "x12", "x13", "x21", "x22", "x23", "x31", "x32", "x33"}
SBig == [owners |-> {"o1", "o2", "o3"}, maps |-> {"m1", "m2", "m3"},
         selems |-> XS \cup {"u13"}, storages |-> {"ls1", "ls2", "ls3"},
         sowner |-> [x \in XS \cup {"u13"} |-> CASE x \in {"x11", "x12", "x13", "u13"} -> "o1"
                                               [] x \in {"x21", "x22", "x23"} -> "o2"
                                               [] OTHER -> "o3"],
         smap |-> [x \in XS \cup {"u13"} |-> CASE x \in {"x11", "x21", "x31"} -> "m1"
                                             [] x \in {"x12", "x22", "x32"} -> "m2"
                                             [] OTHER -> "m3"],
         lsowner |-> ("ls1" :> "o1" @@ "ls2" :> "o2" @@ "ls3" :> "o3"),
         init |-> <<"x11", "x12", "x13", "x21", "x22", "x23", "x31", "x32", "x33">>,
         initls |-> ("o1" :> "ls1" @@ "o2" :> "ls2" @@ "o3" :> "ls3"), nb |-> 2,
         hash |-> ("x11" :> 1 @@ "x12" :> 2 @@ "x13" :> 1 @@ "x21" :> 2 @@ "x22" :> 1 @@ "x23" :> 2
                   @@ "x31" :> 1 @@ "x32" :> 2 @@ "x33" :> 1 @@ "u13" :> 2
                   @@ "ls1" :> 1 @@ "ls2" :> 2 @@ "ls3" :> 1),
         procs |-> ("mf1" :> MapFree("m1")) @@ ("mf2" :> MapFree("m2"))
                   @@ ("ds1" :> Destroy("o1")) @@ ("ds2" :> Destroy("o2"))
                   @@ ("up1" :> Update("o1", "m3", "u13", NULL)) @@ ("del2" :> Delete("o2", "m3"))
                   @@ ("lk3" :> Lookup("o3", "m1"))]

Sim_Owners == SBig.owners
Sim_Maps == SBig.maps
Sim_Selems == SBig.selems
Sim_Storages == SBig.storages
Sim_SelemOwner == SBig.sowner
Sim_SelemMap == SBig.smap
Sim_StorageOwner == SBig.lsowner
Sim_InitLinked == SBig.init
Sim_InitStorage == SBig.initls
Sim_NBuckets == SBig.nb
Sim_BucketOf == SBig.hash
Sim_Procs == SBig.procs
================================================================================
