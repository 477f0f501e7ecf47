package org.jepa4j.train;

import org.jepa4j.train.step.AdamW;
import org.jepa4j.train.step.PredictionTarget;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testing.ReferenceForward;
import org.jepa4j.train.TrainingGraph.StepHyperparameters;
import org.jepa4j.train.step.TrainingGraphOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code meta.target: pixels}: the graph's loss and gradients against the double-precision Java reference. */
class PixelTargetTest {
    private static final ModelSpec SPEC = TinySetup.spec();
    private static TrainingGraph normalized;
    private static NamedTensors weights;

    @BeforeAll
    static void build() {
        normalized = TrainingGraph.create(SPEC, options(true));
        NamedTensors initial = Initializer.initialize(SPEC, 3).merge(Initializer.initializePixelHead(SPEC, 3));
        weights = TinySetup.randomized(initial, 0.15, 99);
    }

    @AfterAll
    static void close() {
        normalized.close();
    }

    private static TrainingGraphOptions options(boolean normalize) {
        return TrainingGraphOptions.builder().seed(3).threads(1, 1)
                .target(PredictionTarget.pixels(normalize)).build();
    }

    @Test
    void lossEqualsTheReferenceWithAndWithoutPerPatchNormalisation() {
        Batch b = TinySetup.batch(SPEC, 3, 2, 5, 3, 3, 5);
        MaskBatch m = b.masks();
        ReferenceForward ref = new ReferenceForward(SPEC, weights);
        double expectedNorm = ref.pixelLoss(b.pixels(), b.size(), m.context(), m.targets(), true, true);
        double expectedRaw = ref.pixelLoss(b.pixels(), b.size(), m.context(), m.targets(), true, false);
        assertTrue(Math.abs(expectedNorm - expectedRaw) > 0.01 * expectedNorm, "test data must tell the two apart");
        normalized.load(weights);
        assertEquals(expectedNorm, normalized.loss(b), 1e-5 * Math.max(1, expectedNorm));
        try (TrainingGraph raw = TrainingGraph.create(SPEC, options(false))) {
            raw.load(weights);
            assertEquals(expectedRaw, raw.loss(b), 1e-5 * Math.max(1, expectedRaw));
        }
        // two towers, each on a slice of the batch, compute the same loss
        try (TrainingGraph towers = TrainingGraph.create(SPEC, options(true).toBuilder().towers(2).build())) {
            towers.load(weights);
            assertEquals(expectedNorm, towers.loss(b), 1e-5 * Math.max(1, expectedNorm));
        }
        // the predictions are the pixel head's outputs, one patch of C·p·p values per target token
        float[] expectedPred = ReferenceForward.flatten(ref.pixelPredictions(
                ref.predict(ref.encode("encoder.", b.pixels(), b.size(), m.context()), m.context(), m.targets())));
        float[] pred = normalized.predictions(b);
        assertEquals(3 * 2 * 3 * 3 * 3 * 4 * 4, pred.length);
        for (int i = 0; i < pred.length; i++) {
            assertEquals(expectedPred[i], pred[i], 1e-5, "prediction " + i);
        }
    }

    @Test
    void lossDoesNotDependOnTheTargetEncoder() {
        Batch b = TinySetup.batch(SPEC, 2, 1, 6, 2, 4, 8);
        normalized.load(weights);
        double before = normalized.loss(b);
        Map<String, FloatTensor> changed = new LinkedHashMap<>(weights.asMap());
        SplittableRandom r = new SplittableRandom(1);
        for (String n : weights.names()) {
            if (n.startsWith(ParameterNames.TARGET_ENCODER)) {
                FloatTensor t = weights.get(n).copy();
                for (int i = 0; i < t.data().length; i++) {
                    t.data()[i] += (float) r.nextGaussian();
                }
                changed.put(n, t);
            }
        }
        normalized.load(NamedTensors.of(changed));
        assertEquals(before, normalized.loss(b), 0.0);
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheReference() {
        normalized.load(weights);
        Batch b = TinySetup.batch(SPEC, 2, 1, 5, 2, 3, 11);
        NamedTensors grads = normalized.gradients(b);
        List<String> probed = List.of("predictor.pixel_head.weight", "predictor.pixel_head.bias",
                "predictor.predictor_proj.weight", "predictor.mask_token", "predictor.predictor_blocks.0.attn.qkv.weight",
                "encoder.patch_embed.proj.weight", "encoder.blocks.0.attn.qkv.weight", "encoder.blocks.1.mlp.fc2.weight",
                "encoder.norm.weight");
        SplittableRandom r = new SplittableRandom(4);
        for (String name : probed) {
            FloatTensor g = grads.get(name);
            int big = TinySetup.largestMagnitude(g.data());
            assertTrue(Math.abs(g.data()[big]) > 0, name + " receives no gradient");
            for (int idx : new int[] {big, r.nextInt(g.data().length)}) {
                double fd = finiteDifference(b, name, idx);
                double tol = 2e-4 * Math.abs(g.data()[big]) + 1e-6;
                assertEquals(fd, g.data()[idx], tol, name + "[" + idx + "]: finite difference " + fd + " vs graph "
                        + g.data()[idx]);
            }
        }
        assertTrue(grads.names().stream().noneMatch(n -> n.startsWith(ParameterNames.TARGET_ENCODER)));
    }

    private static double finiteDifference(Batch b, String name, int idx) {
        MaskBatch m = b.masks();
        return FiniteDifference.of(weights, name, idx, w -> new ReferenceForward(SPEC, w)
                .pixelLoss(b.pixels(), b.size(), m.context(), m.targets(), true, true));
    }

    @Test
    void aStepLeavesTheTargetEncoderEqualToTheUpdatedContextEncoder() {
        try (TrainingGraph g = TrainingGraph.create(SPEC, options(true))) {
            g.load(weights);
            NamedTensors before = g.state();
            // a momentum that the feature target would use for an EMA: ignored here
            g.step(TinySetup.batch(SPEC, 2, 1, 5, 2, 3, 13), new StepHyperparameters(1e-2, 0.04, 0.5, 1));
            NamedTensors after = g.state();
            int compared = 0;
            for (String n : after.names()) {
                if (!n.startsWith(ParameterNames.ENCODER)) {
                    continue;
                }
                String t = ParameterNames.TARGET_ENCODER + n.substring(ParameterNames.ENCODER.length());
                assertArrayEquals(after.get(n).data(), after.get(t).data(), 0f, t);
                compared++;
            }
            assertEquals(ParameterNames.encoder(SPEC.encoder()).size(), compared);
            assertFalse(java.util.Arrays.equals(before.get("encoder.blocks.0.attn.qkv.weight").data(),
                    after.get("encoder.blocks.0.attn.qkv.weight").data()), "the step must change the encoder");
            assertFalse(java.util.Arrays.equals(before.get("predictor.pixel_head.weight").data(),
                    after.get("predictor.pixel_head.weight").data()), "the step must train the pixel head");
            assertTrue(after.names().contains(AdamW.EXP_AVG + "predictor.pixel_head.weight"));
        }
    }
}
