package org.jepa4j.train.step;

import org.jepa4j.graph.Layers;
import org.jepa4j.graph.PixelTargets;
import org.jepa4j.graph.VisionTransformer;
import org.jepa4j.model.EncoderSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.List;

/**
 * The I-JEPA loss (docs/reference.md §4): the targets at the target blocks, and the smooth-L1
 * (beta 1, the reference's {@code F.smooth_l1_loss}, upstream {@code src/train.py:311}) or L2
 * distance of the predictions to them, summed per tower so that towers and replicas can share one
 * mean.
 *
 * <p>Feature targets (the reference, {@code src/train.py:295-303}): the target encoder's tokens
 * through a non-affine LayerNorm (eps 1e-5), with no gradient. Pixel targets ({@code meta.target:
 * pixels}): each target patch's pixels, normalised per patch when asked (MAE's {@code norm_pix_loss}).
 */
public final class JepaLoss {
    /** eps of the non-affine LayerNorm on the targets (torch's F.layer_norm default, §4). */
    public static final double TARGET_NORM_EPS = 1e-5;

    /**
     * One tower's loss, to be summed over the towers: the mean is {@code Σ sum / Σ count}.
     *
     * @param sum   sum of the per-element losses, a scalar
     * @param count number of elements, a float32 scalar
     */
    public record Sum(Operand<TFloat32> sum, Operand<TFloat32> count) {
    }

    private final Ops tf;
    private final Layers layers;
    private final EncoderSpec encoder;
    private final PredictionTarget target;
    private final String kind;

    /**
     * @param tf      where the ops are built
     * @param layers  the LayerNorm of the feature targets
     * @param encoder image and patch geometry
     * @param target  features or pixels
     * @param kind    {@code smooth_l1} or {@code l2} ({@code meta.loss})
     */
    public JepaLoss(Ops tf, Layers layers, EncoderSpec encoder, PredictionTarget target, String kind) {
        this.tf = tf;
        this.layers = layers;
        this.encoder = encoder;
        this.target = target;
        this.kind = kind;
    }

    /**
     * The targets at the target blocks, {@code [npred·B·Kt, W]} ({@code forward_target}): the
     * normalised {@code targetTokens [B·N, D]} of the target encoder without gradient, or with pixel
     * targets the patches of {@code images} (the tokens are then unused).
     *
     * @param images       {@code [B, C, H, W]}
     * @param targetTokens the target encoder's output on every token of {@code images}
     * @param targetIdx    {@code [npred, B, Kt]}
     * @return the targets at the blocks
     */
    public Operand<TFloat32> targets(Operand<TFloat32> images, Operand<TFloat32> targetTokens, Operand<TInt32> targetIdx) {
        Operand<TFloat32> h = target.isPixels() ? pixelTargets(images)
                : layers.normalize(tf.stopGradient(targetTokens), TARGET_NORM_EPS);
        return VisionTransformer.gatherTokens(tf, h, targetIdx, VisionTransformer.dim(tf, images, 0),
                encoder.numPatches());
    }

    /**
     * {@code loss_fn}: the per-element loss of {@code predictions [npred·nenc·B·Kt, W]} against
     * {@code targets [npred·B·Kt, W]}, as a sum and an element count.
     *
     * @param predictions the predictor's output (through the pixel head for pixel targets)
     * @param targets     {@link #targets}' output
     * @param targetIdx   {@code [npred, B, Kt]}
     * @return the sum and count of one tower
     */
    public Sum sum(Operand<TFloat32> predictions, Operand<TFloat32> targets, Operand<TInt32> targetIdx) {
        Operand<TFloat32> perElement = perElement(predictions, targets, VisionTransformer.dim(tf, targetIdx, 0));
        return new Sum(tf.sum(perElement, tf.constant(0)),
                tf.dtypes.cast(tf.size(perElement, TInt32.class), TFloat32.class));
    }

    /**
     * Pixel targets {@code [B·N, C·p·p]} of {@code x}: every patch's pixels, normalised per patch
     * when the target asks for it. Constants of the fed images, so no gradient flows into them.
     */
    private Operand<TFloat32> pixelTargets(Operand<TFloat32> x) {
        Operand<TFloat32> patches = PixelTargets.patchify(tf, x, encoder);
        return target.normalizePixels()
                ? PixelTargets.normalizeRows(tf, patches, target.width(encoder), PredictionTarget.PIXEL_NORM_EPS)
                : patches;
    }

    /**
     * The per-element loss, flattened, between predictions {@code [npred·nenc·B·Kt, D]} and the
     * targets {@code [npred·B·Kt, D]}, which are shared by the nenc context masks (broadcast
     * instead of repeated, §4). The step's loss is its mean.
     */
    private Operand<TFloat32> perElement(Operand<TFloat32> predictions, Operand<TFloat32> targets, Operand<TInt32> npred) {
        // predictions rows are (m·nenc + i)·B + b and target rows m·B + b: group both per target block m
        Operand<TInt32> perBlock = tf.math.floorDiv(tf.size(targets, TInt32.class), npred);
        Operand<TFloat32> z = tf.reshape(predictions, tf.stack(List.of(npred, tf.constant(-1), perBlock)));
        Operand<TFloat32> t = tf.reshape(targets, tf.stack(List.of(npred, tf.constant(1), perBlock)));
        Operand<TFloat32> diff = tf.math.sub(z, t);
        Operand<TFloat32> perElement;
        if (kind.equals("l2")) {
            perElement = tf.math.square(diff);
        } else {
            // smooth-L1, beta 1: 0.5·q² + (|d| − q) with q = min(|d|, 1)
            Operand<TFloat32> abs = tf.math.abs(diff);
            Operand<TFloat32> q = tf.math.minimum(abs, tf.constant(1f));
            perElement = tf.math.add(tf.math.mul(tf.constant(0.5f), tf.math.square(q)), tf.math.sub(abs, q));
        }
        return tf.reshape(perElement, tf.constant(new int[] {-1}));
    }
}
