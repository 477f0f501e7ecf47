package org.jepa4j.mask;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a mask sampler produces over a run of batches (the figures of docs/reference.md §1.7).
 * Coverage maps are {@code [H·W]} row-major fractions of images; "before truncation" means the
 * sampler's full lists, "kept" the lists after the batch-minimum cut (§1.6) that the model sees.
 *
 * @param strategy                       the sampler's {@code mask.strategy}
 * @param gridHeight                     patch rows H
 * @param gridWidth                      patch columns W
 * @param firstStep                      step of the first batch
 * @param batches                        batches measured
 * @param batchSize                      images per batch B
 * @param targetBlocks                   target block size → batches that used it
 * @param contextBlocks                  context block size → batches that used it
 * @param contextLength                  Kc per batch (after truncation)
 * @param targetLength                   Kt per batch (after truncation)
 * @param meanContextBeforeTruncation    mean context patches per image and context mask, before truncation
 * @param meanTargetBeforeTruncation     mean patches per image and target mask, before truncation
 * @param targetCoverage                 {@code [H·W]}: fraction of images where the cell is in some target
 * @param contextCoverage                {@code [H·W]}: fraction of images where the cell is in some context mask
 * @param keptContextCoverage            {@code [H·W]}: the same after truncation
 * @param meanKeptContextRow             mean patch row of the kept context tokens
 * @param meanContextRowBeforeTruncation mean patch row of the context tokens before truncation
 * @param relaxations                    context placements that dropped an acceptable region (§1.4)
 */
public record MaskStatistics(String strategy, int gridHeight, int gridWidth, long firstStep, int batches,
                             int batchSize, SortedMap<BlockSize, Integer> targetBlocks,
                             SortedMap<BlockSize, Integer> contextBlocks, Lengths contextLength,
                             Lengths targetLength, double meanContextBeforeTruncation,
                             double meanTargetBeforeTruncation, double[] targetCoverage, double[] contextCoverage,
                             double[] keptContextCoverage, double meanKeptContextRow,
                             double meanContextRowBeforeTruncation, long relaxations) {

    /**
     * Mean, minimum and maximum of a per-batch length.
     */
    public record Lengths(double mean, int min, int max) {
    }

    /** N = H·W. */
    public int numPatches() {
        return gridHeight * gridWidth;
    }

    /**
     * Draws {@code batches} batches from {@code firstStep} on (with {@link AbstractMaskSampler#draw},
     * which leaves the sampler's counter alone) and summarises them.
     */
    public static MaskStatistics measure(AbstractMaskSampler sampler, long firstStep, int batches, int batchSize) {
        if (batches < 1) {
            throw new IllegalArgumentException("batches must be >= 1, got " + batches);
        }
        int h = sampler.gridHeight();
        int w = sampler.gridWidth();
        int n = h * w;
        TreeMap<BlockSize, Integer> targetBlocks = new TreeMap<>();
        TreeMap<BlockSize, Integer> contextBlocks = new TreeMap<>();
        long[] targetHits = new long[n];
        long[] contextHits = new long[n];
        long[] keptHits = new long[n];
        int[] kc = new int[batches];
        int[] kt = new int[batches];
        double contextSum = 0;
        long contextLists = 0;
        double targetSum = 0;
        long targetLists = 0;
        double keptRowSum = 0;
        long keptTokens = 0;
        double fullRowSum = 0;
        long fullTokens = 0;
        long relaxations = 0;
        boolean[] seen = new boolean[n];
        for (int i = 0; i < batches; i++) {
            MaskDraw draw = sampler.draw(firstStep + i, batchSize);
            MaskBatch batch = sampler.truncate(draw);
            for (BlockSize s : draw.targetBlocks()) {
                targetBlocks.merge(s, 1, Integer::sum);
            }
            for (BlockSize s : draw.contextBlocks()) {
                contextBlocks.merge(s, 1, Integer::sum);
            }
            relaxations += draw.relaxations();
            kc[i] = batch.contextLength();
            kt[i] = batch.targetLength();
            for (int b = 0; b < batchSize; b++) {
                java.util.Arrays.fill(seen, false);
                for (int[][] mask : draw.targets()) {
                    targetSum += mask[b].length;
                    targetLists++;
                    for (int idx : mask[b]) {
                        seen[idx] = true;
                    }
                }
                count(seen, targetHits);
                java.util.Arrays.fill(seen, false);
                for (int[][] mask : draw.context()) {
                    contextSum += mask[b].length;
                    contextLists++;
                    for (int idx : mask[b]) {
                        seen[idx] = true;
                        fullRowSum += idx / w;
                        fullTokens++;
                    }
                }
                count(seen, contextHits);
                java.util.Arrays.fill(seen, false);
                for (int[][] mask : batch.context()) {
                    for (int idx : mask[b]) {
                        seen[idx] = true;
                        keptRowSum += idx / w;
                        keptTokens++;
                    }
                }
                count(seen, keptHits);
            }
        }
        double images = (double) batches * batchSize;
        return new MaskStatistics(sampler.strategy(), h, w, firstStep, batches, batchSize,
                Collections.unmodifiableSortedMap(targetBlocks), Collections.unmodifiableSortedMap(contextBlocks),
                lengths(kc), lengths(kt), contextSum / contextLists, targetSum / targetLists,
                fractions(targetHits, images), fractions(contextHits, images), fractions(keptHits, images),
                keptTokens == 0 ? Double.NaN : keptRowSum / keptTokens,
                fullTokens == 0 ? Double.NaN : fullRowSum / fullTokens, relaxations);
    }

    private static void count(boolean[] seen, long[] hits) {
        for (int i = 0; i < seen.length; i++) {
            if (seen[i]) {
                hits[i]++;
            }
        }
    }

    private static double[] fractions(long[] hits, double images) {
        double[] out = new double[hits.length];
        for (int i = 0; i < hits.length; i++) {
            out[i] = hits[i] / images;
        }
        return out;
    }

    private static Lengths lengths(int[] values) {
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        double sum = 0;
        for (int v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        return new Lengths(sum / values.length, min, max);
    }
}
