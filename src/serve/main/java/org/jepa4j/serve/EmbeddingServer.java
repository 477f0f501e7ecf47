package org.jepa4j.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.jepa4j.data.Image;
import org.jepa4j.metadata.OnnxMetadata;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
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
 * <p>Bounded everywhere a client could make it hold resources: bodies ({@code maxBodyBytes}), the
 * pixels an image and a request may declare (checked from the headers before decoding), the decode
 * work of large requests (their own pool and queue, {@link ServeOptions.DecodeBudget}, so that they
 * cannot starve small ones), the time to send a request and idle connections
 * ({@link ServeOptions.Timeouts}: 408 and the connection closed), JSON nesting and number lengths
 * (400 naming the problem, never 500).
 *
 * <p>{@link #close()} is graceful: readiness turns 503 and new embedding requests answer 503 with
 * {@code Connection: close} for the drain period, requests already accepted finish and are
 * answered, then the listener shuts down and the models close. {@link ServerLifecycle} ties it to
 * SIGTERM.
 */
public final class EmbeddingServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddingServer.class.getName());
    /** Writes answers. */
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory JSON_FACTORY = JSON.getFactory();
    /** Deepest nesting a request body may have: the request format needs 2. */
    static final int MAX_JSON_DEPTH = 8;
    /** Longest number literal a request body may hold (the format has none). */
    static final int MAX_JSON_NUMBER_LENGTH = 64;
    /** Reads requests: shallow nesting, short numbers, duplicate keys refused. */
    private static final ObjectMapper REQUEST_JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_DEPTH)
                    .maxNumberLength(MAX_JSON_NUMBER_LENGTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Metadata {@code GET /v1/model} shows by default: no file-system paths, no training config. */
    static final Set<String> PUBLIC_METADATA = Set.of(OnnxMetadata.MODEL, OnnxMetadata.ENCODER, OnnxMetadata.IMAGE_SIZE,
            OnnxMetadata.PATCH_SIZE, OnnxMetadata.CHANNELS, OnnxMetadata.MEAN, OnnxMetadata.STD, OnnxMetadata.RESIZE_SIZE,
            OnnxMetadata.FEATURES, OnnxMetadata.LAST4_BLOCKS, OnnxMetadata.STEP, OnnxMetadata.CONFIG_HASH,
            OnnxMetadata.VERSION, OnnxMetadata.SOURCE_SHA256);
    static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/jpg", "image/bmp", "image/x-ms-bmp",
            "image/gif", "application/octet-stream");
    static final Set<String> ROUTES = Set.of("/v1/embeddings", "/v1/model", "/healthz", "/readyz", "/metrics");

    private final ServeOptions options;
    private final Map<String, BatchEmbedder> embedders;
    private final Map<String, MicroBatcher> batchers;
    private final String defaultFeature;
    private final ModelDescription model;
    private final ImageDecoder decoder;
    private final ServeMetrics metrics;
    private final ThreadPoolExecutor decodePool;
    /** Decodes requests declaring more than {@link ServeOptions.DecodeBudget#largeImagePixels()}. */
    private final ThreadPoolExecutor largeDecodePool;
    private final ExecutorService responsePool;
    private final Vertx vertx;
    private final HttpServer http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    /** Per open connection: the timer that closes it when no complete request arrives in time. */
    private final Map<HttpConnection, Long> headerTimers = new ConcurrentHashMap<>();

    private EmbeddingServer(ServeOptions options, List<BatchEmbedder> embedders) {
        this.options = options;
        this.embedders = new LinkedHashMap<>();
        for (BatchEmbedder e : embedders) {
            if (this.embedders.put(e.describe().feature(), e) != null) {
                throw new IllegalArgumentException("feature '" + e.describe().feature() + "' is served twice");
            }
        }
        this.defaultFeature = embedders.get(0).describe().feature();
        this.model = embedders.get(0).describe();
        this.decoder = new ImageDecoder(options.maxPixels());
        this.batchers = new LinkedHashMap<>();
        this.metrics = new ServeMetrics(this::queueDepth, Map.of("model", model.modelId(), "feature",
                String.join(",", this.embedders.keySet()), "provider", model.provider(), "dimension",
                Integer.toString(model.dimension())));
        for (Map.Entry<String, BatchEmbedder> e : this.embedders.entrySet()) {
            batchers.put(e.getKey(), new MicroBatcher("jepa4j-batch-" + e.getKey(), e.getValue()::embedPrepared,
                    options.maxBatch(), options.maxWait(), options.queue(), options.workers(),
                    (size, nanos, failure) -> metrics.batch(size, nanos, failure != null)));
        }
        // bounded: a flood of bodies waits here at most `queue` deep, beyond that 429
        this.decodePool = new ThreadPoolExecutor(options.decodeThreads(), options.decodeThreads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(options.queue()), daemon("jepa4j-decode"), new ThreadPoolExecutor.AbortPolicy());
        ServeOptions.DecodeBudget budget = options.decodeBudget();
        this.largeDecodePool = new ThreadPoolExecutor(budget.largeDecodeThreads(), budget.largeDecodeThreads(), 30,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(budget.largeQueue()), daemon("jepa4j-decode-large"),
                new ThreadPoolExecutor.AbortPolicy());
        this.responsePool = Executors.newFixedThreadPool(Math.max(1, Math.min(4, options.decodeThreads())),
                daemon("jepa4j-respond"));
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(1, Math.min(4, options.decodeThreads())))
                .setWorkerPoolSize(1));
        this.http = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port())
                .setCompressionSupported(false)
                .setIdleTimeout(Math.toIntExact(Math.max(1, options.timeouts().idle().toMillis())))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
        http.connectionHandler(this::watchHeaders);
        http.requestHandler(router());
    }

    /**
     * Starts serving {@code embedders} (one per feature; the first is the default feature),
     * which the server then owns and closes.
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

    public ServeMetrics metrics() {
        return metrics;
    }

    /** Whether the server answers {@code /readyz} with 200: started and not shutting down. */
    public boolean ready() {
        return !closing.get();
    }

    private int queueDepth() {
        int d = 0;
        for (MicroBatcher b : batchers.values()) {
            d += b.depth();
        }
        return d;
    }

    // ---- routes

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(this::observe);
        router.route().handler(this::guardRead);
        router.get("/healthz").handler(ctx -> answerJson(ctx, 200, Map.of("status", "alive")));
        router.get("/readyz").handler(ctx -> {
            if (ready()) {
                answerJson(ctx, 200, Map.of("status", "ready", "model", model.modelId()));
            } else {
                answerError(ctx, shuttingDown("the server is shutting down"));
            }
        });
        router.get("/metrics").handler(ctx -> ctx.response().setStatusCode(200)
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.render()));
        router.get("/v1/model").handler(ctx -> answerJson(ctx, 200, describe()));
        // two routes: Vert.x Web wants the body handler first on its route
        router.post("/v1/embeddings").handler(this::checkContentType);
        router.post("/v1/embeddings").handler(BodyHandler.create(false).setBodyLimit(options.maxBodyBytes()))
                .handler(this::embed);
        router.errorHandler(404, ctx -> answerError(ctx, new RequestError(404, "not_found", "no route "
                + ctx.request().method() + " " + ctx.request().path() + "; routes: POST /v1/embeddings, GET /v1/model, "
                + "GET /healthz, GET /readyz, GET /metrics")));
        router.errorHandler(405, ctx -> {
            String path = ctx.normalizedPath();
            String allowed = path.equals("/v1/embeddings") ? "POST" : "GET";
            ctx.response().putHeader("Allow", allowed);
            answerError(ctx, new RequestError(405, "method_not_allowed", ctx.request().method() + " " + path
                    + " is not allowed; use " + allowed));
        });
        router.errorHandler(413, ctx -> answerError(ctx, new RequestError(413, "body_too_large",
                "request body exceeds " + options.maxBodyBytes() + " bytes (--max-body-bytes)")));
        router.errorHandler(400, ctx -> answerError(ctx, new RequestError(400, "bad_request",
                ctx.failure() == null ? "bad request" : "bad request: " + ctx.failure().getMessage())));
        router.errorHandler(408, ctx -> { }); // answered by guardRead
        router.errorHandler(500, ctx -> {
            Throwable f = ctx.failure();
            LOG.log(System.Logger.Level.ERROR, "request failed: " + f, f);
            answerError(ctx, new RequestError(500, "internal", "internal error: " + (f == null ? "unknown" : f)));
        });
        return router;
    }

    /** Records every answered request (route, method, status, latency) once its headers are written. */
    private void observe(RoutingContext ctx) {
        long t0 = System.nanoTime();
        String path = ctx.normalizedPath();
        String route = ROUTES.contains(path) ? path : "other";
        String method = ctx.request().method().name();
        ctx.addHeadersEndHandler(v -> metrics.request(route, method, ctx.response().getStatusCode(),
                System.nanoTime() - t0));
        ctx.next();
    }

    /**
     * A new connection must deliver a complete request head within idle + read time, and so must every
     * next request on it after an answer; a client trickling header bytes (which keeps the idle timer
     * from firing) is closed.
     */
    private void watchHeaders(HttpConnection conn) {
        armHeaderTimer(conn);
        conn.closeHandler(v -> {
            Long t = headerTimers.remove(conn);
            if (t != null) {
                vertx.cancelTimer(t);
            }
        });
    }

    private void armHeaderTimer(HttpConnection conn) {
        long ms = options.timeouts().idle().toMillis() + options.timeouts().read().toMillis();
        long id = vertx.setTimer(Math.max(1, ms), t -> {
            if (headerTimers.remove(conn, t)) {
                metrics.error("header_timeout");
                conn.close();
            }
        });
        Long old = headerTimers.put(conn, id);
        if (old != null) {
            vertx.cancelTimer(old);
        }
    }

    /**
     * A request must be read completely within {@link ServeOptions.Timeouts#read()} of its head
     * arriving; otherwise it answers 408 and its connection closes, so a partial body or a trickling
     * client holds nothing for longer.
     */
    private void guardRead(RoutingContext ctx) {
        HttpConnection conn = ctx.request().connection();
        if (conn != null) {
            Long t = headerTimers.remove(conn);
            if (t != null) {
                vertx.cancelTimer(t);
            }
        }
        if (!ctx.request().isEnded()) {
            long readMs = options.timeouts().read().toMillis();
            long timer = vertx.setTimer(Math.max(1, readMs), t -> {
                if (!ctx.request().isEnded() && !ctx.response().ended() && !ctx.response().closed()) {
                    ctx.response().putHeader("Connection", "close");
                    answerError(ctx, new RequestError(408, "read_timeout", "the request was not complete within "
                            + readMs + " ms (--read-timeout-ms); send the whole body at once"))
                            .onComplete(v -> {
                                if (conn != null) {
                                    conn.close();
                                }
                            });
                }
            });
            ctx.addEndHandler(v -> vertx.cancelTimer(timer));
        }
        if (conn != null) {
            ctx.addEndHandler(v -> {
                if (!closing.get() && !headerTimers.containsKey(conn)) {
                    armHeaderTimer(conn);
                }
            });
        }
        ctx.next();
    }

    private Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.modelId());
        m.put("feature", defaultFeature);
        m.put("dimension", model.dimension());
        Map<String, Integer> served = new LinkedHashMap<>();
        embedders.forEach((k, e) -> served.put(k, e.describe().dimension()));
        m.put("served_features", served);
        m.put("features", model.featureDimensions());
        m.put("provider", model.provider());
        m.put("image_size", model.imageSize());
        m.put("channels", model.channels());
        m.put("preprocessing", model.preprocessing());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("max_batch", options.maxBatch());
        limits.put("max_wait_ms", options.maxWait().toNanos() / 1e6);
        limits.put("queue", options.queue());
        limits.put("max_body_bytes", options.maxBodyBytes());
        limits.put("max_pixels", options.maxPixels());
        limits.put("max_request_pixels", options.decodeBudget().maxRequestPixels());
        limits.put("read_timeout_ms", options.timeouts().read().toMillis());
        m.put("limits", limits);
        Map<String, String> metadata = new java.util.TreeMap<>(model.metadata());
        if (!options.describeFully()) {
            metadata.keySet().retainAll(PUBLIC_METADATA);
        }
        m.put("metadata", metadata);
        return m;
    }

    private static String mediaType(RoutingContext ctx) {
        String ct = ctx.request().getHeader("Content-Type");
        if (ct == null) {
            return null;
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** 415 before the body is read, so a wrong upload costs nothing. */
    private void checkContentType(RoutingContext ctx) {
        String type = mediaType(ctx);
        if (type == null || !(type.equals("application/json") || IMAGE_TYPES.contains(type))) {
            answerError(ctx, new RequestError(415, "unsupported_media_type", "Content-Type "
                    + (type == null ? "missing" : "'" + type + "'") + ": send one image as image/png, image/jpeg, "
                    + "image/bmp, image/gif or application/octet-stream, or a batch as application/json "
                    + "{\"images\": [\"<base64>\", ...]}"));
            return;
        }
        ctx.next();
    }

    /** One accepted embedding request, answered exactly once. */
    private final class Exchange {
        final RoutingContext ctx;
        final Context context;
        final AtomicBoolean answered = new AtomicBoolean();

        Exchange(RoutingContext ctx) {
            this.ctx = ctx;
            this.context = vertx.getOrCreateContext();
        }

        void answer(int status, Buffer body) {
            if (answered.compareAndSet(false, true)) {
                context.runOnContext(v -> {
                    try {
                        if (!ctx.response().closed() && !ctx.response().ended()) {
                            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                                    .end(body);
                        }
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            }
        }

        void fail(Throwable t) {
            RequestError e = asRequestError(t);
            if (answered.compareAndSet(false, true)) {
                context.runOnContext(v -> {
                    try {
                        answerError(ctx, e);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            }
        }
    }

    private RequestError asRequestError(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RequestError r) {
            return r;
        }
        LOG.log(System.Logger.Level.ERROR, "embedding failed: " + t, t);
        return new RequestError(500, "model_failed", "the model failed: " + t.getMessage(), t);
    }

    private void embed(RoutingContext ctx) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return; // answered 408 by guardRead while its body was still arriving
        }
        // count first, then check: close() sets `closing` first, then waits for the count to drain
        inFlight.incrementAndGet();
        if (closing.get()) {
            inFlight.decrementAndGet();
            answerError(ctx, shuttingDown("the server is shutting down; retry elsewhere"));
            return;
        }
        Exchange ex = new Exchange(ctx);
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) {
            ex.fail(new RequestError(400, "empty_body", "empty body: expected an image or a JSON batch"));
            return;
        }
        String type = mediaType(ctx);
        List<String> featureParam = ctx.queryParam("feature");
        String feature = featureParam.isEmpty() ? null : featureParam.get(0);
        byte[] bytes = body.getBytes();
        try {
            decodePool.execute(() -> process(ex, type, bytes, feature));
        } catch (RejectedExecutionException e) {
            ex.fail(overloaded(decodePool.getQueue().size() + " requests waiting to be decoded"));
        }
    }

    private static RequestError shuttingDown(String message) {
        return new RequestError(503, "shutting_down", message);
    }

    private RequestError overloaded(String what) {
        return new RequestError(429, "overloaded", "server busy: " + what + " (--queue " + options.queue()
                + "); retry after " + options.retryAfter().toSeconds() + " s");
    }

    /** Parsed request: encoded images and the wanted feature. */
    private record Parsed(List<byte[]> images, List<String> names, String feature) {
    }

    private void process(Exchange ex, String type, byte[] body, String featureParam) {
        try {
            Parsed req = type.equals("application/json") ? parseJson(body, featureParam)
                    : new Parsed(List.of(body), List.of("body"), featureParam);
            String feature = req.feature() == null ? defaultFeature : req.feature();
            if (!batchers.containsKey(feature)) {
                throw new RequestError(400, "unknown_feature", "feature '" + feature + "' is not served; this server "
                        + "serves " + embedders.keySet() + " (start it with --feature to choose)");
            }
            int n = req.images().size();
            if (n > options.queue()) {
                throw new RequestError(413, "too_many_images", "request holds " + n + " images; at most " + options.queue()
                        + " per request (--queue)");
            }
            String single = n == 1 && req.names().get(0).equals("body") ? type : null;
            long pixels = 0;
            for (int i = 0; i < n; i++) {
                pixels += decoder.declaredPixels(req.images().get(i), req.names().get(i), single);
            }
            ServeOptions.DecodeBudget budget = options.decodeBudget();
            if (pixels > budget.maxRequestPixels()) {
                throw new RequestError(413, "request_too_many_pixels", "the request's " + n + " image(s) declare "
                        + pixels + " pixels together, more than " + budget.maxRequestPixels()
                        + " (--max-request-pixels); none was decoded");
            }
            if (pixels <= budget.largeImagePixels()) {
                decodeAndSubmit(ex, req, feature, single);
                return;
            }
            try {
                largeDecodePool.execute(() -> {
                    try {
                        decodeAndSubmit(ex, req, feature, single);
                    } catch (RuntimeException e) {
                        ex.fail(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                throw new RequestError(429, "overloaded", "server busy: " + largeDecodePool.getQueue().size()
                        + " large requests (over " + budget.largeImagePixels() + " pixels, --large-image-pixels) waiting "
                        + "to be decoded (--large-queue " + budget.largeQueue() + "); retry after "
                        + options.retryAfter().toSeconds() + " s");
            }
        } catch (RuntimeException e) {
            ex.fail(e);
        }
    }

    /** Decodes and preprocesses the request's images, then queues them for their feature's batcher. */
    private void decodeAndSubmit(Exchange ex, Parsed req, String feature, String singleType) {
        MicroBatcher batcher = batchers.get(feature);
        BatchEmbedder embedder = embedders.get(feature);
        int n = req.images().size();
        MicroBatcher.Reservation reservation = batcher.reserve(n).orElse(null);
        if (reservation == null) {
            throw batcher.isClosed() ? shuttingDown("the server is shutting down")
                    : overloaded(batcher.depth() + " images waiting");
        }
        try {
            List<float[]> inputs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String what = req.names().get(i);
                Image img = decoder.decode(req.images().get(i), what, singleType);
                try {
                    inputs.add(embedder.prepare(img));
                } catch (RuntimeException e) {
                    throw new RequestError(422, "bad_image", what + " (" + img.channels() + "x" + img.height() + "x"
                            + img.width() + ") cannot be preprocessed: " + e.getMessage(), e);
                }
            }
            List<CompletableFuture<float[]>> results = reservation.submitAll(inputs);
            reservation = null;
            ModelDescription d = embedder.describe();
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenCompleteAsync((v, err) -> {
                if (err != null) {
                    ex.fail(err);
                    return;
                }
                try {
                    ex.answer(200, Buffer.buffer(embeddingsJson(d, results)));
                } catch (RuntimeException e) {
                    ex.fail(e);
                }
            }, responsePool);
        } finally {
            if (reservation != null) {
                reservation.release();
            }
        }
    }

    /**
     * The request's images and feature. Any body that is not exactly the request format answers 400
     * {@code bad_json} naming the problem: invalid JSON, nesting deeper than {@link #MAX_JSON_DEPTH},
     * numbers longer than {@link #MAX_JSON_NUMBER_LENGTH} digits, duplicate or unknown keys, wrong types.
     */
    private Parsed parseJson(byte[] body, String featureParam) {
        try {
            return parseJsonStrictly(body, featureParam);
        } catch (RequestError e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new RequestError(400, "bad_json", "body is not a valid request: " + e, e);
        }
    }

    private Parsed parseJsonStrictly(byte[] body, String featureParam) {
        JsonNode root;
        try {
            root = REQUEST_JSON.readTree(body);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new RequestError(400, "bad_json", "body is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), e);
        } catch (IOException e) {
            throw new RequestError(400, "bad_json", "body cannot be read as JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new RequestError(400, "bad_json", "body must be a JSON object {\"images\": [\"<base64>\", ...], "
                    + "\"feature\": \"pooled\"}, got " + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("images") && !k.equals("feature")) {
                throw new RequestError(400, "bad_json", "unknown key '" + k + "': expected \"images\" and optionally \"feature\"");
            }
        }
        JsonNode images = root.get("images");
        if (images == null || !images.isArray() || images.isEmpty()) {
            throw new RequestError(400, "bad_json", "\"images\" must be a non-empty array of base64 strings");
        }
        String feature = featureParam;
        JsonNode f = root.get("feature");
        if (f != null && !f.isNull()) {
            if (!f.isTextual()) {
                throw new RequestError(400, "bad_json", "\"feature\" must be a string such as \"pooled\"");
            }
            feature = f.asText();
        }
        if (images.size() > options.queue()) {
            throw new RequestError(413, "too_many_images", "request holds " + images.size() + " images; at most "
                    + options.queue() + " per request (--queue)");
        }
        List<byte[]> out = new ArrayList<>(images.size());
        List<String> names = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            JsonNode n = images.get(i);
            String name = "images[" + i + "]";
            if (!n.isTextual()) {
                throw new RequestError(400, "bad_json", name + " must be a base64 string, got "
                        + n.getNodeType().toString().toLowerCase(Locale.ROOT));
            }
            String s = n.asText();
            int comma = s.startsWith("data:") ? s.indexOf(',') : -1;
            if (comma >= 0) {
                s = s.substring(comma + 1); // data URL: data:image/png;base64,....
            }
            try {
                out.add(Base64.getDecoder().decode(s.strip()));
            } catch (IllegalArgumentException e) {
                throw new RequestError(400, "bad_base64", name + " is not valid base64: " + e.getMessage(), e);
            }
            names.add(name);
        }
        return new Parsed(out, names, feature);
    }

    private static byte[] embeddingsJson(ModelDescription d, List<CompletableFuture<float[]>> results) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(64 + results.size() * d.dimension() * 14);
        try (JsonGenerator g = JSON_FACTORY.createGenerator(bos)) {
            g.writeStartObject();
            g.writeStringField("model", d.modelId());
            g.writeNumberField("dimension", d.dimension());
            g.writeStringField("feature", d.feature());
            g.writeArrayFieldStart("data");
            for (int i = 0; i < results.size(); i++) {
                float[] v = results.get(i).join();
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeArrayFieldStart("embedding");
                for (float x : v) {
                    g.writeNumber(x); // shortest decimal that reads back as the same float
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    private Future<Void> answerJson(RoutingContext ctx, int status, Object value) {
        try {
            return ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(Buffer.buffer(JSON.writeValueAsBytes(value)));
        } catch (JsonProcessingException e) {
            ctx.fail(500, e);
            return Future.failedFuture(e);
        }
    }

    /**
     * {@code {"error": {"status", "kind", "message"}}}; 429 and 503 carry {@code Retry-After}; while the
     * server shuts down, every answer carries {@code Connection: close}.
     */
    private Future<Void> answerError(RoutingContext ctx, RequestError e) {
        metrics.error(e.kind());
        if (ctx.response().ended() || ctx.response().closed()) {
            return Future.succeededFuture();
        }
        if (closing.get()) {
            ctx.response().putHeader("Connection", "close");
        }
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("status", e.status());
        inner.put("kind", e.kind());
        inner.put("message", e.getMessage());
        if (e.status() == 429 || e.status() == 503) {
            ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, options.retryAfter().toSeconds())));
        }
        return answerJson(ctx, e.status(), Map.of("error", inner));
    }

    // ---- lifecycle

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful shutdown: readiness turns 503 and new embedding requests answer 503 with
     * {@code Connection: close} for {@link ServeOptions.Timeouts#drain()} (so that a load balancer
     * notices) while accepted requests finish (at most {@link ServeOptions#shutdownGrace()}) and are
     * answered; then the listener shuts down (connections close once their answer is written), and the
     * batch workers and the models close. Idempotent; a second caller waits for the first.
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
            for (MicroBatcher b : batchers.values()) {
                b.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            try {
                // graceful: stops accepting, lets each connection write what it owes, then closes it
                http.shutdown(5, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing the HTTP listener: " + e);
            }
            decodePool.shutdown();
            largeDecodePool.shutdown();
            responsePool.shutdown();
            decodePool.awaitTermination(5, TimeUnit.SECONDS);
            largeDecodePool.awaitTermination(5, TimeUnit.SECONDS);
            responsePool.awaitTermination(5, TimeUnit.SECONDS);
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

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }
}
