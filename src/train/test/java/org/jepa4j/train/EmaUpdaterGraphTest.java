package org.jepa4j.train;

import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.tensor.NamedTensors;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training graph's EMA op against the reference's update recomputed in double precision. */
class EmaUpdaterGraphTest {

    @Test
    void graphEmaMatchesTheClosedForm() {
        ModelSpec spec = TrainerRuns.config(Path.of("unused"), 16, 1).modelSpec();
        int b = 2;
        float[] pixels = new float[b * 3 * 16 * 16];
        Random rnd = new Random(11);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) rnd.nextGaussian();
        }
        // 4x4 grid: context = first row and a half, two targets elsewhere
        int[][][] context = {{{0, 1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6}}};
        int[][][] targets = {{{10, 11}, {9, 10}}, {{13, 14}, {12, 13}}};
        Batch batch = new Batch(0, pixels, b, 3, 16, 16, null, new MaskBatch(context, targets, 0));
        double m = 0.75; // far from 1 so the update is visible
        try (TrainingGraph graph = TrainingGraph.create(spec, Trainer.graphOptions(TrainerRuns.config(Path.of("u"), 16, 1)))) {
            NamedTensors before = graph.state();
            graph.step(batch, new TrainingGraph.StepHyperparameters(1e-2, 0.04, m, 1));
            NamedTensors after = graph.state();
            int checked = 0;
            for (String name : after.withPrefixRemoved(ParameterNames.TARGET_ENCODER).names()) {
                // the reference's update (src/train.py: param_k.mul_(m).add_((1 - m) * param_q)) in double
                float[] target = before.get(ParameterNames.TARGET_ENCODER + name).data();
                float[] online = after.get(ParameterNames.ENCODER + name).data();
                float[] updated = after.get(ParameterNames.TARGET_ENCODER + name).data();
                for (int i = 0; i < target.length; i++) {
                    double expected = m * (double) target[i] + (1 - m) * (double) online[i];
                    assertEquals(expected, updated[i], 1e-6, name + "[" + i + "]");
                }
                checked++;
            }
            assertTrue(checked > 5, "target encoder tensors checked: " + checked);
            // the step did move the online encoder (otherwise the check above would be vacuous)
            String w = ParameterNames.ENCODER + "blocks.0.attn.qkv.weight";
            float[] w0 = before.get(w).data();
            float[] w1 = after.get(w).data();
            double moved = 0;
            for (int i = 0; i < w0.length; i++) {
                moved = Math.max(moved, Math.abs(w1[i] - w0[i]));
            }
            assertTrue(moved > 1e-4, "encoder moved by " + moved);
            assertEquals(w0.length, w1.length);
        }
    }
}
