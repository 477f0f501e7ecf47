package org.jepa4j.train.step;

import org.jepa4j.pipeline.Batch;
import org.jepa4j.graph.Tensors;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.EncoderSpec;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The fed inputs of a training step: {@code images [B, C, H, W]}, {@code context_idx [nenc, B, Kc]}
 * and {@code target_idx [npred, B, Kt]}, whose sizes may change from step to step. A batch is
 * checked before it is fed, so bad masks fail with a message naming the list instead of inside
 * TensorFlow.
 */
public final class StepInputs {
    private final EncoderSpec encoder;
    private final Placeholder<TFloat32> images;
    private final Placeholder<TInt32> contextIdx;
    private final Placeholder<TInt32> targetIdx;

    /**
     * Builds the placeholders.
     *
     * @param tf      where the ops are built
     * @param encoder image geometry and patch count
     */
    public StepInputs(Ops tf, EncoderSpec encoder) {
        this.encoder = encoder;
        images = tf.withName("images").placeholder(TFloat32.class,
                Placeholder.shape(Shape.of(-1, encoder.channels(), encoder.imageSize(), encoder.imageSize())));
        contextIdx = tf.withName("context_idx").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1, -1)));
        targetIdx = tf.withName("target_idx").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1, -1)));
    }

    /** @return {@code images [B, C, H, W]} */
    public Placeholder<TFloat32> images() {
        return images;
    }

    /** @return {@code context_idx [nenc, B, Kc]} */
    public Placeholder<TInt32> contextIdx() {
        return contextIdx;
    }

    /** @return {@code target_idx [npred, B, Kt]} */
    public Placeholder<TInt32> targetIdx() {
        return targetIdx;
    }

    /**
     * Feeds a batch's images and masks.
     *
     * @param r     the runner
     * @param batch images with their masks
     * @param feeds owns the fed tensors
     * @return {@code r}
     * @throws IllegalArgumentException for a batch without masks, with masks of other sizes than the
     *                                  batch, or a patch index out of range
     */
    public Session.Runner feed(Session.Runner r, Batch batch, Feeds feeds) {
        MaskBatch masks = batch.masks();
        if (masks == null) {
            throw new IllegalArgumentException("batch of step " + batch.step() + " has no masks; the training graph needs "
                    + "context and target masks");
        }
        int n = encoder.numPatches();
        checkIndexLists("context", masks.context(), batch.size(), n);
        checkIndexLists("targets", masks.targets(), batch.size(), n);
        feedImages(r, batch.pixels(), batch.size(), feeds);
        TInt32 c = feeds.add(Tensors.indices(masks.context()));
        TInt32 t = feeds.add(Tensors.indices(masks.targets()));
        return r.feed(contextIdx, c).feed(targetIdx, t);
    }

    /**
     * Feeds images alone.
     *
     * @param r         the runner
     * @param pixels    {@code [B, C, H, W]} row-major
     * @param batchSize B
     * @param feeds     owns the fed tensor
     * @return {@code r}
     */
    public Session.Runner feedImages(Session.Runner r, float[] pixels, int batchSize, Feeds feeds) {
        long per = (long) encoder.channels() * encoder.imageSize() * encoder.imageSize();
        if (batchSize <= 0 || pixels.length != per * batchSize) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " values, expected " + batchSize
                    + " images of " + encoder.channels() + "x" + encoder.imageSize() + "x" + encoder.imageSize());
        }
        long[] shape = {batchSize, encoder.channels(), encoder.imageSize(), encoder.imageSize()};
        return r.feed(images, feeds.add(Tensors.floats(shape, pixels)));
    }

    static void checkIndexLists(String what, int[][][] idx, int batchSize, int numPatches) {
        if (idx.length == 0) {
            throw new IllegalArgumentException("masks." + what + " is empty: at least one mask is needed");
        }
        int k = idx[0].length == 0 ? 0 : idx[0][0].length;
        for (int m = 0; m < idx.length; m++) {
            if (idx[m].length != batchSize) {
                throw new IllegalArgumentException("masks." + what + "[" + m + "] has " + idx[m].length
                        + " images but the batch has " + batchSize);
            }
            for (int b = 0; b < batchSize; b++) {
                if (idx[m][b].length != k || k == 0) {
                    throw new IllegalArgumentException("masks." + what + "[" + m + "][" + b + "] has " + idx[m][b].length
                            + " indices, expected " + k + " (> 0) like every other list of the batch");
                }
                for (int v : idx[m][b]) {
                    if (v < 0 || v >= numPatches) {
                        throw new IllegalArgumentException("masks." + what + "[" + m + "][" + b + "] holds patch index " + v
                                + ", expected 0.." + (numPatches - 1));
                    }
                }
            }
        }
    }
}
