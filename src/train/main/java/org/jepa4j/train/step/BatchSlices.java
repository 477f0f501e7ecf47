package org.jepa4j.train.step;

import org.jepa4j.graph.VisionTransformer;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.List;

/**
 * A fed batch cut, inside the graph, into contiguous slices of images, one per training tower:
 * slice i holds {@code floor((B + i) / towers)} images (the sizes add up to B and differ by at most
 * one), with the matching columns of the context and target index lists. With one tower the
 * placeholders are used as they are.
 *
 * @param images   per tower {@code [Bi, C, H, W]}
 * @param context  per tower {@code [nenc, Bi, Kc]}
 * @param targets  per tower {@code [npred, Bi, Kt]}
 */
record BatchSlices(Ops tf, List<Operand<TFloat32>> images, List<Operand<TInt32>> context,
                   List<Operand<TInt32>> targets) {

    /** Cuts {@code images [B, C, H, W]}, {@code contextIdx [nenc, B, Kc]} and {@code targetIdx [npred, B, Kt]}. */
    static BatchSlices of(Ops tf, Operand<TFloat32> images, Operand<TInt32> contextIdx, Operand<TInt32> targetIdx,
                          int towers) {
        if (towers == 1) {
            return new BatchSlices(tf, List.of(images), List.of(contextIdx), List.of(targetIdx));
        }
        Operand<TInt32> batch = VisionTransformer.dim(tf, images, 0);
        int[] offsets = new int[towers];
        for (int i = 0; i < towers; i++) {
            offsets[i] = i;
        }
        // floor((B + i) / towers) for i = 0 … towers−1: sums to B (Hermite's identity)
        Operand<TInt32> sizes = tf.math.floorDiv(tf.math.add(tf.constant(offsets), batch), tf.constant(towers));
        return new BatchSlices(tf,
                List.copyOf(tf.splitV(images, sizes, tf.constant(0), (long) towers).output()),
                List.copyOf(tf.splitV(contextIdx, sizes, tf.constant(1), (long) towers).output()),
                List.copyOf(tf.splitV(targetIdx, sizes, tf.constant(1), (long) towers).output()));
    }

    /** Per-tower token matrices {@code [Bi·L, D]} (image-major rows) joined into {@code [B·L, D]}. */
    Operand<TFloat32> joinRows(List<Operand<TFloat32>> perTower) {
        return perTower.size() == 1 ? perTower.get(0) : tf.concat(perTower, tf.constant(0));
    }

    /**
     * Per-tower predictor outputs {@code [npred·nenc·Bi·Kt, D]} joined into the one-tower row order
     * {@code [npred·nenc·B·Kt, D]}: within each of the npred·nenc blocks the towers' images follow
     * each other.
     */
    Operand<TFloat32> joinPredictions(List<Operand<TFloat32>> perTower, Operand<TInt32> npred, Operand<TInt32> nenc,
                                      int width) {
        if (perTower.size() == 1) {
            return perTower.get(0);
        }
        Operand<TInt32> blocks = tf.stack(List.of(tf.math.mul(npred, nenc), tf.constant(-1), tf.constant(width)));
        List<Operand<TFloat32>> grouped = new ArrayList<>();
        for (Operand<TFloat32> p : perTower) {
            grouped.add(tf.reshape(p, blocks));
        }
        return tf.reshape(tf.concat(grouped, tf.constant(1)), tf.constant(new int[] {-1, width}));
    }
}
