package org.jepa4j.export;

import org.jepa4j.onnx.OnnxGraphBuilder;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.onnx.OnnxProto.AttributeProto;
import org.jepa4j.tensor.FloatTensor;

import java.util.List;

/**
 * A Linear {@code x Wᵀ + b} on token rows {@code x [batch·N, in]} as an integer matrix product,
 * written into an ONNX graph with standard operators only (opset 10+: {@code QuantizeLinear},
 * {@code MatMulInteger}).
 *
 * <p>Weights: symmetric with one scale per output channel, {@code s_w[o] = max|W[o,:]| / 63}: 7 bits
 * of magnitude, as ONNX Runtime's own quantizer does with {@code reduce_range} for x86. A CPU
 * without VNNI (AVX2, AVX-512 without VNNI) multiplies uint8 by int8 with {@code vpmaddubsw}, which
 * adds two products into a saturating int16: 2·255·127 overflows it, 2·255·63 = 32130 does not, so
 * the integer product stays exact on every x86 CPU (measured on an AVX2-only AMD EPYC: with 8-bit
 * weights the features' error grew 3-5 fold, the per-token scale, which uses the full range, worst).
 * Activations: quantized at run time to uint8 with zero point 128 and a scale of {@code max|x| / 127}
 * over one token's row ({@code token}) or over all of one image's tokens ({@code image}). Never one
 * scale per batch (ONNX's {@code DynamicQuantizeLinear}): that would make an image's features
 * depend on the other images it is batched with. The integer product is exact, and everything after
 * it is element-wise, so the features of an image are the same bits at every batch size, position
 * and lane, as for float32 exports.
 */
final class Int8Linear {
    /** The largest magnitude of a quantized activation (around the uint8 zero point 128). */
    static final int QMAX = 127;
    /** The largest magnitude of a quantized weight: 7 bits, so no pair of uint8·int8 products saturates int16. */
    static final int WEIGHT_QMAX = 63;
    /** Name suffix of a quantized weight initializer {@code [in, out]} (int8, transposed): {@code <linear>.weight_int8.T}. */
    static final String WEIGHT_SUFFIX = ".weight_int8.T";

    private final OnnxGraphBuilder g;
    private final boolean perToken;
    private final int tokensPerImage;
    private final int opset;

    /**
     * @param scale          {@code token} or {@code image}
     * @param tokensPerImage N, the rows of one image
     * @param opset          the graph's opset (ReduceMax takes its axes as an input from 18)
     */
    Int8Linear(OnnxGraphBuilder g, String scale, int tokensPerImage, int opset) {
        this.g = g;
        this.perToken = scale.equals("token");
        this.tokensPerImage = tokensPerImage;
        this.opset = opset;
    }

    /**
     * Quantized weights of one Linear.
     *
     * @param transposed int8 values {@code [in, out]} (row-major), ready for {@code x @ W}
     * @param scales     one scale per output channel {@code [out]}
     */
    record Weights(byte[] transposed, float[] scales) {
    }

    /**
     * Symmetric per-output-channel quantization of a torch-layout weight {@code [out, in]}:
     * {@code q = round(W / s)} with {@code s = max|W[o,:]| / 63} (a zero row gets scale 1).
     */
    static Weights quantize(FloatTensor weight) {
        int out = (int) weight.shape()[0];
        int in = (int) weight.shape()[1];
        float[] w = weight.data();
        byte[] q = new byte[in * out];
        float[] scales = new float[out];
        for (int o = 0; o < out; o++) {
            float max = 0;
            for (int i = 0; i < in; i++) {
                max = Math.max(max, Math.abs(w[o * in + i]));
            }
            float s = max > 0 ? max / WEIGHT_QMAX : 1f;
            scales[o] = s;
            for (int i = 0; i < in; i++) {
                long r = Math.round(w[o * in + i] / (double) s);
                q[i * out + o] = (byte) Math.max(-WEIGHT_QMAX, Math.min(WEIGHT_QMAX, r));
            }
        }
        return new Weights(q, scales);
    }

    /**
     * Adds the Linear to the graph.
     *
     * @param x      token rows {@code [batch·N, in]}
     * @param name   the Linear's parameter name (initializer names derive from it)
     * @param weight torch layout {@code [out, in]}
     * @param bias   name of the float bias initializer {@code [out]}
     * @return the output rows {@code [batch·N, out]}
     */
    String linear(String x, String name, FloatTensor weight, String bias) {
        int out = (int) weight.shape()[0];
        int in = (int) weight.shape()[1];
        Weights qw = quantize(weight);
        String w = g.byteInitializer(name + WEIGHT_SUFFIX, OnnxProto.INT8, new long[] {in, out}, qw.transposed());
        String wScale = g.initializer(name + ".weight_scale", new FloatTensor(new long[] {out}, qw.scales()));
        String zero = g.uint8Scalar("uint8_zero_point", 128);

        // the activation scale: [T, 1] per token, or [B, 1] per image over its N·in values
        String grouped = perToken ? x : g.node("Reshape", name + ".per_image",
                List.of(x, g.int64Vector("shape_images_" + in, -1, (long) tokensPerImage * in)));
        String max = reduceMaxLast(g.node("Abs", name + ".abs", List.of(grouped)), name + ".absmax");
        String scale = g.node("Div", name + ".act_scale", List.of(
                g.node("Max", name + ".absmax_floor", List.of(max, g.floatScalar("min_normal", Float.MIN_NORMAL))),
                g.floatScalar("int8_qmax", QMAX)));
        String scaled = g.node("Div", name + ".scaled", List.of(grouped, scale));
        if (!perToken) {
            scaled = g.node("Reshape", name + ".scaled_rows", List.of(scaled, g.int64Vector("shape_rows_" + in, -1, in)));
        }
        // round half to even, saturate to [0, 255]; |scaled| <= 127 so values land in [1, 255]
        String q = g.node("QuantizeLinear", name + ".quantized", List.of(scaled, g.floatScalar("one", 1f), zero));
        String acc = g.node("MatMulInteger", name + ".int32", List.of(q, w, zero));
        String y = g.node("Cast", name + ".float", List.of(acc), AttributeProto.ofInt("to", OnnxProto.FLOAT));
        if (perToken) {
            y = g.node("Mul", name + ".rescaled", List.of(y, scale));
        } else {
            y = g.node("Reshape", name + ".out_per_image",
                    List.of(y, g.int64Vector("shape_images_" + out, -1, (long) tokensPerImage * out)));
            y = g.node("Mul", name + ".rescaled", List.of(y, scale));
            y = g.node("Reshape", name + ".out_rows", List.of(y, g.int64Vector("shape_rows_" + out, -1, out)));
        }
        y = g.node("Mul", name + ".dequantized", List.of(y, wScale));
        return g.node("Add", name, List.of(y, bias));
    }

    /** Max over the last axis, kept: axes as attribute up to opset 17, as input from 18. */
    private String reduceMaxLast(String x, String hint) {
        if (opset >= 18) {
            return g.node("ReduceMax", hint, List.of(x, g.int64Vector("axes_last", -1)), AttributeProto.ofInt("keepdims", 1));
        }
        return g.node("ReduceMax", hint, List.of(x), AttributeProto.ofInts("axes", -1), AttributeProto.ofInt("keepdims", 1));
    }
}
