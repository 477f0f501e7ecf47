package org.jepa4j.bench;

import org.jepa4j.graph.EncoderGraph;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.tensor.NamedTensors;

/** The TensorFlow side of {@link InferenceBenchmark}: {@link EncoderGraph}, all three outputs fetched. */
final class TensorFlowBackends {
    private TensorFlowBackends() {
    }

    static InferenceBenchmark.Backend create(EncoderSpec spec, NamedTensors weights, int threads) {
        EncoderGraph graph = EncoderGraph.create(spec, weights, threads, 0);
        return new InferenceBenchmark.Backend() {
            @Override
            public String name() {
                return "TensorFlow Java (" + graph.device() + ")";
            }

            @Override
            public void forward(float[] pixels, int batch) {
                graph.forward(pixels, batch);
            }

            @Override
            public void close() {
                graph.close();
            }
        };
    }
}
