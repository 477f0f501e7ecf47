package org.jepa4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.jepa4j.data.Image;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

import static org.jepa4j.serve.HttpTesting.embedding;
import static org.jepa4j.serve.HttpTesting.get;
import static org.jepa4j.serve.HttpTesting.json;
import static org.jepa4j.serve.HttpTesting.jsonBatch;
import static org.jepa4j.serve.HttpTesting.metric;
import static org.jepa4j.serve.HttpTesting.parseMetrics;
import static org.jepa4j.serve.HttpTesting.post;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server over real HTTP on loopback, with the deterministic {@link PixelStatsEmbedder} as model. */
@Timeout(120)
class EmbeddingServerTest {

    private static ServeOptions options() {
        return ServeOptions.builder().port(0).decodeThreads(2).shutdownGrace(Duration.ofSeconds(30)).build();
    }

    /** What the model returns for these bytes, computed without the server. */
    private static float[] expected(byte[] encoded) throws IOException {
        return PixelStatsEmbedder.stats(Image.fromBufferedImage(ImageIO.read(new ByteArrayInputStream(encoded))));
    }

    private static String embeddings(EmbeddingServer s) {
        return s.baseUrl() + "/v1/embeddings";
    }

    @Test
    void concurrentClientsReceiveExactlyTheModelsVectors() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options().toBuilder().maxWait(Duration.ofMillis(2)).build())) {
            int total = HttpTesting.concurrently(8, 100, thread -> {
                int checked = 0;
                for (int i = 0; i < 10; i++) {
                    long seed = thread * 100L + i;
                    String format = switch (i % 3) {
                        case 0 -> "png";
                        case 1 -> "bmp";
                        default -> "gif";
                    };
                    byte[] a = TestImages.random(seed, 9 + i, 17 - i, format);
                    if (i % 2 == 0) {
                        HttpResponse<String> r = post(embeddings(s), "image/" + format, a);
                        assertEquals(200, r.statusCode(), r.body());
                        JsonNode j = json(r);
                        assertEquals("pixel-stats@test", j.get("model").asText());
                        assertEquals(PixelStatsEmbedder.DIMENSION, j.get("dimension").asInt());
                        assertEquals("pooled", j.get("feature").asText());
                        assertArrayEquals(expected(a), embedding(j, 0));
                        checked++;
                    } else {
                        byte[] b = TestImages.random(seed + 50, 16, 16, "png");
                        HttpResponse<String> r = post(embeddings(s), "application/json", jsonBatch(List.of(a, b), "pooled"));
                        assertEquals(200, r.statusCode(), r.body());
                        JsonNode j = json(r);
                        assertEquals(2, j.get("data").size());
                        assertEquals(1, j.get("data").get(1).get("index").asInt());
                        assertArrayEquals(expected(a), embedding(j, 0));
                        assertArrayEquals(expected(b), embedding(j, 1));
                        checked += 2;
                    }
                }
                return checked;
            });
            assertEquals(8 * (5 + 5 * 2), total);
            assertEquals(total, model.batchSizes.stream().mapToInt(Integer::intValue).sum(), "every image ran exactly once");
        }
        assertTrue(model.closed.get(), "the server closes its model");
    }

    @Test
    void concurrentRequestsShareBatchesWithin50ms() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options().toBuilder().maxWait(Duration.ofMillis(50)).build())) {
            ExecutorService clients = Executors.newFixedThreadPool(8);
            CyclicBarrier start = new CyclicBarrier(8);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                byte[] img = TestImages.random(t, 16, 16, "png");
                done.add(clients.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2; i++) {
                        HttpResponse<String> r = post(embeddings(s), "image/png", img);
                        assertEquals(200, r.statusCode(), r.body());
                        assertArrayEquals(expected(img), embedding(json(r), 0));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
            clients.shutdown();
            var samples = parseMetrics(get(s.baseUrl() + "/metrics").body());
            double batches = metric(samples, "jepa4j_batch_size_count", Map.of());
            double singles = metric(samples, "jepa4j_batch_size_bucket", Map.of("le", "1"));
            assertEquals(16, metric(samples, "jepa4j_batch_size_sum", Map.of()));
            assertEquals(16, metric(samples, "jepa4j_images_embedded_total", Map.of()));
            assertTrue(singles < batches, "some batch held more than one image: " + model.batchSizes);
            assertTrue(model.batchSizes.stream().anyMatch(n -> n > 1), "batch sizes " + model.batchSizes);
        }
    }

    @Test
    void fullQueueAnswers429WithRetryAfterAndEveryAcceptedRequestCompletes() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        PixelStatsEmbedder model = new PixelStatsEmbedder("pooled", gate);
        ServeOptions o = options().toBuilder().maxBatch(1).maxWait(Duration.ZERO).queue(4).build();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), o)) {
            List<byte[]> images = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> accepted = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                byte[] img = TestImages.random(1000 + i, 12, 12, "png");
                images.add(img);
                accepted.add(CompletableFuture.supplyAsync(() -> post(embeddings(s), "image/png", img)));
                if (i == 0) {
                    assertTrue(model.entered.tryAcquire(30, TimeUnit.SECONDS), "the worker holds the first image");
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (metric(parseMetrics(s.metrics().render()), "jepa4j_queue_depth", Map.of()) < 4) {
                assertTrue(System.nanoTime() < deadline, "four images should fill the queue");
                Thread.sleep(5);
            }
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = post(embeddings(s), "image/png", TestImages.random(i, 8, 8, "png"));
                assertEquals(429, r.statusCode(), r.body());
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                assertEquals("overloaded", json(r).get("error").get("kind").asText());
            }
            gate.countDown();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = accepted.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                assertArrayEquals(expected(images.get(i)), embedding(json(r), 0));
            }
            var samples = parseMetrics(get(s.baseUrl() + "/metrics").body());
            assertEquals(3, metric(samples, "jepa4j_http_requests_total",
                    Map.of("route", "/v1/embeddings", "status", "429")));
            assertEquals(5, metric(samples, "jepa4j_http_requests_total",
                    Map.of("route", "/v1/embeddings", "status", "200")));
            assertEquals(3, metric(samples, "jepa4j_errors_total", Map.of("kind", "overloaded")));
        }
    }

    private record Case(String name, String method, String path, String contentType, byte[] body, int status,
                        String kind, String messagePart) {
    }

    @Test
    void badRequestsAnswerTheirStatusAndNameTheProblem() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        byte[] png = TestImages.random(7, 16, 16, "png");
        byte[] utf8 = "hello, I am text".getBytes(StandardCharsets.UTF_8);
        List<Case> cases = List.of(
                new Case("malformed JSON", "POST", "/v1/embeddings", "application/json",
                        "{\"images\": [".getBytes(StandardCharsets.UTF_8), 400, "bad_json", "not valid JSON"),
                new Case("JSON without images", "POST", "/v1/embeddings", "application/json",
                        "{\"imgs\": []}".getBytes(StandardCharsets.UTF_8), 400, "bad_json", "unknown key 'imgs'"),
                new Case("JSON array", "POST", "/v1/embeddings", "application/json",
                        "[1,2]".getBytes(StandardCharsets.UTF_8), 400, "bad_json", "JSON object"),
                new Case("bad base64", "POST", "/v1/embeddings", "application/json",
                        "{\"images\": [\"%%%\"]}".getBytes(StandardCharsets.UTF_8), 400, "bad_base64", "images[0]"),
                new Case("base64 of text", "POST", "/v1/embeddings", "application/json",
                        jsonBatch(List.of(png, utf8), null), 400, "not_an_image", "images[1] is not a decodable image"),
                new Case("non-image bytes", "POST", "/v1/embeddings", "image/png", utf8, 400, "not_an_image",
                        "body is not a decodable image"),
                new Case("truncated PNG", "POST", "/v1/embeddings", "image/png", java.util.Arrays.copyOf(png, 60), 400,
                        "not_an_image", "body is not a decodable image"),
                new Case("empty body", "POST", "/v1/embeddings", "image/png", new byte[0], 400, "empty_body", "empty body"),
                new Case("text content type", "POST", "/v1/embeddings", "text/plain", utf8, 415,
                        "unsupported_media_type", "'text/plain'"),
                new Case("no content type", "POST", "/v1/embeddings", null, png, 415, "unsupported_media_type", "missing"),
                new Case("unknown feature", "POST", "/v1/embeddings?feature=pooled_last4", "image/png", png, 400,
                        "unknown_feature", "'pooled_last4' is not served"),
                new Case("GET embeddings", "GET", "/v1/embeddings", null, null, 405, "method_not_allowed", "use POST"),
                new Case("POST model", "POST", "/v1/model", "application/json", "{}".getBytes(StandardCharsets.UTF_8),
                        405, "method_not_allowed", "use GET"),
                new Case("unknown route", "GET", "/v2/whatever", null, null, 404, "not_found", "/v2/whatever"));
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options())) {
            for (Case c : cases) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl() + c.path()))
                        .timeout(Duration.ofSeconds(60))
                        .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(c.body()));
                if (c.contentType() != null) {
                    b.header("Content-Type", c.contentType());
                }
                HttpResponse<String> r = HttpTesting.send(b.build());
                assertEquals(c.status(), r.statusCode(), c.name() + ": " + r.body());
                JsonNode err = json(r).get("error");
                assertEquals(c.kind(), err.get("kind").asText(), c.name() + ": " + r.body());
                assertTrue(err.get("message").asText().contains(c.messagePart()), c.name() + ": " + r.body());
                if (c.status() == 405) {
                    assertTrue(r.headers().firstValue("Allow").isPresent(), c.name() + " names the allowed method");
                }
            }
            assertTrue(model.batchSizes.isEmpty(), "no bad request reached the model: " + model.batchSizes);
            HttpResponse<String> ok = post(embeddings(s), "image/png", png);
            assertEquals(200, ok.statusCode(), "the server still answers after the bad requests: " + ok.body());
        }
    }

    @Test
    void hugeDeclaredImageIsRefusedFromItsHeaderBeforeDecoding() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options().toBuilder().maxPixels(1_000_000).build())) {
            // header only, no pixel data: decoding it would fail (400), so a 413 came from the header
            HttpResponse<String> small = post(embeddings(s), "image/png", TestImages.pngHeaderOnly(16, 16));
            assertEquals(400, small.statusCode(), "a header-only PNG does not decode: " + small.body());

            HttpResponse<String> huge = post(embeddings(s), "image/png", TestImages.pngHeaderOnly(100_000, 100_000));
            assertEquals(413, huge.statusCode(), huge.body());
            JsonNode err = json(huge).get("error");
            assertEquals("too_many_pixels", err.get("kind").asText());
            assertTrue(err.get("message").asText().contains("100000x100000"), huge.body());

            HttpResponse<String> inBatch = post(embeddings(s), "application/json",
                    jsonBatch(List.of(TestImages.random(1, 8, 8, "png"), TestImages.pngHeaderOnly(2000, 1000)), null));
            assertEquals(413, inBatch.statusCode(), inBatch.body());
            assertTrue(json(inBatch).get("error").get("message").asText().startsWith("images[1] declares 2000x1000"),
                    inBatch.body());
            assertTrue(model.batchSizes.isEmpty(), "nothing reached the model");
            assertEquals(0, s.metrics().render().lines().filter(l -> l.startsWith("jepa4j_queue_depth ")
                    && !l.endsWith(" 0")).count(), "refused images give their queue places back");
        }
    }

    @Test
    void bodyLargerThanTheLimitAnswers413() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options().toBuilder().maxBodyBytes(4096).build())) {
            byte[] big = TestImages.random(3, 64, 64, "bmp"); // 12 KiB of uncompressed pixels
            assertTrue(big.length > 4096);
            HttpResponse<String> r = post(embeddings(s), "image/bmp", big);
            assertEquals(413, r.statusCode(), r.body());
            assertEquals("body_too_large", json(r).get("error").get("kind").asText());
            byte[] small = TestImages.random(3, 16, 16, "png");
            assertTrue(small.length < 4096);
            assertEquals(200, post(embeddings(s), "image/png", small).statusCode());
            assertTrue(model.batchSizes.stream().mapToInt(Integer::intValue).sum() == 1);
        }
    }

    @Test
    void metricsAreValidExpositionTextThatCountsRequests() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, get(s.baseUrl() + "/healthz").statusCode());
            }
            assertEquals(200, post(embeddings(s), "image/png", TestImages.random(1, 8, 8, "png")).statusCode());
            assertEquals(200, post(embeddings(s), "application/json", jsonBatch(List.of(
                    TestImages.random(2, 8, 8, "png"), TestImages.random(3, 8, 8, "png")), null)).statusCode());
            assertEquals(404, get(s.baseUrl() + "/nope").statusCode());
            assertEquals(400, post(embeddings(s), "image/png", new byte[] {1, 2, 3}).statusCode());
            HttpResponse<String> m = get(s.baseUrl() + "/metrics");
            assertEquals(200, m.statusCode());
            assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            var samples = parseMetrics(m.body());
            assertEquals(3, metric(samples, "jepa4j_http_requests_total",
                    Map.of("route", "/healthz", "method", "GET", "status", "200")));
            assertEquals(2, metric(samples, "jepa4j_http_requests_total",
                    Map.of("route", "/v1/embeddings", "method", "POST", "status", "200")));
            assertEquals(1, metric(samples, "jepa4j_http_requests_total",
                    Map.of("route", "/v1/embeddings", "status", "400")));
            assertEquals(1, metric(samples, "jepa4j_http_requests_total", Map.of("route", "other", "status", "404")));
            assertEquals(1, metric(samples, "jepa4j_errors_total", Map.of("kind", "not_an_image")));
            assertEquals(1, metric(samples, "jepa4j_errors_total", Map.of("kind", "not_found")));
            assertEquals(3, metric(samples, "jepa4j_images_embedded_total", Map.of()));
            assertEquals(0, metric(samples, "jepa4j_queue_depth", Map.of()));
            assertEquals(1, metric(samples, "jepa4j_model_info", Map.of("model", "pixel-stats@test")));
            // histogram: cumulative buckets never decrease and +Inf equals the count
            double embedCount = metric(samples, "jepa4j_http_request_duration_seconds_count",
                    Map.of("route", "/v1/embeddings"));
            assertEquals(3, embedCount);
            double prev = 0;
            for (var sample : samples) {
                if (sample.name().equals("jepa4j_http_request_duration_seconds_bucket")
                        && sample.labels().get("route").equals("/v1/embeddings")) {
                    assertTrue(sample.value() >= prev, "cumulative buckets");
                    prev = sample.value();
                }
            }
            assertEquals(embedCount, prev, "+Inf bucket equals the count");
        }
    }

    @Test
    void gracefulShutdownFinishesInFlightRequestsThenClosesTheModel() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        PixelStatsEmbedder model = new PixelStatsEmbedder("pooled", gate);
        EmbeddingServer s = EmbeddingServer.start(List.of(model), options().toBuilder().maxBatch(2).maxWait(Duration.ZERO).build());
        String url = embeddings(s);
        assertEquals(200, get(s.baseUrl() + "/readyz").statusCode());
        List<byte[]> images = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] img = TestImages.random(500 + i, 10, 10, "png");
            images.add(img);
            inFlight.add(CompletableFuture.supplyAsync(() -> post(url, "image/png", img)));
        }
        assertTrue(model.entered.tryAcquire(30, TimeUnit.SECONDS), "a batch is running");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (model.batchSizes.size() == 1 && model.batchSizes.peek() < 3
                && metric(parseMetrics(s.metrics().render()), "jepa4j_queue_depth", Map.of())
                + model.batchSizes.peek() < 3) {
            assertTrue(System.nanoTime() < deadline, "all three requests should be accepted");
            Thread.sleep(5);
        }
        CompletableFuture<Void> closing = CompletableFuture.runAsync(s::close);
        while (s.ready()) {
            Thread.sleep(1);
        }
        HttpResponse<String> notReady = get(s.baseUrl() + "/readyz");
        assertEquals(503, notReady.statusCode(), "readiness fails while draining");
        HttpResponse<String> refused = post(url, "image/png", images.get(0));
        assertEquals(503, refused.statusCode(), "no new work while draining: " + refused.body());
        assertEquals("shutting_down", json(refused).get("error").get("kind").asText());
        assertFalse(closing.isDone(), "close waits for the in-flight requests");
        assertFalse(model.closed.get(), "the model stays open while requests need it");
        gate.countDown();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = inFlight.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertArrayEquals(expected(images.get(i)), embedding(json(r), 0));
        }
        closing.get(60, TimeUnit.SECONDS);
        assertTrue(model.closed.get(), "the model is closed last");
    }

    @Test
    void modelHealthAndReadinessEndpointsDescribeTheServer() throws Exception {
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), options().toBuilder().queue(77).build())) {
            JsonNode m = json(get(s.baseUrl() + "/v1/model"));
            assertEquals("pixel-stats@test", m.get("model").asText());
            assertEquals(PixelStatsEmbedder.DIMENSION, m.get("dimension").asInt());
            assertEquals("pooled", m.get("feature").asText());
            assertEquals("test-1", m.get("metadata").get("jepa4j.version").asText());
            assertEquals(77, m.get("limits").get("queue").asInt());
            assertEquals("alive", json(get(s.baseUrl() + "/healthz")).get("status").asText());
            assertEquals(200, get(s.baseUrl() + "/readyz").statusCode());
            assertTrue(s.port() > 0);
        }
    }
}
