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
        DataConfig data = new DataConfig(4, 0.0, Range.of(0.3, 1.0), 16, "synthetic", 1, false, "/tmp", false, false,
                false, "synthetic:count=" + images + ",size=16,channels=3,classes=4,seed=5,test_count=16", null, 3,
                DataConfig.IMAGENET_MEAN, DataConfig.IMAGENET_STD, 2, 0);
        // 4x4 grid: two small target blocks, context of a 3x3 block minus the targets; min_keep 0 as
        // the shipped scales give 1-2 patch targets on so small a grid
        MaskConfig mask = new MaskConfig(false, Range.of(0.75, 1.5), Range.of(0.85, 1.0), 0, 1, 2, 4,
                Range.of(0.15, 0.2), "multiblock", false);
        MetaConfig meta = new MetaConfig(false, false, "vit_tiny", 1, 16, null, false, 3L, 32, 1, 2, 2.0, 2,
                "smooth_l1", 1, 1, 1);
        OptimizationConfig opt = new OptimizationConfig(Range.of(0.996, 1.0), epochs, 1e-6, 0.4, 1.0, 1e-3, 2e-4, 1,
                0.04, 0, 0, 0);
        LoggingConfig logging = new LoggingConfig(folder.toString(), "jepa", 1, 1);
        return new RunConfig(data, mask, meta, opt, logging, List.of());
    }

    static RunConfig withMaxSteps(RunConfig c, long maxSteps) {
        OptimizationConfig o = c.optimization();
        return c.withOptimization(new OptimizationConfig(o.ema(), o.epochs(), o.finalLr(), o.finalWeightDecay(),
                o.ipeScale(), o.lr(), o.startLr(), o.warmup(), o.weightDecay(), maxSteps, o.probeEvery(),
                o.evalEvery()));
    }

    static RunConfig withConstantLr(RunConfig c, double lr) {
        OptimizationConfig o = c.optimization();
        return c.withOptimization(new OptimizationConfig(o.ema(), o.epochs(), lr, o.finalWeightDecay(),
                o.ipeScale(), lr, lr, 0, o.weightDecay(), o.maxSteps(), o.probeEvery(), o.evalEvery()));
    }

    static RunConfig withProbeEvery(RunConfig c, int probeEvery) {
        OptimizationConfig o = c.optimization();
        return c.withOptimization(new OptimizationConfig(o.ema(), o.epochs(), o.finalLr(), o.finalWeightDecay(),
                o.ipeScale(), o.lr(), o.startLr(), o.warmup(), o.weightDecay(), o.maxSteps(), probeEvery,
                o.evalEvery()));
    }

    /** Options writing progress into {@code sink} (non-interactive). */
    static Trainer.Options options(Path folder, ByteArrayOutputStream sink) {
        return Trainer.Options.of(folder).withOut(new PrintStream(sink, true, StandardCharsets.UTF_8), false);
    }
}
