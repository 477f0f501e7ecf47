package org.jepa4j.train;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.LoggingConfig;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.config.OptimizationConfig;
import org.jepa4j.config.Range;
import org.jepa4j.config.RunConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Tiny runs for trainer tests: 16x16x3 synthetic images, patch 4, width 32, depth 1, batch 4. */
final class TinyRun {
    private TinyRun() {
    }

    /** {@code images} synthetic training images (ipe = images / 4), {@code epochs} epochs. */
    static RunConfig config(Path folder, int images, int epochs) {
        DataConfig data = DataConfig.builder().batchSize(4).cropScale(Range.of(0.3, 1.0)).cropSize(16)
                .imageFolder("synthetic").numWorkers(1).pinMem(false).rootPath("/tmp")
                .source("synthetic:count=" + images + ",size=16,channels=3,classes=4,seed=5,test_count=16")
                .channels(3).prefetch(2).limit(0).build();
        // 4x4 grid: two small target blocks, context of a 3x3 block minus the targets; min_keep 0 as
        // the shipped scales give 1-2 patch targets on so small a grid
        MaskConfig mask = MaskConfig.builder().minKeep(0).numEncMasks(1).numPredMasks(2).patchSize(4).build();
        MetaConfig meta = MetaConfig.builder().modelName("vit_tiny").predDepth(1).predEmbDim(16).useBfloat16(false)
                .seed(3L).embedDim(32).depth(1).numHeads(2).mlpRatio(2.0).predNumHeads(2).intraOpThreads(1)
                .interOpThreads(1).towers(1).build();
        OptimizationConfig opt = OptimizationConfig.builder().epochs(epochs).warmup(1).probeEvery(0).build();
        LoggingConfig logging = new LoggingConfig(folder.toString(), "jepa", 1, 1);
        return new RunConfig(data, mask, meta, opt, logging, List.of());
    }

    static RunConfig withMaxSteps(RunConfig c, long maxSteps) {
        OptimizationConfig o = c.optimization();
        return c.withOptimization(o.toBuilder().maxSteps(maxSteps).build());
    }

    static RunConfig withConstantLr(RunConfig c, double lr) {
        OptimizationConfig o = c.optimization();
        return c.withOptimization(o.toBuilder().finalLr(lr).lr(lr).startLr(lr).warmup(0).build());
    }

    static RunConfig withProbeEvery(RunConfig c, int probeEvery) {
        OptimizationConfig o = c.optimization();
        return c.withOptimization(o.toBuilder().probeEvery(probeEvery).build());
    }

    /** Options writing progress into {@code sink} (non-interactive). */
    static Trainer.Options options(Path folder, ByteArrayOutputStream sink) {
        return Trainer.Options.of(folder).withOut(new PrintStream(sink, true, StandardCharsets.UTF_8), false);
    }
}
