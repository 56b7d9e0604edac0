/**
 * The checking machinery of the local storage: what the Java twin adds to
 * the kernel code to find bugs in it. The
 * {@link rqspin.storage.check.Audit} records every violation of a safety
 * property ({@link rqspin.storage.check.Violation}), every WARN, every
 * allocation and free, and finds the leaks
 * ({@link rqspin.storage.check.Leak}); memory-safety bugs surface as
 * {@link rqspin.storage.check.UseAfterFreeError} and
 * {@link rqspin.storage.check.DoubleFreeError}. The
 * {@link rqspin.storage.check.FailureInjector} makes chosen lock attempts
 * fail and records every failure ({@link rqspin.storage.check.LockFailure}).
 * A {@link rqspin.storage.check.Tracer} sees each
 * {@link rqspin.storage.check.Step} (named after the spec's program
 * counters), which is how tests steer interleavings, and
 * {@link rqspin.storage.check.Mutation} lists the seeded bugs that show the
 * checks can fail.
 *
 * <p>Why a package of its own: none of this is kernel code, and a reader of
 * {@code rqspin.storage} should be able to tell the protocol from its
 * instrumentation at a glance. The machinery reads the storage through its
 * public API (the {@code ...ForAudit} views); the storage reports into it
 * through methods that are public for that purpose only and say so.
 */
package rqspin.storage.check;
