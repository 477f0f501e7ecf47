package org.jepa4j.bench;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.mask.AbstractMaskSampler;
import org.jepa4j.mask.MaskSamplers;

/**
 * Sampling time per batch of every strategy (not a test: prints a table). The reference collator
 * takes about 21 ms per batch at 16x16, B = 128 on the 2-core development machine
 * (docs/reference.md §1.7). Run: {@code tools/bench-masks [grid] [batch] [batches]}.
 */
public final class MaskSamplerBenchmark {

    private MaskSamplerBenchmark() {
    }

    public static void main(String[] args) {
        int grid = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int batches = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        MaskConfig d = MaskConfig.defaults();
        System.out.printf("grid %dx%d, batch %d, %d batches (after %d warm-up)%n", grid, grid, batch, batches, batches);
        System.out.printf("%-12s %12s %12s%n", "strategy", "ms/batch", "us/image");
        for (String strategy : ConfigKeys.MASK_STRATEGIES) {
            MaskConfig c = d.toBuilder().minKeep(grid < 12 ? 4 : d.minKeep()).strategy(strategy).build();
            AbstractMaskSampler s = MaskSamplers.create(c, grid, grid, 0);
            long sink = 0;
            for (int i = 0; i < batches; i++) {
                sink += s.sampleAt(i, batch).contextLength();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < batches; i++) {
                sink += s.sampleAt(batches + i, batch).contextLength();
            }
            double ms = (System.nanoTime() - t0) / 1e6 / batches;
            System.out.printf("%-12s %12.3f %12.2f%s%n", strategy, ms, 1000 * ms / batch, sink < 0 ? "!" : "");
        }
    }
}
