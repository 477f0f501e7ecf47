package org.jepa4j.infer;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.export.EncoderOnnxGraph;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.testing.ReferenceForward;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.RandomImages;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureExtractorTest {
    static final EncoderSpec RGB = TinyEncoders.RGB;

    @RegisterExtension
    static final ExportedEncoders.PerClass ENCODER = new ExportedEncoders.PerClass(RGB, 31);

    private static Path model() {
        return ENCODER.model();
    }

    @Test
    void embedEqualsTheReferenceForwardOfTheEvalTransform() throws Exception {
        Image image = Image.fromBufferedImage(RandomImages.rgb(23, 19, 1));
        Checkpoint c = Checkpoint.read(ENCODER.checkpoint());
        Preprocessing pre = TestModels.preprocessing(RGB);
        float[] input = new EvalTransform(pre).apply(image);
        ReferenceForward ref = new ReferenceForward(c.modelSpec(), c.tensors());
        double[][] expected = ReferenceForward.meanPool(ref.encode(ParameterNames.TARGET_ENCODER, input, 1, null));
        try (FeatureExtractor fx = FeatureExtractor.open(model())) {
            assertEquals(pre, fx.info().preprocessing());
            float[] v = fx.embed(image);
            assertEquals(RGB.width(), v.length);
            for (int i = 0; i < v.length; i++) {
                assertEquals(expected[0][i], v[i], 1e-4, "feature " + i);
            }
        }
    }

    @Test
    void pooledGridIsTheMeanOfEachRegionOfTheReferenceTokens() throws Exception {
        // 16 px, patch 4: a 4x4 token grid; adaptive 3x3 regions cover rows/columns [0,2), [1,3), [2,4)
        Image image = Image.fromBufferedImage(RandomImages.rgb(16, 16, 9));
        Checkpoint c = Checkpoint.read(ENCODER.checkpoint());
        float[] input = new EvalTransform(TestModels.preprocessing(RGB)).apply(image);
        double[][] tokens = new ReferenceForward(c.modelSpec(), c.tensors())
                .encode(ParameterNames.TARGET_ENCODER, input, 1, null)[0];
        int d = RGB.width();
        int[][] windows = {{0, 2}, {1, 3}, {2, 4}};
        try (FeatureExtractor fx = FeatureExtractor.open(model(),
                ExtractorOptions.defaults().withFeature(FeatureKind.POOLED_GRID))) {
            float[] v = fx.embed(image);
            float[][] batch = fx.embedBatch(List.of(Image.fromBufferedImage(RandomImages.rgb(16, 16, 10)), image));
            assertArrayEquals(v, batch[1], 1e-5f);
            for (int cr = 0; cr < 3; cr++) {
                for (int cc = 0; cc < 3; cc++) {
                    for (int k = 0; k < d; k++) {
                        double sum = 0;
                        for (int r = windows[cr][0]; r < windows[cr][1]; r++) {
                            for (int col = windows[cc][0]; col < windows[cc][1]; col++) {
                                sum += tokens[r * 4 + col][k];
                            }
                        }
                        assertEquals(sum / 4, v[(cr * 3 + cc) * d + k], 1e-4, "cell " + cr + "," + cc + " channel " + k);
                    }
                }
            }
        }
    }

    @Test
    void everyEntryPointGivesTheSameFeature(@TempDir Path tmp) throws Exception {
        BufferedImage img = RandomImages.rgb(20, 20, 2);
        byte[] bytes = RandomImages.png(img);
        Path file = tmp.resolve("x.png");
        Files.write(file, bytes);
        try (FeatureExtractor fx = FeatureExtractor.open(model())) {
            Image image = Image.fromBufferedImage(img);
            float[] expected = fx.embed(image);
            assertArrayEquals(expected, fx.embed(img), 0f);
            assertArrayEquals(expected, fx.embed(bytes), 0f);
            assertArrayEquals(expected, fx.embed(file), 0f);
            assertArrayEquals(expected, fx.embedPixels(fx.transform().apply(image)), 0f);
            float[][] batch = fx.embedBatch(List.of(Image.fromBufferedImage(RandomImages.rgb(16, 30, 3)), image));
            assertArrayEquals(expected, batch[1], 1e-5f);
            assertArrayEquals(batch[1], fx.embedBufferedImages(List.of(RandomImages.rgb(16, 30, 3), img))[1], 0f);
            assertEquals(0, fx.embedBatch(List.of()).length);
        }
    }

    @Test
    void featureKindsHaveTheirDocumentedLengths() throws Exception {
        Image image = Image.fromBufferedImage(RandomImages.rgb(16, 16, 4));
        int d = RGB.width();
        for (FeatureKind k : FeatureKind.values()) {
            try (FeatureExtractor fx = FeatureExtractor.open(model(), ExtractorOptions.defaults().withFeature(k))) {
                int expected = switch (k) {
                    case POOLED -> d;
                    case POOLED_LAST4 -> 2 * d;
                    case LAST_HIDDEN_STATE -> RGB.numPatches() * d;
                    case POOLED_GRID -> 9 * d;
                };
                assertEquals(expected, fx.info().dimension());
                assertEquals(expected, fx.embed(image).length);
                assertTrue(fx.info().modelId().startsWith("encoder.onnx@"));
                assertEquals(Map.of(FeatureKind.POOLED, d, FeatureKind.POOLED_LAST4, 2 * d,
                        FeatureKind.LAST_HIDDEN_STATE, RGB.numPatches() * d, FeatureKind.POOLED_GRID, 9 * d),
                        fx.info().featureLength());
            }
        }
    }

    @Test
    void concurrentCallersGetTheSequentialResults() throws Exception {
        List<Image> images = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            images.add(Image.fromBufferedImage(RandomImages.rgb(18, 18, 100 + i)));
        }
        try (FeatureExtractor fx = FeatureExtractor.open(model())) {
            float[][] sequential = new float[images.size()][];
            for (int i = 0; i < images.size(); i++) {
                sequential[i] = fx.embed(images.get(i));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> futures = new ArrayList<>();
                for (Image im : images) {
                    futures.add(pool.submit(() -> fx.embed(im)));
                }
                for (int i = 0; i < images.size(); i++) {
                    assertArrayEquals(sequential[i], futures.get(i).get(), 1e-6f);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void lanesGiveTheWholeBatchResultInInputOrder() throws Exception {
        List<Image> images = new ArrayList<>();
        for (int i = 0; i < 19; i++) {
            images.add(Image.fromBufferedImage(RandomImages.rgb(17, 21, 300 + i)));
        }
        for (FeatureKind kind : new FeatureKind[] {FeatureKind.POOLED, FeatureKind.POOLED_LAST4}) {
            float[][] whole;
            try (FeatureExtractor fx = FeatureExtractor.open(model(), ExtractorOptions.defaults().withFeature(kind))) {
                whole = fx.embedBatch(images);
            }
            // 19 images; 2 lanes: four slices of 4-5 images taken in turn; 3 lanes: 3 slices of 6-7;
            // 25 lanes: one image each
            for (int lanes : new int[] {2, 3, 25}) {
                try (FeatureExtractor fx = FeatureExtractor.open(model(),
                        ExtractorOptions.defaults().withFeature(kind).withLanes(lanes))) {
                    float[][] sliced = fx.embedBatch(images);
                    assertEquals(whole.length, sliced.length);
                    for (int i = 0; i < whole.length; i++) {
                        assertArrayEquals(whole[i], sliced[i], 1e-5f, kind + ", " + lanes + " lanes, image " + i);
                    }
                    assertArrayEquals(whole[4], fx.embed(images.get(4)), 1e-5f, "one image through the lanes");
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ExtractorOptions.defaults().withLanes(0));
    }

    @Test
    void unavailableCudaIsAnErrorUnlessAutoWhichFallsBackWithOneLogLine() throws Exception {
        List<LogRecord> records = new ArrayList<>();
        Logger logger = Logger.getLogger(FeatureExtractor.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        try (FeatureExtractor fx = FeatureExtractor.open(model(), ExtractorOptions.builder()
                .provider(ExecutionProvider.AUTO).build())) {
            org.jepa4j.testing.Required.assume(fx.info().provider() == ExecutionProvider.CPU,
                    "CUDA started on this machine; the fallback cannot be observed");
            assertEquals(1, records.stream().filter(r -> r.getLevel().intValue() >= Level.INFO.intValue()).count(),
                    records.toString());
            assertEquals(RGB.width(), fx.embed(Image.fromBufferedImage(RandomImages.rgb(16, 16, 5))).length);
        } finally {
            logger.removeHandler(h);
        }
        for (ExecutionProvider gpu : new ExecutionProvider[] {ExecutionProvider.CUDA, ExecutionProvider.TENSORRT}) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> FeatureExtractor.open(model(), ExtractorOptions.defaults().withProvider(gpu)).close());
            assertTrue(e.getMessage().contains("encoder.onnx") && e.getMessage().contains(gpu.label())
                    && e.getMessage().contains("auto"), e.getMessage());
        }
    }

    @Test
    void errorsNameTheProblem(@TempDir Path tmp) throws Exception {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> FeatureExtractor.open(tmp.resolve("nope.onnx")));
        assertTrue(missing.getMessage().contains("nope.onnx"));
        assertTrue(missing.getMessage().contains("no such ONNX model file"), missing.getMessage());
        // a folder (an export folder, a run folder) is named as one, not as missing
        Path folder = Files.createDirectories(tmp.resolve("run"));
        NoSuchFileException isFolder = assertThrows(NoSuchFileException.class, () -> FeatureExtractor.open(folder));
        assertTrue(isFolder.getMessage().contains(folder.toString()) && isFolder.getMessage().contains("is a folder, expected"
                + " an ONNX model file"), isFolder.getMessage());

        Path junk = tmp.resolve("junk.onnx");
        Files.writeString(junk, "this is not a protobuf model");
        java.io.IOException notOnnx = assertThrows(java.io.IOException.class, () -> FeatureExtractor.open(junk));
        assertTrue(notOnnx.getMessage().contains("junk.onnx") && notOnnx.getMessage().contains("not an ONNX model"),
                notOnnx.getMessage());
        Path empty = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        java.io.IOException emptyFile = assertThrows(java.io.IOException.class, () -> FeatureExtractor.open(empty));
        assertEquals(empty + ": an empty file (0 bytes), expected an ONNX model such as 'jepa4j export' writes",
                emptyFile.getMessage());

        // a valid encoder graph without jepa4j metadata
        Path bare = tmp.resolve("bare.onnx");
        var graph = EncoderOnnxGraph.build(RGB, TestModels.randomEncoder(RGB, 1), 17);
        OnnxWriter.write(new OnnxProto.ModelProto(8, List.of(new OnnxProto.OperatorSetId("", 17)), "test", "0", "", 1,
                "", graph, List.of()), bare, OnnxWriter.ExternalData.NEVER);
        IllegalArgumentException noMeta = assertThrows(IllegalArgumentException.class, () -> FeatureExtractor.open(bare));
        assertTrue(noMeta.getMessage().contains("jepa4j.image_size") && noMeta.getMessage().contains("jepa4j.mean"),
                noMeta.getMessage());
        try (FeatureExtractor fx = FeatureExtractor.open(bare,
                ExtractorOptions.defaults().withPreprocessing(TestModels.preprocessing(RGB)))) {
            assertEquals(RGB.width(), fx.embed(Image.fromBufferedImage(RandomImages.rgb(16, 16, 6))).length);
        }

        try (FeatureExtractor fx = FeatureExtractor.open(model())) {
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> fx.embed(new byte[] {1, 2, 3, 4}));
            assertTrue(bad.getMessage().contains("4 bytes") && bad.getMessage().contains("not a decodable image"),
                    bad.getMessage());
            assertThrows(IllegalArgumentException.class, () -> fx.embedPixels(new float[5]));
        }
    }

    @Test
    void externalDataModelsOpenAndAgree(@TempDir Path tmp) throws Exception {
        Path external = tmp.resolve("ext.onnx");
        OnnxExporter.export(ENCODER.checkpoint(), external,
                OnnxExporter.Options.defaults().withExternalData(OnnxWriter.ExternalData.ALWAYS));
        Image image = Image.fromBufferedImage(RandomImages.rgb(16, 16, 7));
        try (FeatureExtractor a = FeatureExtractor.open(model());
             FeatureExtractor b = FeatureExtractor.open(external)) {
            assertArrayEquals(a.embed(image), b.embed(image), 0f);
        }
    }
}
