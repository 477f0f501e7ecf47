package org.jepa4j.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The server's metrics, rendered in the Prometheus text exposition format (version 0.0.4).
 * Written here rather than pulled from a metrics library: seven series, lock-free adders, and
 * one render method cost less than a dependency and its registry (Micrometer would also bring
 * its own Vert.x integration to configure).
 */
public final class ServeMetrics {
    /** Request latency buckets, seconds. */
    static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /** Batch size buckets, images. */
    static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    private final Map<List<String>, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Histogram batchSize = new Histogram(BATCH_BUCKETS);
    private final Histogram batchSeconds = new Histogram(LATENCY_BUCKETS);
    private final LongAdder imagesEmbedded = new LongAdder();
    private final IntSupplier queueDepth;
    private final Map<String, String> modelLabels;

    /**
     * @param queueDepth  images waiting for a batch now
     * @param modelLabels labels of the constant {@code jepa4j_model_info} series (model, feature, ...)
     */
    public ServeMetrics(IntSupplier queueDepth, Map<String, String> modelLabels) {
        this.queueDepth = queueDepth;
        this.modelLabels = new TreeMap<>(modelLabels);
    }

    /** One answered HTTP request. */
    public void request(String route, String method, int status, long nanos) {
        requests.computeIfAbsent(List.of(route, method, Integer.toString(status)), k -> new LongAdder()).increment();
        latency.computeIfAbsent(route, k -> new Histogram(LATENCY_BUCKETS)).observe(nanos / 1e9);
    }

    /** One refused or failed request, by {@link RequestError#kind()}. */
    public void error(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** One model run over {@code size} images; {@code failed} when it threw. */
    public void batch(int size, long nanos, boolean failed) {
        batchSize.observe(size);
        batchSeconds.observe(nanos / 1e9);
        if (!failed) {
            imagesEmbedded.add(size);
        }
    }

    /** The exposition text. */
    public String render() {
        StringBuilder sb = new StringBuilder(4096);
        header(sb, "jepa4j_model_info", "gauge", "The served model (constant 1).");
        sample(sb, "jepa4j_model_info", modelLabels, 1);

        header(sb, "jepa4j_http_requests_total", "counter", "HTTP requests answered, by route, method and status.");
        for (Map.Entry<List<String>, LongAdder> e : sorted(requests)) {
            List<String> k = e.getKey();
            sample(sb, "jepa4j_http_requests_total", Map.of("route", k.get(0), "method", k.get(1), "status", k.get(2)),
                    e.getValue().sum());
        }
        header(sb, "jepa4j_http_request_duration_seconds", "histogram",
                "Time from request arrival to the end of the response headers, by route.");
        for (Map.Entry<String, Histogram> e : new TreeMap<>(latency).entrySet()) {
            e.getValue().render(sb, "jepa4j_http_request_duration_seconds", "route", e.getKey());
        }
        header(sb, "jepa4j_errors_total", "counter", "Refused or failed requests, by kind.");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(errors).entrySet()) {
            sample(sb, "jepa4j_errors_total", Map.of("kind", e.getKey()), e.getValue().sum());
        }
        header(sb, "jepa4j_batch_size", "histogram", "Images per model run.");
        batchSize.render(sb, "jepa4j_batch_size", null, null);
        header(sb, "jepa4j_batch_duration_seconds", "histogram", "Duration of one model run.");
        batchSeconds.render(sb, "jepa4j_batch_duration_seconds", null, null);
        header(sb, "jepa4j_queue_depth", "gauge", "Images admitted and waiting for a batch.");
        sample(sb, "jepa4j_queue_depth", Map.of(), queueDepth.getAsInt());
        header(sb, "jepa4j_images_embedded_total", "counter", "Images whose features were computed.");
        sample(sb, "jepa4j_images_embedded_total", Map.of(), imagesEmbedded.sum());
        return sb.toString();
    }

    private static <V> List<Map.Entry<List<String>, V>> sorted(Map<List<String>, V> m) {
        List<Map.Entry<List<String>, V>> out = new ArrayList<>(m.entrySet());
        out.sort((a, b) -> String.join("\u0000", a.getKey()).compareTo(String.join("\u0000", b.getKey())));
        return out;
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder sb, String name, Map<String, String> labels, double value) {
        sb.append(name);
        if (!labels.isEmpty()) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, String> l : new TreeMap<>(labels).entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append(l.getKey()).append("=\"").append(escape(l.getValue())).append('"');
            }
            sb.append('}');
        }
        sb.append(' ').append(format(value)).append('\n');
    }

    static String format(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** Label values escape backslash, double quote and line feed (exposition format). */
    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A fixed-bucket histogram; cumulative counts are formed when rendering. */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds.clone();
            this.counts = new LongAdder[bounds.length + 1];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double v) {
            int i = 0;
            while (i < bounds.length && v > bounds[i]) {
                i++;
            }
            counts[i].increment();
            sum.add(v);
            count.increment();
        }

        void render(StringBuilder sb, String name, String label, String value) {
            long cumulative = 0;
            for (int i = 0; i <= bounds.length; i++) {
                cumulative += counts[i].sum();
                Map<String, String> labels = new TreeMap<>();
                if (label != null) {
                    labels.put(label, value);
                }
                labels.put("le", i < bounds.length ? format(bounds[i]) : "+Inf");
                sample(sb, name + "_bucket", labels, cumulative);
            }
            Map<String, String> labels = label == null ? Map.of() : Map.of(label, value);
            sample(sb, name + "_sum", labels, sum.sum());
            sample(sb, name + "_count", labels, count.sum());
        }
    }
}
