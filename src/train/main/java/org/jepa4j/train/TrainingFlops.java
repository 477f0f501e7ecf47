package org.jepa4j.train;

import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;

/**
 * Floating-point operations of one training step, counted from the shapes (matrix products only,
 * 2 FLOPs per multiply-add; LayerNorm, softmax, GELU, the loss and the optimizer are elementwise and
 * left out, a few percent at these sizes).
 *
 * <p>One transformer block on T tokens of width D with MLP hidden H:
 * {@code 2·T·D·3D} (qkv) + {@code 2·T²·D} (scores) + {@code 2·T²·D} (weights·V) + {@code 2·T·D²}
 * (projection) + {@code 2·2·T·D·H} (MLP) = {@code 8·T·D² + 4·T²·D + 4·T·D·H}. Patch embedding:
 * {@code 2·N·(C·p²)·D} (the reference embeds all N patches, then keeps the masked ones).
 * <ul>
 *   <li>target encoder, forward only, per image: patch embedding + depth blocks on N tokens;</li>
 *   <li>context encoder per image and context mask: patch embedding + depth blocks on Kc tokens;</li>
 *   <li>predictor per image and context mask: {@code predictor_embed} {@code 2·Kc·D·P}, then for each
 *       of the npred targets pred_depth blocks of width P on Kc + Kt tokens and
 *       {@code predictor_proj} {@code 2·Kt·P·D};</li>
 *   <li>training step = target forward + 3 × (context encoder + predictor forward): the backward
 *       pass costs about twice the forward.</li>
 * </ul>
 */
public final class TrainingFlops {
    private TrainingFlops() {
    }

    /** FLOPs of one transformer block: {@code 8·T·D² + 4·T²·D + 4·T·D·H}. */
    public static double block(double tokens, double width, double mlpHidden) {
        return 8 * tokens * width * width + 4 * tokens * tokens * width + 4 * tokens * width * mlpHidden;
    }

    /** Forward FLOPs of an encoder on {@code tokens} kept tokens of one image. */
    public static double encoderForward(EncoderSpec e, double tokens) {
        double patch = 2.0 * e.numPatches() * e.channels() * e.patchSize() * e.patchSize() * e.width();
        return patch + e.depth() * block(tokens, e.width(), e.mlpHidden());
    }

    /** Forward FLOPs of the predictor for one image and one context mask, with npred targets. */
    public static double predictorForward(ModelSpec spec, double contextTokens, double targetTokens, int npred) {
        EncoderSpec e = spec.encoder();
        PredictorSpec p = spec.predictor();
        double embed = 2 * contextTokens * e.width() * p.width();
        double perTarget = p.depth() * block(contextTokens + targetTokens, p.width(), p.mlpHidden())
                + 2 * targetTokens * p.width() * e.width();
        return embed + npred * perTarget;
    }

    /** FLOPs of one training step on a batch with these masks. */
    public static double trainingStep(ModelSpec spec, MaskBatch masks) {
        int b = masks.batchSize();
        int nenc = masks.numContextMasks();
        int npred = masks.numTargetMasks();
        EncoderSpec e = spec.encoder();
        double target = b * encoderForward(e, e.numPatches());
        double trained = b * nenc * (encoderForward(e, masks.contextLength())
                + predictorForward(spec, masks.contextLength(), masks.targetLength(), npred));
        return target + 3 * trained;
    }
}
