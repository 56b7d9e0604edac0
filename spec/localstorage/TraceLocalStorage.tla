---------------------------- MODULE TraceLocalStorage ----------------------------
(***************************************************************************)
(* Trace validation: is a recorded run of the Java twin a behaviour of     *)
(* LocalStorage?                                                           *)
(*                                                                         *)
(* A trace is a sequence of events, one per step of the run, each          *)
(*   [a |-> action name, p |-> <<process>> (<<object>> for RcuCallback),   *)
(*    o |-> observed values after the step]                                *)
(* where the action is one of the spec's (ActionNames: the disjuncts of    *)
(* Step(p), and RcuCallback of Callbacks). o may hold, after the step:     *)
(*   sel, lsv, own   per selem / LS / owner, any fields of its record      *)
(*                   (the Java twin reports st, smap, ls, the list links,  *)
(*                   cnt, bits, fields; owner, first, lock, cache, charge, *)
(*                   refcnt; st, storage, omem);                           *)
(*   bkt             per map, per bucket, any fields (first, lock);        *)
(*   smapSt          per map (the cache of lsv per map too);               *)
(*   readers, traceReaders, cbs, warns   the whole variable;               *)
(*   nfails          Len(fails);                                           *)
(*   pc              the set of pcs the acting process may be at after it; *)
(*   lock            the lock the step attempts first (BName / LName), as  *)
(*                   the locals before the step name it (AttemptedLock);   *)
(*   rv              what an update or a delete returned (its last step).  *)
(* TraceNext takes the next event: the named action must be enabled and   *)
(* lead to a state that agrees with every observed value. What the run    *)
(* did not observe (the locals, gpw, the ghosts frees and usedAfterFree,  *)
(* which lock failed where) is left to the spec, so TLC looks for any way *)
(* the spec can produce the observed run.                                  *)
(*                                                                         *)
(* One relaxation: the spec's Callbacks runs a due reclaim (ReclaimDue)    *)
(* chosen by CHOOSE; an event may name any due reclaim (the order in which *)
(* several due reclaims run changes nothing but the order of two kfrees).  *)
(*                                                                         *)
(* Several traces of one scenario are checked in one TLC run: t picks the  *)
(* trace, i counts its events taken. A trace is ACCEPTED when some         *)
(* behaviour takes all of its events. TraceProgress (a CONSTRAINT that     *)
(* never prunes) keeps the longest prefix taken per trace in TLC register  *)
(* t and prints each new longest prefix with the spec state after it, so a *)
(* rejected trace is reported with the first event the spec cannot take   *)
(* and the spec state before it. Run with one worker: registers are per   *)
(* worker.                                                                 *)
(***************************************************************************)
EXTENDS MCLocalStorage, TLC

CONSTANT Traces   \* sequence of traces, each a sequence of events

(* The traces, evaluated once (a constant definition), not at every use of *)
(* the overridden constant.                                                *)
TheTraces == Traces

VARIABLES t,  \* which trace this behaviour follows
          i   \* how many of its events it has taken

(* The process step an event names. *)
ProcAct(a, p) ==
    CASE a = "MapFreeStart"          -> MapFreeStart(p)
      [] a = "MapFreeRcuLock"        -> MapFreeRcuLock(p)
      [] a = "MapFreeWalk"           -> MapFreeWalk(p)
      [] a = "MapFreeNext"           -> MapFreeNext(p)
      [] a = "MapFreeCondResched"    -> MapFreeCondResched(p)
      [] a = "MapFreeSync2"          -> MapFreeSync2(p)
      [] a = "MapFreeFree"           -> MapFreeFree(p)
      [] a = "DestroyStart"          -> DestroyStart(p)
      [] a = "DestroyWalk"           -> DestroyWalk(p)
      [] a = "DestroyNext"           -> DestroyNext(p)
      [] a = "DestroyDecAndTest"     -> DestroyDecAndTest(p)
      [] a = "DestroyWaitRefcnt"     -> DestroyWaitRefcnt(p)
      [] a = "DestroySpin"           -> DestroySpin(p)
      [] a = "DestroyAfterWalk"      -> DestroyAfterWalk(p)
      [] a = "DestroyNoStorage"      -> DestroyNoStorage(p)
      [] a = "NofailLockBucket"      -> NofailLockBucket(p)
      [] a = "NofailLockStorage"     -> NofailLockStorage(p)
      [] a = "NofailUnpinOwner"      -> NofailUnpinOwner(p)
      [] a = "NofailSetState"        -> NofailSetState(p)
      [] a = "LocklessRead"          -> LocklessRead(p)
      [] a = "LocklessLockBucket"    -> LocklessLockBucket(p)
      [] a = "LocklessUnlinkMap"     -> LocklessUnlinkMap(p)
      [] a = "LocklessLockStorage"   -> LocklessLockStorage(p)
      [] a = "LocklessUnlinkStorage" -> LocklessUnlinkStorage(p)
      [] a = "LocklessDecLinkCnt"    -> LocklessDecLinkCnt(p)
      [] a = "UpdateStart"           -> UpdateStart(p)
      [] a = "StorageAllocLockBucket" -> StorageAllocLockBucket(p)
      [] a = "UpdateLockStorage"     -> UpdateLockStorage(p)
      [] a = "UpdateLockBucket"      -> UpdateLockBucket(p)
      [] a = "UpdateLockOldBucket"   -> UpdateLockOldBucket(p)
      [] a = "DeleteStart"           -> DeleteStart(p)
      [] a = "DeleteLockStorage"     -> DeleteLockStorage(p)
      [] a = "DeleteLockBucket"      -> DeleteLockBucket(p)
      [] a = "LookupStart"           -> LookupStart(p)
      [] a = "LookupInsertCache"     -> LookupInsertCache(p)
      [] a = "LookupUse"             -> LookupUse(p)
      [] a = "SleepableLookupStart"  -> SleepableLookupStart(p)
      [] a = "SleepableLookupWalk"   -> SleepableLookupWalk(p)

(* A callback step: the callback that frees object obj (see the header for *)
(* the relaxation among due reclaims).                                     *)
CbAct(obj) ==
    \E c \in cbs : /\ c.obj = obj
                   /\ (ReclaimDue # {} => c \in ReclaimDue)
                   /\ RcuCallback(c)

Act(e) == IF e.a = "RcuCallback" THEN CbAct(e.p[1]) ELSE ProcAct(e.a, e.p[1])

(* Every action name Act knows: the vocabulary the Java twin's steps must use. *)
ActionNames ==
    {"MapFreeStart", "MapFreeRcuLock", "MapFreeWalk", "MapFreeNext", "MapFreeCondResched",
     "MapFreeSync2", "MapFreeFree", "DestroyStart", "DestroyWalk", "DestroyNext",
     "DestroyDecAndTest", "DestroyWaitRefcnt", "DestroySpin", "DestroyAfterWalk",
     "DestroyNoStorage", "NofailLockBucket", "NofailLockStorage", "NofailUnpinOwner",
     "NofailSetState", "LocklessRead", "LocklessLockBucket", "LocklessUnlinkMap",
     "LocklessLockStorage", "LocklessUnlinkStorage", "LocklessDecLinkCnt", "UpdateStart",
     "StorageAllocLockBucket", "UpdateLockStorage", "UpdateLockBucket", "UpdateLockOldBucket",
     "DeleteStart", "DeleteLockStorage", "DeleteLockBucket", "LookupStart",
     "LookupInsertCache", "LookupUse", "SleepableLookupStart", "SleepableLookupWalk",
     "RcuCallback"}

(* A function of records f' agrees with the observed fields ob of some of   *)
(* its records.                                                            *)
FieldsAgree(f, ob) == \A k \in DOMAIN ob : \A g \in DOMAIN ob[k] : f[k][g] = ob[k][g]
(* The same for lsv, whose cache is observed per map (a run may make maps  *)
(* after its first steps).                                                 *)
LsvAgree(ob) ==
    \A k \in DOMAIN ob : \A g \in DOMAIN ob[k] :
        IF g = "cache" THEN \A m \in DOMAIN ob[k].cache : lsv'[k].cache[m] = ob[k].cache[m]
        ELSE lsv'[k][g] = ob[k][g]

(* AttemptedLock(p), the lock the step of p at pc[p] attempts first, is    *)
(* defined in LocalStorage.tla (FailOnlyWhenContended uses it too).        *)

(* The state after the step agrees with every value the run observed. *)
Observed(e) ==
    LET o == e.o IN
    /\ "sel" \in DOMAIN o => FieldsAgree(sel', o.sel)
    /\ "lsv" \in DOMAIN o => LsvAgree(o.lsv)
    /\ "own" \in DOMAIN o => FieldsAgree(own', o.own)
    /\ "bkt" \in DOMAIN o => \A m \in DOMAIN o.bkt : FieldsAgree(bkt'[m], o.bkt[m])
    /\ "smapSt" \in DOMAIN o => \A m \in DOMAIN o.smapSt : smapSt'[m] = o.smapSt[m]
    /\ "readers" \in DOMAIN o => readers' = o.readers
    /\ "traceReaders" \in DOMAIN o => traceReaders' = o.traceReaders
    /\ "cbs" \in DOMAIN o => cbs' = o.cbs
    /\ "warns" \in DOMAIN o => warns' = o.warns
    /\ "nfails" \in DOMAIN o => Len(fails') = o.nfails
    /\ "pc" \in DOMAIN o => pc'[e.p[1]] \in o.pc
    /\ "rv" \in DOMAIN o => loc'[e.p[1]].rv = o.rv
    /\ "lock" \in DOMAIN o => AttemptedLock(e.p[1]) = o.lock

(* The spec state a report shows: every variable but the constant-sized    *)
(* ghosts.                                                                 *)
StateView == [sel |-> sel, lsv |-> lsv, bkt |-> bkt, smapSt |-> smapSt, own |-> own, pc |-> pc,
              loc |-> loc, readers |-> readers, traceReaders |-> traceReaders, cbs |-> cbs,
              gpw |-> gpw, fails |-> fails, warns |-> warns, usedAfterFree |-> usedAfterFree]

TraceInit ==
    /\ Init
    /\ t \in 1 .. Len(TheTraces)
    /\ i = 0
    /\ TLCSet(t, 0)
    /\ PrintT(<<"TRACE_PREFIX", t, 0, StateView>>)

TraceNext ==
    /\ i < Len(TheTraces[t])
    /\ LET e == TheTraces[t][i + 1] IN
       /\ Assert(e.a \in ActionNames, <<"the trace names no action of the spec", e.a>>)
       /\ Act(e)
       /\ Observed(e)
    /\ i' = i + 1
    /\ UNCHANGED t

TraceProgress ==
    IF i > TLCGet(t)
    THEN TLCSet(t, i) /\ PrintT(<<"TRACE_PREFIX", t, i, StateView>>)
    ELSE TRUE

===================================================================================
