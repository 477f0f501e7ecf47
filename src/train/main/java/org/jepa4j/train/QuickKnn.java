package org.jepa4j.train;

import org.jepa4j.config.RunConfig;
import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.metrics.Knn;

import java.util.function.Function;

/**
 * The quick kNN check of {@code --eval-every N}: pooled target-encoder features of the first
 * {@link Trainer#KNN_IMAGES} labelled training images (the memory bank) and of the first
 * {@link Trainer#KNN_IMAGES} held-out images (the queries), both through the evaluation
 * transform, classified by {@link Knn} with k = {@link Trainer#KNN_K} and DINO's temperature.
 * A subset, so the number tracks progress cheaply; {@code jepa4j eval} gives the full figure.
 */
final class QuickKnn {
    /** Images and their labels, transformed once. */
    record Images(float[] pixels, int count, int[] labels) {
    }

    private final Images bank;
    private final Images queries;

    private QuickKnn(Images bank, Images queries) {
        this.bank = bank;
        this.queries = queries;
    }

    /** Loads both sets, or returns null (with a note) when the source has no labels. */
    static QuickKnn open(RunConfig config, EvalTransform transform, ImageDataset heldOut, Progress progress) {
        ImageDataset train = DatasetResolver.train(config.data());
        if (!train.labelled() || !heldOut.labelled()) {
            progress.println("kNN check disabled: " + (train.labelled() ? heldOut : train).description()
                    + " has no class labels");
            return null;
        }
        Images bank = load(train, Math.min(Trainer.KNN_IMAGES, train.size()), transform);
        Images queries = load(heldOut, Math.min(Trainer.KNN_IMAGES, heldOut.size()), transform);
        progress.println("kNN check: k=" + Trainer.KNN_K + ", " + bank.count() + " training images as the memory"
                + " bank, " + queries.count() + " images of " + heldOut.description() + " as queries");
        return new QuickKnn(bank, queries);
    }

    /** Top-1 accuracy with features from {@code pooled} ({@code [count, D]} for a set of images). */
    double top1(Function<Images, float[]> pooled) {
        float[][] bankFeatures = rows(pooled.apply(bank), bank.count());
        float[][] queryFeatures = rows(pooled.apply(queries), queries.count());
        return Knn.evaluate(bankFeatures, bank.labels(), queryFeatures, queries.labels(), Trainer.KNN_K,
                Knn.DEFAULT_TEMPERATURE);
    }

    private static Images load(ImageDataset ds, int count, EvalTransform transform) {
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = ds.label(i);
        }
        return new Images(transformFirst(ds, count, transform), count, labels);
    }

    /** The first {@code count} images of {@code ds} through {@code transform}: {@code [count, C, S, S]}. */
    static float[] transformFirst(ImageDataset ds, int count, EvalTransform transform) {
        int per = transform.outputLength();
        float[] out = new float[count * per];
        for (int i = 0; i < count; i++) {
            transform.applyInto(ds.image(i), out, i * per);
        }
        return out;
    }

    private static float[][] rows(float[] flat, int count) {
        int dim = flat.length / count;
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
        }
        return out;
    }
}
