package org.jepa4j.bench;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.mask.AbstractMaskSampler;
import org.jepa4j.mask.MaskSamplers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/**
 * Sampling time per batch of every strategy (not a test: prints a table). The reference collator
 * takes about 21 ms per batch at 16x16, B = 128 on the 2-core development machine
 * (docs/reference.md §1.7). Run: {@code tools/bench-masks [grid] [batch] [batches]}.
 */
@Command(name = "bench-masks", mixinStandardHelpOptions = true,
        description = "Mask sampling time per batch and per image of every"
                + " mask.strategy.")
public final class MaskSamplerBenchmark implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = "16", paramLabel = "GRID",
            description = "Patch grid side (default: ${DEFAULT-VALUE}).")
    int grid;
    @Parameters(index = "1", arity = "0..1", defaultValue = "128", paramLabel = "BATCH",
            description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batch;
    @Parameters(index = "2", arity = "0..1", defaultValue = "200", paramLabel = "BATCHES",
            description = "Timed batches, after as many warm-up ones (default: ${DEFAULT-VALUE}).")
    int batches;

    MaskSamplerBenchmark() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new MaskSamplerBenchmark()).execute(args));
    }

    @Override
    public Integer call() {
        if (grid < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "GRID: expected 1 or more, got " + grid);
        }
        if (batch < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "BATCH: expected 1 or more, got " + batch);
        }
        if (batches < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "BATCHES: expected 1 or more, got " + batches);
        }
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
        return 0;
    }
}
