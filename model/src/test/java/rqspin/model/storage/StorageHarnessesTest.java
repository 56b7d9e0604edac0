package rqspin.model.storage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rqspin.storage.LockSite;
import rqspin.storage.Protocol;
import rqspin.storage.check.Mutation;

/**
 * The CI form of the storage JPF harness ({@link MapFreeDestroy}): the same
 * scenario code under Lincheck's model checker, which explores thread
 * interleavings, with the verdicts of model/jpf/Storage*.jpf: the final
 * protocol passes with no failure and with failures at MAP_FREE_STORAGE or
 * DESTROY_BUCKET, on one and on two selems; v3 fails at MAP_FREE_BUCKET.
 * The two .jpf files that expect a finding (StorageOneMapFreeBucket: F3,
 * StorageOneDestroyStorage and StorageTwoDestroyStorage: H1) need one
 * precise interleaving that Lincheck's sampling does not reach in a CI
 * budget: their CI form is the deterministic scenario of the same name in
 * impl's FinalFindingsTest.
 */
class StorageHarnessesTest {
    private static final int INVOCATIONS = 50;

    private static void explore(Protocol p, MapFreeDestroy.Shape shape, LockSite site, Mutation mu) {
        Lincheck.runConcurrentTest(INVOCATIONS, () -> {
            try {
                MapFreeDestroy.run(p, shape, site, mu);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static void expectFailure(String property, Protocol p, MapFreeDestroy.Shape shape, LockSite site,
            Mutation mu) {
        LincheckAssertionError e = assertThrows(LincheckAssertionError.class, () -> explore(p, shape, site, mu));
        assertTrue(e.getMessage().contains(property), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(MapFreeDestroy.Shape.class)
    void finalWithoutFailures(MapFreeDestroy.Shape shape) {
        explore(Protocol.FINAL, shape, null, Mutation.NONE);
    }

    @ParameterizedTest
    @EnumSource(MapFreeDestroy.Shape.class)
    void finalWithMapFreeStorageFailing(MapFreeDestroy.Shape shape) {
        explore(Protocol.FINAL, shape, LockSite.MAP_FREE_STORAGE, Mutation.NONE);
    }

    @ParameterizedTest
    @EnumSource(MapFreeDestroy.Shape.class)
    void finalWithDestroyBucketFailing(MapFreeDestroy.Shape shape) {
        explore(Protocol.FINAL, shape, LockSite.DESTROY_BUCKET, Mutation.NONE);
    }

    @Test
    void v3FailsWhenMapFreeFailsTheBucketLock() {
        expectFailure("P5_NoUseAfterFree", Protocol.V3, MapFreeDestroy.Shape.ONE, LockSite.MAP_FREE_BUCKET,
                Mutation.NONE);
    }

}
