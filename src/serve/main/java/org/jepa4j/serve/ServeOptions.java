package org.jepa4j.serve;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How {@link EmbeddingServer} listens, batches and limits.
 *
 * @param host          address to bind ({@code 127.0.0.1} by default: loopback only)
 * @param port          TCP port; 0 picks a free one ({@link EmbeddingServer#port()} tells which)
 * @param maxBatch      most images per model run
 * @param maxWait       how long a batch waits for more images after its first
 * @param queue         most images waiting for a batch at once; more answer 429
 * @param workers       batch worker threads per served feature
 * @param decodeThreads threads decoding and preprocessing images (never the event loop)
 * @param maxBodyBytes  largest request body; larger answers 413
 * @param maxPixels     largest width·height an image header may declare; larger answers 413 before decoding
 * @param retryAfter    the {@code Retry-After} a 429 suggests
 * @param shutdownGrace how long {@link EmbeddingServer#close()} waits for in-flight requests
 * @param timeouts      read, idle and drain times ({@link Timeouts})
 * @param decodeBudget  what decoding may cost per request and at once ({@link DecodeBudget})
 * @param describeFully whether {@code GET /v1/model} shows the whole model metadata, file-system paths and
 *                      the training config included (off by default: only what a client needs)
 */
public record ServeOptions(String host, int port, int maxBatch, Duration maxWait, int queue, int workers,
                           int decodeThreads, long maxBodyBytes, long maxPixels, Duration retryAfter,
                           Duration shutdownGrace, Timeouts timeouts, DecodeBudget decodeBudget, boolean describeFully) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;
    public static final long DEFAULT_MAX_PIXELS = org.jepa4j.data.BoundedImageDecoder.DEFAULT_MAX_PIXELS;

    /**
     * How long the server waits for clients, and how long it keeps answering while it shuts down.
     *
     * @param read  from a request's first byte to its last: a request still incomplete then (a partial body,
     *              a client trickling bytes) answers 408 and its connection is closed
     * @param idle  a connection on which nothing arrives for this long is closed (keep-alive between requests,
     *              stalled clients)
     * @param drain after SIGTERM or {@link EmbeddingServer#close()}, how long readiness answers 503 and new
     *              work answers 503 with {@code Connection: close} before the listener closes, so that a load
     *              balancer notices; accepted requests finish in any case
     */
    public record Timeouts(Duration read, Duration idle, Duration drain) {
        public Timeouts {
            if (read == null || idle == null || drain == null || read.isNegative() || read.isZero()
                    || idle.isNegative() || idle.isZero() || drain.isNegative()) {
                throw new IllegalArgumentException("serve timeouts: --read-timeout-ms (" + millis(read) + ") and "
                        + "--idle-timeout-ms (" + millis(idle) + ") must be positive, --drain-ms (" + millis(drain)
                        + ") must not be negative");
            }
        }

        private static String millis(Duration d) {
            return d == null ? "null" : Long.toString(d.toMillis());
        }

        /** Read 30 s, idle 60 s, drain 0 s (a plain {@code close()} does not linger). */
        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ZERO);
        }
    }

    /**
     * What decoding may cost, so that a few clients sending large but legal images neither starve small
     * requests nor grow memory without bound.
     *
     * @param maxRequestPixels   most pixels the headers of one request's images may declare together; more
     *                           answers 413 before any is decoded
     * @param largeImagePixels   a request declaring more pixels than this is decoded on the large-image pool,
     *                           never on the threads that decode small requests
     * @param largeDecodeThreads threads of the large-image pool
     * @param largeQueue         large requests waiting for that pool at most; more answer 429
     */
    public record DecodeBudget(long maxRequestPixels, long largeImagePixels, int largeDecodeThreads, int largeQueue) {
        public DecodeBudget {
            positive("--max-request-pixels", maxRequestPixels);
            positive("--large-image-pixels", largeImagePixels);
            positive("--large-decode-threads", largeDecodeThreads);
            positive("--large-queue", largeQueue);
        }

        /** 40 M pixels per request; requests above 1 M pixels decode on 1 thread, 4 of them waiting at most. */
        public static DecodeBudget defaults() {
            return new DecodeBudget(DEFAULT_MAX_PIXELS, 1_000_000L, 1, 4);
        }
    }

    public ServeOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("serve --host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("serve --port " + port + ": expected 0..65535 (0 = any free port)");
        }
        positive("--max-batch", maxBatch);
        positive("--queue", queue);
        positive("--workers", workers);
        positive("--decode-threads", decodeThreads);
        positive("--max-body-bytes", maxBodyBytes);
        positive("--max-pixels", maxPixels);
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("serve --max-wait-ms " + maxWait.toMillis() + ": must not be negative");
        }
        if (retryAfter.isNegative() || shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("serve: retry-after and shutdown grace must not be negative");
        }
        if (timeouts == null || decodeBudget == null) {
            throw new IllegalArgumentException("serve: timeouts and decode budget must be set");
        }
    }

    private static void positive(String option, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("serve " + option + " " + value + ": must be at least 1");
        }
    }

    /**
     * 127.0.0.1:8080, batches of up to 32 within 5 ms, 256 queued images, 16 MiB bodies, 40 M pixels,
     * {@link Timeouts#defaults()}, {@link DecodeBudget#defaults()}, the model described without paths.
     */
    public static ServeOptions defaults() {
        return new ServeOptions(DEFAULT_HOST, 8080, 32, Duration.ofMillis(5), 256, 1,
                Math.max(1, Runtime.getRuntime().availableProcessors()), DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PIXELS,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Timeouts.defaults(), DecodeBudget.defaults(), false);
    }

    /** These options bound to {@code h}. */
    public ServeOptions withHost(String h) {
        return new ServeOptions(h, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options on port {@code p} (0: any free port). */
    public ServeOptions withPort(int p) {
        return new ServeOptions(host, p, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with batches of at most {@code n} images. */
    public ServeOptions withMaxBatch(int n) {
        return new ServeOptions(host, port, n, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with a batch waiting at most {@code d} for more images. */
    public ServeOptions withMaxWait(Duration d) {
        return new ServeOptions(host, port, maxBatch, d, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with at most {@code n} images waiting. */
    public ServeOptions withQueue(int n) {
        return new ServeOptions(host, port, maxBatch, maxWait, n, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with {@code n} batch workers per feature. */
    public ServeOptions withWorkers(int n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, n, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with {@code n} threads decoding small requests. */
    public ServeOptions withDecodeThreads(int n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, n, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with bodies of at most {@code n} bytes. */
    public ServeOptions withMaxBodyBytes(long n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, n, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with images declaring at most {@code n} pixels. */
    public ServeOptions withMaxPixels(long n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, n,
                retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
    }

    /** These options with shutdown waiting at most {@code d} for accepted requests. */
    public ServeOptions withShutdownGrace(Duration d) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, d, timeouts, decodeBudget, describeFully);
    }

    /** These options with timeouts {@code t}. */
    public ServeOptions withTimeouts(Timeouts t) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, t, decodeBudget, describeFully);
    }

    /** These options with decode budget {@code b}. */
    public ServeOptions withDecodeBudget(DecodeBudget b) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, b, describeFully);
    }

    /** These options with {@code GET /v1/model} showing everything ({@code true}) or what clients need. */
    public ServeOptions withDescribeFully(boolean on) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace, timeouts, decodeBudget, on);
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]i?b?|b)?", Pattern.CASE_INSENSITIVE);

    /**
     * Parses a byte size: {@code 1048576}, {@code 512KiB}, {@code 16MiB}, {@code 1GiB} (binary
     * units; {@code 16MB} and {@code 16M} mean the same, as in most server configs).
     */
    public static long parseBytes(String s) {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("size '" + s + "': expected a number with an optional unit B, KiB, MiB or GiB");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size '" + s + "' is too large");
        }
        return n << shift;
    }
}
