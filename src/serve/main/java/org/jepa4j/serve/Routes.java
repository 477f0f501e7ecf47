package org.jepa4j.serve;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.jepa4j.metadata.OnnxMetadata;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The routes and the mapping of every failure to the JSON error the docs promise
 * ({@code {"error": {"status", "kind", "message"}}}, counted by kind in {@code /metrics}): unknown
 * routes 404, wrong methods 405, oversized bodies 413, requests HTTP cannot parse (a malformed head,
 * a malformed chunk size) 400 {@code bad_request} with {@code Connection: close}; never Vert.x's
 * plain-text pages, never a stack trace.
 */
final class Routes {
    private static final System.Logger LOG = System.getLogger(Routes.class.getName());
    /** Metadata {@code GET /v1/model} shows by default: no file-system paths, no training config. */
    static final Set<String> PUBLIC_METADATA = Set.of(OnnxMetadata.MODEL, OnnxMetadata.ENCODER, OnnxMetadata.IMAGE_SIZE,
            OnnxMetadata.PATCH_SIZE, OnnxMetadata.CHANNELS, OnnxMetadata.MEAN, OnnxMetadata.STD, OnnxMetadata.RESIZE_SIZE,
            OnnxMetadata.FEATURES, OnnxMetadata.LAST4_BLOCKS, OnnxMetadata.STEP, OnnxMetadata.CONFIG_HASH,
            OnnxMetadata.VERSION, OnnxMetadata.SOURCE_SHA256, OnnxMetadata.PRECISION, OnnxMetadata.INT8_ACTIVATION_SCALE);
    static final Set<String> ROUTES = Set.of("/v1/embeddings", "/v1/model", "/healthz", "/readyz", "/metrics");

    private final Vertx vertx;
    private final ServeOptions options;
    private final ModelDescription model;
    private final Map<String, Integer> servedDimensions;
    private final ServeMetrics metrics;
    private final Admission admission;
    private final ConnectionTimers timers;
    private final BooleanSupplier closing;
    private final AtomicInteger inFlight;

    Routes(Vertx vertx, ServeOptions options, ModelDescription model, Map<String, Integer> servedDimensions,
           ServeMetrics metrics, Admission admission, ConnectionTimers timers, BooleanSupplier closing,
           AtomicInteger inFlight) {
        this.vertx = vertx;
        this.options = options;
        this.model = model;
        this.servedDimensions = servedDimensions;
        this.metrics = metrics;
        this.admission = admission;
        this.timers = timers;
        this.closing = closing;
        this.inFlight = inFlight;
    }

    static RequestError shuttingDown(String message) {
        return new RequestError(503, "shutting_down", message);
    }

    /** Per open connection: the request it is reading or answering (HTTP/1.1 handles one at a time). */
    private final Map<HttpConnection, RoutingContext> current = new ConcurrentHashMap<>();

    /**
     * Watches a new connection for bytes HTTP cannot parse inside a request's body (a chunk size that
     * is no number): the request being read answers a JSON 400, then the connection closes, as it
     * cannot carry another request.
     */
    void opened(HttpConnection conn) {
        conn.exceptionHandler(t -> {
            RoutingContext ctx = current.get(conn);
            if (ctx != null && isMalformedBody(t) && !ctx.response().ended() && !ctx.response().closed()) {
                ctx.response().putHeader("Connection", "close");
                answerError(ctx, new RequestError(400, "bad_request", "the request body is not valid HTTP/1.1: "
                        + RequestCodec.printable(String.valueOf(t.getMessage()))));
                // Vert.x closes the connection right after this handler, before its usual flush at the end
                // of the read: flush now, or the answer is dropped (Vert.x internals: no public flush)
                if (conn instanceof io.vertx.core.net.impl.VertxConnection vc) {
                    vc.flush();
                }
            }
        });
    }

    /** Forgets a closed connection. */
    void closed(HttpConnection conn) {
        current.remove(conn);
    }

    Router router() {
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            HttpConnection conn = ctx.request().connection();
            if (conn != null) {
                current.put(conn, ctx);
                ctx.addEndHandler(v -> current.remove(conn, ctx));
            }
            ctx.next();
        });
        router.route().handler(this::observe);
        router.route().handler(ctx -> timers.requestStarted(ctx, this::answerReadTimeout));
        router.get("/healthz").handler(ctx -> answerJson(ctx, 200, Map.of("status", "alive")));
        router.get("/readyz").handler(ctx -> {
            if (!closing.getAsBoolean()) {
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
        // a body HTTP could not read was answered by the connection's exception handler (see opened):
        // nothing is left to do, and nothing to log
        router.route().failureHandler(ctx -> {
            if (ctx.failure() != null && isMalformedBody(ctx.failure()) && (ctx.response().ended() || ctx.response().closed())) {
                return;
            }
            ctx.next();
        });
        router.errorHandler(404, ctx -> answerError(ctx, new RequestError(404, "not_found", "no route "
                + ctx.request().method() + " " + RequestCodec.printable(ctx.request().path()) + "; routes: POST "
                + "/v1/embeddings, GET /v1/model, GET /healthz, GET /readyz, GET /metrics")));
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
        router.errorHandler(408, ctx -> { }); // answered by answerReadTimeout
        router.errorHandler(500, ctx -> {
            Throwable f = ctx.failure();
            if (isMalformedBody(f)) {
                // the body could not be read as HTTP (a chunk size that is no number, ...): the
                // connection cannot carry another request, so it closes after this answer
                ctx.response().putHeader("Connection", "close");
                answerError(ctx, new RequestError(400, "bad_request", "the request body is malformed HTTP: "
                        + RequestCodec.printable(String.valueOf(f.getMessage()))));
                return;
            }
            if (f instanceof IllegalArgumentException) {
                // Vert.x Web refusing what the client sent (a path that is not valid percent-encoding, ...)
                answerError(ctx, new RequestError(400, "bad_request", "the request is malformed: "
                        + RequestCodec.printable(String.valueOf(f.getMessage()))));
                return;
            }
            LOG.log(System.Logger.Level.ERROR, "request failed: " + f, f);
            answerError(ctx, new RequestError(500, "internal", "internal error: " + (f == null ? "unknown" : f)));
        });
        return router;
    }

    /**
     * Answers a request HTTP could not parse (a malformed request line or header, a header too
     * large) with a JSON 400 (431 for the header), one in an HTTP version the server does not speak
     * ({@link HttpVersionCheck}) with a JSON 505, and closes its connection.
     */
    void invalidRequest(HttpServerRequest request) {
        var cause = request.decoderResult() == null ? null : request.decoderResult().cause();
        RequestError e;
        if (cause instanceof HttpVersionCheck.UnsupportedVersionException unsupported) {
            e = new RequestError(505, "http_version_not_supported", "the request's HTTP version "
                    + RequestCodec.printable(unsupported.version()) + " is not supported; the server speaks HTTP/1.1 (and 1.0)");
        } else {
            String what = cause == null ? "malformed request" : RequestCodec.printable(String.valueOf(cause.getMessage()));
            int status = cause instanceof io.netty.handler.codec.TooLongFrameException ? 431 : 400;
            e = new RequestError(status, status == 431 ? "headers_too_large" : "bad_request",
                    "the request is not valid HTTP/1.1: " + what);
        }
        int status = e.status();
        metrics.error(e.kind());
        metrics.request("other", request.method() == null ? "other" : request.method().name(), status, 0);
        HttpServerResponse r = request.response();
        r.setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(Buffer.buffer(RequestCodec.error(e))).onComplete(v -> request.connection().close());
    }

    /** Whether {@code f} is HTTP's failure to read a body (a malformed chunk), not a server fault. */
    private static boolean isMalformedBody(Throwable f) {
        for (Throwable t = f; t != null; t = t.getCause()) {
            if (t instanceof io.netty.handler.codec.DecoderException || t instanceof NumberFormatException
                    || t instanceof io.netty.handler.codec.PrematureChannelClosureException) {
                return true;
            }
        }
        return false;
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

    private void answerReadTimeout(RoutingContext ctx) {
        long readMs = options.timeouts().read().toMillis();
        ctx.response().putHeader("Connection", "close");
        var conn = ctx.request().connection();
        answerError(ctx, new RequestError(408, "read_timeout", "the request was not complete within "
                + readMs + " ms (--read-timeout-ms); send the whole body at once")).onComplete(v -> {
                    if (conn != null) {
                        conn.close();
                    }
                });
    }

    /** 415 before the body is read, so a wrong upload costs nothing. */
    private void checkContentType(RoutingContext ctx) {
        try {
            RequestCodec.checkMediaType(RequestCodec.mediaType(ctx.request().getHeader("Content-Type")));
        } catch (RequestError e) {
            answerError(ctx, e);
            return;
        }
        ctx.next();
    }

    private void embed(RoutingContext ctx) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return; // answered 408 while its body was still arriving
        }
        String featureParam;
        try {
            List<String> f = ctx.queryParam("feature");
            featureParam = f.isEmpty() ? null : f.get(0);
        } catch (IllegalArgumentException e) {
            answerError(ctx, new RequestError(400, "bad_request", "the query string is not valid percent-encoding: "
                    + RequestCodec.printable(String.valueOf(e.getMessage()))));
            return;
        }
        // count first, then check: the drain sets `closing` first, then waits for the count to fall to 0
        inFlight.incrementAndGet();
        if (closing.getAsBoolean()) {
            inFlight.decrementAndGet();
            answerError(ctx, shuttingDown("the server is shutting down; retry elsewhere"));
            return;
        }
        Exchange ex = new Exchange(ctx, vertx.getOrCreateContext(), this, inFlight);
        Buffer body = ctx.body().buffer();
        admission.submit(ex, RequestCodec.mediaType(ctx.request().getHeader("Content-Type")),
                body == null ? new byte[0] : body.getBytes(), featureParam);
    }

    private Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.modelId());
        m.put("feature", model.feature());
        m.put("dimension", model.dimension());
        m.put("served_features", servedDimensions);
        m.put("features", model.featureDimensions());
        m.put("provider", model.provider());
        m.put("precision", OnnxMetadata.precision(model.metadata()));
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
        Map<String, String> metadata = new TreeMap<>(model.metadata());
        if (!options.describeFully()) {
            metadata.keySet().retainAll(PUBLIC_METADATA);
        }
        m.put("metadata", metadata);
        return m;
    }

    private Future<Void> answerJson(RoutingContext ctx, int status, Object value) {
        return answerJson(ctx, status, Buffer.buffer(RequestCodec.json(value)));
    }

    /** Writes a JSON answer unless the request was answered or its connection closed; while shutting down with {@code Connection: close}. */
    Future<Void> answerJson(RoutingContext ctx, int status, Buffer json) {
        HttpServerResponse r = ctx.response();
        if (r.ended() || r.closed()) {
            return Future.succeededFuture();
        }
        if (closing.getAsBoolean()) {
            r.putHeader("Connection", "close");
        }
        return r.setStatusCode(status).putHeader("Content-Type", "application/json").end(json);
    }

    /**
     * {@code {"error": {"status", "kind", "message"}}}; 429 and 503 carry {@code Retry-After}; while the
     * server shuts down, every answer carries {@code Connection: close}.
     */
    Future<Void> answerError(RoutingContext ctx, RequestError e) {
        metrics.error(e.kind());
        if (e.status() == 429 || e.status() == 503) {
            ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, options.retryAfter().toSeconds())));
        }
        return answerJson(ctx, e.status(), Buffer.buffer(RequestCodec.error(e)));
    }
}
