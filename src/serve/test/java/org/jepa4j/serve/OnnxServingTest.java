package org.jepa4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.model.EncoderSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.jepa4j.serve.HttpTesting.embedding;
import static org.jepa4j.serve.HttpTesting.get;
import static org.jepa4j.serve.HttpTesting.json;
import static org.jepa4j.serve.HttpTesting.jsonBatch;
import static org.jepa4j.serve.HttpTesting.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end with a real model: a seeded random-weight encoder exported to ONNX, served over
 * loopback HTTP, must answer exactly what the library's {@link FeatureExtractor#embed(byte[])}
 * returns for the same bytes.
 */
@Timeout(180)
class OnnxServingTest {
    static final EncoderSpec RGB = new EncoderSpec(16, 4, 3, 32, 2, 2, 64);

    @TempDir
    static Path dir;
    static Path model;
    static FeatureExtractor pooled;
    static FeatureExtractor last4;

    @BeforeAll
    static void export() throws Exception {
        Path checkpoint = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), RGB, 7);
        model = dir.resolve("encoder.onnx");
        OnnxExporter.export(checkpoint, model, OnnxExporter.Options.defaults());
        ExtractorOptions o = ExtractorOptions.defaults().withIntraOpThreads(1);
        pooled = FeatureExtractor.open(model, o);
        last4 = FeatureExtractor.open(model, o.withFeature(FeatureKind.POOLED_LAST4));
    }

    @AfterAll
    static void close() {
        pooled.close();
        last4.close();
    }

    /** Bit-identical: features do not depend on the batch they ran in. */
    static void assertClose(float[] expected, float[] actual, String what) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 0f, what);
    }

    @Test
    void anInt8ExportIsServedUnchangedAndItsPrecisionShown() throws Exception {
        Path int8 = dir.resolve("encoder-int8.onnx");
        OnnxExporter.export(dir.resolve("c.safetensors"), int8, OnnxExporter.Options.defaults().withPrecision("int8"));
        ServeOptions so = ServeOptions.defaults().withPort(0).withMaxWait(Duration.ofMillis(2));
        ExtractorOptions o = ExtractorOptions.defaults().withIntraOpThreads(1);
        try (FeatureExtractor library = FeatureExtractor.open(int8, o);
             EmbeddingServer s = EmbeddingServer.start(OnnxEmbedder.open(int8, List.of(FeatureKind.POOLED), o), so)) {
            JsonNode m = json(get(s.baseUrl() + "/v1/model"));
            assertEquals("int8", m.get("precision").asText());
            assertEquals("int8", m.get("metadata").get("jepa4j.precision").asText());
            assertEquals("fp32", pooled.info().precision());
            byte[] image = TestImages.random(3, 16, 16, "png");
            HttpResponse<String> r = post(s.baseUrl() + "/v1/embeddings", "image/png", image);
            assertEquals(200, r.statusCode(), r.body());
            assertClose(library.embed(image), embedding(json(r), 0), "int8 served = int8 library");
            // and int8 is not float32 relabelled: close to the float32 features, but not equal
            float[] f32 = pooled.embed(image);
            float[] i8 = library.embed(image);
            double dot = 0;
            double a = 0;
            double b = 0;
            for (int i = 0; i < f32.length; i++) {
                dot += f32[i] * (double) i8[i];
                a += f32[i] * (double) f32[i];
                b += i8[i] * (double) i8[i];
            }
            assertTrue(dot / Math.sqrt(a * b) > 0.999, "cosine " + dot / Math.sqrt(a * b));
            assertTrue(!java.util.Arrays.equals(f32, i8));
        }
    }

    @Test
    void concurrentClientsGetTheLibrarysVectorsForTheSameBytes() throws Exception {
        ServeOptions so = ServeOptions.builder().port(0).decodeThreads(2).maxWait(Duration.ofMillis(5)).build();
        List<OnnxEmbedder> embedders = OnnxEmbedder.open(model, List.of(FeatureKind.POOLED, FeatureKind.POOLED_LAST4),
                ExtractorOptions.defaults().withIntraOpThreads(1));
        try (EmbeddingServer s = EmbeddingServer.start(embedders, so)) {
            JsonNode m = json(get(s.baseUrl() + "/v1/model"));
            assertEquals(32, m.get("dimension").asInt());
            assertEquals(64, m.get("served_features").get("pooled_last4").asInt(), "depth 2 < 4: all blocks, 2·D");
            assertEquals(16, m.get("image_size").asInt());
            assertTrue(m.get("metadata").size() > 0, "the export's metadata is reported");
            assertEquals(pooled.info().modelId(), m.get("model").asText());

            String url = s.baseUrl() + "/v1/embeddings";
            int total = HttpTesting.concurrently(8, 150, thread -> {
                int checked = 0;
                for (int i = 0; i < 10; i++) {
                    // sizes around the model's 16 px: the server resizes and crops as the library does
                    byte[] a = TestImages.random(thread * 1000L + i, 14 + i, 24 - i, i % 4 == 3 ? "bmp" : "png");
                    if (i % 3 != 2) {
                        HttpResponse<String> r = post(url, "image/png", a);
                        assertEquals(200, r.statusCode(), r.body());
                        assertClose(pooled.embed(a), embedding(json(r), 0), "thread " + thread + " request " + i);
                        checked++;
                    } else {
                        byte[] b = TestImages.random(thread * 1000L + i + 500, 16, 16, "png");
                        HttpResponse<String> r = post(url, "application/json", jsonBatch(List.of(a, b), "pooled_last4"));
                        assertEquals(200, r.statusCode(), r.body());
                        JsonNode j = json(r);
                        assertEquals("pooled_last4", j.get("feature").asText());
                        assertEquals(64, j.get("dimension").asInt());
                        assertClose(last4.embed(a), embedding(j, 0), "thread " + thread + " batch " + i + "[0]");
                        assertClose(last4.embed(b), embedding(j, 1), "thread " + thread + " batch " + i + "[1]");
                        checked += 2;
                    }
                }
                return checked;
            });
            assertEquals(8 * (7 + 3 * 2), total);
            var samples = HttpTesting.parseMetrics(get(s.baseUrl() + "/metrics").body());
            assertEquals(total, HttpTesting.metric(samples, "jepa4j_images_embedded_total", java.util.Map.of()));
        }
    }

    @Test
    void sixtyFourConcurrentRequestsMixingEightImagesEachAnswerTheLoneEmbedBitForBit() throws Exception {
        ServeOptions so = ServeOptions.builder().port(0).decodeThreads(2).maxWait(Duration.ofMillis(3))
                .maxBatch(16).build();
        List<byte[]> images = new ArrayList<>();
        List<float[]> lone = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            images.add(TestImages.random(7000 + i, 15 + i, 20 - i, "png"));
            lone.add(pooled.embed(images.get(i)));
        }
        List<OnnxEmbedder> embedders = OnnxEmbedder.open(model, List.of(FeatureKind.POOLED),
                ExtractorOptions.defaults().withIntraOpThreads(1).withLanes(2));
        try (EmbeddingServer s = EmbeddingServer.start(embedders, so)) {
            String url = s.baseUrl() + "/v1/embeddings";
            ExecutorService clients = Executors.newFixedThreadPool(64);
            try {
                List<Future<float[]>> answers = new ArrayList<>();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                for (int r = 0; r < 64; r++) {
                    byte[] body = images.get(r % 8);
                    answers.add(clients.submit(() -> {
                        go.await();
                        HttpResponse<String> resp = post(url, "image/png", body);
                        assertEquals(200, resp.statusCode(), resp.body());
                        return embedding(json(resp), 0);
                    }));
                }
                go.countDown();
                for (int r = 0; r < 64; r++) {
                    assertClose(lone.get(r % 8), answers.get(r).get(120, TimeUnit.SECONDS), "request " + r
                            + " (image " + r % 8 + ")");
                }
            } finally {
                clients.shutdownNow();
            }
            var samples = HttpTesting.parseMetrics(get(s.baseUrl() + "/metrics").body());
            double batches = HttpTesting.metric(samples, "jepa4j_batch_size_count", java.util.Map.of());
            assertTrue(batches < 64, "requests were batched together (" + batches + " batches for 64 images)");
        }
    }

    @Test
    void aModelGivingNonFiniteFeaturesAnswers500NamingTheCauseAndServesNoVector() throws Exception {
        Path huge = dir.resolve("huge.onnx");
        OnnxExporter.export(TestModels.writeOverflowingCheckpoint(dir.resolve("huge.safetensors"), RGB, 7), huge,
                OnnxExporter.Options.defaults());
        List<OnnxEmbedder> embedders = OnnxEmbedder.open(huge, List.of(FeatureKind.POOLED),
                ExtractorOptions.defaults().withIntraOpThreads(1));
        try (EmbeddingServer s = EmbeddingServer.start(embedders, ServeOptions.builder().port(0).build())) {
            HttpResponse<String> r = post(s.baseUrl() + "/v1/embeddings", "image/png", TestImages.random(3, 16, 16, "png"));
            assertEquals(500, r.statusCode(), r.body());
            JsonNode err = json(r).get("error");
            assertEquals("model_failed", err.get("kind").asText(), r.body());
            assertTrue(err.get("message").asText().contains("not finite"), r.body());
            assertTrue(json(r).path("data").isMissingNode(), "no vector is answered: " + r.body());
        }
    }
}
