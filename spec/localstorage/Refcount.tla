------------------------------ MODULE Refcount ------------------------------
(***************************************************************************)
(* refcount_t, as include/linux/refcount.h and lib/refcount.c implement   *)
(* it, for local_storage->owner_refcnt: pure operators on a count.        *)
(*                                                                         *)
(* A count that would go wrong (decrement to or below 0 where that is not  *)
(* allowed, or any operation on a saturated count) is set to               *)
(* REFCOUNT_SATURATED (INT_MIN / 2) by refcount_warn_saturate(), which     *)
(* WARNs once; a saturated count stays saturated, so it never reads 0      *)
(* again. Here SATURATED is any value no real count reaches.               *)
(*                                                                         *)
(* Each decrement returns [val |-> the new count, warn |-> the WARNs it    *)
(* fires], so that a caller takes both from one named step.                *)
(***************************************************************************)
EXTENDS Integers

SATURATED == 1000        \* REFCOUNT_SATURATED: any non-zero value no real count reaches
\* the messages of refcount_warn_saturate()
WarnRefDec == "refcount_t: decrement hit 0; leaking memory"      \* REFCOUNT_DEC_LEAK
WarnRefUaf == "refcount_t: underflow; use-after-free"            \* REFCOUNT_SUB_UAF

\* refcount_inc_not_zero(r): fails (RefIncNotZeroOk FALSE, no change) at 0;
\* a saturated count stays saturated. (The kernel WARNs "saturated; leaking
\* memory" there too; the model does not record it: the decrement that
\* saturated the count has WARNed already.)
RefIncNotZeroOk(r) == r # 0
RefIncNotZero(r) == IF r = 0 \/ r = SATURATED THEN r ELSE r + 1

\* refcount_dec(r): __refcount_dec: a result of 0 or below is not stored
\* (old <= 1): WARN "decrement hit 0" and saturate.
RefDec(r) ==
    IF r = SATURATED \/ r <= 1
    THEN [val |-> SATURATED, warn |-> {WarnRefDec}]
    ELSE [val |-> r - 1, warn |-> {}]

\* refcount_dec_and_test(r): __refcount_sub_and_test: true when the count
\* reaches 0 (val = 0); from 0 or below, or saturated: WARN "underflow" and
\* saturate (and return false).
RefDecAndTest(r) ==
    IF r = SATURATED \/ r <= 0
    THEN [val |-> SATURATED, warn |-> {WarnRefUaf}]
    ELSE [val |-> r - 1, warn |-> {}]

=============================================================================
