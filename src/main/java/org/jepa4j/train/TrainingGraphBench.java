package org.jepa4j.train;

import org.jepa4j.data.Batch;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;
import org.jepa4j.train.TrainingGraph.StepHyperparameters;
import org.jepa4j.train.TrainingGraph.TrainingGraphOptions;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times training steps of the graph on the reference's speed configuration (ijepa-reference.md
 * §12): 32x32x3 images, patch 4, encoder 192/6/3, predictor 96/4, batch 64, random pixels and
 * multi-block-like masks (npred 4 blocks of 3x3 or 4x3 patches, context = the 7x7 top-left block
 * minus the targets, cut to the batch minimum, as §1.7 measures for this grid).
 *
 * <p>Usage: {@code TrainingGraphBench [steps] [intraOpThreads] [interOpThreads] [batch]}
 * (defaults 20, 0, 0, 64). TensorFlow's thread pools are per process, so compare thread
 * settings in separate runs.
 */
public final class TrainingGraphBench {
    private TrainingGraphBench() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int intra = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int inter = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        int batchSize = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int towers = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        EncoderSpec e = new EncoderSpec(32, 4, 3, 192, 6, 3, 768);
        ModelSpec spec = new ModelSpec(e, ModelSpec.referencePredictor(e, 96, 4));
        SplittableRandom random = new SplittableRandom(1);
        long t0 = System.nanoTime();
        try (TrainingGraph graph = TrainingGraph.create(spec,
                TrainingGraphOptions.defaults().withThreads(intra, inter).withTowers(towers))) {
            System.out.printf(Locale.ROOT, "graph built in %.1f s on %s, %d trained parameters%n",
                    (System.nanoTime() - t0) / 1e9, graph.device(), graph.trainedParameterCount());
            int warmup = 3;
            double[] ms = new double[steps];
            long cpu0 = 0;
            for (int s = 0; s < warmup + steps; s++) {
                Batch b = randomBatch(e, batchSize, s, random);
                if (s == warmup) {
                    cpu0 = processCpuNanos();
                }
                long start = System.nanoTime();
                double loss = graph.step(b, new StepHyperparameters(1e-3, 0.04, 0.996, s + 1)).loss();
                long end = System.nanoTime();
                if (s >= warmup) {
                    ms[s - warmup] = (end - start) / 1e6;
                } else {
                    System.out.printf(Locale.ROOT, "warm-up step %d: %.0f ms, loss %.4f%n", s, (end - start) / 1e6, loss);
                }
            }
            double cpu = (processCpuNanos() - cpu0) / 1e6 / steps;
            if (Boolean.getBoolean("jepa4j.profile")) {
                Map<String, Long> perType = graph.profileStep(randomBatch(e, batchSize, 0, random),
                        new StepHyperparameters(1e-3, 0.04, 0.996, steps + warmup + 1));
                long total = perType.values().stream().mapToLong(Long::longValue).sum();
                System.out.printf(Locale.ROOT, "traced step: %.1f ms summed over ops%n", total / 1e3);
                perType.entrySet().stream().limit(25).forEach(en -> System.out.printf(Locale.ROOT,
                        "  %-28s %8.1f ms %5.1f%%%n", en.getKey(), en.getValue() / 1e3, 100.0 * en.getValue() / total));
            }
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(ms).average().orElse(0);
            double median = sorted[steps / 2];
            System.out.printf(Locale.ROOT,
                    "intra_op %d inter_op %d batch %d: mean %.1f ms/step, median %.1f ms/step (min %.1f, max %.1f), "
                            + "%.1f images/s (median), process CPU %.0f ms/step%n",
                    intra, inter, batchSize, mean, median, sorted[0], sorted[steps - 1],
                    batchSize * 1000.0 / median, cpu);
        }
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }

    /** Pixels N(0,1); masks as the reference collator shapes them on an 8x8 grid (§1.7). */
    static Batch randomBatch(EncoderSpec e, int batchSize, long step, SplittableRandom random) {
        float[] pixels = new float[batchSize * e.channels() * e.imageSize() * e.imageSize()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextGaussian();
        }
        int g = e.gridSize();
        int npred = 4;
        boolean tall = random.nextBoolean();
        int h = tall ? 4 : 3;
        int w = 3;
        int contextSide = g - 1;
        int[][][] targets = new int[npred][batchSize][];
        int[][] contexts = new int[batchSize][];
        int minContext = Integer.MAX_VALUE;
        for (int b = 0; b < batchSize; b++) {
            boolean[] covered = new boolean[g * g];
            for (int m = 0; m < npred; m++) {
                // exclusive upper bound as the reference's randint: the last row/column stay free
                int top = random.nextInt(g - h);
                int left = random.nextInt(g - w);
                int[] idx = new int[h * w];
                int k = 0;
                for (int r = top; r < top + h; r++) {
                    for (int c = left; c < left + w; c++) {
                        idx[k++] = r * g + c;
                        covered[r * g + c] = true;
                    }
                }
                Arrays.sort(idx);
                targets[m][b] = idx;
            }
            int[] ctx = new int[contextSide * contextSide];
            int k = 0;
            for (int r = 0; r < contextSide; r++) {
                for (int c = 0; c < contextSide; c++) {
                    if (!covered[r * g + c]) {
                        ctx[k++] = r * g + c;
                    }
                }
            }
            contexts[b] = Arrays.copyOf(ctx, k);
            minContext = Math.min(minContext, k);
        }
        int[][][] context = new int[1][batchSize][];
        for (int b = 0; b < batchSize; b++) {
            context[0][b] = Arrays.copyOf(contexts[b], Math.max(1, minContext));
        }
        return new Batch(step, pixels, batchSize, e.channels(), e.imageSize(), e.imageSize(), null,
                new MaskBatch(context, targets, step));
    }
}
