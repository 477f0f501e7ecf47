package org.jepa4j.export;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.testing.ReferenceForward;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** ONNX Runtime on the exported graph against the double-precision reference forward ({@link org.jepa4j.testing.ReferenceForward}). */
class OnnxReferenceParityTest {
    @TempDir
    Path dir;

    static Stream<EncoderSpec> shapes() {
        return Stream.of(new EncoderSpec(16, 4, 3, 32, 1, 2, 128),
                new EncoderSpec(16, 2, 1, 48, 2, 3, 192),
                // depth 5: pooled_last4 takes blocks 1..4 only
                new EncoderSpec(8, 2, 3, 16, 5, 2, 64));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void onnxRuntimeMatchesTheReferenceForwardWithin1e4(EncoderSpec spec) throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), spec, 21);
        Path model = dir.resolve("m.onnx");
        OnnxExporter.export(ckpt, model, OnnxExporter.Options.defaults());
        int batch = 3;
        float[] px = TestModels.randomPixels(spec, batch, 4);
        Map<String, float[]> ort = Ort.run(model, px, batch, spec.channels(), spec.imageSize());

        Checkpoint c = Checkpoint.read(ckpt);
        ReferenceForward ref = new ReferenceForward(c.modelSpec(), c.tensors());
        String part = ParameterNames.TARGET_ENCODER;
        double[][][] tokens = ref.encode(part, px, batch, null);
        assertClose(ReferenceForward.flatten(tokens), ort.get(EncoderOnnxGraph.LAST_HIDDEN_STATE), "last_hidden_state");
        assertClose(flatten(ReferenceForward.meanPool(tokens)), ort.get(EncoderOnnxGraph.POOLED), "pooled");
        assertClose(flatten(ref.pooledLast4(part, px, batch)), ort.get(EncoderOnnxGraph.POOLED_LAST4), "pooled_last4");
    }

    static float[] flatten(double[][] x) {
        float[] out = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                out[i * x[i].length + j] = (float) x[i][j];
            }
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertEquals(0, max, 1e-4, what + ": max abs difference " + max);
    }
}
