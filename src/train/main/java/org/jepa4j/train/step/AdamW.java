package org.jepa4j.train.step;

import org.jepa4j.graph.GraphVariables;
import org.jepa4j.model.ParameterNames;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The optimizer step as torch's AdamW (docs/reference.md §5, upstream {@code src/helper.py:121-142}):
 * on the decayed group ({@link ParameterNames#isWeightDecayed}) the decoupled decay
 * {@code p ← p·(1 − lr·wd)} first, then the bias-corrected Adam update with TensorFlow's
 * {@code ApplyAdam}. Owns the two moment variables of each trained parameter and the step's
 * scalars (learning rate, bias corrections, decay factor), fed per step by {@link #feed}.
 */
public final class AdamW {
    /** Prefix of the first AdamW moment of each trained parameter in a training graph's state. */
    public static final String EXP_AVG = "optimizer.exp_avg.";
    /** Prefix of the second AdamW moment of each trained parameter in a training graph's state. */
    public static final String EXP_AVG_SQ = "optimizer.exp_avg_sq.";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Placeholder<TFloat32> lr;
    private final Placeholder<TFloat32> beta1Power;
    private final Placeholder<TFloat32> beta2Power;
    private final Placeholder<TFloat32> epsHat;
    private final Placeholder<TFloat32> decayFactor;

    /**
     * Builds the step's scalar inputs.
     *
     * @param tf    where the ops are built
     * @param beta1 β1
     * @param beta2 β2
     * @param eps   ε, added to the bias-corrected √v as torch does
     */
    public AdamW(Ops tf, double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        lr = scalar(tf, "lr");
        beta1Power = scalar(tf, "beta1_power");
        beta2Power = scalar(tf, "beta2_power");
        epsHat = scalar(tf, "eps_hat");
        decayFactor = scalar(tf, "decay_factor");
    }

    /**
     * Creates the moments of every trained parameter, all first moments then all second moments.
     *
     * @param variables where the variables live
     * @param trained   the trained parameters' names, in order
     * @param shapes    every parameter's shape
     * @return the moments' names: {@code optimizer.exp_avg.<param>}..., then {@code optimizer.exp_avg_sq.<param>}...
     */
    public static List<String> createMoments(GraphVariables variables, List<String> trained, Map<String, long[]> shapes) {
        List<String> names = new ArrayList<>();
        for (String n : trained) {
            variables.create(EXP_AVG + n, shapes.get(n));
            names.add(EXP_AVG + n);
        }
        for (String n : trained) {
            variables.create(EXP_AVG_SQ + n, shapes.get(n));
            names.add(EXP_AVG_SQ + n);
        }
        return names;
    }

    /**
     * The update of every trained parameter, each run after {@code ready}.
     *
     * @param tf        where the ops are built
     * @param ready     runs once every gradient exists
     * @param variables the parameters and their moments
     * @param trained   the trained parameters' names
     * @param shapes    their shapes (the weight-decay group rule needs them)
     * @param gradients the gradient of each trained parameter, in order
     * @return each trained parameter's final update op, by name
     */
    public Map<String, Op> update(Ops tf, Op ready, GraphVariables variables, List<String> trained,
                                  Map<String, long[]> shapes, List<Operand<TFloat32>> gradients) {
        Operand<TFloat32> b1 = tf.constant((float) beta1);
        Operand<TFloat32> b2 = tf.constant((float) beta2);
        Map<String, Op> updates = new LinkedHashMap<>();
        for (int i = 0; i < trained.size(); i++) {
            String n = trained.get(i);
            Variable<TFloat32> p = variables.get(n);
            Op before = ready;
            if (ParameterNames.isWeightDecayed(n, shapes.get(n))) {
                Ops after = tf.withControlDependencies(List.of(ready));
                before = after.assign(p, after.math.mul(p, decayFactor));
            }
            Ops after = tf.withControlDependencies(List.of(before));
            updates.put(n, after.train.applyAdam(p, variables.get(EXP_AVG + n), variables.get(EXP_AVG_SQ + n),
                    beta1Power, beta2Power, lr, b1, b2, epsHat, gradients.get(i)));
        }
        return updates;
    }

    /**
     * Feeds one step's scalars.
     *
     * @param r           the step's runner
     * @param feeds       owns the fed tensors
     * @param learnRate   learning rate
     * @param weightDecay decoupled weight decay of the decayed group
     * @param adamStep    t = 1, 2, … for the bias corrections {@code 1 − β^t}
     */
    public void feed(Session.Runner r, Feeds feeds, double learnRate, double weightDecay, long adamStep) {
        double b1t = Math.pow(beta1, adamStep);
        double b2t = Math.pow(beta2, adamStep);
        feeds.scalar(r, lr, learnRate);
        feeds.scalar(r, beta1Power, b1t);
        feeds.scalar(r, beta2Power, b2t);
        // torch divides √v by √(1−β2^t) before adding eps; TF's ApplyAdam adds eps to √v:
        // equal when TF's epsilon is eps·√(1−β2^t) (docs/reference.md §5)
        feeds.scalar(r, epsHat, eps * Math.sqrt(1.0 - b2t));
        feeds.scalar(r, decayFactor, 1.0 - learnRate * weightDecay);
    }

    static Placeholder<TFloat32> scalar(Ops tf, String name) {
        return tf.withName(name).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    }
}
