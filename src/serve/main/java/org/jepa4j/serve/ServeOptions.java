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
 */
public record ServeOptions(String host, int port, int maxBatch, Duration maxWait, int queue, int workers,
                           int decodeThreads, long maxBodyBytes, long maxPixels, Duration retryAfter,
                           Duration shutdownGrace) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;
    public static final long DEFAULT_MAX_PIXELS = org.jepa4j.data.BoundedImageDecoder.DEFAULT_MAX_PIXELS;

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
    }

    private static void positive(String option, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("serve " + option + " " + value + ": must be at least 1");
        }
    }

    /** 127.0.0.1:8080, batches of up to 32 within 5 ms, 256 queued images, 16 MiB bodies, 40 M pixels. */
    public static ServeOptions defaults() {
        return new ServeOptions(DEFAULT_HOST, 8080, 32, Duration.ofMillis(5), 256, 1,
                Math.max(1, Runtime.getRuntime().availableProcessors()), DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PIXELS,
                Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    public ServeOptions withHost(String h) {
        return new ServeOptions(h, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(host, p, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withMaxBatch(int n) {
        return new ServeOptions(host, port, n, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withMaxWait(Duration d) {
        return new ServeOptions(host, port, maxBatch, d, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withQueue(int n) {
        return new ServeOptions(host, port, maxBatch, maxWait, n, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withWorkers(int n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, n, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withDecodeThreads(int n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, n, maxBodyBytes, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withMaxBodyBytes(long n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, n, maxPixels,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withMaxPixels(long n) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, n,
                retryAfter, shutdownGrace);
    }

    public ServeOptions withShutdownGrace(Duration d) {
        return new ServeOptions(host, port, maxBatch, maxWait, queue, workers, decodeThreads, maxBodyBytes, maxPixels,
                retryAfter, d);
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
