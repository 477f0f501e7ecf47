package org.jepa4j.data;

import org.jepa4j.mask.MaskBatch;

/**
 * One mini-batch ready for the training graph.
 *
 * @param step     global step this batch belongs to (0-based, across epochs)
 * @param pixels   {@code [B, C, H, W]} normalised values, row-major
 * @param size     B
 * @param channels C
 * @param height   H
 * @param width    W
 * @param labels   B class labels, or null when the source is unlabelled (never used for training)
 * @param masks    the batch's context and target masks, or null when the loader draws none
 */
public record Batch(long step, float[] pixels, int size, int channels, int height, int width, int[] labels,
                    MaskBatch masks) {
    public Batch {
        if (pixels.length != size * channels * height * width) {
            throw new IllegalArgumentException("batch of " + size + "x" + channels + "x" + height + "x" + width
                    + " needs " + (long) size * channels * height * width + " values, got " + pixels.length);
        }
    }
}
