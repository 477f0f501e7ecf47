package org.jepa4j.graph;

import org.jepa4j.export.Agreement;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which products each {@link MatmulPrecision} puts in bfloat16, read from the graph it builds, and
 * what that does to one attention layer's output against float32.
 */
class LayersPrecisionTest {
    private static final int WIDTH = 48;
    private static final int HEADS = 3;
    private static final int SEQUENCES = 2;
    private static final int TOKENS = 10;

    /** An attention layer's graph in one precision: its output and the types of its products. */
    private record Built(float[] output, List<String> bf16Products, List<String> fp32Products, int casts) {
    }

    private static Built attention(MatmulPrecision precision) {
        SplittableRandom r = new SplittableRandom(17);
        Map<String, float[]> values = new HashMap<>();
        values.put("qkv.weight", gaussian(r, 3 * WIDTH * WIDTH, 0.3));
        values.put("qkv.bias", gaussian(r, 3 * WIDTH, 0.1));
        values.put("proj.weight", gaussian(r, WIDTH * WIDTH, 0.3));
        values.put("proj.bias", gaussian(r, WIDTH, 0.1));
        float[] x = gaussian(r, SEQUENCES * TOKENS * WIDTH, 1);
        try (Graph g = new Graph(); Session s = new Session(g)) {
            Ops tf = Ops.create(g);
            Map<String, Operand<TFloat32>> params = new HashMap<>();
            params.put("qkv.weight", constant(tf, values.get("qkv.weight"), 3 * WIDTH, WIDTH));
            params.put("qkv.bias", constant(tf, values.get("qkv.bias"), 3 * WIDTH));
            params.put("proj.weight", constant(tf, values.get("proj.weight"), WIDTH, WIDTH));
            params.put("proj.bias", constant(tf, values.get("proj.bias"), WIDTH));
            Layers layers = new Layers(tf, precision);
            Operand<TFloat32> out = layers.attention(constant(tf, x, SEQUENCES * TOKENS, WIDTH), tf.constant(TOKENS),
                    WIDTH, HEADS, params::get, "");
            List<String> bf16 = new ArrayList<>();
            List<String> fp32 = new ArrayList<>();
            int casts = 0;
            for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
                GraphOperation op = it.next();
                if (op.type().startsWith("BatchMatMul") || op.type().equals("MatMul")) {
                    (op.output(0).dataType() == DataType.DT_BFLOAT16 ? bf16 : fp32).add(op.type());
                } else if (op.type().equals("Cast")) {
                    casts++;
                }
            }
            try (TFloat32 result = (TFloat32) s.runner().fetch(out).run().get(0)) {
                return new Built(Tensors.readFloats(result), bf16, fp32, casts);
            }
        }
    }

    private static Operand<TFloat32> constant(Ops tf, float[] data, long... shape) {
        return tf.constant(Shape.of(shape), DataBuffers.of(data, true, false));
    }

    private static float[] gaussian(SplittableRandom r, int n, double scale) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (scale * r.nextGaussian());
        }
        return d;
    }

    private static double relativeL2(float[] actual, float[] expected) {
        return Agreement.of(expected, actual).relativeL2();
    }

    @Test
    void float32BuildsNoCastAndOnlyFloat32Products() {
        Built fp32 = attention(MatmulPrecision.FP32);
        assertEquals(0, fp32.casts());
        assertEquals(List.of(), fp32.bf16Products());
        assertEquals(Set.of("MatMul", "BatchMatMulV3"), Set.copyOf(fp32.fp32Products()));
        assertEquals(4, fp32.fp32Products().size(), "qkv, proj and two attention products");
    }

    @Test
    void bf16PutsTheLinearsInBf16AndBf16AttentionTheAttentionProductsToo() {
        Built bf16 = attention(MatmulPrecision.BF16);
        assertEquals(List.of("MatMul", "MatMul"), bf16.bf16Products().stream().sorted().toList());
        assertEquals(List.of("BatchMatMulV3", "BatchMatMulV3"), bf16.fp32Products());
        Built all = attention(MatmulPrecision.BF16_ATTENTION);
        assertEquals(List.of("BatchMatMulV3", "BatchMatMulV3", "MatMul", "MatMul"),
                all.bf16Products().stream().sorted().toList());
        assertEquals(List.of(), all.fp32Products());
        assertEquals(bf16.casts() + 6, all.casts(), "two inputs in and one result out per attention product");
    }

    @Test
    void eachBf16PrecisionStaysWithinBf16RoundingOfFloat32AndTheAttentionProductsAddTheirOwn() {
        float[] fp32 = attention(MatmulPrecision.FP32).output();
        float[] bf16 = attention(MatmulPrecision.BF16).output();
        float[] all = attention(MatmulPrecision.BF16_ATTENTION).output();
        double u = Math.scalb(1.0, -8); // bf16's unit roundoff
        double linears = relativeL2(bf16, fp32);
        double both = relativeL2(all, fp32);
        // a chain of three rounded products (qkv, the two attention products, proj): a few u at most
        assertTrue(linears > 0 && linears < 4 * u, "bf16 Linears: relative L2 " + linears);
        assertTrue(both < 6 * u, "bf16 Linears and attention: relative L2 " + both);
        assertTrue(relativeL2(all, bf16) > u / 16, "the attention products in bf16 change the output: "
                + relativeL2(all, bf16));
    }
}
