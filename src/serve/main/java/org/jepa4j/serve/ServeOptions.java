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
     * @param idle  a connection with no request in progress for this long is closed (keep-alive between
     *              requests, stalled clients, a request head never completed); a request waiting for its
     *              batch or answer is not idle
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
        if (maxWait == null || retryAfter == null || shutdownGrace == null) {
            throw new IllegalArgumentException("serve: max wait, retry-after and shutdown grace must be set");
        }
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

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.maxBatch = maxBatch;
        b.maxWait = maxWait;
        b.queue = queue;
        b.workers = workers;
        b.decodeThreads = decodeThreads;
        b.maxBodyBytes = maxBodyBytes;
        b.maxPixels = maxPixels;
        b.retryAfter = retryAfter;
        b.shutdownGrace = shutdownGrace;
        b.timeouts = timeouts;
        b.decodeBudget = decodeBudget;
        b.describeFully = describeFully;
        return b;
    }

    /** Builds {@link ServeOptions}; {@link #build()} checks every value. */
    public static final class Builder {
        private String host;
        private int port;
        private int maxBatch;
        private Duration maxWait;
        private int queue;
        private int workers;
        private int decodeThreads;
        private long maxBodyBytes;
        private long maxPixels;
        private Duration retryAfter;
        private Duration shutdownGrace;
        private Timeouts timeouts;
        private DecodeBudget decodeBudget;
        private boolean describeFully;

        private Builder() {
        }

        /** Sets the address to bind. */
        public Builder host(String h) {
            this.host = h;
            return this;
        }

        /** Sets the TCP port (0: any free port, which {@link EmbeddingServer#port()} reports). */
        public Builder port(int p) {
            this.port = p;
            return this;
        }

        /** Sets most images per model run. */
        public Builder maxBatch(int n) {
            this.maxBatch = n;
            return this;
        }

        /** Sets how long a batch waits for more images after its first. */
        public Builder maxWait(Duration d) {
            this.maxWait = d;
            return this;
        }

        /** Sets most images waiting for a batch at once. */
        public Builder queue(int n) {
            this.queue = n;
            return this;
        }

        /** Sets batch worker threads per served feature. */
        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        /** Sets threads decoding small requests. */
        public Builder decodeThreads(int n) {
            this.decodeThreads = n;
            return this;
        }

        /** Sets the largest request body. */
        public Builder maxBodyBytes(long n) {
            this.maxBodyBytes = n;
            return this;
        }

        /** Sets the most pixels one image header may declare. */
        public Builder maxPixels(long n) {
            this.maxPixels = n;
            return this;
        }

        /** Sets the {@code Retry-After} a 429 or 503 suggests. */
        public Builder retryAfter(Duration d) {
            this.retryAfter = d;
            return this;
        }

        /** Sets how long shutdown waits for accepted requests. */
        public Builder shutdownGrace(Duration d) {
            this.shutdownGrace = d;
            return this;
        }

        /** Sets read, idle and drain times. */
        public Builder timeouts(Timeouts t) {
            this.timeouts = t;
            return this;
        }

        /** Sets what decoding may cost. */
        public Builder decodeBudget(DecodeBudget b) {
            this.decodeBudget = b;
            return this;
        }

        /** Sets whether {@code GET /v1/model} shows everything. */
        public Builder describeFully(boolean on) {
            this.describeFully = on;
            return this;
        }

        /**
         * The options.
         *
         * @throws IllegalArgumentException naming the option whose value cannot be used
         */
        public ServeOptions build() {
            return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels, retryAfter, shutdownGrace, timeouts, decodeBudget, describeFully);
        }
    }

    /**
     * These options with host {@code h}.
     *
     * @deprecated use {@link #toBuilder()}{@code .host(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withHost(String h) {
        return toBuilder().host(h).build();
    }

    /**
     * These options with port {@code p}.
     *
     * @deprecated use {@link #toBuilder()}{@code .port(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withPort(int p) {
        return toBuilder().port(p).build();
    }

    /**
     * These options with maxBatch {@code n}.
     *
     * @deprecated use {@link #toBuilder()}{@code .maxBatch(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withMaxBatch(int n) {
        return toBuilder().maxBatch(n).build();
    }

    /**
     * These options with maxWait {@code d}.
     *
     * @deprecated use {@link #toBuilder()}{@code .maxWait(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withMaxWait(Duration d) {
        return toBuilder().maxWait(d).build();
    }

    /**
     * These options with queue {@code n}.
     *
     * @deprecated use {@link #toBuilder()}{@code .queue(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withQueue(int n) {
        return toBuilder().queue(n).build();
    }

    /**
     * These options with workers {@code n}.
     *
     * @deprecated use {@link #toBuilder()}{@code .workers(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withWorkers(int n) {
        return toBuilder().workers(n).build();
    }

    /**
     * These options with decodeThreads {@code n}.
     *
     * @deprecated use {@link #toBuilder()}{@code .decodeThreads(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withDecodeThreads(int n) {
        return toBuilder().decodeThreads(n).build();
    }

    /**
     * These options with maxBodyBytes {@code n}.
     *
     * @deprecated use {@link #toBuilder()}{@code .maxBodyBytes(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withMaxBodyBytes(long n) {
        return toBuilder().maxBodyBytes(n).build();
    }

    /**
     * These options with maxPixels {@code n}.
     *
     * @deprecated use {@link #toBuilder()}{@code .maxPixels(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withMaxPixels(long n) {
        return toBuilder().maxPixels(n).build();
    }

    /**
     * These options with shutdownGrace {@code d}.
     *
     * @deprecated use {@link #toBuilder()}{@code .shutdownGrace(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withShutdownGrace(Duration d) {
        return toBuilder().shutdownGrace(d).build();
    }

    /**
     * These options with timeouts {@code t}.
     *
     * @deprecated use {@link #toBuilder()}{@code .timeouts(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withTimeouts(Timeouts t) {
        return toBuilder().timeouts(t).build();
    }

    /**
     * These options with decodeBudget {@code b}.
     *
     * @deprecated use {@link #toBuilder()}{@code .decodeBudget(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withDecodeBudget(DecodeBudget b) {
        return toBuilder().decodeBudget(b).build();
    }

    /**
     * These options with describeFully {@code on}.
     *
     * @deprecated use {@link #toBuilder()}{@code .describeFully(...).build()} or {@link #builder()}
     */
    @Deprecated
    public ServeOptions withDescribeFully(boolean on) {
        return toBuilder().describeFully(on).build();
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
