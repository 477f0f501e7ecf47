package org.jepa4j.bench;

import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.serve.EmbeddingServer;
import org.jepa4j.serve.OnnxEmbedder;
import org.jepa4j.serve.ServeOptions;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * What dynamic batching buys: starts the server in-process on loopback twice, with
 * {@code --max-batch 1} and {@code --max-batch 32}, drives each with {@code clients} closed-loop
 * clients (one PNG per request, next request when the answer arrives) for {@code seconds}, and
 * prints throughput and latency percentiles side by side.
 * <pre>
 * tools/bench-serve --model encoder.onnx [--clients 16] [--seconds 10] [--max-wait-ms 5] [--threads 0] [--lanes 1] [--image-size S]
 * </pre>
 */
public final class ServeBenchmark {

    record Result(String config, int clients, int imagesPerRequest, long requests, long errors, double seconds,
                  double p50Ms, double p99Ms, double meanBatch) {
        double requestsPerSecond() {
            return requests / seconds;
        }

        double imagesPerSecond() {
            return requests * (double) imagesPerRequest / seconds;
        }
    }

    private ServeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path model = null;
        int clients = 16;
        double seconds = 10;
        double maxWaitMs = 5;
        int threads = 0;
        int lanes = 1;
        int imageSize = 0;
        int perRequest = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--model" -> model = Path.of(need(a, v));
                case "--clients" -> clients = Integer.parseInt(need(a, v));
                case "--seconds" -> seconds = Double.parseDouble(need(a, v));
                case "--max-wait-ms" -> maxWaitMs = Double.parseDouble(need(a, v));
                case "--threads" -> threads = Integer.parseInt(need(a, v));
                case "--lanes" -> lanes = Integer.parseInt(need(a, v));
                case "--image-size" -> imageSize = Integer.parseInt(need(a, v));
                case "--images-per-request" -> perRequest = Integer.parseInt(need(a, v));
                case "-h", "--help" -> {
                    System.out.println("usage: bench-serve --model encoder.onnx [--clients 16] [--seconds 10] "
                            + "[--max-wait-ms 5] [--threads 0] [--lanes 1 (as serve --lanes)] [--image-size S (default: the model's)] "
                            + "[--images-per-request K (K > 1: JSON batches)]");
                    return;
                }
                default -> {
                    System.err.println("bench-serve: unknown option " + a + " (--help lists them)");
                    System.exit(2);
                }
            }
            i++;
        }
        if (model == null || clients < 1 || !(seconds > 0) || seconds > 600 || perRequest < 1 || perRequest > 64
                || lanes < 1) {
            System.err.println("bench-serve: --model FILE is required; --clients ≥ 1; 0 < --seconds ≤ 600; "
                    + "1 ≤ --images-per-request ≤ 64; --lanes ≥ 1");
            System.exit(2);
        }
        ExtractorOptions eo = ExtractorOptions.builder().intraOpThreads(threads).lanes(lanes).build();
        List<Result> results = new ArrayList<>();
        for (int maxBatch : new int[] {1, 32}) {
            ServeOptions so = ServeOptions.defaults().withPort(0).withMaxBatch(maxBatch)
                    .withMaxWait(Duration.ofNanos(Math.round(maxWaitMs * 1e6))).withQueue(Math.max(256, 4 * clients));
            try (EmbeddingServer server = EmbeddingServer.start(OnnxEmbedder.open(model, List.of(FeatureKind.POOLED), eo), so)) {
                int size = imageSize > 0 ? imageSize : server.model().imageSize();
                List<byte[]> pngs = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    pngs.add(png(i, size));
                }
                List<byte[]> bodies = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    bodies.add(perRequest == 1 ? pngs.get(i) : jsonBatch(pngs, i, perRequest));
                }
                String type = perRequest == 1 ? "image/png" : "application/json";
                String label = "max-batch " + maxBatch;
                System.err.printf(Locale.ROOT, "bench-serve: %s, %d clients, %.0f s (+1 s warm-up) on %s ...%n",
                        label, clients, seconds, server.baseUrl());
                run(server, bodies, type, perRequest, clients, 1.0, label); // warm-up: JIT, ONNX Runtime arenas
                double before = batchSum(server);
                double beforeCount = batchCount(server);
                Result r = run(server, bodies, type, perRequest, clients, seconds, label);
                double batches = batchCount(server) - beforeCount;
                results.add(new Result(r.config(), r.clients(), perRequest, r.requests(), r.errors(), r.seconds(),
                        r.p50Ms(), r.p99Ms(), batches == 0 ? 0 : (batchSum(server) - before) / batches));
            }
        }
        print(model, lanes, results);
    }

    private static String need(String option, String value) {
        if (value == null) {
            System.err.println("bench-serve: " + option + " needs a value");
            System.exit(2);
        }
        return value;
    }

    private static byte[] png(long seed, int size) throws IOException {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bos);
        return bos.toByteArray();
    }

    private static byte[] jsonBatch(List<byte[]> pngs, int first, int count) {
        StringBuilder sb = new StringBuilder("{\"images\":[");
        for (int k = 0; k < count; k++) {
            sb.append(k == 0 ? "\"" : ",\"")
                    .append(java.util.Base64.getEncoder().encodeToString(pngs.get((first + k) % pngs.size()))).append('"');
        }
        return sb.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static double batchSum(EmbeddingServer s) {
        return sample(s, "jepa4j_batch_size_sum ");
    }

    private static double batchCount(EmbeddingServer s) {
        return sample(s, "jepa4j_batch_size_count ");
    }

    private static double sample(EmbeddingServer s, String prefix) {
        return s.metrics().render().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).findFirst().orElse(0);
    }

    /** Closed loop: each client sends its next request when the previous answer arrived. */
    static Result run(EmbeddingServer server, List<byte[]> bodies, String contentType, int perRequest, int clients,
                      double seconds, String label)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = URI.create(server.baseUrl() + "/v1/embeddings");
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                long[] lat = new long[1024];
                int n = 0;
                long errors = 0;
                int i = client;
                while (System.nanoTime() < end) {
                    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", contentType)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i++ % bodies.size()))).build();
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                    long dt = System.nanoTime() - t0;
                    if (r.statusCode() != 200) {
                        errors++;
                        continue;
                    }
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = dt;
                }
                long[] out = Arrays.copyOf(lat, n + 1);
                out[n] = errors; // last slot: this client's errors
                return out;
            }));
        }
        List<Long> all = new ArrayList<>();
        long errors = 0;
        for (Future<long[]> f : futures) {
            long[] v = f.get((long) seconds + 120, TimeUnit.SECONDS);
            for (int i = 0; i < v.length - 1; i++) {
                all.add(v[i]);
            }
            errors += v[v.length - 1];
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(label, clients, perRequest, sorted.length, errors, elapsed, percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6, 0);
    }

    /** Nearest-rank percentile of sorted values (NaN when empty). */
    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void print(Path model, int lanes, List<Result> results) {
        System.out.printf(Locale.ROOT, "bench-serve: %s, %d random PNG(s) per request, loopback, %d CPUs, %d lane%s%n",
                model.getFileName(), results.get(0).imagesPerRequest(), Runtime.getRuntime().availableProcessors(),
                lanes, lanes == 1 ? "" : "s");
        System.out.printf(Locale.ROOT, "%-13s %7s %9s %9s %9s %10s %9s %9s %7s%n", "config", "clients", "requests",
                "req/s", "images/s", "mean batch", "p50 ms", "p99 ms", "errors");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-13s %7d %9d %9.1f %9.1f %10.2f %9.2f %9.2f %7d%n", r.config(), r.clients(),
                    r.requests(), r.requestsPerSecond(), r.imagesPerSecond(), r.meanBatch(), r.p50Ms(), r.p99Ms(),
                    r.errors());
        }
        if (results.size() == 2) {
            Result one = results.get(0);
            Result many = results.get(1);
            System.out.printf(Locale.ROOT, "batching (max-batch 32 vs 1): throughput x%.2f, p50 latency x%.2f, p99 latency x%.2f%n",
                    many.requestsPerSecond() / one.requestsPerSecond(), many.p50Ms() / one.p50Ms(), many.p99Ms() / one.p99Ms());
        }
    }
}
