package org.jepa4j.graph;

import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.List;

/** Small helpers between Java arrays and TensorFlow tensors and sessions. Callers close what they get. */
public final class Tensors {
    private Tensors() {
    }

    /** A float32 tensor holding a copy of {@code data} with the given shape. */
    public static TFloat32 floats(long[] shape, float[] data) {
        return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(data, true, false));
    }

    /** A float32 scalar. */
    public static TFloat32 scalar(double value) {
        return TFloat32.scalarOf((float) value);
    }

    /** An int32 tensor holding a copy of {@code data}. */
    public static TInt32 ints(long[] shape, int[] data) {
        return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(data, true, false));
    }

    /** Index lists {@code [M][B][K]} (equal K) as an int32 tensor {@code [M, B, K]}. */
    public static TInt32 indices(int[][][] idx) {
        int m = idx.length;
        int b = idx[0].length;
        int k = idx[0][0].length;
        int[] flat = new int[m * b * k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(idx[i][j], 0, flat, (i * b + j) * k, k);
            }
        }
        return ints(new long[] {m, b, k}, flat);
    }

    /** All values of a float tensor in row-major order. */
    public static float[] readFloats(TFloat32 t) {
        float[] out = new float[Math.toIntExact(t.size())];
        t.copyTo(DataBuffers.of(out, false, false));
        return out;
    }


    /**
     * Session options: thread pools (0 = TensorFlow's default), soft placement so integer ops may
     * stay on the CPU when the graph runs on a GPU, and GPU memory grown on demand.
     */
    public static ConfigProto sessionConfig(int intraOpThreads, int interOpThreads) {
        if (intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0 (0 = default), got intra_op "
                    + intraOpThreads + ", inter_op " + interOpThreads);
        }
        return ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(intraOpThreads)
                .setInterOpParallelismThreads(interOpThreads)
                .setAllowSoftPlacement(true)
                .setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true))
                .build();
    }

    /**
     * A short name of where a traced run executed: the first GPU among the devices
     * ({@code GPU:0}), otherwise {@code CPU}.
     *
     * @param deviceNames full TensorFlow device names, e.g. {@code /job:localhost/replica:0/task:0/device:CPU:0}
     */
    public static String shortDevice(List<String> deviceNames) {
        for (String d : deviceNames) {
            int i = d.indexOf("device:GPU:");
            if (i >= 0) {
                return d.substring(i + "device:".length());
            }
        }
        return "CPU";
    }
}
