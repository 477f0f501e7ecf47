package org.jepa4j.model;

import java.util.List;

/**
 * How {@link Initializer} draws the encoder's patch embedding and scales the fixed sin-cos position
 * tables ({@code meta.patch_embed_init}, {@code meta.pos_embed_scale}, {@code meta.pred_pos_embed_scale}).
 * The reference draws the patch embedding like every Linear, trunc_normal(std 0.02), and adds the
 * position tables unscaled; at that scale a small grey patch's embedding is far smaller than its
 * position code (docs/experiments/ablations.md, "The paper's feature").
 *
 * @param patchEmbedding          {@code trunc_normal} (the reference) or {@code xavier_uniform}
 *                                (MAE: U(±√(6 / (C·p·p + D))) on the weight viewed as [D, C·p·p])
 * @param positionScale           factor on the encoder's sin-cos table {@code pos_embed} (1 = the reference)
 * @param predictorPositionScale  factor on the predictor's table {@code predictor_pos_embed} (1 = the reference)
 */
public record InitScheme(String patchEmbedding, double positionScale, double predictorPositionScale) {

    /** The reference's patch-embedding draw: trunc_normal(std 0.02) as every Linear. */
    public static final String TRUNC_NORMAL = "trunc_normal";
    /** MAE's patch-embedding draw: Xavier uniform on the weight viewed as a Linear. */
    public static final String XAVIER_UNIFORM = "xavier_uniform";
    /** Values of {@code patchEmbedding}. */
    public static final List<String> PATCH_EMBEDDINGS = List.of(TRUNC_NORMAL, XAVIER_UNIFORM);

    public InitScheme {
        if (!PATCH_EMBEDDINGS.contains(patchEmbedding)) {
            throw new IllegalArgumentException("patch embedding initialisation '" + patchEmbedding
                    + "' is not supported, expected one of " + PATCH_EMBEDDINGS);
        }
        if (!(Double.isFinite(positionScale) && positionScale >= 0
                && Double.isFinite(predictorPositionScale) && predictorPositionScale >= 0)) {
            throw new IllegalArgumentException("position table scales must be finite and >= 0, got encoder "
                    + positionScale + ", predictor " + predictorPositionScale);
        }
    }

    /** The reference's initialisation. */
    public static InitScheme reference() {
        return new InitScheme(TRUNC_NORMAL, 1.0, 1.0);
    }

    /** Whether this is the reference's initialisation. */
    public boolean isReference() {
        return equals(reference());
    }
}
