------------------------------- MODULE Hlist -------------------------------
(***************************************************************************)
(* The two hlists every storage element (selem) is on, as pure operators  *)
(* over the records of LocalStorage.tla.                                   *)
(*                                                                         *)
(* Kernel: include/linux/rculist.h (hlist_add_head_rcu,                    *)
(* hlist_del_init_rcu, hlist_for_each_entry_rcu) and include/linux/list.h  *)
(* (hlist_is_singular_node, hlist_unhashed), as struct bpf_local_storage_  *)
(* elem uses them in include/linux/bpf_local_storage.h: selem->map_node on *)
(* a bucket of its map (smap->buckets[i].list), selem->snode on the list   *)
(* of its local storage (local_storage->list).                             *)
(*                                                                         *)
(* The records (functions from ids to records):                            *)
(*   s  [selem -> [inB, mnext, inL, lnext, ...]]: inB is the bucket whose  *)
(*      list holds map_node (0: unhashed, pprev = NULL), mnext is          *)
(*      map_node.next; inL is the local storage whose list holds snode     *)
(*      (NULL: unhashed), lnext is snode.next;                             *)
(*   bk [map -> [bucket -> [first, ...]]]: the first node of each bucket;  *)
(*   lv [local storage -> [first, ...]]: the first node of each LS list.   *)
(* Each list is NULL-terminated through next. A bucket list is named by    *)
(* its map and bucket, so the map of an selem is a constant here           *)
(* (SelemMap): the smap pointer in the selem may be cleared while the node *)
(* is still on the bucket.                                                 *)
(*                                                                         *)
(* hlist_del_init_rcu unhashes a node (pprev = NULL) but keeps its next    *)
(* pointer, so an RCU walker standing on a deleted node goes on to the     *)
(* node that followed it; these operators keep next the same way.          *)
(***************************************************************************)

CONSTANT SelemMap   \* [selem -> the map whose buckets hold its map_node]

NULL == "null"

-----------------------------------------------------------------------------
(* map_node on a bucket of its map                                         *)

\* hlist_add_head_rcu(&x->map_node, &smap->buckets[b].list), x of map m
SelMapAdd(s, bk, x, m, b) == [s EXCEPT ![x].inB = b, ![x].mnext = bk[m][b].first]
BktMapAdd(bk, x, m, b) == [bk EXCEPT ![m][b].first = x]

\* the node before x on its bucket (x hashed and not first)
MapPrev(s, x) ==
    CHOOSE y \in DOMAIN s : s[y].inB = s[x].inB /\ SelemMap[y] = SelemMap[x] /\ s[y].mnext = x

\* hlist_del_init_rcu(&x->map_node); a no-op on an unhashed node
SelMapDel(s, bk, x) ==
    IF s[x].inB = 0 THEN s
    ELSE IF bk[SelemMap[x]][s[x].inB].first = x THEN [s EXCEPT ![x].inB = 0]
    ELSE [s EXCEPT ![x].inB = 0, ![MapPrev(s, x)].mnext = s[x].mnext]
BktMapDel(s, bk, x) ==
    IF s[x].inB # 0 /\ bk[SelemMap[x]][s[x].inB].first = x
    THEN [bk EXCEPT ![SelemMap[x]][s[x].inB].first = s[x].mnext]
    ELSE bk

\* The nodes hlist_del_init_rcu(&x->map_node) writes besides x: the
\* predecessor's next (or the head) and the successor's pprev.
MapNeighbours(s, bk, x) ==
    IF s[x].inB = 0 THEN {}
    ELSE {s[x].mnext} \cup (IF bk[SelemMap[x]][s[x].inB].first = x THEN {} ELSE {MapPrev(s, x)})

-----------------------------------------------------------------------------
(* snode on the list of its local storage                                  *)

\* hlist_add_head_rcu(&x->snode, &l->list)
SelLSAdd(s, lv, x, l) == [s EXCEPT ![x].inL = l, ![x].lnext = lv[l].first]
LsvLSAdd(lv, x, l) == [lv EXCEPT ![l].first = x]

\* the node before x on its LS list (x hashed and not first)
LSPrev(s, x) == CHOOSE y \in DOMAIN s : s[y].inL = s[x].inL /\ s[y].lnext = x

\* hlist_del_init_rcu(&x->snode); a no-op on an unhashed node
SelLSDel(s, lv, x) ==
    IF s[x].inL = NULL THEN s
    ELSE IF lv[s[x].inL].first = x THEN [s EXCEPT ![x].inL = NULL]
    ELSE [s EXCEPT ![x].inL = NULL, ![LSPrev(s, x)].lnext = s[x].lnext]
LsvLSDel(s, lv, x) ==
    IF s[x].inL # NULL /\ lv[s[x].inL].first = x
    THEN [lv EXCEPT ![s[x].inL].first = s[x].lnext]
    ELSE lv

\* The nodes hlist_del_init_rcu(&x->snode) writes besides x.
LSNeighbours(s, lv, x) ==
    IF s[x].inL = NULL THEN {}
    ELSE {s[x].lnext} \cup (IF lv[s[x].inL].first = x THEN {} ELSE {LSPrev(s, x)})

\* hlist_is_singular_node(&x->snode, &l->list): x is the only node of l's list
Singular(s, lv, x, l) == lv[l].first = x /\ s[x].lnext = NULL

=============================================================================
