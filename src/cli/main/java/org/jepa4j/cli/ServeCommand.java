package org.jepa4j.cli;

import org.jepa4j.infer.ExecutionProvider;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.serve.EmbeddingServer;
import org.jepa4j.serve.ModelDescription;
import org.jepa4j.serve.OnnxEmbedder;
import org.jepa4j.serve.ServeOptions;
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

/**
 * {@code jepa4j serve}: serves an exported encoder's features over HTTP until SIGTERM/SIGINT,
 * then shuts down gracefully (see {@link EmbeddingServer}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve image features of an exported ONNX encoder over HTTP (POST /v1/embeddings, "
                + "GET /v1/model, /healthz, /readyz, /metrics), with dynamic micro-batching.",
                "Stops gracefully on SIGTERM/SIGINT: readiness turns 503, accepted requests finish, then the model closes."})
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
                    + "requests choose others with \"feature\" or ?feature= (one model session each) (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--shutdown-grace-s", defaultValue = "30",
            description = "How long shutdown waits for in-flight requests, s (default: ${DEFAULT-VALUE}).")
    int graceSeconds;

    @Spec
    CommandSpec spec;

    /** The running server, once started (tests close it to end {@link #call()}). */
    final java.util.concurrent.CompletableFuture<EmbeddingServer> started = new java.util.concurrent.CompletableFuture<>();

    /** The server options these flags describe. */
    ServeOptions serveOptions() {
        if (maxWaitMs < 0 || graceSeconds < 0) {
            throw new IllegalArgumentException("--max-wait-ms and --shutdown-grace-s must not be negative");
        }
        ServeOptions o = ServeOptions.defaults().withHost(host).withPort(port).withMaxBatch(maxBatch)
                .withMaxWait(Duration.ofNanos(Math.round(maxWaitMs * 1e6))).withQueue(queue).withWorkers(workers)
                .withMaxBodyBytes(ServeOptions.parseBytes(maxBody)).withMaxPixels(maxPixels)
                .withShutdownGrace(Duration.ofSeconds(graceSeconds));
        return decodeThreads == null ? o : o.withDecodeThreads(decodeThreads);
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
        ExtractorOptions extractor = runtime.applyTo(ExtractorOptions.builder(), 1).provider(ExecutionProvider.parse(provider))
                .build();
        PrintWriter out = spec.commandLine().getOut();
        EmbeddingServer server = EmbeddingServer.start(OnnxEmbedder.open(model, kinds, extractor), options);
        Thread hook = new Thread(() -> {
            System.err.println("jepa4j serve: shutting down (finishing accepted requests) ...");
            server.close();
            System.err.println("jepa4j serve: stopped");
        }, "jepa4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ModelDescription m = server.model();
        out.printf(Locale.ROOT, "jepa4j serve: model %s, feature %s (dimension %d)%s, provider %s, listening on %s "
                        + "(port %d; max batch %d, max wait %s ms, queue %d)%n",
                m.modelId(), m.feature(), m.dimension(), kinds.size() > 1 ? ", also " + kinds.subList(1, kinds.size()) : "",
                m.provider(), server.baseUrl(), server.port(), options.maxBatch(), fmt(maxWaitMs), options.queue());
        out.flush();
        started.complete(server);
        server.awaitClosed();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is what closed the server
        }
        return 0;
    }

    private static String fmt(double ms) {
        return ms == Math.rint(ms) ? Long.toString((long) ms) : Double.toString(ms);
    }
}
