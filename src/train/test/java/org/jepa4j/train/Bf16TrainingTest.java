package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.export.Agreement;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testing.ReferenceForward;
import org.jepa4j.train.TrainingGraph.StepHyperparameters;
import org.jepa4j.train.step.TrainingGraphOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code meta.matmul_precision: bf16} against float32 and the double-precision reference.
 *
 * <p>The tolerance: bf16 keeps 8 significant bits, so rounding an input costs a relative error of at
 * most u = 2⁻⁸ ≈ 3.9e-3, and a product of two rounded inputs at most 2u (the sum itself is
 * accumulated in float32). The loss is a mean over many such products, whose rounding errors are
 * independent and partly cancel: its relative error stays below 2u = 2⁻⁷. Gradients flow through
 * the same bf16 products (the weight gradients are bf16 products too), so each parameter's gradient
 * is asserted at relative L2 error below 4u·√(depth of the chain) ≈ 2⁻⁵ and, over all parameters
 * together, at cosine 0.9999 or better. The same bounds hold with the attention products in bf16
 * too ({@code bf16_attention}): their inputs are rounded once each, as a Linear's are.
 */
class Bf16TrainingTest {
    private static final ModelSpec SPEC = TinySetup.spec();
    private static final double U = Math.scalb(1.0, -8);
    static final double LOSS_RELATIVE = 2 * U;
    static final double GRADIENT_RELATIVE = Math.scalb(1.0, -5);
    static final double GRADIENT_COSINE = 0.9999;

    @TempDir
    Path tmp;

    private static TrainingGraph graph(MatmulPrecision p) {
        return TrainingGraph.create(SPEC, TrainingGraphOptions.builder().seed(3).threads(1, 1).precision(p).build());
    }

    @ParameterizedTest
    @EnumSource(value = MatmulPrecision.class, names = {"BF16", "BF16_ATTENTION"})
    void bf16LossAndGradientsStayWithinTheBoundOfFloat32OverSeveralSteps(MatmulPrecision precision) {
        NamedTensors start = TinySetup.randomized(Initializer.initialize(SPEC, 3), 0.15, 99);
        try (TrainingGraph fp32 = graph(MatmulPrecision.FP32); TrainingGraph bf16 = graph(precision)) {
            fp32.load(start);
            bf16.load(start);
            double worstCosine = 1;
            double worstLoss = 0;
            for (int t = 1; t <= 4; t++) {
                Batch b = TinySetup.batch(SPEC, 3, 2, 5, 2, 3, 40 + t);
                // the oracle is the double-precision reference at float32's current weights
                double exact = new ReferenceForward(SPEC, fp32.state()).loss(b.pixels(), b.size(),
                        b.masks().context(), b.masks().targets(), true);
                assertEquals(exact, fp32.loss(b), 1e-6 * Math.max(1, exact), "float32 loss at step " + t);
                double lossErr = Math.abs(bf16.loss(b) - exact) / exact;
                worstLoss = Math.max(worstLoss, lossErr);
                assertTrue(lossErr < LOSS_RELATIVE, "step " + t + ": bf16 loss relative error " + lossErr);

                NamedTensors g32 = fp32.gradients(b);
                NamedTensors g16 = bf16.gradients(b);
                for (String name : g32.names()) {
                    float[] a = g32.get(name).data();
                    if (IntStream.range(0, a.length).anyMatch(i -> a[i] != 0)) {
                        double rel = Agreement.of(a, g16.get(name).data()).relativeL2();
                        assertTrue(rel < GRADIENT_RELATIVE, "step " + t + ": gradient of " + name
                                + " relative L2 error " + rel);
                    }
                }
                double cos = Agreement.of(flat(g32), flat(g16)).cosine();
                worstCosine = Math.min(worstCosine, cos);
                assertTrue(cos >= GRADIENT_COSINE, "step " + t + ": gradient cosine " + cos);

                // both take the same step from the same weights: float32's, so errors do not compound
                StepHyperparameters h = new StepHyperparameters(1e-3, 0.04, 0.99, t);
                bf16.load(fp32.state());
                double l16 = bf16.step(b, h).loss();
                double l32 = fp32.step(b, h).loss();
                assertTrue(Math.abs(l16 - l32) / l32 < LOSS_RELATIVE, "step " + t + ": " + l16 + " vs " + l32);
            }
            System.out.printf(Locale.ROOT, "%s vs float32: worst loss relative error %.3g, worst gradient cosine %.7f%n",
                    precision.label(), worstLoss, worstCosine);
        }
    }

    @Test
    void bf16KeepsFloat32MasterWeightsThatTakeUpdatesBelowBf16Resolution() {
        NamedTensors start = TinySetup.randomized(Initializer.initialize(SPEC, 3), 0.15, 99);
        try (TrainingGraph bf16 = graph(MatmulPrecision.BF16)) {
            bf16.load(start);
            Batch b = TinySetup.batch(SPEC, 3, 1, 5, 2, 3, 7);
            NamedTensors grads = bf16.gradients(b);
            // Adam's first step moves each weight by lr·sign(g) (plus decay): 1e-6, far below half a
            // bf16 step of weights of size 1e-2..1, so bf16 master weights could not take it
            double lr = 1e-6;
            bf16.step(b, new StepHyperparameters(lr, 0.0, 0.99, 1));
            NamedTensors after = bf16.state();
            int moved = 0;
            int belowBf16 = 0;
            for (String name : grads.names()) {
                float[] g = grads.get(name).data();
                float[] w0 = start.get(name).data();
                float[] w1 = after.get(name).data();
                for (int i = 0; i < g.length; i++) {
                    if (Math.abs(g[i]) > 1e-6) {
                        double delta = (double) w1[i] - w0[i];
                        assertEquals(-Math.signum(g[i]) * lr, delta, 0.05 * lr + Math.ulp(w0[i]),
                                name + "[" + i + "] moved by " + delta);
                        moved++;
                        if (lr < Math.scalb(Math.ulp(w0[i]), 16) / 2) {
                            belowBf16++;
                        }
                    }
                }
            }
            assertTrue(moved > 1000, "weights updated: " + moved);
            assertTrue(belowBf16 > moved / 2, "updates below bf16 resolution: " + belowBf16 + " of " + moved);
        }
    }

    @Test
    void aCheckpointWrittenInBf16ResumesInFloat32AndBack() throws Exception {
        RunConfig base = TrainerRuns.config(tmp.resolve("unused"), 16, 2);
        RunConfig fp32 = base.withMeta(base.meta().toBuilder().useBfloat16(true).matmulPrecision("fp32").build());
        RunConfig bf16 = base.withMeta(base.meta().toBuilder().useBfloat16(true).matmulPrecision("bf16").build());
        Trainer.Summary straight = run(TrainerRuns.withMaxSteps(fp32, 6), tmp.resolve("straight"), false, null);

        Path mixed = tmp.resolve("mixed");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Summary first = run(TrainerRuns.withMaxSteps(bf16, 2), mixed, false, log);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("precision: bf16"), log.toString(StandardCharsets.UTF_8));
        Provenance p = Provenance.parse(Files.readString(mixed.resolve("provenance.json")));
        assertEquals("bf16", p.details().get("matmul_precision"));
        assertTrue(p.details().containsKey("cpu_flags"));
        Trainer.Summary second = run(TrainerRuns.withMaxSteps(fp32, 4), mixed, true, null);
        Trainer.Summary third = run(TrainerRuns.withMaxSteps(bf16, 6), mixed, true, null);
        assertEquals(2, second.firstStep());
        assertEquals(4, third.firstStep());
        assertEquals(6, third.stepsDone());
        double[] losses = {first.losses()[0], first.losses()[1], second.losses()[0], second.losses()[1],
            third.losses()[0], third.losses()[1]};
        for (int i = 0; i < 6; i++) {
            double rel = Math.abs(losses[i] - straight.losses()[i]) / straight.losses()[i];
            assertTrue(rel < 4 * LOSS_RELATIVE, "step " + (i + 1) + ": " + losses[i] + " vs float32 "
                    + straight.losses()[i]);
        }
        // the checkpoint holds float32 weights close to the float32 run's
        NamedTensors a = Checkpoint.read(tmp.resolve("straight")).tensors();
        NamedTensors b = Checkpoint.read(mixed).tensors();
        assertEquals(a.names(), b.names());
        double diff = 0;
        double norm = 0;
        for (String name : a.names()) {
            FloatTensor x = a.get(name);
            FloatTensor y = b.get(name);
            for (int i = 0; i < x.data().length; i++) {
                diff += Math.pow(x.data()[i] - y.data()[i], 2);
                norm += Math.pow(x.data()[i], 2);
            }
        }
        assertTrue(Math.sqrt(diff / norm) < 1e-3, "weights relative L2 " + Math.sqrt(diff / norm));
    }

    @Test
    void aBf16RunIsRepeatableAndResumesAsTheRunThatNeverStopped() throws Exception {
        // the same seed gives the same bf16 run, and a bf16 run stopped mid-epoch and resumed in bf16
        // continues it, as float32 runs do (TrainerTest.resumeContinuesTheSameRun)
        RunConfig base = TrainerRuns.config(tmp.resolve("unused"), 16, 2);
        RunConfig bf16 = TrainerRuns.withMaxSteps(
                base.withMeta(base.meta().toBuilder().useBfloat16(true).matmulPrecision("bf16").build()), 6);
        Trainer.Summary straight = run(bf16, tmp.resolve("straight"), false, null);
        Trainer.Summary again = run(bf16, tmp.resolve("again"), false, null);
        assertArrayEquals(straight.losses(), again.losses(), 1e-6, "same seed");

        Path split = tmp.resolve("split");
        Trainer.Summary first = run(TrainerRuns.withMaxSteps(bf16, 3), split, false, null);
        Trainer.Summary second = run(bf16, split, true, null);
        assertEquals(3, second.firstStep());
        double[] resumed = new double[6];
        System.arraycopy(first.losses(), 0, resumed, 0, 3);
        System.arraycopy(second.losses(), 0, resumed, 3, 3);
        assertArrayEquals(straight.losses(), resumed, 1e-6, "resumed");
        NamedTensors a = Checkpoint.read(tmp.resolve("straight")).tensors();
        NamedTensors b = Checkpoint.read(split).tensors();
        assertEquals(a.names(), b.names());
        for (String name : a.names()) {
            assertArrayEquals(a.get(name).data(), b.get(name).data(), 1e-6f, name);
        }
        // and bf16 really ran: float32 with the same seed gives other losses after the first updates
        RunConfig fp32 = TrainerRuns.withMaxSteps(
                base.withMeta(base.meta().toBuilder().useBfloat16(true).matmulPrecision("fp32").build()), 6);
        double[] float32 = run(fp32, tmp.resolve("fp32"), false, null).losses();
        assertTrue(IntStream.range(0, 6).anyMatch(i -> Math.abs(float32[i] - straight.losses()[i]) > 1e-6),
                "bf16 and float32 losses differ somewhere");
    }

    /** Every tensor's values, one after another in the order of the names. */
    private static float[] flat(NamedTensors t) {
        int n = t.names().stream().mapToInt(name -> t.get(name).data().length).sum();
        float[] out = new float[n];
        int at = 0;
        for (String name : t.names()) {
            float[] d = t.get(name).data();
            System.arraycopy(d, 0, out, at, d.length);
            at += d.length;
        }
        return out;
    }

    private Trainer.Summary run(RunConfig config, Path folder, boolean resume, ByteArrayOutputStream log)
            throws Exception {
        return new Trainer(config, TrainerRuns.options(folder, log == null ? new ByteArrayOutputStream() : log)
                .withResume(resume)).run();
    }
}
