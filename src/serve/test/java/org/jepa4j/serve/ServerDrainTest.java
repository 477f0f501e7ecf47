package org.jepa4j.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.jepa4j.serve.HttpTesting.embedding;
import static org.jepa4j.serve.HttpTesting.get;
import static org.jepa4j.serve.HttpTesting.json;
import static org.jepa4j.serve.HttpTesting.metric;
import static org.jepa4j.serve.HttpTesting.parseMetrics;
import static org.jepa4j.serve.HttpTesting.post;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGTERM to a server process ({@link DrainingServerMain}, sent by pid): drain, finish, answer, exit 0. */
@Timeout(120)
class ServerDrainTest {

    @Test
    void sigtermDrainsWith503AndConnectionCloseFinishesEveryAcceptedRequestAndExitsZero() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                DrainingServerMain.class.getName()).redirectErrorStream(false).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("PORT "), "the server process reports its port: " + line);
            String base = "http://127.0.0.1:" + Integer.parseInt(line.substring(5).trim());
            String url = base + "/v1/embeddings";
            List<byte[]> images = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> accepted = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] img = TestImages.random(900 + i, 12, 12, "png");
                images.add(img);
                accepted.add(CompletableFuture.supplyAsync(() -> post(url, "image/png", img)));
            }
            // one image runs (600 ms), two wait: all three accepted before the signal
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (metric(parseMetrics(get(base + "/metrics").body()), "jepa4j_queue_depth", Map.of()) < 2) {
                assertTrue(System.nanoTime() < deadline, "three requests accepted");
                Thread.sleep(5);
            }
            long pid = p.pid();
            try {
                assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(pid)).inheritIO().start().waitFor());
            } catch (java.io.IOException noKillCommand) {
                p.destroy(); // SIGTERM to the same pid, sent by the JVM
            }

            HttpResponse<String> ready = get(base + "/readyz");
            while (ready.statusCode() == 200) {
                assertTrue(System.nanoTime() < deadline, "readiness turns 503");
                Thread.sleep(5);
                ready = get(base + "/readyz");
            }
            assertEquals(503, ready.statusCode(), ready.body());
            assertEquals("close", ready.headers().firstValue("Connection").orElse(""), "draining answers close");
            HttpResponse<String> refused = post(url, "image/png", images.get(0));
            assertEquals(503, refused.statusCode(), "new work is refused while draining: " + refused.body());
            assertEquals("shutting_down", json(refused).get("error").get("kind").asText());
            assertEquals("close", refused.headers().firstValue("Connection").orElse(""));
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
            Thread.sleep(600);
            assertEquals(503, get(base + "/readyz").statusCode(), "still answering 503 within the drain period");

            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = accepted.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), "every accepted request is answered: " + r.body());
                assertArrayEquals(PixelStatsEmbedder.stats(org.jepa4j.data.Image.fromBufferedImage(
                        javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(images.get(i))))), embedding(json(r), 0));
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process exits after draining");
            assertEquals(0, p.exitValue(), "a drained stop exits 0: "
                    + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
