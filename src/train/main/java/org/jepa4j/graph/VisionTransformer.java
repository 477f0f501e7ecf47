package org.jepa4j.graph;

import org.jepa4j.model.EncoderSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.List;

/**
 * The ViT encoder graph of docs/reference.md §2: patch embedding, fixed sin-cos positions added
 * before masking, an optional gather of the kept tokens, {@code depth} pre-norm blocks and the
 * final LayerNorm. No [cls] token.
 *
 * <p>Tokens travel as 2-D matrices {@code [S·L, D]} (S sequences of L tokens), so every Linear
 * is one matrix product.
 */
public final class VisionTransformer {
    private final Layers layers;
    private final Ops tf;
    private final EncoderSpec spec;
    private final ParameterLookup params;

    /**
     * The encoder's output.
     *
     * @param tokens       {@code [S·L, D]} after the final LayerNorm; S = M·B with masks (mask-major, as
     *                     the reference's {@code apply_masks}), S = B without
     * @param seqLen       L (N without masks, K with masks), a scalar
     * @param blockOutputs the residual stream after each block {@code [S·L, D]}, before the final norm
     */
    public record Output(Operand<TFloat32> tokens, Operand<TInt32> seqLen, List<Operand<TFloat32>> blockOutputs) {
    }

    public VisionTransformer(Layers layers, EncoderSpec spec, ParameterLookup params) {
        this.layers = layers;
        this.tf = layers.ops();
        this.spec = spec;
        this.params = params;
    }

    /**
     * Patch embedding plus positions: images {@code [B, C, H, W]} to tokens {@code [B·N, D]}. The
     * convolution with kernel = stride = patch is written as a patch rearrangement and one matrix
     * product with the weight flattened to {@code [D, C·p·p]} (same (c, i, j) order).
     */
    public Operand<TFloat32> embed(Operand<TFloat32> images) {
        int c = spec.channels();
        int p = spec.patchSize();
        int g = spec.gridSize();
        int d = spec.width();
        Operand<TFloat32> patches = tf.reshape(images, tf.constant(new int[] {-1, c, g, p, g, p}));
        patches = tf.linalg.transpose(patches, tf.constant(new int[] {0, 2, 4, 1, 3, 5}));
        patches = tf.reshape(patches, tf.constant(new int[] {-1, c * p * p}));
        Operand<TFloat32> weight = tf.reshape(params.get("patch_embed.proj.weight"), tf.constant(new int[] {d, c * p * p}));
        Operand<TFloat32> x = tf.nn.biasAdd(layers.matMulTransposeB(patches, weight), params.get("patch_embed.proj.bias"));
        x = tf.math.add(tf.reshape(x, tf.constant(new int[] {-1, spec.numPatches(), d})), params.get("pos_embed"));
        return tf.reshape(x, tf.constant(new int[] {-1, d}));
    }

    /**
     * The full forward.
     *
     * @param images {@code [B, C, H, W]}
     * @param keep   {@code [M, B, K]} token indices to keep per mask and image, or null for all tokens
     */
    public Output forward(Operand<TFloat32> images, Operand<TInt32> keep) {
        Operand<TFloat32> x = embed(images);
        Operand<TInt32> seqLen;
        if (keep == null) {
            seqLen = tf.constant(spec.numPatches());
        } else {
            x = gatherTokens(tf, x, keep, dim(tf, images, 0), spec.numPatches());
            seqLen = dim(tf, keep, 2);
        }
        List<Operand<TFloat32>> outputs = new ArrayList<>();
        for (int i = 0; i < spec.depth(); i++) {
            x = layers.block(x, seqLen, spec.width(), spec.heads(), params, "blocks." + i + ".");
            outputs.add(x);
        }
        return new Output(finalNorm(x), seqLen, List.copyOf(outputs));
    }

    /** The encoder's final LayerNorm (eps 1e-6) applied to a token matrix. */
    public Operand<TFloat32> finalNorm(Operand<TFloat32> x) {
        return layers.layerNorm(x, params.get("norm.weight"), params.get("norm.bias"));
    }

    /**
     * Rows of per-image token matrices picked by index, mask-major: {@code x [B·N, W]} and
     * {@code idx [M, B, K]} give {@code [M·B·K, W]} with row {@code (m·B + b)·K + k} =
     * {@code x[b·N + idx[m][b][k]]}.
     */
    public static Operand<TFloat32> gatherTokens(Ops tf, Operand<TFloat32> x, Operand<TInt32> idx,
                                                 Operand<TInt32> batchSize, int tokensPerImage) {
        Operand<TInt32> offsets = tf.math.mul(tf.range(tf.constant(0), batchSize, tf.constant(1)),
                tf.constant(tokensPerImage));
        Operand<TInt32> rows = tf.math.add(idx, tf.reshape(offsets, tf.constant(new int[] {1, -1, 1})));
        Operand<TFloat32> picked = tf.gather(x, rows, tf.constant(0));
        return tf.reshape(picked, tf.stack(List.of(tf.constant(-1), dim(tf, x, 1))));
    }

    /** Dimension {@code axis} of {@code x} as a scalar. */
    public static Operand<TInt32> dim(Ops tf, Operand<?> x, int axis) {
        return tf.gather(tf.shape(x), tf.constant(axis), tf.constant(0));
    }
}
