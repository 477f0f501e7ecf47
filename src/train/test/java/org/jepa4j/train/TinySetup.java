package org.jepa4j.train;

import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Tiny models, random batches and random disjoint masks for the graph tests. */
final class TinySetup {
    private TinySetup() {
    }

    /** 16x16 RGB, patch 4 (4x4 grid), encoder 32 wide, 2 blocks, 2 heads; predictor 24 wide, 1 block. */
    static ModelSpec spec() {
        EncoderSpec e = new EncoderSpec(16, 4, 3, 32, 2, 2, 64);
        return new ModelSpec(e, new PredictorSpec(24, 1, 2, 96));
    }

    /**
     * A batch of N(0,1) pixels with masks: per image, {@code npred} target blocks of {@code kt}
     * patches and {@code nenc} contexts of {@code kc} patches, contexts disjoint from all targets.
     */
    static Batch batch(ModelSpec spec, int b, int nenc, int kc, int npred, int kt, long seed) {
        EncoderSpec e = spec.encoder();
        SplittableRandom r = new SplittableRandom(seed);
        float[] pixels = new float[b * e.channels() * e.imageSize() * e.imageSize()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) r.nextGaussian();
        }
        int n = e.numPatches();
        int[][][] ctx = new int[nenc][b][];
        int[][][] tgt = new int[npred][b][];
        for (int j = 0; j < b; j++) {
            int[] perm = permutation(n, r);
            // targets may overlap each other (as in the reference) but never the contexts
            int[] targetPool = Arrays.copyOfRange(perm, 0, Math.min(n - kc, npred * kt));
            for (int m = 0; m < npred; m++) {
                int[] p = permutation(targetPool.length, r);
                int[] t = new int[kt];
                for (int k = 0; k < kt; k++) {
                    t[k] = targetPool[p[k]];
                }
                Arrays.sort(t);
                tgt[m][j] = t;
            }
            int[] rest = Arrays.copyOfRange(perm, targetPool.length, n);
            for (int i = 0; i < nenc; i++) {
                int[] p = permutation(rest.length, r);
                int[] c = new int[kc];
                for (int k = 0; k < kc; k++) {
                    c[k] = rest[p[k]];
                }
                Arrays.sort(c);
                ctx[i][j] = c;
            }
        }
        return new Batch(seed, pixels, b, e.channels(), e.imageSize(), e.imageSize(), null,
                new MaskBatch(ctx, tgt, seed));
    }

    static int[] permutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * Weights with larger, random values than the initialisation (std {@code scale}, norms around 1,
     * pos tables kept), so that every part of the model matters to the loss.
     */
    static NamedTensors randomized(NamedTensors init, double scale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        NamedTensors.Builder out = NamedTensors.builder();
        init.asMap().forEach((name, t) -> {
            if (name.endsWith("pos_embed")) {
                out.put(name, t);
                return;
            }
            float[] d = new float[t.data().length];
            boolean normWeight = t.rank() == 1 && name.endsWith("weight");
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) ((normWeight ? 1.0 : 0.0) + scale * r.nextGaussian());
            }
            out.put(name, new FloatTensor(t.shape().clone(), d));
        });
        return out.build();
    }

    /** Index of the element of largest magnitude (the first of equals): where a gradient check looks first. */
    static int largestMagnitude(float[] v) {
        int big = 0;
        for (int i = 1; i < v.length; i++) {
            if (Math.abs(v[i]) > Math.abs(v[big])) {
                big = i;
            }
        }
        return big;
    }
}
