package org.jepa4j.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.jepa4j.data.Image;

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
 * {@link #close()} is graceful: readiness turns 503, new embedding requests are refused with 503,
 * requests already accepted finish, then the server stops and the models close.
 */
public final class EmbeddingServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EmbeddingServer.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory JSON_FACTORY = JSON.getFactory();
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
    private final ExecutorService responsePool;
    private final Vertx vertx;
    private final HttpServer http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

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
        this.responsePool = Executors.newFixedThreadPool(Math.max(1, Math.min(4, options.decodeThreads())),
                daemon("jepa4j-respond"));
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(1, Math.min(4, options.decodeThreads())))
                .setWorkerPoolSize(1));
        this.http = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port())
                .setCompressionSupported(false));
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
        router.get("/healthz").handler(ctx -> answerJson(ctx, 200, Map.of("status", "alive")));
        router.get("/readyz").handler(ctx -> {
            if (ready()) {
                answerJson(ctx, 200, Map.of("status", "ready", "model", model.modelId()));
            } else {
                answerError(ctx, new RequestError(503, "shutting_down", "the server is shutting down"));
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
        m.put("limits", limits);
        m.put("metadata", new java.util.TreeMap<>(model.metadata()));
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
        // count first, then check: close() sets `closing` first, then waits for the count to drain
        inFlight.incrementAndGet();
        if (closing.get()) {
            inFlight.decrementAndGet();
            answerError(ctx, new RequestError(503, "shutting_down", "the server is shutting down; retry elsewhere"));
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

    private RequestError overloaded(String what) {
        return new RequestError(429, "overloaded", "server busy: " + what + " (--queue " + options.queue()
                + "); retry after " + options.retryAfter().toSeconds() + " s");
    }

    /** Parsed request: encoded images and the wanted feature. */
    private record Parsed(List<byte[]> images, List<String> names, String feature) {
    }

    private void process(Exchange ex, String type, byte[] body, String featureParam) {
        MicroBatcher.Reservation reservation = null;
        try {
            Parsed req = type.equals("application/json") ? parseJson(body, featureParam)
                    : new Parsed(List.of(body), List.of("body"), featureParam);
            String feature = req.feature() == null ? defaultFeature : req.feature();
            MicroBatcher batcher = batchers.get(feature);
            BatchEmbedder embedder = embedders.get(feature);
            if (batcher == null) {
                throw new RequestError(400, "unknown_feature", "feature '" + feature + "' is not served; this server "
                        + "serves " + embedders.keySet() + " (start it with --feature to choose)");
            }
            int n = req.images().size();
            if (n > options.queue()) {
                throw new RequestError(413, "too_many_images", "request holds " + n + " images; at most " + options.queue()
                        + " per request (--queue)");
            }
            reservation = batcher.reserve(n).orElse(null);
            if (reservation == null) {
                throw batcher.isClosed() ? new RequestError(503, "shutting_down", "the server is shutting down")
                        : overloaded(batcher.depth() + " images waiting");
            }
            List<float[]> inputs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String what = req.names().get(i);
                Image img = decoder.decode(req.images().get(i), what, req.names().size() == 1 && what.equals("body")
                        ? type : null);
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
        } catch (RuntimeException e) {
            if (reservation != null) {
                reservation.release();
            }
            ex.fail(e);
        }
    }

    private Parsed parseJson(byte[] body, String featureParam) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new RequestError(400, "bad_json", "body is not valid JSON: " + e.getOriginalMessage()
                    + " (at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    private void answerJson(RoutingContext ctx, int status, Object value) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(Buffer.buffer(JSON.writeValueAsBytes(value)));
        } catch (JsonProcessingException e) {
            ctx.fail(500, e);
        }
    }

    /** {@code {"error": {"status", "kind", "message"}}}; 429 and 503 carry {@code Retry-After}. */
    private void answerError(RoutingContext ctx, RequestError e) {
        metrics.error(e.kind());
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("status", e.status());
        inner.put("kind", e.kind());
        inner.put("message", e.getMessage());
        if (e.status() == 429 || e.status() == 503) {
            ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, options.retryAfter().toSeconds())));
        }
        answerJson(ctx, e.status(), Map.of("error", inner));
    }

    // ---- lifecycle

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful shutdown: readiness turns 503 and new embedding requests are refused; accepted
     * requests finish (at most {@link ServeOptions#shutdownGrace()}); then the listener, the
     * batch workers and the models close. Idempotent.
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
            long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
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
                http.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing the HTTP listener: " + e);
            }
            decodePool.shutdown();
            responsePool.shutdown();
            decodePool.awaitTermination(5, TimeUnit.SECONDS);
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
