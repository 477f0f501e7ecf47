package org.jepa4j.train.step;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The step's towers ({@code meta.towers}): the fed batch cut into contiguous slices of images
 * ({@link BatchSlices}), each slice's forward pass built by the caller, its ops and its backward
 * pass pinned to the tower's device when {@code meta.tower_devices} asks ({@link TowerPlacement}),
 * and the towers' outputs and gradients joined again. One tower is the plain step on the whole batch.
 */
public final class Towers {
    private final Graph graph;
    private final Ops tf;
    private final String devices;
    private final BatchSlices slices;

    /**
     * Cuts the fed inputs into {@code options.towers()} slices.
     *
     * @param graph   the graph, whose new ops are pinned to a tower's device
     * @param tf      where the ops are built
     * @param inputs  the fed batch
     * @param options the tower count and devices
     */
    public Towers(Graph graph, Ops tf, StepInputs inputs, TrainingGraphOptions options) {
        this.graph = graph;
        this.tf = tf;
        this.devices = options.towerDevices();
        this.slices = BatchSlices.of(tf, inputs.images(), inputs.contextIdx(), inputs.targetIdx(), options.towers());
    }

    /** @return the number of towers */
    public int count() {
        return slices.images().size();
    }

    /** @param i a tower @return its images {@code [Bi, C, H, W]} */
    public Operand<TFloat32> images(int i) {
        return slices.images().get(i);
    }

    /** @param i a tower @return its context indices {@code [nenc, Bi, Kc]} */
    public Operand<TInt32> context(int i) {
        return slices.context().get(i);
    }

    /** @param i a tower @return its target indices {@code [npred, Bi, Kt]} */
    public Operand<TInt32> targets(int i) {
        return slices.targets().get(i);
    }

    /**
     * Builds tower {@code i}'s ops with {@code body}, placed on the tower's device when towers are placed.
     *
     * @param i    the tower
     * @param body builds the ops
     * @param <T>  what it returns
     * @return what {@code body} returned
     */
    public <T> T build(int i, Supplier<T> body) {
        if (!placed()) {
            return body.get();
        }
        int mark = TowerPlacement.mark(graph);
        T out = body.get();
        TowerPlacement.placeSince(graph, mark, device(i));
        return out;
    }

    /**
     * @param perTower per-tower token matrices {@code [Bi·L, D]}
     * @return them joined into {@code [B·L, D]}
     */
    public Operand<TFloat32> joinRows(List<Operand<TFloat32>> perTower) {
        return slices.joinRows(perTower);
    }

    /**
     * @param perTower per-tower predictor outputs {@code [npred·nenc·Bi·Kt, W]}
     * @param npred    target masks
     * @param nenc     context masks
     * @param width    W
     * @return them joined in the one-tower row order {@code [npred·nenc·B·Kt, W]}
     */
    public Operand<TFloat32> joinPredictions(List<Operand<TFloat32>> perTower, Operand<TInt32> npred,
                                             Operand<TInt32> nenc, int width) {
        return slices.joinPredictions(perTower, npred, nenc, width);
    }

    /**
     * The gradients of {@code loss} (the towers' sums over {@code count}) with respect to
     * {@code trained}. Towers on devices of their own: each tower's backward pass built apart (its
     * sum over the same count) and placed on its device, the towers' gradients then summed, as the
     * one gradient call sums them.
     *
     * @param loss      the step's loss
     * @param towerSums each tower's loss sum
     * @param count     the element count the sums are divided by
     * @param trained   the trained variables
     * @param names     their names, for the error when no gradient reaches one
     * @return one gradient per trained variable, in order
     */
    public List<Operand<TFloat32>> gradients(Operand<TFloat32> loss, List<Operand<TFloat32>> towerSums,
                                             Operand<TFloat32> count, List<Operand<?>> trained, List<String> names) {
        if (!placed()) {
            return gradientsOf(tf.gradients(loss, trained), names);
        }
        List<List<Operand<TFloat32>>> perTower = new ArrayList<>();
        for (int i = 0; i < towerSums.size(); i++) {
            Operand<TFloat32> towerLoss = tf.math.div(towerSums.get(i), tf.stopGradient(count));
            int mark = TowerPlacement.mark(graph);
            perTower.add(gradientsOf(tf.gradients(towerLoss, trained), names));
            TowerPlacement.placeSince(graph, mark, device(i));
        }
        List<Operand<TFloat32>> out = new ArrayList<>();
        for (int v = 0; v < trained.size(); v++) {
            List<Operand<TFloat32>> parts = new ArrayList<>();
            for (List<Operand<TFloat32>> g : perTower) {
                parts.add(g.get(v));
            }
            out.add(parts.size() == 1 ? parts.get(0) : tf.math.addN(parts));
        }
        return out;
    }

    private boolean placed() {
        return !devices.equals("none");
    }

    /** The device of tower {@code i} ({@code towerDevices} cpu or gpu). */
    private String device(int i) {
        return "/device:" + devices.toUpperCase(Locale.ROOT) + ":" + i;
    }

    private static List<Operand<TFloat32>> gradientsOf(Gradients grads, List<String> names) {
        List<Operand<TFloat32>> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Output<?> g = grads.dy(i);
            if (g == null) {
                throw new IllegalStateException("no gradient reaches " + names.get(i));
            }
            out.add(castFloat(g));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Operand<TFloat32> castFloat(Output<?> o) {
        return (Output<TFloat32>) o;
    }
}
