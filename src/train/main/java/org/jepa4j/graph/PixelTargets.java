package org.jepa4j.graph;

import org.jepa4j.model.EncoderSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Sum;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The pixel-space prediction target: every image cut into the encoder's patches, each patch one
 * row of {@code C·p·p} values in the patch-embedding weight's order (channel, row, column), so that
 * row {@code b·N + n} is patch {@code n = row·g + column} of image {@code b}, the layout
 * {@link VisionTransformer#gatherTokens} reads.
 */
public final class PixelTargets {
    private PixelTargets() {
    }

    /** {@code images [B, C, H, W]} to patches {@code [B·N, C·p·p]}. */
    public static Operand<TFloat32> patchify(Ops tf, Operand<TFloat32> images, EncoderSpec e) {
        int c = e.channels();
        int p = e.patchSize();
        int g = e.gridSize();
        Operand<TFloat32> x = tf.reshape(images, tf.constant(new int[] {-1, c, g, p, g, p}));
        // [B, C, gr, i, gc, j] -> [B, gr, gc, C, i, j]
        x = tf.linalg.transpose(x, tf.constant(new int[] {0, 2, 4, 1, 3, 5}));
        return tf.reshape(x, tf.constant(new int[] {-1, c * p * p}));
    }

    /**
     * Each row to zero mean and unit variance: {@code (x − mean) / √(var + eps)} with the unbiased
     * variance (MAE's {@code target.var(dim=-1)}).
     */
    public static Operand<TFloat32> normalizeRows(Ops tf, Operand<TFloat32> rows, int rowLength, double eps) {
        if (rowLength < 2) {
            throw new IllegalArgumentException("per-patch normalisation needs at least 2 values per patch, got "
                    + rowLength);
        }
        Operand<TInt32> last = tf.constant(new int[] {-1});
        Operand<TFloat32> centred = tf.math.sub(rows, tf.math.mean(rows, last, Mean.keepDims(true)));
        Operand<TFloat32> sumSquares = tf.sum(tf.math.square(centred), last, Sum.keepDims(true));
        Operand<TFloat32> variance = tf.math.div(sumSquares, tf.constant((float) (rowLength - 1)));
        return tf.math.mul(centred, tf.math.rsqrt(tf.math.add(variance, tf.constant((float) eps))));
    }
}
