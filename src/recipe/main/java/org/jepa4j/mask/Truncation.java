package org.jepa4j.mask;

import org.jepa4j.config.ConfigKeys;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a batch's masks are cut to one length (docs/reference.md §1.6): every context list to the
 * shortest context list of the batch and every target list to the shortest target list.
 *
 * <ul>
 *   <li>{@link #FIRST} is the reference: keep the first (lowest) indices. The surviving context is
 *       biased to the top rows of the image (§1.7, issue #60 of the official repository); on small
 *       grids it is nearly always the top one or two rows.</li>
 *   <li>{@link #RANDOM} (jepa4j) keeps a uniformly random subset of the same size, chosen per mask
 *       and image from (seed, step, mask, image), so the kept tokens cover the whole block.</li>
 * </ul>
 * Both keep each list sorted ascending and the lengths equal, so the graph is the same.
 */
public enum Truncation {
    FIRST,
    RANDOM;

    /** The config name of this mode. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException for a name outside {@link ConfigKeys#MASK_TRUNCATIONS}
     */
    public static Truncation fromConfig(String name) {
        if (name == null) {
            return FIRST;
        }
        for (Truncation t : values()) {
            if (t.configName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("mask.truncation: unknown value '" + name + "', expected one of "
                + String.join(", ", ConfigKeys.MASK_TRUNCATIONS));
    }

    /**
     * Cuts every list of {@code masks} ({@code [m][b][*]}, each sorted ascending) to the batch's
     * shortest list.
     *
     * @param seed run seed
     * @param step sampler step
     * @param salt separates the context lists (0) from the target lists (1)
     */
    int[][][] apply(int[][][] masks, long seed, long step, int salt) {
        int k = MaskDraw.minLength(masks);
        int[][][] out = new int[masks.length][][];
        for (int m = 0; m < masks.length; m++) {
            out[m] = new int[masks[m].length][];
            for (int b = 0; b < masks[m].length; b++) {
                int[] full = masks[m][b];
                out[m][b] = this == FIRST || full.length == k
                        ? Arrays.copyOf(full, k)
                        : randomSubset(full, k, CounterRandom.of(seed, step, 0x7255_6E63L, salt, m, b));
            }
        }
        return out;
    }

    /** {@code k} of {@code full}'s entries, uniformly at random (partial Fisher-Yates), sorted. */
    private static int[] randomSubset(int[] full, int k, CounterRandom random) {
        int[] pool = full.clone();
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        int[] kept = Arrays.copyOf(pool, k);
        Arrays.sort(kept);
        return kept;
    }
}
