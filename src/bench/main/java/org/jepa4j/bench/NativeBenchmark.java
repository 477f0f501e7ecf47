package org.jepa4j.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code tools/bench-native}: the native {@code jepa4j} executable against the JVM command line
 * ({@code java -jar src/cli/target/jepa4j.jar}, as {@code tools/jepa4j} runs it), side by side in
 * one run, in alternating turns: start to first vector ({@code embed} of one image, whole process),
 * {@code embed} images/s on a synthetic set, {@code serve} ready time (start to the start-up line)
 * and images/s under closed-loop clients, peak RSS of each, and what each needs on disk.
 * <pre>
 * tools/bench-native [--model encoder.onnx] [--native src/native/target/jepa4j] [--jar src/cli/target/jepa4j.jar]
 *                    [--turns 5] [--images 2048] [--seconds 10] [--clients 4]
 * </pre>
 * Without {@code --model} it exports an initialised ViT of the training benchmark's shape
 * ({@code graphs/bench_w192d6.yaml}: 32x32x3, patch 4, width 192, depth 6, 3 heads).
 */
@Command(name = "bench-native", mixinStandardHelpOptions = true,
        description = "Native executable against the JVM command line: start-up, throughput, peak RSS, size.")
public final class NativeBenchmark implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "FILE", description = "Exported encoder (default: an initialised w192 d6 ViT).")
    Path model;

    @Option(names = "--native", paramLabel = "FILE", description = "The native executable (default: src/native/target/jepa4j).")
    Path executable;

    @Option(names = "--jar", paramLabel = "FILE", description = "The JVM command line (default: src/cli/target/jepa4j.jar).")
    Path jar;

    @Option(names = "--turns", defaultValue = "5", description = "Alternating runs of each measurement (default: ${DEFAULT-VALUE}).")
    int turns;

    @Option(names = "--images", defaultValue = "2048", description = "Synthetic images for embed's images/s (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--seconds", defaultValue = "10", description = "Load on each server, s (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--clients", defaultValue = "4", description = "Closed-loop clients of each server (default: ${DEFAULT-VALUE}).")
    int clients;

    private static final Path TIME = Path.of("/usr/bin/time");

    /** One finished process: wall time and peak resident set. */
    record Run(double wallMs, long peakRssKb) {
    }

    /** What one side measured, each a median over the turns. */
    static final class Side {
        final List<Double> firstVectorMs = new ArrayList<>();
        final List<Double> firstVectorRssMb = new ArrayList<>();
        final List<Double> embedImagesPerSecond = new ArrayList<>();
        final List<Double> embedRssMb = new ArrayList<>();
        final List<Double> readyMs = new ArrayList<>();
        final List<Double> serveImagesPerSecond = new ArrayList<>();
        final List<Double> serveRssMb = new ArrayList<>();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new NativeBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("jepa4j.home", "."));
        executable = executable != null ? executable : home.resolve("src/native/target/jepa4j");
        jar = jar != null ? jar : home.resolve("src/cli/target/jepa4j.jar");
        if (!Files.isExecutable(executable)) {
            throw new IllegalArgumentException("--native " + executable + ": no executable; build it with tools/jepa4j-native --version");
        }
        Path work = Files.createTempDirectory("jepa4j-bench-native");
        if (model == null) {
            model = RandomInitExports.fp32("bench_w192d6", work, System.out); // untrained, bench_w192d6's shape
        }
        Path one = Files.createDirectories(work.resolve("one"));
        Files.write(one.resolve("image.png"), BenchImages.randomPng(1, 32));
        List<String> jvm = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:MaxRAMPercentage=50", "-Djava.awt.headless=true", "-jar", jar.toString()));
        Map<String, List<String>> sides = new LinkedHashMap<>();
        sides.put("native", List.of(executable.toString()));
        sides.put("JVM", jvm);
        Map<String, Side> results = new LinkedHashMap<>();
        sides.keySet().forEach(k -> results.put(k, new Side()));
        System.out.printf(Locale.ROOT, "model %s; %d turns; embed of %d synthetic images; serve %d s with %d clients%n",
                model, turns, images, seconds, clients);
        for (int t = 0; t < turns; t++) {
            for (var e : sides.entrySet()) {
                Side s = results.get(e.getKey());
                Run first = timed(cmd(e.getValue(), "embed", "--model", model.toString(), "--data", "folder:" + one,
                        "--out", work.resolve("first.npy").toString()), work);
                s.firstVectorMs.add(first.wallMs());
                s.firstVectorRssMb.add(first.peakRssKb() / 1024.0);
                Run many = timed(cmd(e.getValue(), "embed", "--model", model.toString(), "--data",
                        "synthetic:count=" + images + ",size=32", "--batch-size", "64", "--out",
                        work.resolve("many.npy").toString()), work);
                s.embedImagesPerSecond.add(images / (many.wallMs() / 1000));
                s.embedRssMb.add(many.peakRssKb() / 1024.0);
                serve(cmd(e.getValue(), "serve", "--model", model.toString(), "--port", "0", "--drain-ms", "0"), work, s);
            }
        }
        System.out.println();
        System.out.println("| measure (median of " + turns + ") | native | JVM | JVM / native |");
        System.out.println("|---|---|---|---|");
        Side n = results.get("native");
        Side j = results.get("JVM");
        row("embed: start to first vector, ms (1 image, whole process)", median(n.firstVectorMs), median(j.firstVectorMs), "%.0f");
        row("embed: peak RSS, MB (1 image)", median(n.firstVectorRssMb), median(j.firstVectorRssMb), "%.0f");
        row("embed: images/s (" + images + " images, whole process)", median(n.embedImagesPerSecond),
                median(j.embedImagesPerSecond), "%.0f");
        row("embed: peak RSS, MB (" + images + " images)", median(n.embedRssMb), median(j.embedRssMb), "%.0f");
        row("serve: start to ready, ms", median(n.readyMs), median(j.readyMs), "%.0f");
        row("serve: images/s (" + clients + " clients, 32x32 PNG)", median(n.serveImagesPerSecond),
                median(j.serveImagesPerSecond), "%.0f");
        row("serve: peak RSS, MB", median(n.serveRssMb), median(j.serveRssMb), "%.0f");
        Path lib = executable.resolveSibling(executable.getFileName() + ".lib");
        double nativeMb = size(executable) / 1e6;
        double libMb = Files.isDirectory(lib) ? size(lib) / 1e6 : 0;
        double jvmMb = (size(jar) + size(jar.resolveSibling("lib"))) / 1e6;
        System.out.printf(Locale.ROOT, "| on disk, MB | %.1f (+ %.1f in %s) | %.1f (jar and lib/, JDK not counted) | |%n",
                nativeMb, libMb, lib.getFileName(), jvmMb);
        return 0;
    }

    private static void row(String what, double nativeValue, double jvmValue, String format) {
        System.out.printf(Locale.ROOT, "| %s | " + format + " | " + format + " | %.2f |%n", what, nativeValue, jvmValue,
                jvmValue / nativeValue);
    }

    private static List<String> cmd(List<String> base, String... args) {
        return Stream.concat(base.stream(), Stream.of(args)).toList();
    }

    /** Runs a command to its end under /usr/bin/time (peak RSS), failing on a non-zero exit. */
    private static Run timed(List<String> command, Path dir) throws IOException, InterruptedException {
        Path rss = dir.resolve("rss.txt");
        List<String> c = new ArrayList<>();
        boolean gnuTime = Files.isExecutable(TIME);
        if (gnuTime) {
            c.addAll(List.of(TIME.toString(), "-f", "%M", "-o", rss.toString()));
        }
        c.addAll(command);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(c).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile()).start();
        int code = p.waitFor();
        double ms = (System.nanoTime() - t0) / 1e6;
        if (code != 0) {
            throw new IllegalStateException(command + " exited " + code + ": " + Files.readString(dir.resolve("log.txt")));
        }
        long kb = gnuTime ? Long.parseLong(Files.readString(rss).strip().lines().reduce((a, b) -> b).orElse("0")) : -1;
        return new Run(ms, kb);
    }

    /** Starts a server, times it to its start-up line, loads it, reads its peak RSS, stops it with SIGTERM. */
    private void serve(List<String> command, Path dir, Side side) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(dir.resolve("serve.err").toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            side.readyMs.add((System.nanoTime() - t0) / 1e6);
            Matcher m = Pattern.compile("listening on (http://\\S+) ").matcher(line == null ? "" : line);
            if (!m.find()) {
                throw new IllegalStateException("no start-up line from " + command + ": " + line);
            }
            URI uri = URI.create(m.group(1) + "/v1/embeddings");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<Long>> counts = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                byte[] body = BenchImages.randomPng(c, 32);
                counts.add(pool.submit(() -> {
                    long done = 0;
                    while (!stop.get()) {
                        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "image/png")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("status " + r.statusCode());
                        }
                        done++;
                    }
                    return done;
                }));
            }
            long start = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            stop.set(true);
            long total = 0;
            for (Future<Long> f : counts) {
                total += f.get(60, TimeUnit.SECONDS);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            side.serveImagesPerSecond.add(total / secs);
            side.serveRssMb.add(peakRssKb(p.pid()) / 1024.0);
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** VmHWM of a running process: its peak resident set so far. */
    private static long peakRssKb(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmHWM:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static long size(Path p) throws IOException {
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
