package org.jepa4j.cluster;

import java.util.function.UnaryOperator;

/**
 * Where a multi-worker run starts, as the chief (rank 0) decided it: a new run, or the step of the
 * checkpoint it resumed. Only the chief reads the run folder, so no worker needs the chief's disk:
 * the chief sends this before the weights and optimizer state, and every worker starts there.
 *
 * @param resumed            whether the chief resumed a checkpoint
 * @param step               the step the run continues at (0 for a new run)
 * @param checkpointWorkers  workers of the run that wrote the checkpoint (1 for a new run)
 */
public record StartPoint(boolean resumed, long step, int checkpointWorkers) {
    /** Bits of a long per float32 part: sums of integers below 2^24 are exact in float32. */
    private static final int PART_BITS = 21;
    private static final int PARTS = 3; // 63 bits: any step

    public StartPoint {
        if (step < 0 || checkpointWorkers < 1) {
            throw new IllegalArgumentException("start point: step " + step + ", checkpoint workers " + checkpointWorkers);
        }
    }

    /** A new run. */
    public static StartPoint fresh() {
        return new StartPoint(false, 0, 1);
    }

    /**
     * Rank 0's start point on every task: each task calls this once, before the start-up broadcast
     * of the weights. A task other than rank 0 passes anything (its values are ignored).
     *
     * @param broadcast rank 0's values on every task (the replica's start-up collective)
     * @throws RuntimeException TensorFlow's error when the cluster does not come together in time
     */
    public static StartPoint agree(UnaryOperator<float[]> broadcast, StartPoint mine) {
        return decode(broadcast.apply(encode(mine)));
    }

    /** resumed, step, workers as exact float32 integers (a long in 21-bit parts). */
    static float[] encode(StartPoint p) {
        float[] f = new float[PARTS * 2 + 1];
        f[0] = p.resumed ? 1 : 0;
        long[] longs = {p.step, p.checkpointWorkers};
        for (int v = 0; v < longs.length; v++) {
            for (int i = 0; i < PARTS; i++) {
                f[1 + v * PARTS + i] = (longs[v] >>> (PART_BITS * i)) & ((1L << PART_BITS) - 1);
            }
        }
        return f;
    }

    static StartPoint decode(float[] f) {
        long[] longs = new long[2];
        for (int v = 0; v < longs.length; v++) {
            for (int i = 0; i < PARTS; i++) {
                longs[v] |= ((long) f[1 + v * PARTS + i]) << (PART_BITS * i);
            }
        }
        return new StartPoint(f[0] != 0, longs[0], (int) longs[1]);
    }
}
