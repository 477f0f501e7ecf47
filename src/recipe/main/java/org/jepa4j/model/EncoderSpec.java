package org.jepa4j.model;

/**
 * Shape of a ViT encoder as the reference builds it (docs/reference.md §2): patch embedding,
 * fixed 2-D sin-cos positions, {@code depth} pre-norm blocks, final LayerNorm, no [cls] token.
 *
 * @param imageSize  input height and width in pixels (square images)
 * @param patchSize  patch height and width in pixels; {@code imageSize % patchSize == 0}
 * @param channels   input channels (3 for RGB, 1 for grey images kept as one channel)
 * @param width      token width D (embed_dim)
 * @param depth      number of transformer blocks
 * @param heads      attention heads; {@code width % heads == 0}
 * @param mlpHidden  hidden width of each block's MLP (4·D for all sizes but ViT-g's 6144)
 */
public record EncoderSpec(int imageSize, int patchSize, int channels, int width, int depth, int heads,
                          int mlpHidden) {

    /** Layer norm epsilon of every encoder and predictor LayerNorm (reference: 1e-6). */
    public static final double NORM_EPS = 1e-6;

    public EncoderSpec {
        require(imageSize > 0 && patchSize > 0 && imageSize % patchSize == 0,
                "imageSize " + imageSize + " must be a positive multiple of patchSize " + patchSize);
        require(channels > 0, "channels must be positive, got " + channels);
        require(width > 0 && depth > 0 && heads > 0 && width % heads == 0,
                "width " + width + " must be a positive multiple of heads " + heads + " (depth " + depth + ")");
        require(width % 4 == 0, "width " + width + " must be a multiple of 4 for the 2-D sin-cos table");
        require(mlpHidden > 0, "mlpHidden must be positive, got " + mlpHidden);
    }

    /** Patches per side (grid height = grid width). */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Number of patch tokens N = gridSize². */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Width of one attention head. */
    public int headDim() {
        return width / heads;
    }


    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
