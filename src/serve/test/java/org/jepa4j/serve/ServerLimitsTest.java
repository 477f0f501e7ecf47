package org.jepa4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.jepa4j.data.Image;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.jepa4j.serve.HttpTesting.get;
import static org.jepa4j.serve.HttpTesting.json;
import static org.jepa4j.serve.HttpTesting.jsonBatch;
import static org.jepa4j.serve.HttpTesting.metric;
import static org.jepa4j.serve.HttpTesting.parseMetrics;
import static org.jepa4j.serve.HttpTesting.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a client can make the server hold: time, decode work, parser depth, and what it reveals. */
@Timeout(120)
class ServerLimitsTest {

    private static ServeOptions options() {
        return ServeOptions.builder().port(0).decodeThreads(2).build();
    }

    private static String embeddings(EmbeddingServer s) {
        return s.baseUrl() + "/v1/embeddings";
    }

    // ---- read and idle timeouts

    private static ServeOptions shortTimeouts() {
        return options().toBuilder().timeouts(new ServeOptions.Timeouts(Duration.ofMillis(300), Duration.ofMillis(400),
                Duration.ZERO)).build();
    }

    /** Reads until the server closes the connection (or resets it); what arrived before. */
    private static String readUntilClosed(Socket socket) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.write(buf, 0, n);
            }
        } catch (SocketException e) {
            // reset: closed as well
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aPartialBodyAnswers408AndItsConnectionIsClosedAfterTheReadTimeout() throws Exception {
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), shortTimeouts());
             Socket socket = new Socket("127.0.0.1", s.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 5000\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long t0 = System.nanoTime();
            String answer = readUntilClosed(socket);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(answer.startsWith("HTTP/1.1 408"), "a request that stopped mid-body times out: " + answer);
            assertTrue(answer.contains("read_timeout") && answer.contains("--read-timeout-ms"), answer);
            assertTrue(seconds > 0.2 && seconds < 10, "cut off after the read timeout, not before: " + seconds + " s");
            assertEquals(200, post(embeddings(s), "image/png", TestImages.random(1, 8, 8, "png")).statusCode(),
                    "the server goes on serving");
        }
    }

    @Test
    void aClientTricklingItsBodyOrItsHeadersIsCutOffAndHoldsNothing() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), shortTimeouts())) {
            // a byte every 50 ms keeps the idle timer from ever firing; only the read timeouts end it
            String body = "POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 100000\r\n\r\n";
            String head = "POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
            for (String start : List.of(body, head)) {
                try (Socket socket = new Socket("127.0.0.1", s.port())) {
                    socket.setSoTimeout(20_000);
                    OutputStream out = socket.getOutputStream();
                    out.write(start.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    AtomicInteger sent = new AtomicInteger();
                    Thread trickle = new Thread(() -> {
                        try {
                            while (sent.get() < 1000) {
                                Thread.sleep(50);
                                out.write('a');
                                out.flush();
                                sent.incrementAndGet();
                            }
                        } catch (IOException | InterruptedException e) {
                            // closed by the server: what is measured
                        }
                    });
                    long t0 = System.nanoTime();
                    trickle.start();
                    String answer = readUntilClosed(socket);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    trickle.interrupt();
                    trickle.join(5000);
                    assertTrue(seconds < 10, "a trickling client is cut off after the read (and idle) timeouts, not after "
                            + "its 50 s of bytes: " + seconds + " s, " + sent.get() + " bytes");
                    assertTrue(sent.get() < 200, sent.get() + " bytes trickled before the cut-off");
                    assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 408"),
                            "a request whose head was read answers 408 (or the connection closes): " + answer);
                }
            }
            List<HttpTesting.Sample> m = parseMetrics(s.metrics().render());
            assertTrue(metric(m, "jepa4j_errors_total", Map.of("kind", "read_timeout")) >= 1, "body trickle counted");
            assertEquals(0, metric(m, "jepa4j_queue_depth", Map.of()), "nothing reserved for the cut-off clients");
            assertEquals(200, post(embeddings(s), "image/png", TestImages.random(2, 8, 8, "png")).statusCode());
            assertEquals(1, model.batchSizes.stream().mapToInt(Integer::intValue).sum(), "only the complete request ran");
        }
    }

    // ---- decode budget

    /** {@link PixelStatsEmbedder} whose preprocessing of images wider than 40 px waits at a gate. */
    private static final class SlowLargeImages implements BatchEmbedder {
        final PixelStatsEmbedder model = new PixelStatsEmbedder();
        final CountDownLatch gate = new CountDownLatch(1);
        final Semaphore largeStarted = new Semaphore(0);
        final AtomicInteger prepared = new AtomicInteger();

        @Override
        public ModelDescription describe() {
            return model.describe();
        }

        @Override
        public float[] prepare(Image image) {
            prepared.incrementAndGet();
            if (image.width() > 40) {
                largeStarted.release();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return model.prepare(image);
        }

        @Override
        public float[][] embedPrepared(List<float[]> inputs) {
            return model.embedPrepared(inputs);
        }

        @Override
        public void close() {
            model.close();
        }
    }

    @Test
    void aRequestDeclaringMorePixelsThanItsBudgetIsRefusedBeforeDecoding() throws Exception {
        SlowLargeImages model = new SlowLargeImages();
        ServeOptions o = options().toBuilder().decodeBudget(new ServeOptions.DecodeBudget(6_000, 2_500, 1, 1)).build();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), o)) {
            List<byte[]> three = List.of(TestImages.random(1, 90, 30, "png"), TestImages.random(2, 90, 30, "png"),
                    TestImages.random(3, 90, 30, "png"));
            HttpResponse<String> r = post(embeddings(s), "application/json", jsonBatch(three, null));
            assertEquals(413, r.statusCode(), r.body());
            JsonNode e = json(r).get("error");
            assertEquals("request_too_many_pixels", e.get("kind").asText());
            assertTrue(e.get("message").asText().contains("8100 pixels together"), e.toString());
            assertTrue(e.get("message").asText().contains("--max-request-pixels"), e.toString());
            assertEquals(0, model.prepared.get(), "no image of the refused request was decoded");
            assertEquals(200, post(embeddings(s), "application/json", jsonBatch(three.subList(0, 2), null)).statusCode(),
                    "two of them fit the budget");
        }
    }

    @Test
    void largeImagesDecodeOnTheirOwnBoundedPoolAndCannotStarveSmallRequests() throws Exception {
        SlowLargeImages model = new SlowLargeImages();
        // one thread decodes small requests; requests over 2500 pixels get one thread and one waiting place
        ServeOptions o = options().toBuilder().decodeThreads(1)
                .decodeBudget(new ServeOptions.DecodeBudget(1_000_000, 2_500, 1, 1)).build();
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), o)) {
            String url = embeddings(s);
            List<CompletableFuture<HttpResponse<String>>> large = new ArrayList<>();
            large.add(CompletableFuture.supplyAsync(() -> post(url, "image/png", TestImages.random(10, 60, 60, "png"))));
            assertTrue(model.largeStarted.tryAcquire(30, TimeUnit.SECONDS), "the first large image is being decoded");
            for (int i = 0; i < 2; i++) {
                byte[] img = TestImages.random(11 + i, 60, 60, "png");
                large.add(CompletableFuture.supplyAsync(() -> post(url, "image/png", img)));
            }
            // one of the two later ones waits in the large queue, the other finds it full
            CompletableFuture.anyOf(large.get(1), large.get(2)).get(30, TimeUnit.SECONDS);
            HttpResponse<String> refused = large.get(1).isDone() ? large.get(1).join() : large.get(2).join();
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("--large-queue"), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> small = post(url, "image/png", TestImages.random(20 + i, 16, 16, "png"));
                assertEquals(200, small.statusCode(), "small requests are served while large ones hold their pool: "
                        + small.body());
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
            }
            assertFalse(large.get(0).isDone(), "the large image is still held at the gate");
            model.gate.countDown();
            int ok = 0;
            for (CompletableFuture<HttpResponse<String>> f : large) {
                ok += f.get(30, TimeUnit.SECONDS).statusCode() == 200 ? 1 : 0;
            }
            assertEquals(2, ok, "the running and the queued large request finish");
        }
    }

    // ---- malformed JSON

    @Test
    void malformedJsonOfAnyShapeAnswers400WithAReasonAndIsNoModelFailure() throws Exception {
        PixelStatsEmbedder model = new PixelStatsEmbedder();
        String png = java.util.Base64.getEncoder().encodeToString(TestImages.random(1, 8, 8, "png"));
        Map<String, String> bodies = new LinkedHashMap<>();
        bodies.put("deep arrays", "{\"images\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        bodies.put("deep objects", "{\"feature\": " + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000) + "}");
        bodies.put("unclosed nesting", "[".repeat(200_000));
        bodies.put("long number", "{\"images\": [" + "9".repeat(20_000) + "]}");
        bodies.put("huge exponent", "{\"images\": [1e999999999]}");
        bodies.put("number feature", "{\"images\": [\"" + png + "\"], \"feature\": 1e400}");
        bodies.put("images a string", "{\"images\": \"" + png + "\"}");
        bodies.put("images an object", "{\"images\": {\"a\": 1}}");
        bodies.put("image null", "{\"images\": [null]}");
        bodies.put("image a number", "{\"images\": [-0.0]}");
        bodies.put("image an array", "{\"images\": [[\"" + png + "\"]]}");
        bodies.put("empty images", "{\"images\": []}");
        bodies.put("duplicate key", "{\"images\": [\"" + png + "\"], \"images\": [\"" + png + "\"]}");
        bodies.put("unknown key", "{\"images\": [\"" + png + "\"], \"extra\": true}");
        bodies.put("top-level array", "[\"" + png + "\"]");
        bodies.put("top-level number", "12345678901234567890");
        bodies.put("top-level null", "null");
        bodies.put("truncated", "{\"images\": [\"" + png.substring(0, 10));
        bodies.put("trailing garbage", "{\"images\": [\"" + png + "\"]} }");
        bodies.put("not UTF-8", "{\"images\": [\"\u00ff\u00fe\"]}");
        bodies.put("control character", "{\"images\": [\"a\u0001b\"]}");
        bodies.put("NaN", "{\"images\": [NaN]}");
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options())) {
            for (Map.Entry<String, String> b : bodies.entrySet()) {
                byte[] bytes = b.getKey().equals("not UTF-8") ? new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'}
                        : b.getValue().getBytes(StandardCharsets.UTF_8);
                HttpResponse<String> r = post(embeddings(s), "application/json", bytes);
                assertEquals(400, r.statusCode(), b.getKey() + ": " + r.body());
                JsonNode e = json(r).get("error");
                assertTrue(e.get("kind").asText().startsWith("bad_"), b.getKey() + ": " + e);
                assertTrue(e.get("message").asText().length() > 15, b.getKey() + " names its problem: " + e);
                assertTrue(r.body().length() < 2000, b.getKey() + ": the reason is short, not an echo of the body");
            }
            String deep = post(embeddings(s), "application/json", bodies.get("deep arrays").getBytes(StandardCharsets.UTF_8))
                    .body();
            assertTrue(deep.contains("nesting depth"), deep);
            List<HttpTesting.Sample> m = parseMetrics(s.metrics().render());
            assertEquals(0, metric(m, "jepa4j_http_requests_total", Map.of("status", "500")), "never a 500");
            assertEquals(0, metric(m, "jepa4j_errors_total", Map.of("kind", "model_failed")), "no model failure");
            assertEquals(0, metric(m, "jepa4j_batch_size_count", Map.of()), "nothing reached the model");
            assertEquals(bodies.size() + 1, metric(m, "jepa4j_http_requests_total", Map.of("status", "400")));
            assertEquals(200, post(embeddings(s), "application/json",
                    ("{\"images\": [\"" + png + "\"]}").getBytes(StandardCharsets.UTF_8)).statusCode());
        }
    }

    // ---- what /v1/model reveals

    @Test
    void theModelRouteHidesPathsAndTheTrainingConfigUnlessAskedToDescribeFully() throws Exception {
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), options())) {
            String body = get(s.baseUrl() + "/v1/model").body();
            assertFalse(body.contains("/secret"), "no file-system path: " + body);
            assertFalse(body.contains("jepa4j.config") || body.contains("jepa4j.provenance"), body);
            JsonNode m = json(get(s.baseUrl() + "/v1/model"));
            assertEquals("test-1", m.get("metadata").get("jepa4j.version").asText());
            assertEquals("16", m.get("metadata").get("jepa4j.image_size").asText());
        }
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()),
                options().toBuilder().describeFully(true).build())) {
            JsonNode meta = json(get(s.baseUrl() + "/v1/model")).get("metadata");
            assertEquals(PixelStatsEmbedder.METADATA.size(), meta.size(), meta.toString());
            assertEquals("/secret/runs/demo", meta.get("jepa4j.run").asText());
            assertTrue(meta.get("jepa4j.config").asText().contains("/secret/data"));
        }
    }
}
