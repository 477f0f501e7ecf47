package org.jepa4j.commands;

import org.jepa4j.infer.ExecutionProvider;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.serve.EmbeddingServer;
import org.jepa4j.serve.ModelDescription;
import org.jepa4j.serve.OnnxEmbedder;
import org.jepa4j.serve.ServeOptions;
import org.jepa4j.serve.ServerLifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * {@code jepa4j serve}: serves an exported encoder's features over HTTP until SIGTERM/SIGINT,
 * then shuts down gracefully (see {@link EmbeddingServer}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve image features of an exported ONNX encoder over HTTP (POST /v1/embeddings, "
                + "GET /v1/model, /healthz, /readyz, /metrics), with dynamic micro-batching.",
                "Stops gracefully on SIGTERM/SIGINT: readiness turns 503, new work answers 503 with Connection: close for"
                        + " --drain-ms, accepted requests finish and are answered, then it exits 0."})
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "Exported encoder, e.g. encoder.onnx.")
    Path model;

    @Option(names = "--host", defaultValue = ServeOptions.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for all interfaces).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--max-batch", defaultValue = "32", description = "Most images per model run (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5",
            description = "How long a batch waits for more images after its first, ms (default: ${DEFAULT-VALUE}).")
    double maxWaitMs;

    @Option(names = "--queue", defaultValue = "256",
            description = "Most images waiting for a batch; beyond, 429 with Retry-After (default: ${DEFAULT-VALUE}).")
    int queue;

    @Mixin
    OnnxRuntimeThreadOptions runtime;

    @Option(names = "--workers", defaultValue = "1",
            description = "Batch worker threads per feature, each running whole batches (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--decode-threads", description = "Threads decoding and preprocessing images (default: CPU count).")
    Integer decodeThreads;

    @Option(names = "--feature", defaultValue = "pooled", split = ",", paramLabel = "KIND[,KIND]",
            description = "Feature(s) to serve: pooled, pooled_last4, last_hidden_state, pooled_grid; the first is the default, "
                    + "requests choose others with \"feature\" or ?feature= (one model session for all) (default: ${DEFAULT-VALUE}).")
    List<String> features = new ArrayList<>();

    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda|tensorrt|auto",
            description = "ONNX Runtime execution provider (default: ${DEFAULT-VALUE}).")
    String provider;

    @Option(names = "--max-body-bytes", defaultValue = "16MiB", paramLabel = "SIZE",
            description = "Largest request body, e.g. 16MiB, 512KiB; larger answers 413 (default: ${DEFAULT-VALUE}).")
    String maxBody;

    @Option(names = "--max-pixels", defaultValue = "40000000",
            description = "Largest width*height an image header may declare; larger answers 413 before decoding "
                    + "(default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--read-timeout-ms", defaultValue = "30000",
            description = "A request not completely received this long after its head answers 408 and its connection"
                    + " closes (partial bodies, trickling clients) (default: ${DEFAULT-VALUE}).")
    long readTimeoutMs;

    @Option(names = "--idle-timeout-ms", defaultValue = "60000",
            description = "A connection with no request in progress this long is closed; a request waiting for its"
                    + " batch is not idle (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--drain-ms", defaultValue = "5000",
            description = "On SIGTERM, how long readiness and new work answer 503 (Connection: close) before the listener"
                    + " closes, so a load balancer notices (default: ${DEFAULT-VALUE}).")
    long drainMs;

    @Option(names = "--max-request-pixels", defaultValue = "40000000",
            description = "Most pixels the headers of one request's images may declare together; more answers 413 before"
                    + " decoding (default: ${DEFAULT-VALUE}).")
    long maxRequestPixels;

    @Option(names = "--large-image-pixels", defaultValue = "1000000",
            description = "Requests declaring more pixels are decoded on their own pool, so they cannot starve small"
                    + " requests (default: ${DEFAULT-VALUE}).")
    long largeImagePixels;

    @Option(names = "--large-decode-threads", defaultValue = "1",
            description = "Threads of that pool (default: ${DEFAULT-VALUE}).")
    int largeDecodeThreads;

    @Option(names = "--large-queue", defaultValue = "4",
            description = "Large requests waiting for that pool; more answer 429 (default: ${DEFAULT-VALUE}).")
    int largeQueue;

    @Option(names = "--describe-model-fully",
            description = "GET /v1/model shows the whole model metadata, file-system paths and training config included"
                    + " (default: only what clients need).")
    boolean describeFully;

    @Option(names = "--shutdown-grace-s", defaultValue = "30",
            description = "How long shutdown waits for in-flight requests, s (default: ${DEFAULT-VALUE}).")
    int graceSeconds;

    @Spec
    CommandSpec spec;

    private final CompletableFuture<EmbeddingServer> started = new CompletableFuture<>();

    /**
     * The running server, once started: closing it ends {@link #call()} as SIGTERM does.
     *
     * @return a future completed when the server listens
     */
    public CompletableFuture<EmbeddingServer> started() {
        return started;
    }

    /**
     * The server options these flags describe.
     *
     * @return options for {@link EmbeddingServer#start}
     */
    public ServeOptions serveOptions() {
        if (maxWaitMs < 0 || graceSeconds < 0) {
            throw new IllegalArgumentException("--max-wait-ms and --shutdown-grace-s must not be negative");
        }
        ServeOptions o = ServeOptions.builder().host(host).port(port).maxBatch(maxBatch)
                .maxWait(Duration.ofNanos(Math.round(maxWaitMs * 1e6))).queue(queue).workers(workers)
                .maxBodyBytes(ServeOptions.parseBytes(maxBody)).maxPixels(maxPixels)
                .shutdownGrace(Duration.ofSeconds(graceSeconds))
                .timeouts(new ServeOptions.Timeouts(Duration.ofMillis(readTimeoutMs), Duration.ofMillis(idleTimeoutMs),
                        Duration.ofMillis(drainMs)))
                .decodeBudget(new ServeOptions.DecodeBudget(maxRequestPixels, largeImagePixels, largeDecodeThreads,
                        largeQueue))
                .describeFully(describeFully).build();
        return decodeThreads == null ? o : o.toBuilder().decodeThreads(decodeThreads).build();
    }

    @Override
    public Integer call() throws Exception {
        ServeOptions options = serveOptions();
        List<FeatureKind> kinds = new ArrayList<>();
        for (String f : features) {
            FeatureKind k = FeatureKind.parse(f);
            if (kinds.contains(k)) {
                throw new IllegalArgumentException("--feature " + f + " is given twice");
            }
            kinds.add(k);
        }
        runtime.check();
        ExtractorOptions extractor = runtime.applyTo(ExtractorOptions.builder(), 1).provider(ExecutionProvider.parse(provider))
                .build();
        PrintWriter out = spec.commandLine().getOut();
        EmbeddingServer server = EmbeddingServer.start(OnnxEmbedder.open(model, kinds, extractor), options);
        ModelDescription m = server.model();
        out.printf(Locale.ROOT, "jepa4j serve: model %s, feature %s (dimension %d)%s, provider %s, listening on %s "
                        + "(port %d; max batch %d, max wait %s ms, queue %d)%n",
                m.modelId(), m.feature(), m.dimension(), kinds.size() > 1 ? ", also " + kinds.subList(1, kinds.size()) : "",
                m.provider(), server.baseUrl(), server.port(), options.maxBatch(), fmt(maxWaitMs), options.queue());
        out.flush();
        started.complete(server);
        return ServerLifecycle.serveUntilStopped(server, System.err);
    }

    private static String fmt(double ms) {
        return ms == Math.rint(ms) ? Long.toString((long) ms) : Double.toString(ms);
    }
}
