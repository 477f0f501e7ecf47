package org.jepa4j.infer;

import org.jepa4j.data.Image;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.RandomImages;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a service relies on: one run for several features, loud failures, a clean lifecycle, bounded decoding. */
class ExtractorServiceContractTest {
    static final EncoderSpec SPEC = TinyEncoders.RGB;

    @RegisterExtension
    static final ExportedEncoders.PerClass ENCODER = new ExportedEncoders.PerClass(SPEC, 3);

    private static Path model() {
        return ENCODER.model();
    }

    static float[] pixels(int count, long seed) {
        return TestModels.randomPixels(SPEC, count, seed);
    }

    @Test
    void oneRunGivesEveryFeatureAsTheSingleFeatureExtractorsDo() throws Exception {
        List<Image> images = List.of(Image.fromBufferedImage(RandomImages.rgb(20, 18, 1)),
                Image.fromBufferedImage(RandomImages.rgb(16, 16, 2)));
        try (FeatureExtractor fx = FeatureExtractor.open(model())) {
            Map<FeatureKind, float[][]> all = fx.embedFeatures(images, EnumSet.allOf(FeatureKind.class));
            assertEquals(EnumSet.allOf(FeatureKind.class), all.keySet());
            for (FeatureKind k : FeatureKind.values()) {
                try (FeatureExtractor one = FeatureExtractor.open(model(),
                        ExtractorOptions.defaults().withFeature(k))) {
                    float[][] expected = one.embedBatch(images);
                    for (int i = 0; i < images.size(); i++) {
                        assertArrayEquals(expected[i], all.get(k)[i], 0f, k + " image " + i);
                        assertEquals(fx.info().dimension(k), all.get(k)[i].length);
                    }
                }
            }
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> fx.embedFeatures(images, EnumSet.noneOf(FeatureKind.class)));
            assertTrue(none.getMessage().contains("no feature"), none.getMessage());
        }
    }

    @Test
    void nonFiniteFeaturesFailNamingTheModelAndTheImage() throws Exception {
        float[] batch = pixels(4, 5);
        int length = batch.length / 4;
        batch[2 * length + 7] = Float.NaN;
        try (FeatureExtractor fx = FeatureExtractor.open(model())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> fx.embedStacked(batch, 4));
            assertTrue(e.getMessage().contains("encoder.onnx") && e.getMessage().contains("image 2 of the batch")
                    && e.getMessage().contains("not finite"), e.getMessage());
            float[] inf = Arrays.copyOf(batch, length);
            inf[0] = Float.POSITIVE_INFINITY;
            IllegalStateException lone = assertThrows(IllegalStateException.class, () -> fx.embedPixels(inf));
            assertTrue(lone.getMessage().contains("image 0"), lone.getMessage());
            // the extractor still works afterwards
            assertEquals(SPEC.width(), fx.embedPixels(Arrays.copyOfRange(batch, 0, length)).length);
        }
    }

    @Test
    void closeIsIdempotentWaitsForRunningCallsAndLaterCallsFailClearly() throws Exception {
        float[] batch = pixels(16, 9);
        FeatureExtractor fx = FeatureExtractor.open(model(), ExtractorOptions.defaults().withLanes(2));
        float[][] expected = fx.embedStacked(batch, 16);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch started = new CountDownLatch(4);
        List<Future<Integer>> callers = new ArrayList<>();
        try {
            for (int c = 0; c < 4; c++) {
                callers.add(pool.submit(() -> {
                    started.countDown();
                    int done = 0;
                    try {
                        while (true) {
                            float[][] got = fx.embedStacked(batch, 16);
                            // a call that ran gives the whole right answer, never a half-closed one
                            for (int i = 0; i < 16; i++) {
                                assertArrayEquals(expected[i], got[i], 0f);
                            }
                            done++;
                        }
                    } catch (IllegalStateException e) {
                        assertTrue(e.getMessage().contains("is closed") && e.getMessage().contains("encoder.onnx"),
                                e.getMessage());
                        return done;
                    }
                }));
            }
            started.await();
            Thread.sleep(50);
            fx.close();
            fx.close();
            int runs = 0;
            for (Future<Integer> f : callers) {
                try {
                    runs += f.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("a caller racing close failed otherwise", e.getCause());
                }
            }
            assertTrue(runs > 0, "the callers ran before close");
        } finally {
            pool.shutdownNow();
        }
        IllegalStateException after = assertThrows(IllegalStateException.class, () -> fx.embedPixels(new float[768]));
        assertTrue(after.getMessage().contains("is closed"), after.getMessage());
    }

    @Test
    void ownDecodersRefuseImagesDeclaringMorePixelsThanTheLimit(@TempDir Path tmp) throws Exception {
        BufferedImage big = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(big, "png", out);
        byte[] png = out.toByteArray();
        Path file = tmp.resolve("big.png");
        Files.write(file, png);
        try (FeatureExtractor fx = FeatureExtractor.open(model(), ExtractorOptions.defaults().withMaxPixels(1199))) {
            IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class, () -> fx.embed(png));
            assertTrue(bytes.getMessage().contains("40x30 = 1200 pixels") && bytes.getMessage().contains("1199")
                    && bytes.getMessage().contains("ExtractorOptions.maxPixels"), bytes.getMessage());
            IllegalArgumentException path = assertThrows(IllegalArgumentException.class, () -> fx.embed(file));
            assertTrue(path.getMessage().contains("big.png") && path.getMessage().contains("ExtractorOptions.maxPixels"),
                    path.getMessage());
        }
        try (FeatureExtractor fx = FeatureExtractor.open(model(), ExtractorOptions.defaults().withMaxPixels(1200))) {
            assertEquals(SPEC.width(), fx.embed(png).length);
        }
        assertThrows(IllegalArgumentException.class, () -> ExtractorOptions.defaults().withMaxPixels(0));
    }

    @Test
    void modelIdCoversEveryByteOfTheModelIncludingItsExternalData(@TempDir Path tmp) throws Exception {
        Path external = tmp.resolve("a/encoder.onnx");
        java.nio.file.Files.createDirectories(external.getParent());
        OnnxExporter.export(ENCODER.checkpoint(), external,
                OnnxExporter.Options.defaults().withExternalData(OnnxWriter.ExternalData.ALWAYS));
        Path data = external.resolveSibling("encoder.onnx.data");
        Path copy = tmp.resolve("b/encoder.onnx");
        java.nio.file.Files.createDirectories(copy.getParent());
        java.nio.file.Files.copy(external, copy);
        java.nio.file.Files.copy(data, copy.resolveSibling("encoder.onnx.data"));
        Path other = tmp.resolve("other.onnx");
        Path otherCheckpoint = TestModels.writeCheckpoint(tmp.resolve("o.safetensors"), SPEC, 4);
        OnnxExporter.export(otherCheckpoint, other, OnnxExporter.Options.defaults());
        String original;
        try (FeatureExtractor a = FeatureExtractor.open(external); FeatureExtractor b = FeatureExtractor.open(copy);
             FeatureExtractor c = FeatureExtractor.open(other);
             FeatureExtractor dotted = FeatureExtractor.open(copy.getParent().resolve(".").resolve("encoder.onnx"))) {
            original = a.info().modelId();
            assertEquals(original, dotted.info().modelId(), "a path through '.' (as Spark's executors open it)");
            assertTrue(original.matches("encoder\\.onnx@[0-9a-f]{12}"), original);
            assertEquals(original, b.info().modelId(), "the same bytes in another folder: the same id");
            assertNotEquals(original.substring(13), c.info().modelId().substring(10));
        }
        // one weight changed in the external data file only: the model file, its metadata and name are the same
        byte[] bytes = java.nio.file.Files.readAllBytes(data);
        bytes[bytes.length / 2] ^= 0x01;
        java.nio.file.Files.write(data, bytes);
        try (FeatureExtractor changed = FeatureExtractor.open(external)) {
            assertNotEquals(original, changed.info().modelId(), "a changed external-data byte changes the id");
        }
    }
}
