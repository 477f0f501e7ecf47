package org.jepa4j.train;

import org.jepa4j.config.RunConfig;
import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.model.ModelSpec;

import java.util.Locale;

/**
 * The periodic checks on the target encoder during training: the collapse monitors every
 * {@code optimization.probe_every} steps on a fixed probe batch (the first
 * {@link Trainer#PROBE_IMAGES} held-out images, evaluation transform) and, every
 * {@code eval_every} steps, a quick kNN accuracy (see {@link QuickKnn}).
 */
final class Probe {
    private final int probeEvery;
    private final int evalEvery;
    private final int chunk;
    private final int numTokens;
    private final int dim;
    private final float[] probePixels;
    private final int probeCount;
    private final QuickKnn knn;
    private final Progress progress;

    /**
     * Monitor values of one step; NaN where not computed.
     */
    record Result(double featureStd, double rankMe, double knnTop1) {
        static final Result NONE = new Result(Double.NaN, Double.NaN, Double.NaN);

        boolean any() {
            return !Double.isNaN(featureStd) || !Double.isNaN(knnTop1);
        }
    }

    private Probe(int probeEvery, int evalEvery, int chunk, ModelSpec spec, float[] probePixels, int probeCount,
                  QuickKnn knn, Progress progress) {
        this.probeEvery = probeEvery;
        this.evalEvery = evalEvery;
        this.chunk = chunk;
        this.numTokens = spec.encoder().numPatches();
        this.dim = spec.encoder().width();
        this.probePixels = probePixels;
        this.probeCount = probeCount;
        this.knn = knn;
        this.progress = progress;
    }

    /** A probe that never runs (the replicas of a multi-worker run other than the chief). */
    static Probe disabled(ModelSpec spec, Progress progress) {
        return new Probe(0, 0, 1, spec, new float[0], 0, null, progress);
    }

    /** Loads the probe images (only when a check is enabled). */
    static Probe open(RunConfig config, ModelSpec spec, int evalEvery, Progress progress) {
        int probeEvery = Math.max(0, config.optimization().probeEvery());
        EvalTransform transform = new EvalTransform(Preprocessing.of(config.data()));
        float[] pixels = new float[0];
        int count = 0;
        if (probeEvery > 0) {
            ImageDataset held = heldOut(config, progress);
            count = Math.min(Trainer.PROBE_IMAGES, held.size());
            pixels = QuickKnn.transformFirst(held, count, transform);
            progress.println(String.format(Locale.ROOT, "monitors: feature std and RankMe every %d steps on the first"
                    + " %d images of %s", probeEvery, count, held.description()));
        }
        QuickKnn knn = null;
        if (evalEvery > 0) {
            knn = QuickKnn.open(config, transform, heldOut(config, progress), progress);
        }
        return new Probe(probeEvery, evalEvery, Math.max(1, config.data().batchSize()), spec, pixels, count,
                knn, progress);
    }

    private static ImageDataset heldOut(RunConfig config, Progress progress) {
        try {
            return DatasetResolver.eval(config.data());
        } catch (IllegalArgumentException e) {
            // single-split sources without data.eval_source: probe on the training images instead
            progress.println("monitors: no held-out split (" + e.getMessage() + "); using training images");
            return DatasetResolver.train(config.data());
        }
    }

    /** Runs the checks due after {@code step} (0-based; {@code first}: the first step of this call). */
    Result maybeRun(TrainingGraph graph, long step, boolean first, boolean last) {
        double std = Double.NaN;
        double rank = Double.NaN;
        double top1 = Double.NaN;
        // also after a run's first step: the baseline the later values are read against
        if (probeEvery > 0 && probeCount > 1 && ((step + 1) % probeEvery == 0 || first || last)) {
            float[] pooled = pooledFeatures(graph, probePixels, probeCount);
            CollapseMonitor.Stats s = CollapseMonitor.measure(pooled, probeCount, dim);
            std = s.featureStd();
            rank = s.rankMe();
            if (s.collapsed()) {
                progress.println("WARN representation collapse suspected at step " + step + ": " + s.describe());
            }
        }
        if (knn != null && evalEvery > 0 && ((step + 1) % evalEvery == 0 || last)) {
            top1 = knn.top1(features -> pooledFeatures(graph, features.pixels(), features.count()));
            progress.println(String.format(Locale.ROOT, "step %d: kNN (k=%d) top-1 %.2f%%", step, Trainer.KNN_K,
                    100 * top1));
        }
        return new Result(std, rank, top1);
    }

    /** Pooled target-encoder features {@code [count, D]} of {@code pixels [count, C, H, W]}, in chunks. */
    float[] pooledFeatures(TrainingGraph graph, float[] pixels, int count) {
        int perImage = pixels.length / count;
        float[] out = new float[count * dim];
        for (int begin = 0; begin < count; begin += chunk) {
            int n = Math.min(chunk, count - begin);
            float[] part = java.util.Arrays.copyOfRange(pixels, begin * perImage, (begin + n) * perImage);
            float[] tokens = graph.targetTokens(part, n);
            float[] pooled = CollapseMonitor.meanPool(tokens, n, numTokens, dim);
            System.arraycopy(pooled, 0, out, begin * dim, n * dim);
        }
        return out;
    }
}
