package rqspin.conformance.storage;

import java.util.List;
import rqspin.spec.Manifest;
import rqspin.spec.TlcResult;

/** Placeholder. */
final class ReproducerWriter {
    private ReproducerWriter() {}

    static String path(String model) {
        return "rqspin/conformance/storage/repro/" + model + ".java";
    }

    static String source(StorageScenario sc, Manifest.Model model, List<TlcResult.State> trace, TlcResult.Loop loop) {
        throw new UnsupportedOperationException("not yet");
    }
}
