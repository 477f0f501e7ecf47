package org.jepa4j.mask;

import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.Range;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * I-JEPA's multi-block masking, as the reference collator does it (docs/reference.md §1).
 *
 * <p>Per batch step: a generator seeded with the step draws one target size, then one context size
 * (§1.2, §1.3), shared by all images. Per image: {@code npred} target blocks at independent
 * positions, then {@code nenc} context blocks of the context size minus the union of that image's
 * targets (unless {@code allow_overlap}); a block is valid only with more than {@code min_keep}
 * patches, and after 20 invalid placements in a row the last acceptable region is dropped (§1.4,
 * §1.5). Finally every list is cut to the batch minimum, keeping the lowest indices (§1.6).
 *
 * <p>Randomness. The size generator is torch's MT19937 seeded with the step alone, exactly as the
 * reference ({@code g.manual_seed(step)}), so block sizes match the reference step for step and do
 * not depend on {@code meta.seed}. Block positions deviate on purpose: the reference draws them from
 * torch's process-global RNG; here they come from a counter-based generator keyed by
 * (seed, step, image), so a batch's masks are a pure function of (seed, step, batch size),
 * whatever thread draws them. Placement bounds are exclusive as in the reference ({@code top} in
 * {@code [0, H−h)}), so the last patch row and column are never covered, unless
 * {@code mask.cover_edges} is true (then {@code [0, H−h]}).
 *
 * <p>The reference loops forever when a reachable block can never exceed {@code min_keep}
 * (§1.4, §11.8). This sampler enumerates every reachable block size at construction
 * ({@link #possibleBlockSizes}) and rejects such a config with an {@link IllegalArgumentException}
 * naming {@code mask.min_keep}; a placement cap guards the loop as well.
 */
public final class MultiBlockMaskSampler extends AbstractMaskSampler {

    /** Invalid placements in a row before one acceptable region is dropped (reference {@code og_timeout}). */
    static final int PLACEMENT_TIMEOUT = 20;

    /** Resolution of the reference's uniform draw: torch.rand in float32 has 24 random bits. */
    private static final int U_BITS = 24;
    private static final int U_STEPS = 1 << U_BITS;
    private static final Range SQUARE = Range.of(1.0, 1.0);

    private final MaskConfig config;
    private final SortedSet<BlockSize> targetSizes;
    private final SortedSet<BlockSize> contextSizes;

    /**
     * @param gridHeight patch rows H (crop_size / patch_size)
     * @param gridWidth  patch columns W
     * @param config     the {@code mask} section (truncation included); strategy is not read here
     * @param seed       run seed (meta.seed) for block positions
     * @throws IllegalArgumentException when the settings cannot always produce valid masks
     */
    public MultiBlockMaskSampler(int gridHeight, int gridWidth, MaskConfig config, long seed) {
        super(gridHeight, gridWidth, seed, Truncation.fromConfig(config.truncation()));
        this.config = config;
        checkSettings(config);
        this.targetSizes = possibleBlockSizes(gridHeight, gridWidth, config.predMaskScale(), config.aspectRatio());
        this.contextSizes = possibleBlockSizes(gridHeight, gridWidth, config.encMaskScale(), SQUARE);
        checkMinKeep();
    }

    @Override
    public String strategy() {
        return "multiblock";
    }

    /** Every target block size a batch can draw (exact over torch's 2^24 float32 uniforms). */
    public SortedSet<BlockSize> possibleTargetSizes() {
        return targetSizes;
    }

    /** Every context block size a batch can draw. */
    public SortedSet<BlockSize> possibleContextSizes() {
        return contextSizes;
    }

    /**
     * The reference's {@code _sample_block_size} for one uniform {@code u} (§1.3): scale and aspect
     * both from {@code u}; {@code max_keep = int(H·W·s)}; {@code h = round(sqrt(max_keep·ar))},
     * {@code w = round(sqrt(max_keep/ar))} with round-half-even, then capped at H−1 and W−1.
     */
    public static BlockSize blockSize(int gridHeight, int gridWidth, Range scale, Range aspectRatio, double u) {
        double s = scale.min() + u * (scale.max() - scale.min());
        int maxKeep = (int) ((double) (gridHeight * gridWidth) * s);
        double ar = aspectRatio.min() + u * (aspectRatio.max() - aspectRatio.min());
        int h = (int) Math.rint(Math.sqrt(maxKeep * ar));
        int w = (int) Math.rint(Math.sqrt(maxKeep / ar));
        // the reference decrements while h >= H; same result
        h = Math.min(h, gridHeight - 1);
        w = Math.min(w, gridWidth - 1);
        return new BlockSize(Math.max(h, 0), Math.max(w, 0));
    }

    /**
     * The exact set of block sizes {@link #blockSize} yields over every uniform the reference can
     * draw ({@code k/2^24}, {@code k = 0 … 2^24−1}). The size is piecewise constant in {@code u}, with
     * breaks where {@code H·W·s(u)} crosses an integer or {@code sqrt(max_keep·ar(u))},
     * {@code sqrt(max_keep/ar(u))} cross a half-integer; evaluating on both sides of every break and
     * inside every piece gives the whole set without scanning all 2^24 values.
     */
    public static SortedSet<BlockSize> possibleBlockSizes(int gridHeight, int gridWidth, Range scale,
                                                          Range aspectRatio) {
        if (aspectRatio.min() <= 0) {
            throw new IllegalArgumentException("aspect ratio range " + aspectRatio + " must be > 0");
        }
        double n = (double) gridHeight * gridWidth;
        List<Double> breaks = new ArrayList<>();
        breaks.add(0.0);
        breaks.add(1.0);
        double sSpan = scale.max() - scale.min();
        double aSpan = aspectRatio.max() - aspectRatio.min();
        int mLo = Math.max(0, (int) Math.floor(n * scale.min()) - 1);
        int mHi = (int) Math.ceil(n * scale.max()) + 1;
        for (int m = mLo; m <= mHi; m++) {
            if (sSpan > 0) {
                breaks.add((m / n - scale.min()) / sSpan);
            }
            if (aSpan > 0 && m > 0) {
                for (int k = 0; (k + 0.5) * (k + 0.5) <= m * aspectRatio.max() + 1; k++) {
                    double half2 = (k + 0.5) * (k + 0.5);
                    breaks.add((half2 / m - aspectRatio.min()) / aSpan);   // h = round(sqrt(m·ar))
                }
                for (int k = 0; (k + 0.5) * (k + 0.5) <= m / aspectRatio.min() + 1; k++) {
                    double half2 = (k + 0.5) * (k + 0.5);
                    breaks.add((m / half2 - aspectRatio.min()) / aSpan);   // w = round(sqrt(m/ar))
                }
            }
        }
        breaks.removeIf(b -> !(b >= 0.0 && b <= 1.0));
        Collections.sort(breaks);
        TreeSet<Integer> ks = new TreeSet<>();
        for (int i = 0; i < breaks.size(); i++) {
            long at = (long) Math.floor(breaks.get(i) * U_STEPS);
            for (long k = at - 2; k <= at + 2; k++) {
                ks.add((int) Math.max(0, Math.min(U_STEPS - 1, k)));
            }
            if (i + 1 < breaks.size()) {
                long mid = (long) Math.floor((breaks.get(i) + breaks.get(i + 1)) / 2 * U_STEPS);
                ks.add((int) Math.max(0, Math.min(U_STEPS - 1, mid)));
            }
        }
        TreeSet<BlockSize> sizes = new TreeSet<>();
        for (int k : ks) {
            sizes.add(blockSize(gridHeight, gridWidth, scale, aspectRatio, k * 0x1.0p-24));
        }
        return Collections.unmodifiableSortedSet(sizes);
    }

    @Override
    public MaskDraw draw(long step, int batchSize) {
        checkBatchSize(batchSize);
        // §1.2: one size generator per step; target size first, then context size
        TorchGenerator sizes = new TorchGenerator(step);
        BlockSize p = blockSize(gridHeight, gridWidth, config.predMaskScale(), config.aspectRatio(), sizes.rand());
        BlockSize e = blockSize(gridHeight, gridWidth, config.encMaskScale(), SQUARE, sizes.rand());
        int npred = config.numPredMasks();
        int nenc = config.numEncMasks();
        int[][][] targets = new int[npred][batchSize][];
        int[][][] context = new int[nenc][batchSize][];
        int relaxations = 0;
        int[] regionTops = new int[npred];
        int[] regionLefts = new int[npred];
        for (int b = 0; b < batchSize; b++) {
            CounterRandom rng = CounterRandom.of(seed, step, b);
            for (int i = 0; i < npred; i++) {
                Placement t = place(rng, p, null, null, null, 0, step, b);
                targets[i][b] = t.indices;
                regionTops[i] = t.top;
                regionLefts[i] = t.left;
            }
            // §1.5: context = context block × complements of this image's targets
            int regions = config.allowOverlap() ? 0 : npred;
            for (int j = 0; j < nenc; j++) {
                Placement c = place(rng, e, p, regionTops, regionLefts, regions, step, b);
                context[j][b] = c.indices;
                relaxations += c.relaxations;
            }
        }
        return new MaskDraw(step, gridHeight, gridWidth, context, targets, List.of(p), List.of(e), relaxations);
    }

    private record Placement(int top, int left, int[] indices, int relaxations) {
    }

    /**
     * §1.4: draws positions until the block, minus the first {@code regions − tries} excluded
     * rectangles, keeps more than min_keep patches; every 20 failures {@code tries} grows by one.
     */
    private Placement place(CounterRandom rng, BlockSize size, BlockSize regionSize, int[] regionTops,
                            int[] regionLefts, int regions, long step, int image) {
        int h = size.height();
        int w = size.width();
        int topBound = gridHeight - h + (config.coverEdges() ? 1 : 0);
        int leftBound = gridWidth - w + (config.coverEdges() ? 1 : 0);
        int tries = 0;
        int timeout = PLACEMENT_TIMEOUT;
        int cap = PLACEMENT_TIMEOUT * (regions + 2);
        int[] buf = new int[size.area()];
        for (int attempt = 1; ; attempt++) {
            int top = rng.nextInt(topBound);
            int left = rng.nextInt(leftBound);
            int active = Math.max(regions - tries, 0);
            int n = 0;
            for (int r = top; r < top + h; r++) {
                for (int c = left; c < left + w; c++) {
                    if (!excluded(r, c, regionSize, regionTops, regionLefts, active)) {
                        buf[n++] = r * gridWidth + c;
                    }
                }
            }
            if (n > config.minKeep()) {
                return new Placement(top, left, java.util.Arrays.copyOf(buf, n), tries);
            }
            if (--timeout == 0) {
                tries++;
                timeout = PLACEMENT_TIMEOUT;
            }
            if (attempt >= cap) {
                throw new IllegalStateException("multiblock mask sampler: no " + size + " block with more than "
                        + "mask.min_keep " + config.minKeep() + " patches after " + attempt + " placements on a "
                        + gridHeight + "x" + gridWidth + " grid (step " + step + ", image " + image
                        + "); the construction-time check should have rejected these settings");
            }
        }
    }

    private static boolean excluded(int r, int c, BlockSize regionSize, int[] tops, int[] lefts, int active) {
        for (int k = 0; k < active; k++) {
            if (r >= tops[k] && r < tops[k] + regionSize.height() && c >= lefts[k]
                    && c < lefts[k] + regionSize.width()) {
                return true;
            }
        }
        return false;
    }

    private static void checkSettings(MaskConfig c) {
        if (c.numPredMasks() < 1) {
            throw new IllegalArgumentException("mask.num_pred_masks must be >= 1, got " + c.numPredMasks());
        }
        if (c.numEncMasks() < 1) {
            throw new IllegalArgumentException("mask.num_enc_masks must be >= 1, got " + c.numEncMasks());
        }
        if (c.minKeep() < 0) {
            throw new IllegalArgumentException("mask.min_keep must be >= 0, got " + c.minKeep());
        }
        if (c.aspectRatio().min() <= 0) {
            throw new IllegalArgumentException("mask.aspect_ratio " + c.aspectRatio() + " must be > 0");
        }
        checkScale("mask.pred_mask_scale", c.predMaskScale());
        checkScale("mask.enc_mask_scale", c.encMaskScale());
    }

    private static void checkScale(String key, Range r) {
        if (r.min() < 0 || r.max() > 1) {
            throw new IllegalArgumentException(key + " " + r + " must lie within [0, 1]");
        }
    }

    /**
     * Rejects settings where the reference would loop forever: a reachable target block with no more
     * than min_keep patches (targets have no constraint to relax), or a context block that cannot
     * exceed min_keep even after every target region is dropped (§1.4).
     */
    private void checkMinKeep() {
        BlockSize smallestTarget = smallest(targetSizes);
        BlockSize smallestContext = smallest(contextSizes);
        int bestMinKeep = Math.min(smallestTarget.area(), smallestContext.area()) - 1;
        String fix = bestMinKeep >= 0 ? "use min_keep <= " + bestMinKeep
                : "use larger mask scales or a larger grid (smaller patch_size)";
        String grid = gridHeight + "x" + gridWidth;
        if (smallestTarget.area() <= config.minKeep()) {
            throw new IllegalArgumentException("mask.min_keep " + config.minKeep() + " cannot be met on the " + grid
                    + " patch grid: pred_mask_scale " + config.predMaskScale() + " with aspect_ratio "
                    + config.aspectRatio() + " gives " + smallestTarget + " target blocks (" + smallestTarget.area()
                    + " patches) and a block needs more than min_keep patches (the reference would loop forever); "
                    + fix);
        }
        if (smallestContext.area() <= config.minKeep()) {
            throw new IllegalArgumentException("mask.min_keep " + config.minKeep() + " cannot be met on the " + grid
                    + " patch grid: enc_mask_scale " + config.encMaskScale() + " gives " + smallestContext
                    + " context blocks (" + smallestContext.area() + " patches) and a block needs more than min_keep "
                    + "patches (the reference would loop forever); " + fix);
        }
    }


    private static BlockSize smallest(SortedSet<BlockSize> sizes) {
        BlockSize best = null;
        for (BlockSize s : sizes) {
            if (best == null || s.area() < best.area()) {
                best = s;
            }
        }
        return best;
    }
}
