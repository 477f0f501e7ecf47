package org.jepa4j.export;

import org.jepa4j.export.OnnxInitializers;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.onnx.OnnxGraphBuilder;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.onnx.OnnxWriter.ExternalData;
import org.jepa4j.onnx.OnnxWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.jepa4j.testing.Required.assume;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxExportTest {
    static final EncoderSpec SMALL = new EncoderSpec(16, 4, 3, 32, 1, 2, 128);
    static final EncoderSpec GREY = new EncoderSpec(16, 2, 1, 48, 2, 3, 192);

    @TempDir
    Path dir;

    @Test
    void debianCheckerAcceptsInlineAndExternalDataModels() throws Exception {
        String python = PythonOnnx.find();
        assume(python != null, "python3 with the onnx package is not installed");
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("ckpt.safetensors"), GREY, 1);
        Path inline = dir.resolve("inline.onnx");
        Path external = dir.resolve("external.onnx");
        OnnxExporter.export(ckpt, inline, OnnxExporter.Options.defaults());
        OnnxExporter.export(ckpt, external, OnnxExporter.Options.defaults().withExternalData(ExternalData.ALWAYS));
        for (Path p : List.of(inline, external)) {
            PythonOnnx.Outcome r = PythonOnnx.check(python, p);
            assertEquals(0, r.exitCode(), p + ": onnx.checker says\n" + r.output());
        }
    }

    @Test
    void externalDataLoadsInOrtAndGivesTheInlineOutputs() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("ckpt.safetensors"), SMALL, 2);
        Path inline = dir.resolve("inline.onnx");
        Path external = dir.resolve("external.onnx");
        OnnxWriter.Written wi = OnnxExporter.export(ckpt, inline, OnnxExporter.Options.defaults());
        OnnxWriter.Written we = OnnxExporter.export(ckpt, external,
                OnnxExporter.Options.defaults().withExternalData(ExternalData.ALWAYS));
        assertNull(wi.externalData());
        assertEquals(dir.resolve("external.onnx.data").toAbsolutePath(), we.externalData());
        assertTrue(we.modelBytes() < wi.modelBytes() / 4, "weights moved out of the model file");
        assertTrue(we.dataBytes() >= 4L * org.jepa4j.tensor.FloatTensor.elementCount(new long[] {3 * 32, 32}));
        float[] px = TestModels.randomPixels(SMALL, 3, 7);
        Map<String, float[]> a = Ort.run(inline, px, 3, 3, 16);
        Map<String, float[]> b = Ort.run(external, px, 3, 3, 16);
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), 0f, k);
        }
    }

    @Test
    void oneImageAloneEqualsTheSameImageInsideABatchOfFive() throws Exception {
        Path model = dir.resolve("m.onnx");
        OnnxExporter.export(TestModels.writeCheckpoint(dir.resolve("c.safetensors"), GREY, 3), model,
                OnnxExporter.Options.defaults());
        int len = 16 * 16;
        float[] five = TestModels.randomPixels(GREY, 5, 11);
        Map<String, float[]> batch = Ort.run(model, five, 5, 1, 16);
        for (int i : new int[] {0, 3}) {
            float[] one = Arrays.copyOfRange(five, i * len, (i + 1) * len);
            Map<String, float[]> alone = Ort.run(model, one, 1, 1, 16);
            for (String k : alone.keySet()) {
                float[] all = batch.get(k);
                int per = alone.get(k).length;
                assertEquals(5 * per, all.length, k);
                float[] slice = Arrays.copyOfRange(all, i * per, (i + 1) * per);
                assertArrayEquals(alone.get(k), slice, 1e-5f, k + " of image " + i);
            }
        }
    }

    @Test
    void pooledIsTheTokenMeanAndPooledLast4EndsWithPooled() throws Exception {
        Path model = dir.resolve("m.onnx");
        OnnxExporter.export(TestModels.writeCheckpoint(dir.resolve("c.safetensors"), GREY, 4), model,
                OnnxExporter.Options.defaults());
        Map<String, float[]> out = Ort.run(model, TestModels.randomPixels(GREY, 2, 5), 2, 1, 16);
        int n = GREY.numPatches();
        int d = GREY.width();
        float[] last = out.get("last_hidden_state");
        float[] pooled = out.get("pooled");
        float[] last4 = out.get("pooled_last4");
        assertEquals(2 * n * d, last.length);
        assertEquals(2 * d, pooled.length);
        // depth 2 < 4: all blocks are pooled
        assertEquals(2 * 2 * d, last4.length);
        for (int b = 0; b < 2; b++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int t = 0; t < n; t++) {
                    s += last[(b * n + t) * d + j];
                }
                assertEquals(s / n, pooled[b * d + j], 1e-5);
                assertEquals(pooled[b * d + j], last4[b * 2 * d + d + j], 0f);
            }
        }
    }

    /**
     * Two exports of one {@link #SMALL} checkpoint (weights' seed {@code seed}), with options
     * {@code a} and {@code b}: their outputs on the same {@code images} random images.
     */
    private List<Map<String, float[]>> twoExports(long seed, int images, long pixelSeed, OnnxExporter.Options a,
                                                  OnnxExporter.Options b) throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), SMALL, seed);
        float[] px = TestModels.randomPixels(SMALL, images, pixelSeed);
        List<Map<String, float[]>> outputs = new java.util.ArrayList<>();
        for (OnnxExporter.Options options : List.of(a, b)) {
            Path model = dir.resolve("m" + outputs.size() + ".onnx");
            OnnxExporter.export(ckpt, model, options);
            outputs.add(Ort.run(model, px, images, SMALL.channels(), SMALL.imageSize()));
        }
        return outputs;
    }

    @Test
    void opset18GivesTheSameOutputsAsOpset17() throws Exception {
        List<Map<String, float[]>> out = twoExports(6, 2, 9, OnnxExporter.Options.defaults(),
                OnnxExporter.Options.defaults().withOpset(18).withIrVersion(9));
        Map<String, float[]> a = out.get(0);
        Map<String, float[]> b = out.get(1);
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), 1e-6f, k);
        }
    }

    @Test
    void metadataCarriesPreprocessingAndProvenance() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), GREY, 8);
        Path model = dir.resolve("m.onnx");
        OnnxExporter.export(ckpt, model, OnnxExporter.Options.defaults().withEncoder(OnnxExporter.Encoder.CONTEXT));
        Map<String, String> meta = Ort.metadata(model);
        assertEquals(TestModels.preprocessing(GREY), OnnxMetadata.preprocessing(meta));
        assertEquals("2", meta.get(OnnxMetadata.PATCH_SIZE));
        assertEquals("context", meta.get(OnnxMetadata.ENCODER));
        assertEquals("test-run", meta.get(OnnxMetadata.RUN));
        assertEquals("1234", meta.get(OnnxMetadata.STEP));
        assertEquals("abc123", meta.get(OnnxMetadata.CONFIG_HASH));
        assertEquals(OnnxExporter.sha256(ckpt), meta.get(OnnxMetadata.SOURCE_SHA256));
        assertEquals("last_hidden_state,pooled,pooled_last4", meta.get(OnnxMetadata.FEATURES));
        assertNotNull(meta.get(OnnxMetadata.MODEL));
    }

    @Test
    void contextAndTargetEncodersExportDifferentWeights() throws Exception {
        List<Map<String, float[]>> out = twoExports(10, 1, 1, OnnxExporter.Options.defaults(),
                OnnxExporter.Options.defaults().withEncoder(OnnxExporter.Encoder.CONTEXT));
        assertTrue(!Arrays.equals(out.get(0).get("pooled"), out.get(1).get("pooled")));
    }

    /**
     * A seeded {@code spec} checkpoint, written to {@code c.safetensors} and read back, whose metadata
     * has no preprocessing record and {@code configYaml} as its config.
     */
    private org.jepa4j.checkpoint.Checkpoint withoutPreprocessing(EncoderSpec spec, long seed, String configYaml)
            throws IOException {
        var read = org.jepa4j.checkpoint.Checkpoint.read(TestModels.writeCheckpoint(dir.resolve("c.safetensors"), spec,
                seed));
        var meta = new java.util.HashMap<>(read.metadata());
        meta.remove(org.jepa4j.checkpoint.Checkpoint.PREPROCESSING);
        meta.put(org.jepa4j.checkpoint.Checkpoint.CONFIG, configYaml);
        return new org.jepa4j.checkpoint.Checkpoint(read.tensors(), meta);
    }

    @Test
    void missingPreprocessingAndConfigIsAClearError() throws Exception {
        Path bare = dir.resolve("bare.safetensors");
        withoutPreprocessing(SMALL, 12, "data:\n  crop_size: 16\n").write(bare);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(bare, dir.resolve("x.onnx"), OnnxExporter.Options.defaults()));
        assertTrue(e.getMessage().contains("data.mean") && e.getMessage().contains("data.std"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("x.onnx")));
    }

    @Test
    void preprocessingIsDerivedFromTheConfigWhenTheCheckpointHasNone() throws Exception {
        var derived = OnnxExporter.preprocessingOf(withoutPreprocessing(GREY, 13,
                "data:\n  crop_size: 16\n  channels: 1\n  mean: [0.5]\n  std: [0.25]\n"),
                dir.resolve("c.safetensors"));
        assertEquals(new org.jepa4j.data.Preprocessing(16, 16, 1, new double[] {0.5}, new double[] {0.25}), derived);
    }

    @Test
    void neverModeRefusesNothingForSmallModelsAndWritesNoSideFile() throws IOException {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), SMALL, 14);
        Files.writeString(dir.resolve("m.onnx.data"), "stale", StandardCharsets.UTF_8);
        OnnxWriter.Written w = OnnxExporter.export(ckpt, dir.resolve("m.onnx"),
                OnnxExporter.Options.defaults().withExternalData(ExternalData.NEVER));
        assertNull(w.externalData());
        assertTrue(!Files.exists(dir.resolve("m.onnx.data")));
    }

    @Test
    void initializersReadBackAsTheExportedStateDict() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), GREY, 15);
        var weights = org.jepa4j.checkpoint.Checkpoint.read(ckpt).part(org.jepa4j.model.ParameterNames.TARGET_ENCODER);
        for (ExternalData mode : List.of(ExternalData.NEVER, ExternalData.ALWAYS)) {
            Path m = dir.resolve(mode + ".onnx");
            OnnxExporter.export(ckpt, m, OnnxExporter.Options.defaults().withExternalData(mode));
            assertEquals(weights, OnnxInitializers.readEncoderWeights(m), mode.toString());
        }
    }

    @Test
    void initializersOfEarlierExportsWithOneQkvLinearReadTheSame() throws Exception {
        // exports before the q/k/v split stored each attn.qkv Linear whole, transposed
        var weights = TestModels.randomEncoder(GREY, 16);
        OnnxGraphBuilder g = new OnnxGraphBuilder();
        for (var e : weights.asMap().entrySet()) {
            boolean linear = e.getKey().endsWith(".weight") && e.getValue().shape().length == 2;
            g.initializer(linear ? e.getKey() + ".T" : e.getKey(),
                    linear ? EncoderOnnxGraph.transpose(e.getValue()) : e.getValue());
        }
        Path m = dir.resolve("earlier.onnx");
        OnnxWriter.write(new OnnxProto.ModelProto(8, List.of(new OnnxProto.OperatorSetId("", 17)), "jepa4j", "0",
                "org.jepa4j", 1, "", g.build("g", ""), List.of()), m, ExternalData.NEVER);
        assertEquals(weights, OnnxInitializers.readEncoderWeights(m));
        assertTrue(weights.asMap().containsKey("blocks.1.attn.qkv.weight"));

        // a split Linear with a part missing is named, not read half
        OnnxGraphBuilder partial = new OnnxGraphBuilder();
        var w = new org.jepa4j.tensor.FloatTensor(new long[] {4, 4}, new float[16]);
        partial.initializer("blocks.0.attn.q.weight.T", w);
        partial.initializer("blocks.0.attn.k.weight.T", w);
        Path broken = dir.resolve("broken.onnx");
        OnnxWriter.write(new OnnxProto.ModelProto(8, List.of(new OnnxProto.OperatorSetId("", 17)), "jepa4j", "0",
                "org.jepa4j", 1, "", partial.build("g", ""), List.of()), broken, ExternalData.NEVER);
        IOException e = assertThrows(IOException.class, () -> OnnxInitializers.readEncoderWeights(broken));
        assertTrue(e.getMessage().contains("broken.onnx") && e.getMessage().contains("'blocks.0.attn.v.weight'"),
                e.getMessage());
    }
}
