package org.jepa4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Loopback HTTP helpers for the server tests. */
final class HttpTesting {
    /** Floats as BigDecimal, so an embedding reads back as exactly the float the server wrote. */
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private HttpTesting() {
    }

    /** What one client thread of {@link #concurrently} does. */
    interface Client {
        /**
         * @param thread the thread's number, 0 to threads - 1
         * @return how many answers it checked
         */
        int run(int thread) throws Exception;
    }

    /**
     * Runs {@code client} on {@code threads} threads at once, waits for each at most
     * {@code timeoutSeconds}, and returns the sum of their counts; a thread's failed assertion
     * fails the caller.
     */
    static int concurrently(int threads, long timeoutSeconds, Client client) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> client.run(thread)));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get(timeoutSeconds, TimeUnit.SECONDS);
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    static HttpResponse<String> post(String url, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.build());
    }

    static HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET().build());
    }

    static HttpResponse<String> send(HttpRequest r) {
        try {
            return CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(r.method() + " " + r.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static byte[] jsonBatch(List<byte[]> images, String feature) {
        String list = images.stream().map(b -> "\"" + Base64.getEncoder().encodeToString(b) + "\"")
                .collect(Collectors.joining(","));
        return ("{\"images\":[" + list + "]" + (feature == null ? "" : ",\"feature\":\"" + feature + "\"") + "}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON (" + r.statusCode() + "): " + r.body(), e);
        }
    }

    /** The {@code index}-th embedding of an embeddings answer, as floats (exact: the text is the shortest float). */
    static float[] embedding(JsonNode answer, int index) {
        JsonNode e = answer.get("data").get(index).get("embedding");
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = e.get(i).decimalValue().floatValue();
        }
        return v;
    }

    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One parsed exposition sample. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    /**
     * Parses Prometheus text exposition strictly: every line is a {@code # HELP}/{@code # TYPE}
     * comment or a sample {@code name{labels} value}; anything else fails.
     */
    static List<Sample> parseMetrics(String text) {
        List<Sample> out = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not an exposition line: '" + line + "'");
            }
            Map<String, String> labels = new java.util.TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            String v = m.group(4);
            double value = v.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v);
            out.add(new Sample(m.group(1), labels, value));
        }
        return out;
    }

    /** The value of the sample {@code name} whose labels include {@code labels}, 0 when absent. */
    static double metric(List<Sample> samples, String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value).sum();
    }
}
