package org.jepa4j.bench;

import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.serve.EmbeddingServer;
import org.jepa4j.serve.OnnxEmbedder;
import org.jepa4j.serve.ServeOptions;

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

/**
 * What dynamic batching buys and what serving costs: starts the server in-process on loopback twice,
 * with {@code --max-batch 1} and {@code --max-batch 32}, drives each with {@code clients} closed-loop
 * clients (one PNG per request, next request when the answer arrives) for {@code seconds}, and
 * prints throughput and latency percentiles side by side, next to the extractor's own images/s
 * ({@link FeatureExtractor#embedStacked}, preprocessed inputs, no HTTP) at the mean batch size the
 * server ran, measured in the same process in turns alternating with the served ones
 * ({@code --turns}), and the ratio served/engine.
 *
 * <p>With {@code --large-clients N}, N more clients send large but legal images
 * ({@code --large-size} pixels square) alongside, and the two configurations are the server
 * without and with its large-image decode pool ({@code --large-image-pixels}): the small requests'
 * p99 and worst latency show whether large images starve them.
 * <pre>
 * tools/bench-serve --model encoder.onnx [--clients 16] [--seconds 10] [--max-wait-ms 5] [--threads 0] [--lanes 1] [--image-size S]
 *                   [--large-clients N --large-size 2000]
 * </pre>
 */
public final class ServeBenchmark {

    record Result(String config, int clients, int imagesPerRequest, long requests, long errors, double seconds,
                  double p50Ms, double p99Ms, double maxMs, double meanBatch, double engineImagesPerSecond) {
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
        int largeClients = 0;
        int largeSize = 2000;
        int turns = 4;
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
                case "--large-clients" -> largeClients = Integer.parseInt(need(a, v));
                case "--large-size" -> largeSize = Integer.parseInt(need(a, v));
                case "--turns" -> turns = Integer.parseInt(need(a, v));
                case "-h", "--help" -> {
                    System.out.println("usage: bench-serve --model encoder.onnx [--clients 16] [--seconds 10] "
                            + "[--max-wait-ms 5] [--threads 0] [--lanes 1 (as serve --lanes)] [--image-size S (default: the model's)] "
                            + "[--images-per-request K (K > 1: JSON batches)] [--large-clients N --large-size PIXELS "
                            + "(N more clients sending PIXELSxPIXELS PNGs; compares the server without and with its "
                            + "large-image decode pool)] [--turns 4 (served and engine turns alternate)]");
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
                || lanes < 1 || largeClients < 0 || largeSize < 1 || turns < 1) {
            System.err.println("bench-serve: --model FILE is required; --clients ≥ 1; 0 < --seconds ≤ 600; "
                    + "1 ≤ --images-per-request ≤ 64; --lanes ≥ 1");
            System.exit(2);
        }
        ExtractorOptions eo = ExtractorOptions.builder().intraOpThreads(threads).lanes(lanes).build();
        List<Result> results = new ArrayList<>();
        List<Result> large = new ArrayList<>();
        List<double[]> cpu = new ArrayList<>();
        byte[] largePng = largeClients > 0 ? BenchImages.smoothPng(largeSize) : null;
        String[] labels = largeClients > 0 ? new String[] {"one decode pool", "large-image pool"}
                : new String[] {"max-batch 1", "max-batch 32"};
        for (int config = 0; config < 2; config++) {
            int maxBatch = largeClients > 0 || config == 1 ? 32 : 1;
            ServeOptions so = ServeOptions.builder().port(0).maxBatch(maxBatch)
                    .maxWait(Duration.ofNanos(Math.round(maxWaitMs * 1e6))).queue(Math.max(256, 4 * clients)).build();
            if (largeClients > 0 && config == 0) {
                // everything on the one pool: large images decode where small ones do
                so = so.toBuilder().decodeBudget(new ServeOptions.DecodeBudget(so.maxPixels(), so.maxPixels(), 1, 4)).build();
            }
            try (EmbeddingServer server = EmbeddingServer.start(OnnxEmbedder.open(model, List.of(FeatureKind.POOLED), eo), so)) {
                int size = imageSize > 0 ? imageSize : server.model().imageSize();
                List<byte[]> pngs = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    pngs.add(BenchImages.randomPng(i, size));
                }
                List<byte[]> bodies = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    bodies.add(perRequest == 1 ? pngs.get(i) : BenchImages.jsonBatch(pngs, i, perRequest));
                }
                String type = perRequest == 1 ? "image/png" : "application/json";
                String label = labels[config];
                System.err.printf(Locale.ROOT, "bench-serve: %s, %d clients%s, %.0f s (+1 s warm-up) on %s ...%n",
                        label, clients, largeClients > 0 ? " + " + largeClients + " sending " + largeSize + "x" + largeSize
                                + " PNGs" : "", seconds, server.baseUrl());
                runWithLarge(server, bodies, type, perRequest, clients, 1.0, null, 0); // warm-up: JIT, ONNX Runtime arenas
                double before = batchSum(server);
                double beforeCount = batchCount(server);
                // served and engine turns alternate, so a change in the host's load hits both alike
                int n = largeClients > 0 ? 1 : turns;
                Raw[] total = {new Raw(new ArrayList<>(), 0, 0, 0), new Raw(new ArrayList<>(), 0, 0, 0)};
                try (Engine engine = largeClients > 0 ? null : new Engine(model, eo)) {
                    for (int t = 0; t < n; t++) {
                        Raw[] r = runWithLarge(server, bodies, type, perRequest, clients, seconds / n, largePng,
                                largeClients);
                        total[0] = total[0].plus(r[0]);
                        total[1] = total[1].plus(r[1]);
                        if (engine != null) {
                            double batches = batchCount(server) - beforeCount;
                            engine.turn(batches == 0 ? 1 : (batchSum(server) - before) / batches, seconds / n);
                        }
                    }
                    double batches = batchCount(server) - beforeCount;
                    double meanBatch = batches == 0 ? 0 : (batchSum(server) - before) / batches;
                    results.add(withBatch(total[0].result(label, clients, perRequest), meanBatch,
                            engine == null ? Double.NaN : engine.imagesPerSecond()));
                    if (engine != null) {
                        double images = (double) total[0].latencies().size() * perRequest;
                        cpu.add(new double[] {total[0].serverCpuNanos() / images / 1e6, engine.cpuMsPerImage()});
                    }
                    if (largePng != null) {
                        large.add(total[1].result(label, largeClients, 1));
                    }
                }
            }
        }
        print(model, lanes, results, large);
        for (int i = 0; i < cpu.size(); i++) {
            System.out.printf(Locale.ROOT, "%-13s process CPU ms/image without the load generator's threads: served %.3f,"
                    + " engine %.3f, engine/served %.2f%n", results.get(i).config(), cpu.get(i)[0], cpu.get(i)[1],
                    cpu.get(i)[1] / cpu.get(i)[0]);
        }
    }

    /** CPU time of this process so far (ns). */
    static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private static Result withBatch(Result r, double meanBatch, double engine) {
        return new Result(r.config(), r.clients(), r.imagesPerRequest(), r.requests(), r.errors(), r.seconds(),
                r.p50Ms(), r.p99Ms(), r.maxMs(), meanBatch, engine);
    }

    /**
     * The extractor alone (same model and options, its own session) on already preprocessed inputs,
     * in turns between the served ones, each in batches of the mean batch size the server has run so
     * far (rounded).
     */
    private static final class Engine implements AutoCloseable {
        private final FeatureExtractor fx;
        private final int length;
        private long images;
        private double seconds;
        private long cpuNanos;

        Engine(Path model, ExtractorOptions eo) throws IOException {
            fx = FeatureExtractor.open(model, eo);
            length = fx.transform().outputLength();
            turn(8, 0.5); // warm-up
            images = 0;
            seconds = 0;
            cpuNanos = 0;
        }

        void turn(double meanBatch, double turnSeconds) {
            int batch = Math.max(1, (int) Math.round(meanBatch));
            float[] pixels = new float[batch * length];
            Random r = new Random(1);
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) r.nextGaussian();
            }
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            long end = t0 + (long) (turnSeconds * 1e9);
            do {
                fx.embedStacked(pixels, batch);
                images += batch;
            } while (System.nanoTime() < end);
            seconds += (System.nanoTime() - t0) / 1e9;
            cpuNanos += processCpuNanos() - cpu0;
        }

        /** Process CPU per image during the engine turns (the idle server's threads included). */
        double cpuMsPerImage() {
            return cpuNanos / (double) images / 1e6;
        }

        double imagesPerSecond() {
            return images / seconds;
        }

        @Override
        public void close() {
            fx.close();
        }
    }

    private static String need(String option, String value) {
        if (value == null) {
            System.err.println("bench-serve: " + option + " needs a value");
            System.exit(2);
        }
        return value;
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

    /** Latencies (ns), errors and the seconds of one or more turns of one class of clients. */
    record Raw(List<Long> latencies, long errors, double seconds, long serverCpuNanos) {
        Raw plus(Raw o) {
            if (o == null) {
                return this;
            }
            List<Long> all = new ArrayList<>(latencies);
            all.addAll(o.latencies);
            return new Raw(all, errors + o.errors, seconds + o.seconds, serverCpuNanos + o.serverCpuNanos);
        }

        Result result(String label, int clients, int perRequest) {
            return ServeBenchmark.result(label, clients, perRequest, latencies, errors, seconds);
        }
    }

    /**
     * Closed loop: each client sends its next request when the previous answer arrived; {@code largeClients}
     * more send {@code largeBody} (a PNG) the same way. Returns the small clients' turn and the large
     * ones' (null without them); a refused request (429) counts as an error and is retried.
     */
    static Raw[] runWithLarge(EmbeddingServer server, List<byte[]> bodies, String contentType, int perRequest,
                              int clients, double seconds, byte[] largeBody, int largeClients)
            throws Exception {
        // the load generator's threads (clients, the HTTP client's executor and selector) are known, so
        // that their CPU can be taken out of the process's: what remains is the server's
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        List<Thread> clientThreads = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.ThreadFactory tracked = r -> {
            Thread t = new Thread(r, "bench-client");
            t.setDaemon(true);
            clientThreads.add(t);
            return t;
        };
        ExecutorService httpExecutor = Executors.newFixedThreadPool(2, tracked);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(httpExecutor)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = URI.create(server.baseUrl() + "/v1/embeddings");
        int all = clients + (largeBody == null ? 0 : largeClients);
        ExecutorService pool = Executors.newFixedThreadPool(all, tracked);
        java.util.Set<Long> before = new java.util.HashSet<>();
        for (long id : threads.getAllThreadIds()) {
            before.add(id);
        }
        long cpuStart = processCpuNanos();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < all; c++) {
            int client = c;
            boolean isLarge = c >= clients;
            futures.add(pool.submit(() -> {
                long[] lat = new long[1024];
                int n = 0;
                long errors = 0;
                int i = client;
                while (System.nanoTime() < end) {
                    byte[] body = isLarge ? largeBody : bodies.get(i++ % bodies.size());
                    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", isLarge ? "image/png" : contentType)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                    long dt = System.nanoTime() - t0;
                    if (r.statusCode() != 200) {
                        errors++;
                        if (r.statusCode() == 429) {
                            Thread.sleep(10); // a real client backs off; do not spin on refusals
                        }
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
        List<Long> small = new ArrayList<>();
        List<Long> big = new ArrayList<>();
        long smallErrors = 0;
        long bigErrors = 0;
        for (int c = 0; c < futures.size(); c++) {
            long[] v = futures.get(c).get((long) seconds + 120, TimeUnit.SECONDS);
            List<Long> into = c < clients ? small : big;
            for (int i = 0; i < v.length - 1; i++) {
                into.add(v[i]);
            }
            if (c < clients) {
                smallErrors += v[v.length - 1];
            } else {
                bigErrors += v[v.length - 1];
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long cpuAll = processCpuNanos() - cpuStart;
        long clientCpu = 0;
        synchronized (clientThreads) {
            for (Thread t : clientThreads) {
                clientCpu += Math.max(0, threads.getThreadCpuTime(t.getId()));
            }
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("HttpClient-") && !before.contains(t.getId())) {
                clientCpu += Math.max(0, threads.getThreadCpuTime(t.getId())); // the HTTP client's selector
            }
        }
        long serverCpu = Math.max(0, cpuAll - clientCpu);
        pool.shutdown();
        httpExecutor.shutdown();
        return new Raw[] {new Raw(small, smallErrors, elapsed, serverCpu),
                largeBody == null ? null : new Raw(big, bigErrors, elapsed, 0)};
    }

    private static Result result(String label, int clients, int perRequest, List<Long> latencies, long errors,
                                 double elapsed) {
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(label, clients, perRequest, sorted.length, errors, elapsed, percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6, sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6, 0,
                Double.NaN);
    }

    /** Nearest-rank percentile of sorted values (NaN when empty). */
    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void print(Path model, int lanes, List<Result> results, List<Result> large) {
        System.out.printf(Locale.ROOT, "bench-serve: %s, %d random PNG(s) per request, loopback, %d CPUs, %d lane%s%n",
                model.getFileName(), results.get(0).imagesPerRequest(), Runtime.getRuntime().availableProcessors(),
                lanes, lanes == 1 ? "" : "s");
        if (!large.isEmpty()) {
            System.out.printf(Locale.ROOT, "%-17s %-6s %7s %9s %9s %9s %9s %9s %7s%n", "config", "class", "clients",
                    "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors");
            for (int i = 0; i < results.size(); i++) {
                for (Result r : List.of(results.get(i), large.get(i))) {
                    System.out.printf(Locale.ROOT, "%-17s %-6s %7d %9d %9.1f %9.2f %9.2f %9.2f %7d%n", r.config(),
                            r == results.get(i) ? "small" : "large", r.clients(), r.requests(), r.requestsPerSecond(),
                            r.p50Ms(), r.p99Ms(), r.maxMs(), r.errors());
                }
            }
            System.out.printf(Locale.ROOT, "small requests with the large-image pool: p99 x%.2f, worst x%.2f of one pool%n",
                    results.get(1).p99Ms() / results.get(0).p99Ms(), results.get(1).maxMs() / results.get(0).maxMs());
            return;
        }
        System.out.printf(Locale.ROOT, "%-13s %7s %9s %9s %9s %10s %9s %9s %7s %11s %9s%n", "config", "clients", "requests",
                "req/s", "images/s", "mean batch", "p50 ms", "p99 ms", "errors", "engine im/s", "served/eng");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-13s %7d %9d %9.1f %9.1f %10.2f %9.2f %9.2f %7d %11.1f %9.2f%n", r.config(),
                    r.clients(), r.requests(), r.requestsPerSecond(), r.imagesPerSecond(), r.meanBatch(), r.p50Ms(),
                    r.p99Ms(), r.errors(), r.engineImagesPerSecond(), r.imagesPerSecond() / r.engineImagesPerSecond());
        }
        if (results.size() == 2) {
            Result one = results.get(0);
            Result many = results.get(1);
            System.out.printf(Locale.ROOT, "batching (max-batch 32 vs 1): throughput x%.2f, p50 latency x%.2f, p99 latency x%.2f%n",
                    many.requestsPerSecond() / one.requestsPerSecond(), many.p50Ms() / one.p50Ms(), many.p99Ms() / one.p99Ms());
        }
    }
}
