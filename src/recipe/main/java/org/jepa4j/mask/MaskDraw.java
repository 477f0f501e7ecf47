package org.jepa4j.mask;

import java.util.List;

/**
 * One batch of masks before the reference's equal-length truncation (docs/reference.md §1.6),
 * with what the sampler decided for it. {@link #toBatch()} applies the truncation.
 *
 * @param step          the sampler step
 * @param gridHeight    patch rows H
 * @param gridWidth     patch columns W
 * @param context       {@code [nenc][B][*]}: full context index lists, sorted ascending
 * @param targets       {@code [npred][B][*]}: full target index lists, sorted ascending
 * @param targetBlocks  distinct target block sizes used in this batch (empty when targets are not blocks)
 * @param contextBlocks distinct context block sizes used in this batch (empty when the context is not a block)
 * @param relaxations   how many times a context block dropped an acceptable region because 20
 *                      placements in a row kept too few patches (§1.4); 0 for other strategies
 */
public record MaskDraw(long step, int gridHeight, int gridWidth, int[][][] context, int[][][] targets,
                       List<BlockSize> targetBlocks, List<BlockSize> contextBlocks, int relaxations) {

    public MaskDraw {
        targetBlocks = List.copyOf(targetBlocks);
        contextBlocks = List.copyOf(contextBlocks);
    }

    public int batchSize() {
        return context.length == 0 ? 0 : context[0].length;
    }

    /**
     * The reference's collation (§1.6): every context list cut to the shortest context list of the
     * batch, every target list to the shortest target list, keeping the first (lowest) indices.
     */
    public MaskBatch toBatch() {
        return toBatch(Truncation.FIRST, 0);
    }

    /**
     * The collation with a chosen {@link Truncation}; {@link Truncation#RANDOM} draws the kept
     * subsets from (seed, step, mask, image).
     */
    public MaskBatch toBatch(Truncation truncation, long seed) {
        return new MaskBatch(truncation.apply(context, seed, step, 0), truncation.apply(targets, seed, step, 1), step);
    }

    /** The shortest list over all masks and images: the K that {@link #toBatch()} keeps. */
    static int minLength(int[][][] masks) {
        int min = Integer.MAX_VALUE;
        for (int[][] perImage : masks) {
            for (int[] idx : perImage) {
                min = Math.min(min, idx.length);
            }
        }
        return min == Integer.MAX_VALUE ? 0 : min;
    }

}
