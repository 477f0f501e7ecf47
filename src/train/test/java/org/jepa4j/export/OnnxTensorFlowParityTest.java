package org.jepa4j.export;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.graph.EncoderGraph;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.NamedTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.jepa4j.export.OnnxReferenceParityTest.assertClose;

/** ONNX Runtime on the export against the TensorFlow forward ({@link EncoderGraph}) of the same weights. */
class OnnxTensorFlowParityTest {
    @TempDir
    Path dir;

    @Test
    void onnxMatchesTensorFlowWithin1e4() throws Exception {
        // depth 2 and 3: EncoderGraph's pooled_last4 fails at depth 1 (TensorFlow Concat of one input)
        for (EncoderSpec spec : new EncoderSpec[] {new EncoderSpec(16, 4, 3, 32, 3, 2, 128),
                new EncoderSpec(16, 2, 1, 48, 2, 3, 192)}) {
            Path ckpt = TestModels.writeCheckpoint(dir.resolve("c" + spec.channels() + ".safetensors"), spec, 51);
            compare(spec, Checkpoint.read(ckpt).part(ParameterNames.TARGET_ENCODER), ckpt, "random " + spec);
        }
    }

    @Test
    void onnxMatchesTensorFlowWithTheTrainingInitialisation() throws Exception {
        EncoderSpec spec = new EncoderSpec(16, 4, 3, 32, 2, 2, 128);
        NamedTensors all = Initializer.initialize(TestModels.modelSpec(spec), 7);
        Path ckpt = dir.resolve("init.safetensors");
        Checkpoint src = Checkpoint.read(TestModels.writeCheckpoint(dir.resolve("tmp.safetensors"), spec, 1));
        Map<String, String> meta = new LinkedHashMap<>(src.metadata());
        new Checkpoint(all, meta).write(ckpt);
        compare(spec, all.withPrefixRemoved(ParameterNames.TARGET_ENCODER), ckpt, "Initializer " + spec);
    }

    private void compare(EncoderSpec spec, NamedTensors weights, Path ckpt, String what) throws Exception {
        Path model = dir.resolve("m.onnx");
        OnnxExporter.export(ckpt, model, OnnxExporter.Options.defaults());
        int batch = 4;
        float[] px = TestModels.randomPixels(spec, batch, 3);
        Map<String, float[]> ort = Ort.run(model, px, batch, spec.channels(), spec.imageSize());
        try (EncoderGraph tf = EncoderGraph.create(spec, weights, 1, 1)) {
            EncoderGraph.EncoderOutputs out = tf.forward(px, batch);
            assertClose(out.lastHiddenState(), ort.get(EncoderOnnxGraph.LAST_HIDDEN_STATE), what + " last_hidden_state");
            assertClose(out.pooled(), ort.get(EncoderOnnxGraph.POOLED), what + " pooled");
            assertClose(out.pooledLast4(), ort.get(EncoderOnnxGraph.POOLED_LAST4), what + " pooled_last4");
        }
    }
}
