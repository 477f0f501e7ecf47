package org.jepa4j.bench;

import org.jepa4j.graph.MatmulPrecision;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * This machine's matrix-multiply rate in TensorFlow, the yardstick of {@code bench-train}'s
 * "fraction" column: a chain of {@link #CHAIN} products of {@link #SIZE}² matrices per session run.
 * The inputs are placeholders so constant folding cannot precompute them.
 */
final class MatmulRate {
    /** Side of the square matrices. */
    static final int SIZE = 1024;
    /** Chained products per session run (amortises the call overhead). */
    static final int CHAIN = 8;

    private MatmulRate() {
    }

    /**
     * The rate in {@code precision} with the given TensorFlow thread settings, GFLOP/s: {@code chains}
     * independent chains (as many as a setting's towers, which the inter-op threads may run side by
     * side). For bf16 the inputs are cast once and the chain of products runs in bf16 (the training
     * graph's bf16 Linears), the sum back in float32. The best of five timed runs after one that
     * includes graph optimisation.
     */
    static double gflops(int intra, int inter, int chains, MatmulPrecision precision) {
        int n = SIZE;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] a = new float[n * n];
        float[] w = new float[n * n];
        double scale = 1.0 / Math.sqrt(n);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
            w[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale * Math.sqrt(3)); // keeps the chain's norm stable
        }
        ConfigProto.Builder proto = ConfigProto.newBuilder();
        if (intra > 0) {
            proto.setIntraOpParallelismThreads(intra);
        }
        if (inter > 0) {
            proto.setInterOpParallelismThreads(inter);
        }
        try (Graph g = new Graph(); Session s = new Session(g, proto.build());
             TFloat32 ta = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(a, true, false));
             TFloat32 tw = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(w, true, false))) {
            Ops tf = Ops.create(g);
            Placeholder<TFloat32> pa = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(n, n)));
            Placeholder<TFloat32> pw = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(n, n)));
            // independent chains, as many as the setting's towers, that the inter-op threads may run side by
            // side; each starts from a differently scaled input so that Grappler cannot merge them as one
            List<Operand<TFloat32>> ends = new ArrayList<>();
            for (int c = 0; c < chains; c++) {
                Operand<TFloat32> x = c == 0 ? pa : tf.math.mul(pa, tf.constant(1f + c));
                if (precision.linearsInBf16()) {
                    Operand<TBfloat16> xb = tf.dtypes.cast(x, TBfloat16.class);
                    Operand<TBfloat16> wb = tf.dtypes.cast(pw, TBfloat16.class);
                    for (int i = 0; i < CHAIN; i++) {
                        xb = tf.linalg.matMul(xb, wb);
                    }
                    x = tf.dtypes.cast(xb, TFloat32.class);
                } else {
                    for (int i = 0; i < CHAIN; i++) {
                        x = tf.linalg.matMul(x, pw);
                    }
                }
                ends.add(tf.sum(x, tf.constant(new int[] {0, 1})));
            }
            Operand<TFloat32> sum = chains == 1 ? ends.get(0) : tf.math.addN(ends);
            int runs = 6;
            double best = Double.MAX_VALUE;
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                try (Result res = s.runner().feed(pa, ta).feed(pw, tw).fetch(sum).run()) {
                    res.get(0);
                }
                double sec = (System.nanoTime() - t0) / 1e9;
                if (r > 0) { // the first run includes graph optimisation
                    best = Math.min(best, sec);
                }
            }
            return 2.0 * n * n * n * CHAIN * chains / best / 1e9;
        }
    }
}
