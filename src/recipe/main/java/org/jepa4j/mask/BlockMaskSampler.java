package org.jepa4j.mask;

import java.util.List;

/**
 * The paper's "block" masking ablation (docs/reference.md §10 Table 6: target Block(0.6), one
 * target, context = complement). The reference ships no collator for it; jepa4j sizes the block with
 * the multi-block formula (§1.3) at scale 0.6 and aspect 1 ({@code max_keep = int(0.6·N)},
 * {@code h = w = round(sqrt(max_keep))}, at most H−1), e.g. 12x12 = 144 of 256 patches on a 16x16
 * grid. Position per image as the multi-block sampler (exclusive bounds unless
 * {@code mask.cover_edges}); the context is every patch outside the block. Always
 * {@code nenc = npred = 1}; {@code min_keep} is checked against both.
 */
public final class BlockMaskSampler extends AbstractMaskSampler {

    /** Table 6's target block scale. */
    static final double SCALE = 0.6;

    private final BlockSize block;
    private final boolean coverEdges;

    public BlockMaskSampler(int gridHeight, int gridWidth, int minKeep, boolean coverEdges, long seed) {
        this(gridHeight, gridWidth, minKeep, coverEdges, seed, Truncation.FIRST);
    }

    /** As the five-argument constructor, cutting batches with {@code truncation}. */
    public BlockMaskSampler(int gridHeight, int gridWidth, int minKeep, boolean coverEdges, long seed,
                            Truncation truncation) {
        super(gridHeight, gridWidth, seed, truncation);
        this.block = MultiBlockMaskSampler.blockSize(gridHeight, gridWidth, org.jepa4j.config.Range.of(SCALE, SCALE),
                org.jepa4j.config.Range.of(1.0, 1.0), 0.0);
        this.coverEdges = coverEdges;
        int complement = gridHeight * gridWidth - block.area();
        if (block.area() <= minKeep || complement <= minKeep) {
            throw new IllegalArgumentException("mask.min_keep " + minKeep + " cannot be met by mask.strategy block on the "
                    + gridHeight + "x" + gridWidth + " patch grid: the target block is " + block + " (" + block.area()
                    + " patches) and its complement " + complement + " patches; use min_keep <= "
                    + (Math.min(block.area(), complement) - 1));
        }
    }

    @Override
    public String strategy() {
        return "block";
    }

    /** The target block size (the same for every batch). */
    public BlockSize block() {
        return block;
    }

    @Override
    public MaskDraw draw(long step, int batchSize) {
        checkBatchSize(batchSize);
        int[][][] context = new int[1][batchSize][];
        int[][][] targets = new int[1][batchSize][];
        int extra = coverEdges ? 1 : 0;
        boolean[] inBlock = new boolean[gridHeight * gridWidth];
        for (int b = 0; b < batchSize; b++) {
            CounterRandom rng = CounterRandom.of(seed, step, b);
            int top = rng.nextInt(gridHeight - block.height() + extra);
            int left = rng.nextInt(gridWidth - block.width() + extra);
            java.util.Arrays.fill(inBlock, false);
            for (int r = top; r < top + block.height(); r++) {
                for (int c = left; c < left + block.width(); c++) {
                    inBlock[r * gridWidth + c] = true;
                }
            }
            targets[0][b] = indicesOf(inBlock);
            boolean[] outside = new boolean[inBlock.length];
            for (int i = 0; i < inBlock.length; i++) {
                outside[i] = !inBlock[i];
            }
            context[0][b] = indicesOf(outside);
        }
        return new MaskDraw(step, gridHeight, gridWidth, context, targets, List.of(block), List.of(), 0);
    }
}
