package org.jepa4j.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code mask} section (docs/reference.md §1 and §7.1), plus jepa4j's options. Built with
 * {@link #builder()}; read from a run file by {@link #parse} and written back by {@link #yamlValues}.
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
    /** Most context or target blocks per image. */
    static final int MAX_MASKS = 64;


    /** Values of every shipped reference config (§1.1), strategy multiblock, cover_edges false, truncation first. */
    public static MaskConfig defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this section's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }


    /** Reads the section's keys (absent keys keep their defaults), recording each problem in {@code s}. */
    static MaskConfig parse(Section s) {
        MaskConfig m = defaults();
        Builder b = m.toBuilder();
        b.allowOverlap(s.bool("allow_overlap", m.allowOverlap()));
        Range aspect = s.range("aspect_ratio", m.aspectRatio());
        if (!(aspect.min() > 0)) {
            s.problem("aspect_ratio", aspect + " is not allowed, expected positive aspect ratios (h/w)");
        }
        b.aspectRatio(aspect);
        b.encMaskScale(s.fraction("enc_mask_scale", s.range("enc_mask_scale", m.encMaskScale())));
        b.minKeep(s.nonNegative("min_keep", s.integer("min_keep", m.minKeep())));
        int nenc = s.integer("num_enc_masks", m.numEncMasks());
        if (nenc < 1) {
            s.problem("num_enc_masks", nenc + " is not allowed, expected at least 1");
        }
        b.numEncMasks(nenc);
        int npred = s.integer("num_pred_masks", m.numPredMasks());
        if (npred < 1) {
            s.problem("num_pred_masks", npred + " is not allowed, expected at least 1");
        }
        s.atMost("num_enc_masks", nenc, MAX_MASKS, "blocks per image (the reference uses 1)");
        s.atMost("num_pred_masks", npred, MAX_MASKS, "blocks per image (the reference uses 4)");
        b.numPredMasks(npred);
        int patchSize = s.integer("patch_size", m.patchSize());
        if (patchSize < 1) {
            s.problem("patch_size", patchSize + " is not allowed, expected a positive patch size in pixels");
        }
        b.patchSize(patchSize);
        b.predMaskScale(s.fraction("pred_mask_scale", s.range("pred_mask_scale", m.predMaskScale())));
        b.strategy(s.oneOf("strategy", m.strategy(), ConfigKeys.MASK_STRATEGIES, "a mask strategy"));
        b.coverEdges(s.bool("cover_edges", m.coverEdges()));
        b.truncation(s.oneOf("truncation", m.truncation(), ConfigKeys.MASK_TRUNCATIONS, "a truncation mode"));
        return b.build();
    }

    /** Every key's value as the writer emits it. */
    Map<String, Object> yamlValues() {
        Map<String, Object> mask = new LinkedHashMap<>();
        mask.put("allow_overlap", allowOverlap);
        mask.put("aspect_ratio", aspectRatio);
        mask.put("enc_mask_scale", encMaskScale);
        mask.put("min_keep", minKeep);
        mask.put("num_enc_masks", numEncMasks);
        mask.put("num_pred_masks", numPredMasks);
        mask.put("patch_size", patchSize);
        mask.put("pred_mask_scale", predMaskScale);
        mask.put("cover_edges", coverEdges);
        mask.put("strategy", strategy);
        mask.put("truncation", truncation);
        return mask;
    }

    /** Builds a {@code mask} section; starts from {@link #defaults()}, each setter names its key. */
    public static final class Builder {
        private boolean allowOverlap = false;
        private Range aspectRatio = Range.of(0.75, 1.5);
        private Range encMaskScale = Range.of(0.85, 1.0);
        private int minKeep = 10;
        private int numEncMasks = 1;
        private int numPredMasks = 4;
        private int patchSize = 14;
        private Range predMaskScale = Range.of(0.15, 0.2);
        private String strategy = "multiblock";
        private boolean coverEdges = false;
        private String truncation = "first";

        private Builder() {
        }

        private Builder(MaskConfig c) {
            allowOverlap = c.allowOverlap;
            aspectRatio = c.aspectRatio;
            encMaskScale = c.encMaskScale;
            minKeep = c.minKeep;
            numEncMasks = c.numEncMasks;
            numPredMasks = c.numPredMasks;
            patchSize = c.patchSize;
            predMaskScale = c.predMaskScale;
            strategy = c.strategy;
            coverEdges = c.coverEdges;
            truncation = c.truncation;
        }

        /** @param v {@code allow_overlap} @return this builder */
        public Builder allowOverlap(boolean v) {
            allowOverlap = v;
            return this;
        }

        /** @param v {@code aspect_ratio} @return this builder */
        public Builder aspectRatio(Range v) {
            aspectRatio = v;
            return this;
        }

        /** @param v {@code enc_mask_scale} @return this builder */
        public Builder encMaskScale(Range v) {
            encMaskScale = v;
            return this;
        }

        /** @param v {@code min_keep} @return this builder */
        public Builder minKeep(int v) {
            minKeep = v;
            return this;
        }

        /** @param v {@code num_enc_masks} @return this builder */
        public Builder numEncMasks(int v) {
            numEncMasks = v;
            return this;
        }

        /** @param v {@code num_pred_masks} @return this builder */
        public Builder numPredMasks(int v) {
            numPredMasks = v;
            return this;
        }

        /** @param v {@code patch_size} @return this builder */
        public Builder patchSize(int v) {
            patchSize = v;
            return this;
        }

        /** @param v {@code pred_mask_scale} @return this builder */
        public Builder predMaskScale(Range v) {
            predMaskScale = v;
            return this;
        }

        /** @param v {@code strategy} @return this builder */
        public Builder strategy(String v) {
            strategy = v;
            return this;
        }

        /** @param v {@code cover_edges} @return this builder */
        public Builder coverEdges(boolean v) {
            coverEdges = v;
            return this;
        }

        /** @param v {@code truncation} @return this builder */
        public Builder truncation(String v) {
            truncation = v;
            return this;
        }

        /** @return the section */
        public MaskConfig build() {
            return new MaskConfig(allowOverlap, aspectRatio, encMaskScale, minKeep, numEncMasks, numPredMasks,
                    patchSize, predMaskScale, strategy, coverEdges, truncation);
        }
    }
}
