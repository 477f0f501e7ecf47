package org.jepa4j.config;

/**
 * The {@code mask} section (docs/reference.md §1 and §7.1), plus jepa4j's options.
 *
 * @param allowOverlap   {@code allow_overlap}: context may overlap targets
 * @param aspectRatio    {@code aspect_ratio} of target blocks (h/w; reference [0.75, 1.5])
 * @param encMaskScale   {@code enc_mask_scale}: context block area fraction ([0.85, 1.0])
 * @param minKeep        {@code min_keep}: a block is valid only with more than this many patches (strict)
 * @param numEncMasks    {@code num_enc_masks} (nenc, 1)
 * @param numPredMasks   {@code num_pred_masks} (npred, 4)
 * @param patchSize      {@code patch_size} in pixels
 * @param predMaskScale  {@code pred_mask_scale}: target block area fraction ([0.15, 0.2])
 * @param strategy       jepa4j {@code strategy}: {@code multiblock} (default), {@code random},
 *                       {@code block} or {@code rasterized} (the paper's Table 6 ablations)
 * @param coverEdges     jepa4j {@code cover_edges}: blocks may reach the last patch row and column
 *                       (default false, as the reference, whose exclusive randint never covers them)
 * @param truncation     jepa4j {@code truncation}: how lists are cut to the batch minimum (§1.6):
 *                       {@code first} keeps the lowest indices as the reference (top rows survive),
 *                       {@code random} keeps a random subset of the same size
 */
public record MaskConfig(boolean allowOverlap, Range aspectRatio, Range encMaskScale, int minKeep, int numEncMasks,
                         int numPredMasks, int patchSize, Range predMaskScale, String strategy, boolean coverEdges,
                         String truncation) {

    /** The settings with the reference's truncation ({@code first}). */
    public MaskConfig(boolean allowOverlap, Range aspectRatio, Range encMaskScale, int minKeep, int numEncMasks,
                      int numPredMasks, int patchSize, Range predMaskScale, String strategy, boolean coverEdges) {
        this(allowOverlap, aspectRatio, encMaskScale, minKeep, numEncMasks, numPredMasks, patchSize, predMaskScale,
                strategy, coverEdges, "first");
    }

    /** Values of every shipped reference config (§1.1), strategy multiblock, cover_edges false. */
    public static MaskConfig defaults() {
        return new MaskConfig(false, Range.of(0.75, 1.5), Range.of(0.85, 1.0), 10, 1, 4, 14, Range.of(0.15, 0.2),
                "multiblock", false);
    }
}
