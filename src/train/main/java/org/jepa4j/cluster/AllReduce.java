package org.jepa4j.cluster;

import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The cross-process sum of a float tensor: TensorFlow's {@code CollectiveReduceV2} over every
 * task of the cluster (a ring on CPUs; the {@code nccl} hint on GPUs where the native build has
 * NCCL, the ring otherwise).
 *
 * <p>Built with the graph's op builder: the typed {@code org.tensorflow.op.collective.CollectiveReduce}
 * of TensorFlow Java 1.1.0 is the V3 op, which needs a communicator whose initialisation crashes
 * the process on this version. The group and instance keys are inputs, so one op may be run with
 * different instance keys (the start-up broadcast does, chunk by chunk).
 *
 * @param groupSize      tasks taking part
 * @param timeoutSeconds how long a collective waits for the other tasks before the step fails
 *                       ({@code meta.collective_timeout_s}); 0 waits forever
 * @param hint           {@code auto}, {@code ring} or {@code nccl}
 */
public record AllReduce(int groupSize, double timeoutSeconds, String hint) {
    /** The one collective group of a training cluster. */
    public static final int GROUP_KEY = 1;

    public AllReduce {
        if (groupSize < 1) {
            throw new IllegalArgumentException("all-reduce group size must be >= 1, got " + groupSize);
        }
        if (!(timeoutSeconds >= 0)) {
            throw new IllegalArgumentException("collective timeout must be >= 0 seconds, got " + timeoutSeconds);
        }
    }

    /** The sum over every task of {@code input}, under a constant instance key. */
    public Operand<TFloat32> sum(Ops tf, Operand<TFloat32> input, int instanceKey, String name) {
        return sum(tf, input, tf.constant(instanceKey), name);
    }

    /** The sum over every task of {@code input}, under the instance key fed at run time. */
    public Operand<TFloat32> sum(Ops tf, Operand<TFloat32> input, Operand<TInt32> instanceKey, String name) {
        return sum(tf, input, tf.constant(GROUP_KEY), instanceKey, name);
    }

    /** The sum over every task of {@code input} in collective group {@code groupKey} (a graph of its own: another group). */
    public Operand<TFloat32> sum(Ops tf, Operand<TFloat32> input, int groupKey, int instanceKey, String name) {
        return sum(tf, input, tf.constant(groupKey), tf.constant(instanceKey), name);
    }

    @SuppressWarnings("unchecked")
    private Operand<TFloat32> sum(Ops tf, Operand<TFloat32> input, Operand<TInt32> groupKey, Operand<TInt32> instanceKey,
                                  String name) {
        GraphOperation op = (GraphOperation) tf.scope().env().opBuilder("CollectiveReduceV2",
                        tf.scope().makeOpName(name), tf.scope())
                .addInput(input.asOutput())
                .addInput(tf.constant(groupSize).asOutput())
                .addInput(groupKey.asOutput())
                .addInput(instanceKey.asOutput())
                .addInputList(new Output<?>[0])
                .setAttr("merge_op", "Add")
                .setAttr("final_op", "Id")
                .setAttr("communication_hint", hint)
                .setAttr("timeout_seconds", (float) timeoutSeconds)
                .build();
        Output<?> out = op.output(0);
        return (Output<TFloat32>) out;
    }
}
