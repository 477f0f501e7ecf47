package org.jepa4j.pipeline;

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

    /** Images {@code [from, to)} of this batch with their labels and masks (a data-parallel replica's slice). */
    public Batch slice(int from, int to) {
        if (from < 0 || to > size || from >= to) {
            throw new IllegalArgumentException("batch slice [" + from + ", " + to + ") is not inside the batch of "
                    + size + " images, expected 0 <= from < to <= " + size);
        }
        int per = channels * height * width;
        return new Batch(step, java.util.Arrays.copyOfRange(pixels, from * per, to * per), to - from, channels, height,
                width, labels == null ? null : java.util.Arrays.copyOfRange(labels, from, to),
                masks == null ? null : masks.slice(from, to));
    }
}
