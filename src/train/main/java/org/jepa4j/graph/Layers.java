package org.jepa4j.graph;

import org.jepa4j.model.EncoderSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.List;

/**
 * The transformer pieces shared by the encoder and the predictor (docs/reference.md §2), built
 * on token matrices {@code [S·L, width]}: S sequences of L tokens each, kept 2-D so every Linear
 * is one plain matrix product. Scalar and axis constants are created once per instance.
 *
 * <p>With {@link MatmulPrecision#BF16} every Linear casts its input and its (float32 master)
 * weight to bfloat16, multiplies in bf16 and casts the product back to float32 before the bias;
 * the attention products, LayerNorm, softmax and GELU stay float32. {@link MatmulPrecision#BF16_ATTENTION}
 * also casts the attention products' inputs to bf16 (the scaled queries, keys, softmax weights and
 * values) and their results back to float32, so the softmax still sees float32 scores. With
 * {@link MatmulPrecision#FP32} the graph is the float32 graph, op for op.
 */
public final class Layers {
    private final Ops tf;
    private final MatmulPrecision precision;
    private final Operand<TInt32> lastAxis;
    private final Operand<TInt32> minusOne;
    private final Operand<TFloat32> half;
    private final Operand<TFloat32> one;
    private final Operand<TFloat32> invSqrt2;
    private final Operand<TInt32> headsFirst;
    private final Operand<TInt32> tokensFirst;

    /** Float32 layers. */
    public Layers(Ops tf) {
        this(tf, MatmulPrecision.FP32);
    }

    /**
     * @param tf        the graph's ops
     * @param precision the number format of every Linear's matrix product
     */
    public Layers(Ops tf, MatmulPrecision precision) {
        this.tf = tf;
        this.precision = precision;
        this.lastAxis = tf.constant(new int[] {-1});
        this.minusOne = tf.constant(-1);
        this.half = tf.constant(0.5f);
        this.one = tf.constant(1f);
        this.invSqrt2 = tf.constant((float) (1.0 / Math.sqrt(2.0)));
        // [S, L, 3, H, hd] -> [3, S, H, L, hd]
        this.headsFirst = tf.constant(new int[] {2, 0, 3, 1, 4});
        // [S, H, L, hd] -> [S, L, H, hd]
        this.tokensFirst = tf.constant(new int[] {0, 2, 1, 3});
    }

    public Ops ops() {
        return tf;
    }

    /** @return the number format of the Linears' matrix products */
    public MatmulPrecision precision() {
        return precision;
    }

    /** {@code x W^T + b} for a torch-layout weight {@code [out, in]}; x {@code [T, in]}. */
    public Operand<TFloat32> linear(Operand<TFloat32> x, Operand<TFloat32> weight, Operand<TFloat32> bias) {
        return tf.nn.biasAdd(matMulTransposeB(x, weight), bias);
    }

    /**
     * {@code x W^T} in this instance's precision, float32 in and out. In bf16 the product is not
     * fused with the bias: oneDNN runs a MatMul fused with its BiasAdd without the AMX kernels.
     *
     * @param x      {@code [T, in]}
     * @param weight {@code [out, in]}
     * @return {@code [T, out]}
     */
    public Operand<TFloat32> matMulTransposeB(Operand<TFloat32> x, Operand<TFloat32> weight) {
        if (!precision.linearsInBf16()) {
            return tf.linalg.matMul(x, weight, MatMul.transposeB(true));
        }
        Operand<TBfloat16> product = tf.linalg.matMul(tf.dtypes.cast(x, TBfloat16.class),
                tf.dtypes.cast(weight, TBfloat16.class), MatMul.transposeB(true));
        return tf.dtypes.cast(product, TFloat32.class);
    }

    /** Normalises each row of {@code x [T, width]} to zero mean and unit variance (biased variance). */
    public Operand<TFloat32> normalize(Operand<TFloat32> x, double eps) {
        Operand<TFloat32> centred = tf.math.sub(x, tf.math.mean(x, lastAxis, Mean.keepDims(true)));
        Operand<TFloat32> variance = tf.math.mean(tf.math.square(centred), lastAxis, Mean.keepDims(true));
        return tf.math.mul(centred, tf.math.rsqrt(tf.math.add(variance, tf.constant((float) eps))));
    }

    /** Affine LayerNorm over the last axis, eps {@link EncoderSpec#NORM_EPS}. */
    public Operand<TFloat32> layerNorm(Operand<TFloat32> x, Operand<TFloat32> weight, Operand<TFloat32> bias) {
        return tf.math.add(tf.math.mul(normalize(x, EncoderSpec.NORM_EPS), weight), bias);
    }

    /** Exact (erf) GELU, as torch's nn.GELU default. */
    public Operand<TFloat32> gelu(Operand<TFloat32> x) {
        Operand<TFloat32> cdf = tf.math.mul(half, tf.math.add(one, tf.math.erf(tf.math.mul(x, invSqrt2))));
        return tf.math.mul(x, cdf);
    }

    /**
     * One pre-norm transformer block (§2): {@code x + Attn(LN1(x))}, then {@code x + MLP(LN2(x))}.
     *
     * @param x        tokens {@code [S·L, width]}
     * @param seqLen   L, a scalar (may vary between runs)
     * @param heads    attention heads
     * @param p        the part's parameters
     * @param prefix   block name prefix, e.g. {@code blocks.3.}
     */
    public Operand<TFloat32> block(Operand<TFloat32> x, Operand<TInt32> seqLen, int width, int heads,
                                   ParameterLookup p, String prefix) {
        Operand<TFloat32> h = layerNorm(x, p.get(prefix + "norm1.weight"), p.get(prefix + "norm1.bias"));
        x = tf.math.add(x, attention(h, seqLen, width, heads, p, prefix + "attn."));
        h = layerNorm(x, p.get(prefix + "norm2.weight"), p.get(prefix + "norm2.bias"));
        h = gelu(linear(h, p.get(prefix + "mlp.fc1.weight"), p.get(prefix + "mlp.fc1.bias")));
        h = linear(h, p.get(prefix + "mlp.fc2.weight"), p.get(prefix + "mlp.fc2.bias"));
        return tf.math.add(x, h);
    }

    /**
     * A block of which only the last tokens of each sequence are needed (the predictor's last
     * block, whose context outputs are discarded, §3 step 4): keys and values come from all L
     * tokens, but queries, the residual and the MLP are computed for tokens {@code from … L−1}
     * only. Equal to {@link #block} followed by keeping those tokens.
     *
     * @param from first kept token of each sequence, a scalar
     * @return {@code [S·(L − from), width]}
     */
    public Operand<TFloat32> blockTail(Operand<TFloat32> x, Operand<TInt32> seqLen, Operand<TInt32> from, int width,
                                       int heads, ParameterLookup p, String prefix) {
        Operand<TFloat32> h = layerNorm(x, p.get(prefix + "norm1.weight"), p.get(prefix + "norm1.bias"));
        Operand<TFloat32> tail = tf.reshape(x, tf.stack(List.of(minusOne, seqLen, tf.constant(width))));
        tail = tf.slice(tail, tf.stack(List.of(tf.constant(0), from, tf.constant(0))), tf.constant(new int[] {-1, -1, -1}));
        tail = tf.reshape(tail, tf.constant(new int[] {-1, width}));
        tail = tf.math.add(tail, attention(h, seqLen, from, width, heads, p, prefix + "attn."));
        h = layerNorm(tail, p.get(prefix + "norm2.weight"), p.get(prefix + "norm2.bias"));
        h = gelu(linear(h, p.get(prefix + "mlp.fc1.weight"), p.get(prefix + "mlp.fc1.bias")));
        h = linear(h, p.get(prefix + "mlp.fc2.weight"), p.get(prefix + "mlp.fc2.bias"));
        return tf.math.add(tail, h);
    }

    /**
     * One batched attention product {@code a b} (or {@code a bᵀ}) over {@code [S, H, ·, ·]}, float32 in
     * and out, in bf16 when this instance's precision puts the attention products there.
     */
    private Operand<TFloat32> attentionProduct(Operand<TFloat32> a, Operand<TFloat32> b, boolean transposeB) {
        BatchMatMul.Options adjoint = BatchMatMul.adjY(transposeB);
        if (!precision.attentionInBf16()) {
            return tf.train.batchMatMul(a, b, TFloat32.class, adjoint);
        }
        Operand<TBfloat16> product = tf.train.batchMatMul(tf.dtypes.cast(a, TBfloat16.class),
                tf.dtypes.cast(b, TBfloat16.class), TBfloat16.class, adjoint);
        return tf.dtypes.cast(product, TFloat32.class);
    }

    /** Multi-head self-attention within each sequence: softmax(Q Kᵀ · hd^-0.5) V, then proj. */
    public Operand<TFloat32> attention(Operand<TFloat32> x, Operand<TInt32> seqLen, int width, int heads,
                                       ParameterLookup p, String prefix) {
        return attention(x, seqLen, null, width, heads, p, prefix);
    }

    /** Attention with queries from tokens {@code queriesFrom … L−1} of each sequence only (all when null). */
    private Operand<TFloat32> attention(Operand<TFloat32> x, Operand<TInt32> seqLen, Operand<TInt32> queriesFrom,
                                        int width, int heads, ParameterLookup p, String prefix) {
        int headDim = width / heads;
        Operand<TFloat32> qkv = linear(x, p.get(prefix + "qkv.weight"), p.get(prefix + "qkv.bias"));
        Operand<TInt32> split = tf.stack(List.of(minusOne, seqLen, tf.constant(3), tf.constant(heads),
                tf.constant(headDim)));
        Operand<TFloat32> qkvHeads = tf.linalg.transpose(tf.reshape(qkv, split), headsFirst);
        Unstack<TFloat32> parts = tf.unstack(qkvHeads, 3L, Unstack.axis(0L));
        Operand<TFloat32> q = parts.output().get(0);
        if (queriesFrom != null) {
            Operand<TInt32> zero = tf.constant(0);
            q = tf.slice(q, tf.stack(List.of(zero, zero, queriesFrom, zero)), tf.constant(new int[] {-1, -1, -1, -1}));
        }
        q = tf.math.mul(q, tf.constant((float) Math.pow(headDim, -0.5)));
        Operand<TFloat32> k = parts.output().get(1);
        Operand<TFloat32> v = parts.output().get(2);
        Operand<TFloat32> scores = attentionProduct(q, k, true);
        Operand<TFloat32> attn = tf.nn.softmax(scores);
        Operand<TFloat32> out = attentionProduct(attn, v, false);
        out = tf.reshape(tf.linalg.transpose(out, tokensFirst), tf.constant(new int[] {-1, width}));
        return linear(out, p.get(prefix + "proj.weight"), p.get(prefix + "proj.bias"));
    }
}
