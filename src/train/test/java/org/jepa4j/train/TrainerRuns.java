package org.jepa4j.train;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.OptimizationConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.testkit.TinyRun;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs for trainer tests: the testkit's {@link TinyRun} in RGB (16x16x3 synthetic images, batch 4,
 * seed 3, MLP ratio 2, the builders' 30-100 % crops, ImageNet normalisation and first-index mask
 * truncation), and the options that collect a trainer's progress.
 */
final class TrainerRuns {
    private TrainerRuns() {
    }

    /** {@code images} synthetic training images (ipe = images / 4), {@code epochs} epochs, written to {@code folder}. */
    static RunConfig config(Path folder, int images, int epochs) {
        return TinyRun.standard().in(folder)
                .with("data.source", TinyRun.synthetic(images, 3, 4, 5, 16))
                .with("data.channels", 3)
                .with("data.mean", DataConfig.IMAGENET_MEAN)
                .with("data.std", DataConfig.IMAGENET_STD)
                .with("data.crop_scale", List.of(0.3, 1.0))
                .with("data.batch_size", 4)
                .with("mask.truncation", "first")
                .with("meta.seed", 3)
                .with("meta.mlp_ratio", 2.0)
                .with("optimization.epochs", epochs)
                .config();
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
