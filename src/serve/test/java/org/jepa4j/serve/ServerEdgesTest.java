package org.jepa4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.jepa4j.net.LoopbackPorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.jepa4j.serve.HttpTesting.JSON;
import static org.jepa4j.serve.HttpTesting.get;
import static org.jepa4j.serve.HttpTesting.json;
import static org.jepa4j.serve.HttpTesting.jsonBatch;
import static org.jepa4j.serve.HttpTesting.metric;
import static org.jepa4j.serve.HttpTesting.parseMetrics;
import static org.jepa4j.serve.HttpTesting.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's edges: slow batches against the idle timeout, requests HTTP cannot parse, and what a
 * client writing at the moment of the drain sees. Raw sockets where a client library would refuse to
 * send what is tested.
 */
@Timeout(120)
class ServerEdgesTest {
    private static final Duration IDLE = Duration.ofMillis(300);

    private static ServeOptions.Builder options() {
        return ServeOptions.builder().port(0).decodeThreads(2)
                .timeouts(new ServeOptions.Timeouts(Duration.ofSeconds(20), IDLE, Duration.ZERO));
    }

    /** An HTTP answer read from a raw socket. */
    record Raw(int status, Map<String, String> headers, String body, boolean closed) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    /** Sends {@code request} and reads one answer (Content-Length framed) and whether the server closed the connection. */
    static Raw exchange(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return readAnswer(socket, true);
        }
    }

    static Raw readAnswer(Socket socket, boolean waitForClose) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            head.write(c);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (text.isEmpty()) {
            return new Raw(-1, Map.of(), "", true);
        }
        String[] lines = text.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("Content-Length", "0"));
        byte[] body = in.readNBytes(length);
        boolean closed = false;
        if (waitForClose) {
            try {
                closed = in.read() < 0;
            } catch (SocketException e) {
                closed = true; // reset
            } catch (java.net.SocketTimeoutException e) {
                closed = false;
            }
        }
        return new Raw(status, headers, new String(body, StandardCharsets.UTF_8), closed);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRequestWaitingForItsBatchLongerThanTheIdleTimeoutIsAnsweredAndCounted() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        PixelStatsEmbedder model = new PixelStatsEmbedder("pooled", gate);
        try (EmbeddingServer s = EmbeddingServer.start(List.of(model), options().maxWait(Duration.ZERO).build())) {
            String url = s.baseUrl() + "/v1/embeddings";
            List<byte[]> images = List.of(TestImages.random(1, 8, 8, "png"), TestImages.random(2, 9, 7, "png"));
            CompletableFuture<HttpResponse<String>> single = CompletableFuture.supplyAsync(() -> post(url, "image/png", images.get(0)));
            assertTrue(model.entered.tryAcquire(30, TimeUnit.SECONDS), "the batch started");
            CompletableFuture<HttpResponse<String>> batch = CompletableFuture.supplyAsync(
                    () -> post(url, "application/json", jsonBatch(images, null)));
            Thread.sleep(5 * IDLE.toMillis()); // both wait: one in the model, one in the queue behind it
            gate.countDown();
            for (CompletableFuture<HttpResponse<String>> f : List.of(single, batch)) {
                HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), "a request waiting for its batch is not idle: " + r.body());
                assertTrue(json(r).get("data").size() >= 1);
            }
            var m = parseMetrics(get(s.baseUrl() + "/metrics").body());
            assertEquals(2, metric(m, "jepa4j_http_requests_total", Map.of("route", "/v1/embeddings", "status", "200")),
                    "both answered and counted");
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeoutAndAfterAnAnswerToo() throws Exception {
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), options().build())) {
            for (boolean afterAnAnswer : new boolean[] {false, true}) {
                try (Socket socket = new Socket("127.0.0.1", s.port())) {
                    socket.setSoTimeout(15_000);
                    if (afterAnAnswer) {
                        socket.getOutputStream().write(bytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
                        assertEquals(200, readAnswer(socket, false).status());
                    }
                    long t0 = System.nanoTime();
                    int got;
                    try {
                        got = socket.getInputStream().read();
                    } catch (SocketException e) {
                        got = -1;
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    assertEquals(-1, got, "closed, nothing sent");
                    assertTrue(seconds > 0.2 && seconds < 10, "closed after the idle timeout: " + seconds + " s");
                }
            }
        }
    }

    @Test
    void everyRequestHttpCannotParseGetsTheJsonErrorAndAClosedConnection() throws Exception {
        String post = "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n";
        List<String> malformed = new ArrayList<>(List.of(
                // chunk sizes that are no hexadecimal number, negative, beyond any length, with a control byte
                post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nabcde\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\n3\u0000\r\nabc\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdefgh\r\n0\r\n\r\n",
                // request lines and headers that are not HTTP
                "GARBAGE\r\n\r\n",
                "GET /%ZZ%%/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", // valid HTTP, an undecodable path
                "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
                "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type : image/png\r\nContent-Length: 1\r\n\r\nx",
                "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\nabc",
                "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(70_000) + "\r\n\r\n"));
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), options().build())) {
            for (String request : malformed) {
                String shown = request.substring(0, Math.min(90, request.length())).replace("\r\n", "|");
                Raw r = exchange(s.port(), bytes(request));
                assertTrue(r.status() >= 400 && r.status() < 600, shown + " -> " + r);
                assertTrue(r.headers().getOrDefault("Content-Type", "").startsWith("application/json"), shown + " -> " + r);
                JsonNode e = r.json().get("error");
                assertEquals(r.status(), e.get("status").asInt(), shown);
                assertFalse(e.get("kind").asText().isEmpty(), shown);
                assertFalse(e.get("message").asText().contains("\tat "), "no stack trace: " + shown);
                assertTrue(r.closed(), "the connection cannot carry another request, so it closes: " + shown);
            }
            assertEquals(200, get(s.baseUrl() + "/healthz").statusCode(), "the server goes on serving");
        }
    }

    @Test
    void aRequestInAnHttpVersionTheServerDoesNotSpeakGetsA505JsonErrorNamingIt() throws Exception {
        // what Vert.x alone answers with an empty 501: HTTP/2 as text and as a prior-knowledge preface,
        // versions after and before 1.x, another protocol name; with and without a body
        List<String> versions = List.of("HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9", "FOO/1.1");
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), options().build())) {
            List<String> requests = new ArrayList<>();
            for (String v : versions) {
                requests.add("GET /healthz " + v + "\r\nHost: x\r\n\r\n");
            }
            requests.add("POST /v1/embeddings HTTP/2.0\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\nabc");
            requests.add("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            for (String request : requests) {
                String shown = request.substring(0, request.indexOf('\r'));
                String version = shown.substring(shown.lastIndexOf(' ') + 1);
                Raw r = exchange(s.port(), bytes(request));
                assertEquals(505, r.status(), shown + " -> " + r);
                assertTrue(r.headers().getOrDefault("Content-Type", "").startsWith("application/json"), shown + " -> " + r);
                JsonNode e = r.json().get("error");
                assertEquals(505, e.get("status").asInt(), shown);
                assertEquals("http_version_not_supported", e.get("kind").asText(), shown);
                assertTrue(e.get("message").asText().contains(version), shown + " -> " + e);
                assertTrue(r.closed(), "the connection closes: " + shown);
            }
            // the versions it speaks are answered as before, on the same server
            for (String v : List.of("HTTP/1.0", "HTTP/1.1")) {
                Raw ok = exchange(s.port(), bytes("GET /healthz " + v + "\r\nHost: x\r\nConnection: close\r\n\r\n"));
                assertEquals(200, ok.status(), v + " -> " + ok);
                assertEquals("alive", ok.json().get("status").asText());
            }
            var m = parseMetrics(get(s.baseUrl() + "/metrics").body());
            assertEquals(requests.size(), metric(m, "jepa4j_errors_total", Map.of("kind", "http_version_not_supported")));
        }
    }

    @Test
    void everyGarbageContentTypeGetsA415JsonError() throws Exception {
        List<String> types = List.of("\u0001\u0002", "image/png\u00ff\u00fe", ";;;", "a/b/c;;;=;", "image/png, text/plain",
                "x".repeat(6000), "multipart/form-data; boundary=----x", "*/*", "image/*", " ");
        try (EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()), options().build())) {
            for (String type : types) {
                Raw r = exchange(s.port(), bytes("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: " + type
                        + "\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd"));
                String shown = type.substring(0, Math.min(30, type.length()));
                assertTrue(r.status() == 415 || r.status() == 400, shown + " -> " + r);
                assertEquals(r.status(), r.json().get("error").get("status").asInt(), shown + " -> " + r);
            }
        }
    }

    @Test
    void aClientWritingDuringTheDrainGets503AndOneWritingAfterItFindsTheConnectionClosedUnanswered() throws Exception {
        // a port outside the kernel's ephemeral range: once the server has closed it, no port-0 socket of
        // another process can be handed it, so a new connection to it is refused
        EmbeddingServer s = EmbeddingServer.start(List.of(new PixelStatsEmbedder()),
                options().port(LoopbackPorts.free()).timeouts(new ServeOptions.Timeouts(Duration.ofSeconds(20),
                        Duration.ofSeconds(30), Duration.ofMillis(1500))).build());
        byte[] png = TestImages.random(3, 8, 8, "png");
        byte[] request = new ByteArrayOutputStream() {
            {
                writeBytes(bytes("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: "
                        + png.length + "\r\n\r\n"));
                writeBytes(png);
            }
        }.toByteArray();
        try (Socket during = new Socket("127.0.0.1", s.port()); Socket after = new Socket("127.0.0.1", s.port())) {
            during.setSoTimeout(15_000);
            after.setSoTimeout(15_000);
            for (Socket k : List.of(during, after)) { // both keep-alive connections that were answered before
                k.getOutputStream().write(request);
                Raw ok = readAnswer(k, false);
                assertEquals(200, ok.status(), ok.body());
            }
            Thread closer = new Thread(s::close);
            closer.start();
            Thread.sleep(300);
            during.getOutputStream().write(request);
            Raw r = readAnswer(during, true);
            assertEquals(503, r.status(), "written during the drain: " + r);
            assertEquals("shutting_down", r.json().get("error").get("kind").asText());
            assertEquals("close", r.headers().get("Connection"));
            assertTrue(r.headers().containsKey("Retry-After"));
            assertTrue(r.closed(), "and the connection closes after it");
            closer.join(30_000);
            assertFalse(closer.isAlive());
            // after the drain: the idle connection was closed without reading what comes now; nothing answers it
            int got;
            try {
                after.getOutputStream().write(request);
                got = after.getInputStream().read();
            } catch (SocketException e) {
                got = -1; // reset: also no answer
            }
            assertEquals(-1, got, "written after the drain: no answer, the connection is closed");
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", s.port()).close(),
                    "a new connection is refused");
        }
    }
}
