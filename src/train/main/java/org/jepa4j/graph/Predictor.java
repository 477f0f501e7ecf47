package org.jepa4j.graph;

import org.jepa4j.model.ModelSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.List;

/**
 * The narrow ViT predictor of docs/reference.md §3. Context tokens are embedded to width P and
 * given their positions; each target block gets {@code mask_token} plus its positions and is
 * predicted in a sequence of its own with a copy of the context; after the blocks and
 * {@code predictor_norm} only the target positions are kept and projected back to D.
 *
 * <p>Row order of the output (§3 steps 2-3): sequence {@code r = (m·nenc + i)·B + b} holds
 * target block m of image b with context mask i (target-major, context-minor).
 */
public final class Predictor {
    private final Layers layers;
    private final Ops tf;
    private final ModelSpec spec;
    private final ParameterLookup params;

    public Predictor(Layers layers, ModelSpec spec, ParameterLookup params) {
        this.layers = layers;
        this.tf = layers.ops();
        this.spec = spec;
        this.params = params;
    }

    /**
     * @param context    context encoder output {@code [nenc·B·Kc, D]} (mask-major)
     * @param contextIdx {@code [nenc, B, Kc]} the context tokens' patch indices
     * @param targetIdx  {@code [npred, B, Kt]} the target blocks' patch indices
     * @return predictions {@code [npred·nenc·B·Kt, D]}
     */
    public Operand<TFloat32> forward(Operand<TFloat32> context, Operand<TInt32> contextIdx, Operand<TInt32> targetIdx) {
        int w = spec.predictor().width();
        int n = spec.encoder().numPatches();
        Operand<TFloat32> pos = tf.reshape(params.get("predictor_pos_embed"), tf.constant(new int[] {n, w}));
        Operand<TInt32> nenc = VisionTransformer.dim(tf, contextIdx, 0);
        Operand<TInt32> batch = VisionTransformer.dim(tf, contextIdx, 1);
        Operand<TInt32> kc = VisionTransformer.dim(tf, contextIdx, 2);
        Operand<TInt32> npred = VisionTransformer.dim(tf, targetIdx, 0);
        Operand<TInt32> kt = VisionTransformer.dim(tf, targetIdx, 2);
        Operand<TInt32> one = tf.constant(1);
        Operand<TInt32> minusOne = tf.constant(-1);
        Operand<TInt32> width = tf.constant(w);

        // step 1: embed the context and add its positions
        Operand<TFloat32> x = layers.linear(context, params.get("predictor_embed.weight"), params.get("predictor_embed.bias"));
        Operand<TFloat32> contextPos = tf.reshape(tf.gather(pos, contextIdx, tf.constant(0)), tf.constant(new int[] {-1, w}));
        x = tf.math.add(x, contextPos);
        // step 3: one copy of the context per target block: [npred, nenc·B, Kc, P]
        x = tf.reshape(x, tf.stack(List.of(one, minusOne, kc, width)));
        x = tf.tile(x, tf.stack(List.of(npred, one, one, one)));
        x = tf.reshape(x, tf.stack(List.of(minusOne, kc, width)));

        // step 2: mask token + target positions, repeated for every context mask: [npred, nenc, B, Kt, P]
        Operand<TFloat32> targets = tf.math.add(tf.gather(pos, targetIdx, tf.constant(0)),
                tf.reshape(params.get("mask_token"), tf.constant(new int[] {1, 1, 1, w})));
        targets = tf.expandDims(targets, tf.constant(1));
        targets = tf.tile(targets, tf.stack(List.of(one, nenc, one, one, one)));
        targets = tf.reshape(targets, tf.stack(List.of(minusOne, kt, width)));

        Operand<TFloat32> seq = tf.concat(List.of(x, targets), tf.constant(1));
        Operand<TInt32> seqLen = tf.math.add(kc, kt);
        Operand<TFloat32> h = tf.reshape(seq, tf.constant(new int[] {-1, w}));
        int depth = spec.predictor().depth();
        for (int i = 0; i < depth - 1; i++) {
            h = layers.block(h, seqLen, w, spec.predictor().heads(), params, "predictor_blocks." + i + ".");
        }
        // step 4 keeps only the target positions: the last block computes just those
        h = layers.blockTail(h, seqLen, kc, w, spec.predictor().heads(), params, "predictor_blocks." + (depth - 1) + ".");
        h = layers.layerNorm(h, params.get("predictor_norm.weight"), params.get("predictor_norm.bias"));
        return layers.linear(h, params.get("predictor_proj.weight"), params.get("predictor_proj.bias"));
    }
}
