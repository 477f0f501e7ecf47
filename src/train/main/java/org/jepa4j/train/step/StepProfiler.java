package org.jepa4j.train.step;

import org.jepa4j.graph.Tensors;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Where a step's time goes, for benchmarks and placement tests: a traced session run broken
 * down by TensorFlow op type or by device ({@link #runTraced}), and the wall time of the
 * all-reduce that a replica's step pays ({@link #allReduceMillis}).
 */
public final class StepProfiler {
    /** Instance key of {@link #allReduceMillis}'s timed collectives. */
    public static final int TIMING_INSTANCE = 999;

    /** What a traced step is broken down by. */
    public enum Breakdown {
        /** Microseconds per op type (summed over nodes), largest first. */
        OP_TYPE,
        /**
         * Nodes run per device (e.g. {@code /job:localhost/.../device:CPU:1}), and per device that
         * ran backward ops once more under the device name with {@code " backward"} appended.
         */
        DEVICE
    }

    private StepProfiler() {
    }

    /**
     * Runs {@code r} with a full trace and puts the breakdown into {@code out}, largest first.
     *
     * @param r   a prepared runner
     * @param by  op types or devices
     * @param out receives the breakdown
     * @return the run's result (the caller closes it)
     */
    public static Result runTraced(Session.Runner r, Breakdown by, Map<String, Long> out) {
        r.setOptions(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build());
        Result res = r.runAndFetchMetadata();
        try {
            breakdown(res, by, out);
        } catch (RuntimeException e) {
            res.close();
            throw e;
        }
        return res;
    }

    private static void breakdown(Result res, Breakdown by, Map<String, Long> out) {
        Map<String, Long> totals = new HashMap<>();
        res.getMetadata().ifPresent(md -> md.getStepStats().getDevStatsList().forEach(d ->
                d.getNodeStatsList().forEach(n -> {
                    if (by == Breakdown.DEVICE) {
                        totals.merge(d.getDevice(), 1L, Long::sum);
                        if (n.getNodeName().startsWith("Gradients")) {
                            totals.merge(d.getDevice() + " backward", 1L, Long::sum);
                        }
                        return;
                    }
                    String label = n.getTimelineLabel();
                    int eq = label.indexOf(" = ");
                    String type = eq >= 0 ? label.substring(eq + 3).split("[(\\s]")[0] : n.getNodeName();
                    totals.merge(type, n.getAllEndRelMicros(), Long::sum);
                })));
        totals.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(en -> out.put(en.getKey(), en.getValue()));
    }

    /**
     * The median wall time of {@code runs} all-reduces of {@code values} floats, fed and fetched
     * as a vector: the communication part of a replica's step. Every replica must call it with
     * the same arguments.
     *
     * @param session the replica's session
     * @param sync    the replica's collectives
     * @param values  floats per all-reduce (a step's packed gradient: every trained value and two scalars)
     * @param runs    timed runs
     * @return the median in milliseconds
     */
    public static double allReduceMillis(Session session, ReplicaSync sync, int values, int runs) {
        double[] ms = new double[runs];
        try (TFloat32 in = Tensors.floats(new long[] {values}, new float[values]);
             TInt32 k = TInt32.scalarOf(TIMING_INSTANCE)) {
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                try (Result res = sync.sum(session, in, k)) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }
}
