package org.jepa4j.serve;

import org.jepa4j.data.Image;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A deterministic stand-in model for server tests: the "feature" of an image is its per-channel
 * mean, standard deviation, minimum and maximum (RGB, computed in double) followed by its height
 * and width. A batch optionally waits at a gate, so tests can hold the worker and fill the queue.
 */
final class PixelStatsEmbedder implements BatchEmbedder {
    static final int DIMENSION = 14;
    /** Metadata as an export carries it: public facts, and paths and the training config that are not. */
    static final Map<String, String> METADATA = Map.of("jepa4j.version", "test-1", "jepa4j.image_size", "16",
            "jepa4j.source_checkpoint", "/secret/runs/demo/checkpoints/latest.safetensors",
            "jepa4j.run", "/secret/runs/demo", "jepa4j.config", "data:\n  root: /secret/data\n",
            "jepa4j.provenance", "{\"host\": \"build-7\", \"out\": \"/secret/runs/demo\"}");

    final ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
    final AtomicBoolean closed = new AtomicBoolean();
    /** Counted down when a batch arrives at the gate. */
    final Semaphore entered = new Semaphore(0);
    private final CountDownLatch gate;
    private final String feature;

    /** @param gate null to run batches at once */
    PixelStatsEmbedder(String feature, CountDownLatch gate) {
        this.feature = feature;
        this.gate = gate;
    }

    PixelStatsEmbedder() {
        this("pooled", null);
    }

    /** The expected feature of {@code image}, computed independently of any batching. */
    static float[] stats(Image image) {
        Image rgb = image.withChannels(3);
        int plane = rgb.height() * rgb.width();
        float[] out = new float[DIMENSION];
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            double sq = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < plane; i++) {
                double v = rgb.pixels()[c * plane + i];
                sum += v;
                sq += v * v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            double mean = sum / plane;
            out[4 * c] = (float) mean;
            out[4 * c + 1] = (float) Math.sqrt(Math.max(0, sq / plane - mean * mean));
            out[4 * c + 2] = (float) min;
            out[4 * c + 3] = (float) max;
        }
        out[12] = rgb.height();
        out[13] = rgb.width();
        return out;
    }

    @Override
    public ModelDescription describe() {
        return new ModelDescription("pixel-stats@test", feature, DIMENSION, "cpu", 16, 3, Map.of(feature, DIMENSION),
                Map.of("image_size", 16), METADATA);
    }

    @Override
    public float[] prepare(Image image) {
        return stats(image);
    }

    @Override
    public float[][] embedPrepared(List<float[]> inputs) {
        batchSizes.add(inputs.size());
        if (gate != null) {
            entered.release();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        float[][] out = new float[inputs.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = inputs.get(i).clone();
        }
        return out;
    }

    @Override
    public void close() {
        closed.set(true);
    }
}
