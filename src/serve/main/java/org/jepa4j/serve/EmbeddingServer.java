package org.jepa4j.serve;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves image features over HTTP (Vert.x Web):
 * <ul>
 *   <li>{@code POST /v1/embeddings}: one image as the body ({@code image/png}, {@code image/jpeg},
 *       {@code image/bmp}, {@code image/gif}, {@code application/octet-stream}; feature by
 *       {@code ?feature=}) or {@code application/json} {@code {"images": ["<base64>", ...], "feature": "pooled"}};
 *       answers {@code {"model", "dimension", "feature", "data": [{"index", "embedding"}]}}</li>
 *   <li>{@code GET /v1/model}, {@code GET /healthz}, {@code GET /readyz}, {@code GET /metrics} (Prometheus text)</li>
 * </ul>
 * The event loop only routes and answers: bodies are parsed, decoded and preprocessed on a decode
 * pool, and the model runs on {@link MicroBatcher} workers, one batcher per served feature.
 *
 * <p>The concerns live apart: {@link Routes} (routing and the mapping of every failure to a JSON
 * error), {@link RequestCodec} (the request and answer format), {@link ConnectionTimers} (slow and
 * idle clients), {@link Admission} (the decode pools, the pixel budget and the batch queues); this
 * class wires them and drains on {@link #close()}.
 *
 * <p>{@link #close()} is graceful: readiness turns 503 and new embedding requests answer 503 with
 * {@code Connection: close} for the drain period, requests already accepted finish and are
 * answered, then the listener shuts down and the models close. {@link ServerLifecycle} ties it to
 * SIGTERM.
 */
public final class EmbeddingServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddingServer.class.getName());

    private final ServeOptions options;
    private final Map<String, BatchEmbedder> embedders;
    private final ModelDescription model;
    private final ServeMetrics metrics;
    private final Admission admission;
    private final Vertx vertx;
    private final HttpServer http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    private EmbeddingServer(ServeOptions options, List<BatchEmbedder> embedders) {
        this.options = options;
        this.embedders = new LinkedHashMap<>();
        Map<String, Integer> dimensions = new LinkedHashMap<>();
        for (BatchEmbedder e : embedders) {
            if (this.embedders.put(e.describe().feature(), e) != null) {
                throw new IllegalArgumentException("feature '" + e.describe().feature() + "' is served twice");
            }
            dimensions.put(e.describe().feature(), e.describe().dimension());
        }
        this.model = embedders.get(0).describe();
        this.metrics = new ServeMetrics(this::queueDepth, Map.of("model", model.modelId(), "feature",
                String.join(",", this.embedders.keySet()), "provider", model.provider(), "dimension",
                Integer.toString(model.dimension())));
        this.admission = new Admission(options, this.embedders, metrics);
        int loops = Math.max(1, Math.min(4, options.decodeThreads()));
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setWorkerPoolSize(1));
        ConnectionTimers timers = new ConnectionTimers(vertx, options.timeouts(), metrics, closing::get);
        Routes routes = new Routes(vertx, options, model, dimensions, metrics, admission, timers, closing::get, inFlight);
        // no Vert.x idle timeout: it also closed requests waiting for their batch (ConnectionTimers);
        // no h2c detection: it holds a new connection back from the connection handler (and so from the
        // idle timer) until its first bytes arrive. The server speaks HTTP/1.1.
        this.http = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port())
                .setCompressionSupported(false).setIdleTimeout(0).setHttp2ClearTextEnabled(false));
        http.connectionHandler(conn -> {
            // Vert.x internals (no public hook before its version check): see HttpVersionCheck
            if (conn instanceof io.vertx.core.net.impl.VertxConnection vc
                    && vc.channel().pipeline().get(HttpVersionCheck.DECODER) != null) {
                vc.channel().pipeline().addAfter(HttpVersionCheck.DECODER, HttpVersionCheck.NAME, new HttpVersionCheck());
            }
            timers.opened(conn);
            routes.opened(conn);
            conn.closeHandler(v -> {
                timers.closed(conn);
                routes.closed(conn);
            });
        });
        http.invalidRequestHandler(routes::invalidRequest);
        http.requestHandler(routes.router());
    }

    /** Images waiting for a batch (the metrics' queue gauge, made before the admission). */
    private int queueDepth() {
        return admission == null ? 0 : admission.queueDepth();
    }

    /**
     * Starts serving {@code embedders} (one per feature; the first is the default feature),
     * which the server then owns and closes. With {@link ServeOptions#port()} 0 the system picks a
     * free port, which {@link #port()} reports.
     *
     * @throws IOException when the address cannot be bound
     */
    public static EmbeddingServer start(List<? extends BatchEmbedder> embedders, ServeOptions options) throws IOException {
        if (embedders.isEmpty()) {
            throw new IllegalArgumentException("nothing to serve: no embedder given");
        }
        EmbeddingServer s = new EmbeddingServer(options, List.copyOf(embedders));
        try {
            s.http.listen().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            s.close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException("cannot listen on " + options.host() + ":" + options.port() + ": " + cause.getMessage(),
                    cause);
        }
        return s;
    }

    /** The bound TCP port (the one picked when {@link ServeOptions#port()} was 0). */
    public int port() {
        return http.actualPort();
    }

    /** The address the server listens on. */
    public String host() {
        return options.host();
    }

    /** {@code http://host:port}. */
    public String baseUrl() {
        String h = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + h + ":" + port();
    }

    /** The default feature's model description. */
    public ModelDescription model() {
        return model;
    }

    /** The server's counters, as {@code GET /metrics} renders them. */
    public ServeMetrics metrics() {
        return metrics;
    }

    /** Whether the server answers {@code /readyz} with 200: started and not shutting down. */
    public boolean ready() {
        return !closing.get();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful shutdown (the drain):
     * <ol>
     *   <li>at once: {@code /readyz} answers 503, every new embedding request 503 {@code shutting_down}
     *       with {@code Retry-After}, and every answer on any route carries {@code Connection: close},
     *       so each connection closes after its next answer;</li>
     *   <li>for {@link ServeOptions.Timeouts#drain()}, and until the accepted requests are answered (at most
     *       {@link ServeOptions#shutdownGrace()}), the listener keeps accepting and answering so;</li>
     *   <li>then the listener stops accepting (a new connection is refused), each connection still
     *       owing an answer writes it and closes, and a connection with no request in progress is
     *       closed at once: a request written to it after that point is never read, so never
     *       processed; its client sees the connection closed (or reset) without an answer, and may
     *       retry it elsewhere;</li>
     *   <li>the batch workers and the models close.</li>
     * </ol>
     * Idempotent; a second caller waits for the first.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            long start = System.nanoTime();
            long deadline = start + options.shutdownGrace().toNanos();
            long drained = start + options.timeouts().drain().toNanos();
            while ((inFlight.get() > 0 && System.nanoTime() < deadline) || System.nanoTime() < drained) {
                Thread.sleep(5);
            }
            if (inFlight.get() > 0) {
                LOG.log(System.Logger.Level.WARNING, inFlight.get() + " requests still running after the "
                        + options.shutdownGrace().toSeconds() + " s grace period; closing anyway");
            }
            admission.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            try {
                // stops accepting, lets each connection write what it owes, then closes it
                http.shutdown(5, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing the HTTP listener: " + e);
            }
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing Vert.x: " + e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (BatchEmbedder e : embedders.values()) {
                try {
                    e.close();
                } catch (RuntimeException ex) {
                    LOG.log(System.Logger.Level.WARNING, "closing model " + e.describe().feature() + ": " + ex);
                }
            }
            closed.countDown();
        }
    }
}
