package org.jepa4j.model;

/**
 * Shape of the narrow ViT predictor (docs/reference.md §3).
 *
 * @param width     predictor width P (pred_emb_dim; 384 in the shipped configs)
 * @param depth     predictor blocks (pred_depth)
 * @param heads     attention heads; the reference uses the encoder's head count
 * @param mlpHidden hidden width of the MLP (4·P)
 */
public record PredictorSpec(int width, int depth, int heads, int mlpHidden) {
    public PredictorSpec {
        EncoderSpec.require(width > 0 && depth > 0 && heads > 0 && width % heads == 0,
                "predictor width " + width + " must be a positive multiple of heads " + heads + " (depth " + depth + ")");
        EncoderSpec.require(width % 4 == 0, "predictor width " + width + " must be a multiple of 4");
        EncoderSpec.require(mlpHidden > 0, "predictor mlpHidden must be positive, got " + mlpHidden);
    }

    public int headDim() {
        return width / heads;
    }
}
