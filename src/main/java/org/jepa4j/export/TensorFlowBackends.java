package org.jepa4j.export;

import org.jepa4j.model.EncoderSpec;
import org.jepa4j.tensor.NamedTensors;

/**
 * The TensorFlow side of {@link InferenceBenchmark}. Returns null while {@code model.EncoderGraph}
 * (the TensorFlow forward) is not part of the build.
 */
final class TensorFlowBackends {
    private TensorFlowBackends() {
    }

    static InferenceBenchmark.Backend create(EncoderSpec spec, NamedTensors weights, int threads) {
        return null;
    }
}
