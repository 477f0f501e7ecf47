package org.jepa4j.serve;

import org.jepa4j.data.Image;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What an accepted request may cost, and the way it takes to an answer: its body decoded on the
 * decode pool (bounded queue: 429 beyond it), its images' declared pixels checked against the
 * request budget before any is decoded, large requests decoded on their own pool so that they cannot
 * starve small ones, then its inputs queued on their feature's {@link MicroBatcher} (a reservation:
 * 429 when the queue is full) and the answer written when every one has run.
 */
final class Admission {
    private final ServeOptions options;
    private final Map<String, BatchEmbedder> embedders;
    private final Map<String, MicroBatcher> batchers = new LinkedHashMap<>();
    private final String defaultFeature;
    private final ImageDecoder decoder;
    private final ThreadPoolExecutor decodePool;
    /** Decodes requests declaring more than {@link ServeOptions.DecodeBudget#largeImagePixels()}. */
    private final ThreadPoolExecutor largeDecodePool;
    private final ExecutorService responsePool;

    /** {@code embedders} by feature, the first the default; batch timings go to {@code metrics}. */
    Admission(ServeOptions options, Map<String, BatchEmbedder> embedders, ServeMetrics metrics) {
        this.options = options;
        this.embedders = embedders;
        this.defaultFeature = embedders.keySet().iterator().next();
        this.decoder = new ImageDecoder(options.maxPixels());
        for (Map.Entry<String, BatchEmbedder> e : embedders.entrySet()) {
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
    }

    /** Images reserved or queued for a batch, over every feature. */
    int queueDepth() {
        int d = 0;
        for (MicroBatcher b : batchers.values()) {
            d += b.depth();
        }
        return d;
    }

    /** Hands a received body to the decode pool; 429 when its queue is full. */
    void submit(Exchange ex, String mediaType, byte[] body, String featureParam) {
        try {
            decodePool.execute(() -> process(ex, mediaType, body, featureParam));
        } catch (RejectedExecutionException e) {
            ex.fail(overloaded(decodePool.getQueue().size() + " requests waiting to be decoded"));
        }
    }

    private void process(Exchange ex, String mediaType, byte[] body, String featureParam) {
        try {
            RequestCodec.Request req = RequestCodec.decode(mediaType, body, featureParam, options.queue());
            String feature = req.feature() == null ? defaultFeature : req.feature();
            if (!batchers.containsKey(feature)) {
                throw new RequestError(400, "unknown_feature", "feature '" + RequestCodec.printable(feature)
                        + "' is not served; this server serves " + embedders.keySet() + " (start it with --feature"
                        + " to choose)");
            }
            int n = req.images().size();
            String single = req.singleType(mediaType);
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
                decodeAndQueue(ex, req, feature, single);
                return;
            }
            try {
                largeDecodePool.execute(() -> {
                    try {
                        decodeAndQueue(ex, req, feature, single);
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
    private void decodeAndQueue(Exchange ex, RequestCodec.Request req, String feature, String singleType) {
        MicroBatcher batcher = batchers.get(feature);
        BatchEmbedder embedder = embedders.get(feature);
        int n = req.images().size();
        MicroBatcher.Reservation reservation = batcher.reserve(n).orElse(null);
        if (reservation == null) {
            throw batcher.isClosed() ? Routes.shuttingDown("the server is shutting down")
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
                    ex.answer(200, RequestCodec.embeddings(d, results.stream().map(CompletableFuture::join).toList()));
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

    RequestError overloaded(String what) {
        return new RequestError(429, "overloaded", "server busy: " + what + " (--queue " + options.queue()
                + "); retry after " + options.retryAfter().toSeconds() + " s");
    }

    /** The batchers, for the drain. */
    Collection<MicroBatcher> batchers() {
        return batchers.values();
    }

    /** Lets every batcher finish what it holds (within {@code grace}), then stops the pools. */
    void close(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        for (MicroBatcher b : batchers.values()) {
            b.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        decodePool.shutdown();
        largeDecodePool.shutdown();
        responsePool.shutdown();
        decodePool.awaitTermination(5, TimeUnit.SECONDS);
        largeDecodePool.awaitTermination(5, TimeUnit.SECONDS);
        responsePool.awaitTermination(5, TimeUnit.SECONDS);
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
