package org.jepa4j.importer;

/**
 * What the user told {@code jepa4j import} besides the file; 0 / null mean "infer from the
 * tensor shapes" (heads cannot be inferred: they come from {@code heads} or {@code modelName}).
 *
 * @param modelName     reference size name (vit_tiny ... vit_giant) giving the heads, or null
 * @param embedDim      expected encoder width D (0 = from the shapes)
 * @param depth         expected encoder depth (0 = from the shapes)
 * @param heads         encoder attention heads (0 = from {@code modelName} or the width's reference size)
 * @param patchSize     expected patch size (0 = from {@code patch_embed.proj.weight})
 * @param imageSize     expected image size (0 = grid of {@code pos_embed} · patch size)
 * @param channels      expected input channels (0 = from {@code patch_embed.proj.weight})
 * @param predHeads     predictor heads (0 = the encoder's, as the reference)
 * @param withOptimizer also import the AdamW moments (official checkpoints only)
 */
public record ImportOptions(String modelName, int embedDim, int depth, int heads, int patchSize, int imageSize,
                            int channels, int predHeads, boolean withOptimizer) {

    /** Everything inferred; heads from the width's reference size. */
    public static ImportOptions inferAll() {
        return new ImportOptions(null, 0, 0, 0, 0, 0, 0, 0, false);
    }

    public ImportOptions withHeads(int h) {
        return new ImportOptions(modelName, embedDim, depth, h, patchSize, imageSize, channels, predHeads, withOptimizer);
    }

}
