package org.jepa4j.train.step;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.model.EncoderSpec;

/**
 * What the predictor predicts at the target blocks ({@code meta.target}, docs/reference.md §4).
 *
 * @param kind            {@code features}: the target encoder's features, LayerNorm'd without affine
 *                        (the reference); {@code pixels}: each target patch's pixels through a linear
 *                        pixel head, with no target encoder forward and no EMA (the paper's Table 7
 *                        ablation; the target encoder's tensors then hold a copy of the context encoder,
 *                        which is what export and the monitors read)
 * @param normalizePixels with {@code pixels}: each patch's pixels to zero mean and unit variance
 *                        (unbiased variance, eps 1e-6, as MAE's {@code norm_pix_loss}); ignored for features
 */
public record PredictionTarget(String kind, boolean normalizePixels) {

    /** eps added to each patch's variance before the square root (MAE's 1e-6). */
    public static final double PIXEL_NORM_EPS = 1e-6;

    public PredictionTarget {
        if (!ConfigKeys.TARGETS.contains(kind)) {
            throw new IllegalArgumentException("prediction target '" + kind + "' is not supported, expected one of "
                    + ConfigKeys.TARGETS);
        }
    }

    /** The reference's target: normalised target-encoder features. */
    public static PredictionTarget features() {
        return new PredictionTarget(ConfigKeys.TARGET_FEATURES, true);
    }

    /** Pixel targets, per-patch normalised or raw. */
    public static PredictionTarget pixels(boolean normalize) {
        return new PredictionTarget(ConfigKeys.TARGET_PIXELS, normalize);
    }

    /** The target of a run config's {@code meta} section. */
    public static PredictionTarget of(MetaConfig meta) {
        return new PredictionTarget(meta.target(), meta.pixelNorm());
    }

    /** Whether the predictor predicts pixels. */
    public boolean isPixels() {
        return kind.equals(ConfigKeys.TARGET_PIXELS);
    }

    /** Width of a predicted row: the encoder width {@code D} for features, {@code C·p·p} for pixels. */
    public int width(EncoderSpec e) {
        return isPixels() ? e.channels() * e.patchSize() * e.patchSize() : e.width();
    }

    /** {@code features}, {@code pixels (normalised per patch)} or {@code pixels (raw)}. */
    public String describe() {
        return isPixels() ? "pixels (" + (normalizePixels ? "normalised per patch" : "raw") + ")" : kind;
    }
}
