package org.jepa4j.mask;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's "rasterized" masking ablation (docs/reference.md §10 Table 6: the image split into
 * four quadrants, one is the context, the other three are the targets). The reference ships no
 * collator for it. Per image the context quadrant is drawn uniformly from a generator keyed by
 * (seed, step, image); the three other quadrants are the three target masks, in quadrant order
 * (top-left, top-right, bottom-left, bottom-right, skipping the context one).
 *
 * <p>Quadrants split rows at {@code floor(H/2)} and columns at {@code floor(W/2)}, so on odd grids
 * the bottom and right quadrants are one patch taller/wider; the batch truncation (§1.6) then cuts
 * every list to the smallest quadrant, dropping the highest indices of larger ones. Always
 * {@code nenc = 1}, {@code npred = 3}; {@code min_keep}, scales and {@code cover_edges} are not used.
 */
public final class RasterizedMaskSampler extends AbstractMaskSampler {

    private final int[][] quadrants = new int[4][];
    private final List<BlockSize> quadrantSizes = new ArrayList<>();

    public RasterizedMaskSampler(int gridHeight, int gridWidth, long seed) {
        this(gridHeight, gridWidth, seed, Truncation.FIRST);
    }

    /** As the three-argument constructor, cutting batches with {@code truncation}. */
    public RasterizedMaskSampler(int gridHeight, int gridWidth, long seed, Truncation truncation) {
        super(gridHeight, gridWidth, seed, truncation);
        if (gridHeight < 2 || gridWidth < 2) {
            throw new IllegalArgumentException("mask.strategy rasterized needs a patch grid of at least 2x2, got "
                    + gridHeight + "x" + gridWidth);
        }
        int rowSplit = gridHeight / 2;
        int colSplit = gridWidth / 2;
        for (int q = 0; q < 4; q++) {
            int r0 = q < 2 ? 0 : rowSplit;
            int r1 = q < 2 ? rowSplit : gridHeight;
            int c0 = q % 2 == 0 ? 0 : colSplit;
            int c1 = q % 2 == 0 ? colSplit : gridWidth;
            int[] idx = new int[(r1 - r0) * (c1 - c0)];
            int n = 0;
            for (int r = r0; r < r1; r++) {
                for (int c = c0; c < c1; c++) {
                    idx[n++] = r * gridWidth + c;
                }
            }
            quadrants[q] = idx;
            BlockSize s = new BlockSize(r1 - r0, c1 - c0);
            if (!quadrantSizes.contains(s)) {
                quadrantSizes.add(s);
            }
        }
    }

    @Override
    public String strategy() {
        return "rasterized";
    }

    @Override
    public MaskDraw draw(long step, int batchSize) {
        checkBatchSize(batchSize);
        int[][][] context = new int[1][batchSize][];
        int[][][] targets = new int[3][batchSize][];
        List<BlockSize> contextSizes = new ArrayList<>();
        List<BlockSize> targetSizes = new ArrayList<>();
        for (int b = 0; b < batchSize; b++) {
            int ctx = CounterRandom.of(seed, step, b).nextInt(4);
            context[0][b] = quadrants[ctx].clone();
            addSize(contextSizes, ctx);
            int t = 0;
            for (int q = 0; q < 4; q++) {
                if (q != ctx) {
                    targets[t++][b] = quadrants[q].clone();
                    addSize(targetSizes, q);
                }
            }
        }
        return new MaskDraw(step, gridHeight, gridWidth, context, targets, targetSizes, contextSizes, 0);
    }

    private void addSize(List<BlockSize> sizes, int quadrant) {
        int rowSplit = gridHeight / 2;
        int colSplit = gridWidth / 2;
        BlockSize s = new BlockSize(quadrant < 2 ? rowSplit : gridHeight - rowSplit,
                quadrant % 2 == 0 ? colSplit : gridWidth - colSplit);
        if (!sizes.contains(s)) {
            sizes.add(s);
        }
    }
}
