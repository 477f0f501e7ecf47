package org.jepa4j.nativeimage;

import org.jepa4j.tensor.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native {@code jepa4j serve}: answers equal to {@code embed}'s features, refusals equal to
 * the JVM server's, and a graceful drain with exit code 0 on SIGTERM.
 */
@Timeout(300)
class NativeServeIT {
    @TempDir
    static Path dir;
    static Path model;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static Server nativeServer;
    static Server jvmServer;

    /** A server process and the base URL its start-up line names. */
    record Server(Process process, String baseUrl, List<String> stdout) {
        static Server start(List<String> cmd, Path dir) throws IOException {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectError(dir.resolve("serve-" + System.nanoTime() + ".err").toFile()).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("the server ended without a start-up line: " + cmd);
            }
            Matcher m = Pattern.compile("listening on (http://\\S+) ").matcher(line);
            if (!m.find()) {
                throw new IllegalStateException("no address in the start-up line: " + line);
            }
            List<String> rest = new ArrayList<>();
            Thread drain = new Thread(() -> out.lines().forEach(rest::add), "serve-stdout");
            drain.setDaemon(true);
            drain.start();
            return new Server(p, m.group(1), rest);
        }
    }

    private static List<String> serveArgs(String... extra) {
        List<String> a = new ArrayList<>(List.of("serve", "--model", model.toString(), "--port", "0", "--threads", "1",
                "--drain-ms", "1500", "--max-body-bytes", "64KiB", "--feature", "pooled,pooled_grid"));
        a.addAll(List.of(extra));
        return a;
    }

    @BeforeAll
    static void start() throws IOException {
        model = Fixtures.model(dir);
        nativeServer = Server.start(Runs.nativeCommand(Runs.executable(), serveArgs().toArray(String[]::new)), dir);
        jvmServer = Server.start(Runs.jvmCommand(serveArgs().toArray(String[]::new)), dir);
    }

    @AfterAll
    static void stop() {
        for (Server s : new Server[] {nativeServer, jvmServer}) {
            if (s != null) {
                s.process().destroyForcibly();
            }
        }
    }

    private static HttpResponse<String> post(Server s, String path, String contentType, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static float[] embedding(String json) {
        String list = json.substring(json.indexOf("\"embedding\":[") + 13);
        list = list.substring(0, list.indexOf(']'));
        String[] parts = list.split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }

    @Test
    void anEmbeddingRequestIsAnsweredWithEmbedsFeatureBits() throws Exception {
        for (String format : Fixtures.FORMATS) {
            byte[] image = Fixtures.encoded(format, format.hashCode());
            Path folder = Files.createDirectories(dir.resolve("one-" + format));
            Files.write(folder.resolve("image." + format), image);
            for (String feature : new String[] {"pooled", "pooled_grid"}) {
                Path out = dir.resolve("one-" + format + "-" + feature + ".npy");
                Runs.Result e = Runs.run(Runs.nativeCommand(Runs.executable(), "embed", "--model", model.toString(),
                        "--data", "folder:" + folder, "--feature", feature, "--out", out.toString()), dir);
                assertEquals(0, e.code(), e.err());
                float[] expected = Npy.read(out).toFloats();
                HttpResponse<String> r = post(nativeServer, "/v1/embeddings?feature=" + feature,
                        "image/" + (format.equals("jpg") ? "jpeg" : format), image);
                assertEquals(200, r.statusCode(), r.body());
                float[] served = embedding(r.body());
                assertEquals(expected.length, served.length, format + " " + feature);
                for (int i = 0; i < served.length; i++) {
                    assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(served[i]),
                            format + " " + feature + " value " + i);
                }
            }
        }
    }

    @Test
    void badRequestsAreRefusedAsTheJvmServerRefusesThem() throws Exception {
        byte[] png = Fixtures.encoded("png", 5);
        Map<String, Object[]> cases = Map.of(
                "not an image", new Object[] {"/v1/embeddings", "image/png", "hello".getBytes(StandardCharsets.UTF_8)},
                "empty body", new Object[] {"/v1/embeddings", "image/png", new byte[0]},
                "wrong content type", new Object[] {"/v1/embeddings", "text/plain", png},
                "unknown feature", new Object[] {"/v1/embeddings?feature=mean", "image/png", png},
                "feature not served", new Object[] {"/v1/embeddings?feature=last_hidden_state", "image/png", png},
                "too large", new Object[] {"/v1/embeddings", "application/octet-stream", new byte[70_000]},
                "bad json", new Object[] {"/v1/embeddings", "application/json", "{\"images\": [1".getBytes(StandardCharsets.UTF_8)},
                "bad base64", new Object[] {"/v1/embeddings", "application/json",
                        "{\"images\": [\"%%%\"]}".getBytes(StandardCharsets.UTF_8)},
                "unknown path", new Object[] {"/v2/nothing", "image/png", png});
        for (var c : cases.entrySet()) {
            Object[] a = c.getValue();
            HttpResponse<String> n = post(nativeServer, (String) a[0], (String) a[1], (byte[]) a[2]);
            HttpResponse<String> j = post(jvmServer, (String) a[0], (String) a[1], (byte[]) a[2]);
            assertTrue(j.statusCode() >= 400, c.getKey() + ": " + j.statusCode() + " " + j.body());
            assertEquals(j.statusCode(), n.statusCode(), c.getKey() + ": " + n.body());
            assertEquals(j.body(), n.body(), c.getKey());
        }
    }

    /** What the server at {@code baseUrl} writes back to {@code request} sent on a raw socket, until it closes. */
    private static String rawExchange(Server s, String request) throws IOException {
        URI uri = URI.create(s.baseUrl());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void anHttpVersionTheServerDoesNotSpeakIsRefusedAsTheJvmServerRefusesIt() throws Exception {
        // the refusal comes from a Netty handler the server adds to each connection: it must survive the
        // native build's reachability analysis like the routes do
        for (String request : List.of("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) {
            String n = rawExchange(nativeServer, request);
            String j = rawExchange(jvmServer, request);
            assertTrue(j.startsWith("HTTP/1.1 505 "), j);
            assertTrue(j.contains("\"kind\":\"http_version_not_supported\""), j);
            assertEquals(j, n, request);
        }
    }

    @Test
    void sigtermDrainsThenExitsZero() throws Exception {
        Server s = Server.start(Runs.nativeCommand(Runs.executable(), serveArgs().toArray(String[]::new)), dir);
        HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode());
        long t0 = System.nanoTime();
        s.process().destroy(); // SIGTERM
        Thread.sleep(300);
        HttpResponse<String> draining = HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(503, draining.statusCode(), "readiness turns 503 while draining: " + draining.body());
        assertTrue(s.process().waitFor(60, TimeUnit.SECONDS), "the server exits after draining");
        assertEquals(0, s.process().exitValue());
        assertTrue(System.nanoTime() - t0 >= 1_400_000_000L, "it drained for --drain-ms 1500 before closing");
    }
}
