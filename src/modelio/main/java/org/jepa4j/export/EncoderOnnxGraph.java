package org.jepa4j.export;

import org.jepa4j.export.OnnxInitializers;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.onnx.OnnxGraphBuilder;
import org.jepa4j.onnx.OnnxProto.AttributeProto;
import org.jepa4j.onnx.OnnxProto.Dim;
import org.jepa4j.onnx.OnnxProto.GraphProto;
import org.jepa4j.onnx.OnnxProto.ValueInfoProto;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The frozen ViT encoder (docs/reference.md §2) as an ONNX graph with a symbolic batch dimension.
 *
 * <p>Input {@code pixel_values [batch, C, S, S]} (normalised). Outputs, as agreed for export, the
 * TensorFlow forward and evaluation:
 * <ul>
 *   <li>{@code last_hidden_state [batch, N, D]}: tokens after the final LayerNorm;</li>
 *   <li>{@code pooled [batch, D]}: their mean over tokens (the paper's evaluation feature, §8);</li>
 *   <li>{@code pooled_last4 [batch, k·D]}: the final LayerNorm (same weights) applied to the outputs
 *       of each of the last k = min(4, depth) blocks, mean over tokens, concatenated in block order.</li>
 * </ul>
 * Patch embedding is a Conv with kernel = stride = patch; PyTorch Linear weights {@code [out, in]}
 * are stored transposed ({@code [in, out]}, initializer names ending in {@code .T}) for MatMul; GELU is
 * the exact {@code x·0.5·(1 + erf(x/√2))} (ORT fuses the pattern).
 *
 * <p>Inside the blocks tokens travel as a 2-D matrix {@code [batch·N, D]} (as in the TensorFlow
 * graph): ONNX Runtime then fuses every Linear's MatMul and bias Add into one Gemm, which it cannot
 * do for 3-D MatMul inputs. The fused {@code qkv} Linear is written as three Linears
 * ({@code attn.q}, {@code attn.k}, {@code attn.v}: its thirds, in that order), so each result goes
 * straight into its head-major layout instead of through a copy-heavy Split ({@link OnnxInitializers}
 * joins them back into {@code attn.qkv}).
 */
public final class EncoderOnnxGraph {
    public static final String INPUT = "pixel_values";
    public static final String LAST_HIDDEN_STATE = "last_hidden_state";
    public static final String POOLED = "pooled";
    public static final String POOLED_LAST4 = "pooled_last4";
    /** The parts of the fused {@code attn.qkv} Linear, as written to the graph, in row order. */
    public static final List<String> QKV_PARTS = List.of("q", "k", "v");
    /** Symbolic name of the batch dimension. */
    public static final String BATCH = "batch";
    /** Lowest opset with LayerNormalization. */
    public static final int MIN_OPSET = 17;
    /** Highest opset this builder was checked against (ORT 1.24 supports up to 25). */
    public static final int MAX_OPSET = 21;

    private final EncoderSpec spec;
    private final NamedTensors weights;
    private final int opset;
    private final OnnxGraphBuilder g = new OnnxGraphBuilder();

    private EncoderOnnxGraph(EncoderSpec spec, NamedTensors weights, int opset) {
        this.spec = spec;
        this.weights = weights;
        this.opset = opset;
    }

    /** Number of blocks pooled into {@code pooled_last4}: 4, or all blocks when depth < 4. */
    public static int last4Blocks(EncoderSpec spec) {
        return Math.min(4, spec.depth());
    }

    /**
     * Builds the graph.
     *
     * @param weights encoder state dict without part prefix ({@link ParameterNames#encoder} names and shapes)
     * @throws IllegalArgumentException naming a missing or mis-shaped tensor, or an unsupported opset
     */
    public static GraphProto build(EncoderSpec spec, NamedTensors weights, int opset) {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new IllegalArgumentException("opset " + opset + " is not supported: expected " + MIN_OPSET + ".."
                    + MAX_OPSET + " (LayerNormalization needs opset 17)");
        }
        for (Map.Entry<String, long[]> e : ParameterNames.encoder(spec).entrySet()) {
            weights.get(e.getKey(), e.getValue());
        }
        return new EncoderOnnxGraph(spec, weights, opset).build();
    }

    private GraphProto build() {
        int c = spec.channels();
        int s = spec.imageSize();
        int p = spec.patchSize();
        long d = spec.width();
        long n = spec.numPatches();
        String x = g.input(new ValueInfoProto(INPUT, OnnxProto.FLOAT,
                List.of(Dim.symbol(BATCH), Dim.of(c), Dim.of(s), Dim.of(s))));

        // patch embedding: Conv(kernel = stride = p) -> [B, D, g, g] -> [B, D, N] -> [B, N, D]
        String conv = g.node("Conv", "patch_embed", List.of(x,
                        g.initializer("patch_embed.proj.weight", weights.get("patch_embed.proj.weight")),
                        g.initializer("patch_embed.proj.bias", weights.get("patch_embed.proj.bias"))),
                AttributeProto.ofInts("kernel_shape", p, p), AttributeProto.ofInts("strides", p, p));
        String flat = g.node("Reshape", "patch_embed_flat", List.of(conv, g.int64Vector("shape_0_D_m1", 0, d, -1)));
        String tokens = g.node("Transpose", "patch_tokens", List.of(flat), AttributeProto.ofInts("perm", 0, 2, 1));
        // positions are added before the blocks (§2)
        x = g.node("Add", "embedded", List.of(tokens, g.initializer("pos_embed", weights.get("pos_embed"))));
        x = g.node("Reshape", "embedded_rows", List.of(x, rowsShape()));

        String normW = g.initializer("norm.weight", weights.get("norm.weight"));
        String normB = g.initializer("norm.bias", weights.get("norm.bias"));
        List<String> blockOutputs = new ArrayList<>();
        for (int i = 0; i < spec.depth(); i++) {
            x = block(x, "blocks." + i + ".");
            blockOutputs.add(x);
        }

        String last = g.reserve(LAST_HIDDEN_STATE);
        String lastRows = g.node("LayerNormalization", "last_hidden_rows", List.of(x, normW, normB), layerNormAttrs());
        g.nodeWithOutputs("Reshape", List.of(lastRows, tokensShape()), List.of(last));
        g.reserve(POOLED);
        meanOverTokens(last, POOLED);

        int k = last4Blocks(spec);
        List<String> pooledBlocks = new ArrayList<>();
        for (int i = spec.depth() - k; i < spec.depth(); i++) {
            if (i == spec.depth() - 1) {
                pooledBlocks.add(POOLED);
            } else {
                String normed = g.node("LayerNormalization", "blocks." + i + ".normed_rows",
                        List.of(blockOutputs.get(i), normW, normB), layerNormAttrs());
                normed = g.node("Reshape", "blocks." + i + ".normed", List.of(normed, tokensShape()));
                pooledBlocks.add(meanOverTokens(normed, g.fresh("blocks." + i + ".pooled")));
            }
        }
        String last4 = g.reserve(POOLED_LAST4);
        g.nodeWithOutputs("Concat", pooledBlocks, List.of(last4), AttributeProto.ofInt("axis", 1));

        g.output(new ValueInfoProto(LAST_HIDDEN_STATE, OnnxProto.FLOAT, List.of(Dim.symbol(BATCH), Dim.of(n), Dim.of(d))));
        g.output(new ValueInfoProto(POOLED, OnnxProto.FLOAT, List.of(Dim.symbol(BATCH), Dim.of(d))));
        g.output(new ValueInfoProto(POOLED_LAST4, OnnxProto.FLOAT, List.of(Dim.symbol(BATCH), Dim.of(k * d))));
        return g.build("jepa4j_encoder", "I-JEPA ViT encoder (jepa4j export)");
    }

    /** {@code [batch·N, D]}: the token rows the blocks work on. */
    private String rowsShape() {
        return g.int64Vector("shape_rows", -1, spec.width());
    }

    /** {@code [batch, N, D]}: per-image tokens. */
    private String tokensShape() {
        return g.int64Vector("shape_tokens", -1, spec.numPatches(), spec.width());
    }

    /** Pre-norm block (§2) on token rows {@code [batch·N, D]}: {@code x + Attn(LN1(x))}, then {@code + MLP(LN2(x))}. */
    private String block(String x, String pre) {
        int heads = spec.heads();
        long hd = spec.headDim();
        String h = layerNorm(x, pre + "norm1");
        // q, k and v each as its own Linear (the thirds of qkv, see QKV_PARTS) on the rows, then
        // [B·N, D] -> [B, N, H, hd] -> [B, H, N, hd] for q and v and [B, H, hd, N] for k
        FloatTensor[][] parts = qkvParts(pre + "attn.qkv");
        String[] heads4 = new String[3];
        for (int j = 0; j < 3; j++) {
            String name = pre + "attn." + QKV_PARTS.get(j);
            String rows = linear(h, name, parts[j][0], parts[j][1]);
            String split = g.node("Reshape", name + "_heads",
                    List.of(rows, g.int64Vector("shape_heads", -1, spec.numPatches(), heads, hd)));
            heads4[j] = g.node("Transpose", name + "_perm", List.of(split),
                    j == 1 ? AttributeProto.ofInts("perm", 0, 2, 3, 1) : AttributeProto.ofInts("perm", 0, 2, 1, 3));
        }
        String q = heads4[0];
        String kt = heads4[1];
        String v = heads4[2];
        // (q @ k^T) * head_dim^-0.5, then an explicit softmax (§2)
        String scores = g.node("MatMul", pre + "attn.scores", List.of(q, kt));
        String scaled = g.node("Mul", pre + "attn.scaled", List.of(scores,
                g.floatScalar("attn_scale", (float) (1.0 / Math.sqrt(hd)))));
        String attn = g.node("Softmax", pre + "attn.softmax", List.of(scaled), AttributeProto.ofInt("axis", -1));
        String ctx = g.node("MatMul", pre + "attn.context", List.of(attn, v));
        String merged = g.node("Transpose", pre + "attn.context_perm", List.of(ctx), AttributeProto.ofInts("perm", 0, 2, 1, 3));
        String flat = g.node("Reshape", pre + "attn.context_flat", List.of(merged, rowsShape()));
        String proj = linear(flat, pre + "attn.proj");
        x = g.node("Add", pre + "residual1", List.of(x, proj));

        String h2 = layerNorm(x, pre + "norm2");
        String fc1 = linear(h2, pre + "mlp.fc1");
        String act = gelu(fc1, pre + "mlp.gelu");
        String fc2 = linear(act, pre + "mlp.fc2");
        return g.node("Add", pre + "residual2", List.of(x, fc2));
    }

    /**
     * The q, k and v thirds of a fused {@code qkv} Linear: {@code [i][0]} the weight rows
     * {@code [i·D, (i+1)·D)} of {@code [3D, D]}, {@code [i][1]} the matching bias entries.
     */
    private FloatTensor[][] qkvParts(String name) {
        int d = spec.width();
        float[] w = weights.get(name + ".weight").data();
        float[] b = weights.get(name + ".bias").data();
        FloatTensor[][] parts = new FloatTensor[3][];
        for (int i = 0; i < 3; i++) {
            parts[i] = new FloatTensor[] {
                new FloatTensor(new long[] {d, d}, Arrays.copyOfRange(w, i * d * d, (i + 1) * d * d)),
                new FloatTensor(new long[] {d}, Arrays.copyOfRange(b, i * d, (i + 1) * d))};
        }
        return parts;
    }

    private String layerNorm(String x, String name) {
        return g.node("LayerNormalization", name, List.of(x,
                g.initializer(name + ".weight", weights.get(name + ".weight")),
                g.initializer(name + ".bias", weights.get(name + ".bias"))), layerNormAttrs());
    }

    private static AttributeProto[] layerNormAttrs() {
        return new AttributeProto[] {AttributeProto.ofInt("axis", -1),
                AttributeProto.ofFloat("epsilon", (float) EncoderSpec.NORM_EPS)};
    }

    /** {@code x @ W^T + b} with the PyTorch weight {@code [out, in]} stored transposed. */
    private String linear(String x, String name) {
        return linear(x, name, weights.get(name + ".weight"), weights.get(name + ".bias"));
    }

    /** {@link #linear(String, String)} with the weight {@code [out, in]} and bias given. */
    private String linear(String x, String name, FloatTensor weight, FloatTensor bias) {
        String w = g.initializer(name + ".weight.T", transpose(weight));
        String b = g.initializer(name + ".bias", bias);
        String mm = g.node("MatMul", name + ".matmul", List.of(x, w));
        return g.node("Add", name, List.of(mm, b));
    }

    /** Exact GELU: {@code x · 0.5 · (1 + erf(x / √2))}. */
    private String gelu(String x, String name) {
        String div = g.node("Div", name + ".div", List.of(x, g.floatScalar("sqrt2", (float) Math.sqrt(2.0))));
        String erf = g.node("Erf", name + ".erf", List.of(div));
        String plus = g.node("Add", name + ".add", List.of(erf, g.floatScalar("one", 1f)));
        String mul = g.node("Mul", name + ".mul", List.of(x, plus));
        return g.node("Mul", name, List.of(mul, g.floatScalar("half", 0.5f)));
    }

    /** Mean over the token axis 1: axes as attribute up to opset 17, as input from 18. */
    private String meanOverTokens(String x, String out) {
        if (opset >= 18) {
            g.nodeWithOutputs("ReduceMean", List.of(x, g.int64Vector("axes_1", 1)), List.of(out),
                    AttributeProto.ofInt("keepdims", 0));
        } else {
            g.nodeWithOutputs("ReduceMean", List.of(x), List.of(out),
                    AttributeProto.ofInts("axes", 1), AttributeProto.ofInt("keepdims", 0));
        }
        return out;
    }

    /** {@code [out, in] -> [in, out]}. */
    static FloatTensor transpose(FloatTensor w) {
        int rows = (int) w.shape()[0];
        int cols = (int) w.shape()[1];
        float[] src = w.data();
        float[] dst = new float[src.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dst[c * rows + r] = src[r * cols + c];
            }
        }
        return new FloatTensor(new long[] {cols, rows}, dst);
    }
}
