package org.jepa4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.jepa4j.onnx.OnnxGraphBuilder;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.onnx.OnnxProto.Dim;
import org.jepa4j.onnx.OnnxProto.ModelProto;
import org.jepa4j.onnx.OnnxProto.OperatorSetId;
import org.jepa4j.onnx.OnnxProto.ValueInfoProto;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The ceiling of ONNX Runtime's CPU provider on this machine: one {@code n×n·n×n} matrix product
 * in float32 ({@code MatMul}) and in int8 ({@code MatMulInteger}, uint8 activations with zero point
 * 128 times 7-bit int8 weights, as the int8 exports run), in GFLOP/s (GOP/s for int8), best of
 * several runs, with the given intra-op threads. What an export's matrix products could reach at most.
 */
final class OrtMatrixRate {
    private OrtMatrixRate() {
    }

    /** Rates of one measurement, operations per second / 1e9. */
    record Rates(double fp32, double int8) {
    }

    static Rates measure(int n, int threads) throws IOException, OrtException {
        Path dir = Files.createTempDirectory("jepa4j-bench-matrix-");
        try {
            SplittableRandom r = new SplittableRandom(3);
            float[] w = new float[n * n];
            byte[] wq = new byte[n * n];
            float[] a = new float[n * n];
            byte[] aq = new byte[n * n];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian();
                wq[i] = (byte) (r.nextInt(127) - 63);
                a[i] = (float) r.nextGaussian();
                aq[i] = (byte) (1 + r.nextInt(255));
            }
            Path fp32 = dir.resolve("fp32.onnx");
            OnnxGraphBuilder g = new OnnxGraphBuilder();
            String x = g.input(new ValueInfoProto("a", OnnxProto.FLOAT, List.of(Dim.of(n), Dim.of(n))));
            g.nodeWithOutputs("MatMul", List.of(x, g.initializer("w", new FloatTensor(new long[] {n, n}, w))), List.of("y"));
            g.output(new ValueInfoProto("y", OnnxProto.FLOAT, List.of(Dim.of(n), Dim.of(n))));
            write(g, fp32);
            Path int8 = dir.resolve("int8.onnx");
            g = new OnnxGraphBuilder();
            x = g.input(new ValueInfoProto("a", OnnxProto.UINT8, List.of(Dim.of(n), Dim.of(n))));
            g.nodeWithOutputs("MatMulInteger", List.of(x, g.byteInitializer("w", OnnxProto.INT8, new long[] {n, n}, wq),
                    g.uint8Scalar("zp", 128)), List.of("y"));
            g.output(new ValueInfoProto("y", 6 /* INT32 */, List.of(Dim.of(n), Dim.of(n))));
            write(g, int8);

            OrtEnvironment env = OrtEnvironment.getEnvironment();
            double ops = 2.0 * n * n * n;
            try (OnnxTensor ta = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {n, n});
                 OnnxTensor tq = OnnxTensor.createTensor(env, ByteBuffer.wrap(aq), new long[] {n, n},
                         ai.onnxruntime.OnnxJavaType.UINT8)) {
                return new Rates(ops / best(env, fp32, ta, threads) / 1e9, ops / best(env, int8, tq, threads) / 1e9);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void write(OnnxGraphBuilder g, Path file) throws IOException {
        ModelProto m = new ModelProto(8, List.of(new OperatorSetId("", 17)), "jepa4j", "bench", "org.jepa4j", 1,
                "matrix rate", g.build("matrix_rate", "one matrix product"), List.of());
        OnnxWriter.write(m, file, OnnxWriter.ExternalData.NEVER);
    }

    /** Best seconds of one run over 8 runs after one warm-up. */
    private static double best(OrtEnvironment env, Path model, OnnxTensor input, int threads) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            o.addConfigEntry("session.intra_op.allow_spinning", "0");
            try (OrtSession s = env.createSession(model.toString(), o)) {
                double best = Double.MAX_VALUE;
                for (int i = 0; i < 9; i++) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result res = s.run(Map.of("a", input))) {
                        res.get(0);
                    }
                    if (i > 0) {
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                }
                return best;
            }
        }
    }
}
