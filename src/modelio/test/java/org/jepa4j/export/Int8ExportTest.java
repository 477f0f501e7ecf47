package org.jepa4j.export;

import org.jepa4j.checkpoint.Checkpoint;
import java.io.IOException;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code export --precision int8}: a valid ONNX model whose features stay within the stated
 * tolerance of the double-precision reference forward.
 *
 * <p>The tolerance: a quantized value carries a rounding error of at most half a step: 1/254 of its
 * token's largest activation, 1/126 of its channel's largest weight (7-bit weights, see
 * {@link Int8Linear}), so one matrix product's relative error is at most about 1.2 % and in
 * practice, independent roundings averaging out, a fraction of it. On random weights (larger than
 * trained ones, so that errors are not damped) features after three blocks measured 2.2 % relative
 * L2 (cosine 0.99976, AMD EPYC, 2026-12-07); asserted: within 3 % and cosine 0.999.
 */
class Int8ExportTest {
    static final double MAX_RELATIVE_L2 = 3e-2;
    static final double MIN_COSINE = 0.999;

    @TempDir
    Path dir;

    @Test
    void weightsAreQuantizedPerOutputChannelTo7BitsWithinHalfAStep() {
        SplittableRandom r = new SplittableRandom(5);
        int out = 7;
        int in = 5;
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * (1 + i / in)); // channels of different magnitude
        }
        java.util.Arrays.fill(w, 3 * in, 4 * in, 0f); // an all-zero channel
        Int8Linear.Weights q = Int8Linear.quantize(new FloatTensor(new long[] {out, in}, w));
        for (int o = 0; o < out; o++) {
            double max = 0;
            int maxQ = 0;
            for (int i = 0; i < in; i++) {
                max = Math.max(max, Math.abs(w[o * in + i]));
            }
            for (int i = 0; i < in; i++) {
                int qi = q.transposed()[i * out + o];
                maxQ = Math.max(maxQ, Math.abs(qi));
                double back = qi * (double) q.scales()[o];
                assertTrue(Math.abs(back - w[o * in + i]) <= max / 126 * (1 + 1e-6), "channel " + o + " input " + i);
            }
            assertEquals(max == 0 ? 0 : 63, maxQ, "channel " + o + " uses the full 7-bit range");
        }
    }

    @Test
    void int8ExportPassesTheOnnxCheckerAndRecordsItsPrecision() throws Exception {
        EncoderSpec spec = new EncoderSpec(16, 4, 3, 32, 2, 2, 128);
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), spec, 21);
        Path model = dir.resolve("int8.onnx");
        OnnxExporter.export(ckpt, model, OnnxExporter.Options.defaults().withPrecision("int8"));
        String python = PythonOnnx.find();
        assertNotNull(python, "python3 with onnx (Debian python3-onnx) is required");
        PythonOnnx.Outcome o = PythonOnnx.check(python, model);
        assertEquals(0, o.exitCode(), o.output());
        Map<String, String> meta = Ort.metadata(model);
        assertEquals("int8", meta.get(OnnxMetadata.PRECISION));
        assertEquals("token", meta.get(OnnxMetadata.INT8_ACTIVATION_SCALE));

        Path fp32 = dir.resolve("fp32.onnx");
        OnnxExporter.export(ckpt, fp32, OnnxExporter.Options.defaults());
        assertEquals("fp32", Ort.metadata(fp32).get(OnnxMetadata.PRECISION));
        assertTrue(Files.size(model) < Files.size(fp32), "int8 weights take less space");
        // an int8 file holds no float32 Linear weights to read back (OnnxExportTest reads an fp32 one): it says so
        IOException e = assertThrows(IOException.class, () -> OnnxInitializers.readEncoderWeights(model));
        assertTrue(e.getMessage().startsWith(model + ": ") && e.getMessage().contains("int8")
                && e.getMessage().contains("float32 export"), e.getMessage());
    }

    @Test
    void int8FeaturesStayWithinTheStatedToleranceOfTheExactForward() throws Exception {
        EncoderSpec spec = new EncoderSpec(16, 2, 3, 48, 3, 3, 192);
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), spec, 21);
        int batch = 4;
        float[] px = TestModels.randomPixels(spec, batch, 4);
        Checkpoint c = Checkpoint.read(ckpt);
        ReferenceForward ref = new ReferenceForward(c.modelSpec(), c.tensors());
        double[][][] tokens = ref.encode(ParameterNames.TARGET_ENCODER, px, batch, null);
        float[] exact = ReferenceForward.flatten(tokens);
        float[] exactPooled = OnnxReferenceParityTest.flatten(ReferenceForward.meanPool(tokens));
        for (String scale : OnnxMetadata.INT8_ACTIVATION_SCALES) {
            Path model = dir.resolve("int8-" + scale + ".onnx");
            OnnxExporter.export(ckpt, model, OnnxExporter.Options.defaults().withPrecision("int8").withInt8Scale(scale));
            Map<String, float[]> ort = Ort.run(model, px, batch, spec.channels(), spec.imageSize());
            within(scale + " last_hidden_state", exact, ort.get(EncoderOnnxGraph.LAST_HIDDEN_STATE));
            within(scale + " pooled", exactPooled, ort.get(EncoderOnnxGraph.POOLED));
        }
    }

    @Test
    void anUnknownPrecisionIsRefusedNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.Options.defaults().withPrecision("int4"));
        assertTrue(e.getMessage().contains("int4") && e.getMessage().contains("fp32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.Options.defaults().withInt8Scale("batch"));
    }

    /** Relative L2 error and cosine of {@code actual} against {@code exact}, asserted and printed. */
    static void within(String what, float[] exact, float[] actual) {
        assertEquals(exact.length, actual.length, what + " length");
        Agreement a = Agreement.of(exact, actual);
        double rel = a.relativeL2();
        double cos = a.cosine();
        System.out.printf(java.util.Locale.ROOT, "int8 %-28s relative L2 %.3g, cosine %.7f%n", what, rel, cos);
        assertTrue(rel <= MAX_RELATIVE_L2, what + ": relative L2 " + rel + " > " + MAX_RELATIVE_L2);
        assertTrue(cos >= MIN_COSINE, what + ": cosine " + cos + " < " + MIN_COSINE);
    }
}
