package org.jepa4j.mask;

import java.util.Arrays;
import java.util.List;

/**
 * The paper's "random" masking ablation (docs/reference.md §10 Table 6, collator §1.8): per batch
 * a ratio {@code r ~ U(0.4, 0.6)} from the step-seeded generator (the same draw as the reference),
 * {@code num_keep = int(N·(1−r))}; per image a random permutation of the N patches whose first
 * {@code num_keep} entries are the context and the rest the single target.
 *
 * <p>Always one context mask and one target mask ({@code nenc = npred = 1}), whatever
 * {@code mask.num_enc_masks}/{@code num_pred_masks} say, as the reference collator. Unlike the
 * reference, both lists are sorted ascending (the reference leaves them in permutation order); the
 * set of patches is the same, and the permutation comes from a generator keyed by (seed, step, image).
 * {@code min_keep}, scales and {@code cover_edges} are not used.
 */
public final class RandomMaskSampler extends AbstractMaskSampler {

    /** The reference collator's default ratio range of masked (target) patches. */
    static final double RATIO_MIN = 0.4;
    static final double RATIO_MAX = 0.6;

    public RandomMaskSampler(int gridHeight, int gridWidth, long seed) {
        this(gridHeight, gridWidth, seed, Truncation.FIRST);
    }

    /** As the three-argument constructor, cutting batches with {@code truncation}. */
    public RandomMaskSampler(int gridHeight, int gridWidth, long seed, Truncation truncation) {
        super(gridHeight, gridWidth, seed, truncation);
        int n = gridHeight * gridWidth;
        if (numKeep(n, 1.0 - 0x1.0p-24) < 1 || numKeep(n, 0.0) >= n) {
            throw new IllegalArgumentException("mask.strategy random needs a patch grid with at least 3 patches, got "
                    + gridHeight + "x" + gridWidth);
        }
    }

    @Override
    public String strategy() {
        return "random";
    }

    /** Context patches for uniform draw {@code u}: {@code int(N·(1 − (0.4 + 0.2·u)))}. */
    static int numKeep(int numPatches, double u) {
        double ratio = RATIO_MIN + u * (RATIO_MAX - RATIO_MIN);
        return (int) (numPatches * (1.0 - ratio));
    }

    @Override
    public MaskDraw draw(long step, int batchSize) {
        checkBatchSize(batchSize);
        int n = gridHeight * gridWidth;
        int keep = numKeep(n, new TorchGenerator(step).rand());
        int[][][] context = new int[1][batchSize][];
        int[][][] targets = new int[1][batchSize][];
        int[] perm = new int[n];
        for (int b = 0; b < batchSize; b++) {
            CounterRandom rng = CounterRandom.of(seed, step, b);
            for (int i = 0; i < n; i++) {
                perm[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {   // Fisher-Yates
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            context[0][b] = Arrays.copyOfRange(perm, 0, keep);
            targets[0][b] = Arrays.copyOfRange(perm, keep, n);
            Arrays.sort(context[0][b]);
            Arrays.sort(targets[0][b]);
        }
        return new MaskDraw(step, gridHeight, gridWidth, context, targets, List.of(), List.of(), 0);
    }
}
