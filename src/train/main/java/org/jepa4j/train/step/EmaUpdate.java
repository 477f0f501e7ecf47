package org.jepa4j.train.step;

import org.jepa4j.graph.GraphVariables;
import org.jepa4j.model.ParameterNames;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The target encoder's EMA update in the graph (docs/reference.md §5, upstream
 * {@code src/train.py:333-336}): after the optimizer has updated a context-encoder parameter θ,
 * its target-encoder copy becomes {@code θ̄ ← m·θ̄ + (1 − m)·θ}. The momentum m is fed per step
 * (its schedule is {@code org.jepa4j.train.EmaUpdater}). The fixed sin-cos tables are not trained
 * and so not averaged: both copies stay equal, as the reference's update would leave them.
 *
 * <p>With pixel targets there is no EMA: the target encoder's tensors are set to the context
 * encoder's after each update, so export and the monitors read the context encoder.
 */
public final class EmaUpdate {
    private final boolean copyInstead;
    private final Placeholder<TFloat32> momentum;
    private final Placeholder<TFloat32> momentumComplement;

    /**
     * Builds the momentum inputs.
     *
     * @param tf     where the ops are built
     * @param target with pixel targets the target encoder copies the context encoder instead
     */
    public EmaUpdate(Ops tf, PredictionTarget target) {
        this.copyInstead = target.isPixels();
        momentum = AdamW.scalar(tf, "ema_momentum");
        momentumComplement = AdamW.scalar(tf, "ema_momentum_complement");
    }

    /**
     * The EMA of every trained context-encoder parameter, each after that parameter's update.
     *
     * @param tf        where the ops are built
     * @param variables the context and target encoders' variables
     * @param trained   the trained parameters' names
     * @param updated   each trained parameter's optimizer update, by name
     * @return one assignment per target-encoder tensor
     */
    public List<Op> update(Ops tf, GraphVariables variables, List<String> trained, Map<String, Op> updated) {
        List<Op> out = new ArrayList<>();
        for (String n : trained) {
            if (!n.startsWith(ParameterNames.ENCODER)) {
                continue;
            }
            String t = ParameterNames.TARGET_ENCODER + n.substring(ParameterNames.ENCODER.length());
            Ops after = tf.withControlDependencies(List.of(updated.get(n)));
            Variable<TFloat32> tv = variables.get(t);
            if (copyInstead) {
                out.add(after.assign(tv, after.identity(variables.get(n))));
            } else {
                out.add(after.assign(tv, after.math.add(after.math.mul(tv, momentum),
                        after.math.mul(variables.get(n), momentumComplement))));
            }
        }
        return out;
    }

    /**
     * Feeds one step's momentum.
     *
     * @param r        the step's runner
     * @param feeds    owns the fed tensors
     * @param m        target-encoder momentum m
     */
    public void feed(Session.Runner r, Feeds feeds, double m) {
        feeds.scalar(r, momentum, m);
        feeds.scalar(r, momentumComplement, 1.0 - m);
    }
}
