package org.jepa4j.train;

import org.jepa4j.train.step.AdamW;
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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.jepa4j.testing.OfficialFixture.maxAbs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingGraphTest {
    private static final ModelSpec SPEC = TinySetup.spec();
    private static TrainingGraph graph;
    /** Random weights larger than the initial ones, so that every part shapes the loss. */
    private static NamedTensors weights;

    @BeforeAll
    static void build() {
        graph = TrainingGraph.create(SPEC, TrainingGraphOptions.builder().seed(3).threads(1, 1).build());
        weights = TinySetup.randomized(Initializer.initialize(SPEC, 3), 0.15, 99);
    }

    @AfterAll
    static void close() {
        graph.close();
    }

    @Test
    void encoderMatchesDoublePrecisionJavaForward() {
        graph.load(weights);
        Batch b = TinySetup.batch(SPEC, 3, 2, 5, 3, 3, 5);
        ReferenceForward ref = new ReferenceForward(SPEC, weights);
        MaskBatch m = b.masks();

        float[] target = graph.targetTokens(b.pixels(), b.size());
        float[] expectedTarget = ReferenceForward.flatten(ref.encode("target_encoder.", b.pixels(), b.size(), null));
        assertTrue(maxAbs(target, expectedTarget) < 1e-5, "target tokens differ by " + maxAbs(target, expectedTarget));

        // predictor with nenc = 2, npred = 3: checks the target-major, context-minor row order
        double[][][] context = ref.encode("encoder.", b.pixels(), b.size(), m.context());
        float[] expectedPred = ReferenceForward.flatten(ref.predict(context, m.context(), m.targets()));
        float[] pred = graph.predictions(b);
        assertTrue(maxAbs(pred, expectedPred) < 1e-5, "predictions differ by " + maxAbs(pred, expectedPred));

        double expectedLoss = ref.loss(b.pixels(), b.size(), m.context(), m.targets(), true);
        assertEquals(expectedLoss, graph.loss(b), 1e-6 * Math.max(1, expectedLoss));
    }

    @Test
    void l2LossOption() {
        Batch b = TinySetup.batch(SPEC, 2, 1, 6, 2, 4, 8);
        ReferenceForward ref = new ReferenceForward(SPEC, weights);
        double l2 = ref.loss(b.pixels(), b.size(), b.masks().context(), b.masks().targets(), false);
        double smooth = ref.loss(b.pixels(), b.size(), b.masks().context(), b.masks().targets(), true);
        assertTrue(Math.abs(l2 - smooth) > 0.1 * l2, "test data must tell the two losses apart");
        try (TrainingGraph g = TrainingGraph.create(SPEC, TrainingGraphOptions.builder().loss("l2").threads(1, 1).build())) {
            g.load(weights);
            assertEquals(l2, g.loss(b), 1e-6 * Math.max(1, l2));
        }
        assertThrows(IllegalArgumentException.class, () -> TrainingGraphOptions.builder().loss("l1").build());
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        graph.load(weights);
        Batch b = TinySetup.batch(SPEC, 2, 1, 5, 2, 3, 11);
        MaskBatch m = b.masks();
        NamedTensors grads = graph.gradients(b);
        List<String> probed = List.of(
                "encoder.patch_embed.proj.weight", "encoder.patch_embed.proj.bias",
                "encoder.blocks.0.norm1.weight", "encoder.blocks.0.attn.qkv.weight", "encoder.blocks.0.attn.qkv.bias",
                "encoder.blocks.1.attn.proj.weight", "encoder.blocks.1.mlp.fc1.bias", "encoder.blocks.1.mlp.fc2.weight",
                "encoder.norm.weight", "encoder.norm.bias",
                "predictor.mask_token", "predictor.predictor_embed.weight", "predictor.predictor_embed.bias",
                "predictor.predictor_blocks.0.attn.qkv.weight", "predictor.predictor_blocks.0.norm2.bias",
                "predictor.predictor_norm.weight", "predictor.predictor_proj.weight", "predictor.predictor_proj.bias");
        SplittableRandom r = new SplittableRandom(4);
        int checked = 0;
        for (String name : probed) {
            FloatTensor g = grads.get(name);
            // the element with the largest gradient and one random element
            int big = TinySetup.largestMagnitude(g.data());
            for (int idx : new int[] {big, r.nextInt(g.data().length)}) {
                double fd = finiteDifference(b, m, name, idx);
                double an = g.data()[idx];
                double tol = 2e-4 * Math.abs(g.data()[big]) + 1e-6;
                assertEquals(fd, an, tol, name + "[" + idx + "]: finite difference " + fd + " vs graph " + an);
                checked++;
            }
        }
        assertEquals(2 * probed.size(), checked);
        // the target encoder and the fixed tables receive no gradient
        assertTrue(grads.names().stream().noneMatch(n -> n.startsWith(ParameterNames.TARGET_ENCODER) || n.endsWith("pos_embed")));
    }

    /** Central difference of the double-precision reference loss in one parameter element. */
    private static double finiteDifference(Batch b, MaskBatch m, String name, int idx) {
        return FiniteDifference.of(weights, name, idx, w -> new ReferenceForward(SPEC, w)
                .loss(b.pixels(), b.size(), m.context(), m.targets(), true));
    }

    @Test
    void predictorCannotSeeMaskedOutContent() {
        graph.load(weights);
        Batch b = TinySetup.batch(SPEC, 2, 1, 5, 2, 3, 21);
        float[] before = graph.predictions(b);
        int g = SPEC.encoder().gridSize();
        int p = SPEC.encoder().patchSize();
        int s = SPEC.encoder().imageSize();
        int c = SPEC.encoder().channels();
        int[] context = b.masks().context()[0][1];
        int[] target = b.masks().targets()[0][1];
        // change every patch of image 1 outside its context (including the target blocks)
        float[] hidden = b.pixels().clone();
        boolean[] inContext = new boolean[g * g];
        for (int n : context) {
            inContext[n] = true;
        }
        for (int n = 0; n < g * g; n++) {
            if (!inContext[n]) {
                setPatch(hidden, 1, n, c, s, p, g, 5f);
            }
        }
        assertTrue(!inContext[target[0]]);
        Batch changedHidden = new Batch(b.step(), hidden, b.size(), b.channels(), b.height(), b.width(), null, b.masks());
        float[] after = graph.predictions(changedHidden);
        assertTrue(maxAbs(before, after) <= 1e-6, "hidden pixels leaked: " + maxAbs(before, after));
        // the target features do change, so the loss sees those pixels
        assertNotEquals(graph.loss(b), graph.loss(changedHidden));

        float[] visible = b.pixels().clone();
        setPatch(visible, 1, context[0], c, s, p, g, 5f);
        float[] afterVisible = graph.predictions(
                new Batch(b.step(), visible, b.size(), b.channels(), b.height(), b.width(), null, b.masks()));
        assertTrue(maxAbs(before, afterVisible) > 1e-3, "a context pixel must change the predictions");
    }

    private static void setPatch(float[] pixels, int image, int patch, int c, int s, int p, int g, float value) {
        int row = patch / g;
        int col = patch % g;
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    pixels[((image * c + ch) * s + row * p + i) * s + col * p + j] = value;
                }
            }
        }
    }

    @Test
    void oneStepAppliesAdamWAndEma() {
        // start from random moments, as in the middle of a run
        SplittableRandom r = new SplittableRandom(6);
        Map<String, FloatTensor> start = new LinkedHashMap<>(weights.asMap());
        for (String n : weights.names()) {
            if (n.startsWith(ParameterNames.TARGET_ENCODER)) {
                // a target encoder that differs from the encoder
                FloatTensor t = weights.get(n).copy();
                for (int i = 0; i < t.data().length; i++) {
                    t.data()[i] += (float) (0.01 * r.nextGaussian());
                }
                start.put(n, t);
            } else if (!ParameterNames.isFrozen(n)) {
                float[] m = new float[weights.get(n).data().length];
                float[] v = new float[m.length];
                for (int i = 0; i < m.length; i++) {
                    m[i] = (float) (1e-3 * r.nextGaussian());
                    v[i] = (float) (1e-6 * Math.abs(r.nextGaussian()));
                }
                start.put(AdamW.EXP_AVG + n, new FloatTensor(weights.get(n).shape().clone(), m));
                start.put(AdamW.EXP_AVG_SQ + n, new FloatTensor(weights.get(n).shape().clone(), v));
            }
        }
        NamedTensors s0 = NamedTensors.of(start);
        graph.load(s0);
        Batch b = TinySetup.batch(SPEC, 2, 1, 5, 2, 3, 31);
        NamedTensors grads = graph.gradients(b);
        double lossBefore = graph.loss(b);
        // lr·wd large enough that applying the decay after the Adam step instead of before would show
        StepHyperparameters h = new StepHyperparameters(0.05, 0.5, 0.9, 4);
        double stepLoss = graph.step(b, h).loss();
        assertEquals(lossBefore, stepLoss, 1e-7);
        NamedTensors s1 = graph.state();

        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double bc1 = 1 - Math.pow(b1, 4);
        double bc2 = 1 - Math.pow(b2, 4);
        int compared = 0;
        for (String n : ParameterNames.all(SPEC).keySet()) {
            if (n.startsWith(ParameterNames.TARGET_ENCODER) || ParameterNames.isFrozen(n)) {
                continue;
            }
            float[] p0 = s0.get(n).data();
            float[] g = grads.get(n).data();
            float[] m0 = s0.get(AdamW.EXP_AVG + n).data();
            float[] v0 = s0.get(AdamW.EXP_AVG_SQ + n).data();
            boolean decayed = ParameterNames.isWeightDecayed(n, s0.get(n).shape());
            float[] p1 = s1.get(n).data();
            float[] m1 = s1.get(AdamW.EXP_AVG + n).data();
            float[] v1 = s1.get(AdamW.EXP_AVG_SQ + n).data();
            String targetName = n.startsWith(ParameterNames.ENCODER)
                    ? ParameterNames.TARGET_ENCODER + n.substring(ParameterNames.ENCODER.length()) : null;
            for (int i = 0; i < p0.length; i++) {
                // torch AdamW: decay, moments, bias-corrected step
                double p = decayed ? p0[i] * (1 - h.lr() * h.weightDecay()) : p0[i];
                double m = b1 * m0[i] + (1 - b1) * g[i];
                double v = b2 * v0[i] + (1 - b2) * g[i] * (double) g[i];
                double update = h.lr() / bc1 * m / (Math.sqrt(v) / Math.sqrt(bc2) + eps);
                p -= update;
                // float32 tolerances scaled by the terms, not by the (possibly cancelling) result
                double mScale = b1 * Math.abs(m0[i]) + (1 - b1) * Math.abs(g[i]);
                assertEquals(m, m1[i], 2e-6 * mScale + 1e-12, n + " exp_avg[" + i + "]");
                // TF's kernel uses 1 − float(β2) = 0.00099998713 where torch uses float(1 − β2) = 0.001: 1.3e-5 relative
                assertEquals(v, v1[i], 3e-5 * v + 1e-14, n + " exp_avg_sq[" + i + "]");
                double uScale = Math.abs(update) * (1 + mScale / (Math.abs(m) + 1e-30));
                assertEquals(p, p1[i], 1e-6 * Math.abs(p) + 2e-5 * uScale + 1e-9, n + "[" + i + "]");
                if (targetName != null) {
                    double t = h.emaMomentum() * s0.get(targetName).data()[i] + (1 - h.emaMomentum()) * p;
                    assertEquals(t, s1.get(targetName).data()[i], 2e-6 * Math.abs(t) + 1e-7, targetName + "[" + i + "]");
                }
                compared++;
            }
        }
        assertEquals(graph.trainedParameterCount(), compared);
        // the fixed tables do not move
        assertEquals(s0.get("encoder.pos_embed"), s1.get("encoder.pos_embed"));
        assertEquals(s0.get("target_encoder.pos_embed"), s1.get("target_encoder.pos_embed"));
        assertEquals(s0.get("predictor.predictor_pos_embed"), s1.get("predictor.predictor_pos_embed"));
    }

    @Test
    void stateRoundTrips() {
        Batch b = TinySetup.batch(SPEC, 2, 1, 5, 2, 3, 41);
        graph.load(Initializer.initialize(SPEC, 3));
        StepHyperparameters h = new StepHyperparameters(1e-3, 0.04, 0.99, 1);
        graph.step(b, h);
        NamedTensors state = graph.state();
        assertEquals(ParameterNames.all(SPEC).size() + 2 * (ParameterNames.all(SPEC).size()
                - ParameterNames.encoder(SPEC.encoder()).size() - 2), state.size());
        try (TrainingGraph other = TrainingGraph.create(SPEC, TrainingGraphOptions.builder().seed(77).threads(1, 1).build())) {
            assertNotEquals(graph.loss(b), other.loss(b));
            other.load(state);
            assertEquals(graph.loss(b), other.loss(b));
            StepHyperparameters h2 = new StepHyperparameters(1e-3, 0.04, 0.99, 2);
            graph.step(b, h2);
            other.step(b, h2);
            assertEquals(graph.loss(b), other.loss(b));
            assertEquals(graph.state(), other.state());

            // moments are optional (zeros), parameters are not; shapes are checked
            NamedTensors paramsOnly = state.filter(n -> !n.startsWith("optimizer."));
            other.load(paramsOnly);
            assertTrue(other.state().get(AdamW.EXP_AVG + "encoder.norm.weight").equals(
                    FloatTensor.zeros(SPEC.encoder().width())));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> other.load(paramsOnly.filter(n -> !n.equals("predictor.mask_token"))));
            assertTrue(missing.getMessage().contains("predictor.mask_token"), missing.getMessage());
            Map<String, FloatTensor> bad = new LinkedHashMap<>(paramsOnly.asMap());
            bad.put("encoder.norm.bias", FloatTensor.zeros(SPEC.encoder().width() + 1));
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> other.load(NamedTensors.of(bad)));
            assertTrue(shape.getMessage().contains("encoder.norm.bias") && shape.getMessage().contains("[33]")
                    && shape.getMessage().contains("[32]"), shape.getMessage());
        }
    }

    @Test
    void maskLengthsAndCountsMayChangeBetweenSteps() {
        graph.load(Initializer.initialize(SPEC, 3));
        List<Double> losses = new ArrayList<>();
        int t = 1;
        for (int[] cfg : new int[][] {{2, 1, 5, 2, 3}, {3, 1, 7, 4, 2}, {1, 2, 4, 1, 4}}) {
            Batch b = TinySetup.batch(SPEC, cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], t);
            double expected = new ReferenceForward(SPEC, graph.state())
                    .loss(b.pixels(), b.size(), b.masks().context(), b.masks().targets(), true);
            double got = graph.step(b, new StepHyperparameters(1e-3, 0.04, 0.99, t++)).loss();
            assertEquals(expected, got, 1e-6);
            losses.add(got);
        }
        assertEquals(3, losses.size());
        assertTrue(graph.device().equals("CPU") || graph.device().startsWith("GPU"), graph.device());
    }

    @Test
    @Tag("slow") // builds and steps several multi-tower graphs
    void towersComputeTheSameStepAsOneTower() {
        // 5 images: towers of 2 + 3 and of 1 + 2 + 2 images; nenc 2 and npred 3 check the row order
        Batch b = TinySetup.batch(SPEC, 5, 2, 5, 3, 3, 21);
        MaskBatch m = b.masks();
        ReferenceForward ref = new ReferenceForward(SPEC, weights);
        float[] expectedTarget = ReferenceForward.flatten(ref.encode("target_encoder.", b.pixels(), b.size(), null));
        float[] expectedPred = ReferenceForward.flatten(ref.predict(ref.encode("encoder.", b.pixels(), b.size(), m.context()),
                m.context(), m.targets()));
        double expectedLoss = ref.loss(b.pixels(), b.size(), m.context(), m.targets(), true);
        graph.load(weights);
        NamedTensors oneTowerGradients = graph.gradients(b);
        StepHyperparameters h = new StepHyperparameters(1e-2, 0.04, 0.9, 1);
        graph.step(b, h);
        NamedTensors oneTowerState = graph.state();
        // towers 2 and 3 on the one device, and 2 towers each on a CPU device of its own
        for (String setting : new String[] {"2:none", "3:none", "2:cpu"}) {
            int towers = Integer.parseInt(setting.split(":")[0]);
            try (TrainingGraph g = TrainingGraph.create(SPEC, TrainingGraphOptions.builder().threads(1, 2)
                    .towers(towers).towerDevices(setting.split(":")[1]).build())) {
                g.load(weights);
                assertTrue(maxAbs(g.targetTokens(b.pixels(), b.size()), expectedTarget) < 1e-5, towers + " towers: targets");
                assertTrue(maxAbs(g.predictions(b), expectedPred) < 1e-5, towers + " towers: predictions");
                assertEquals(expectedLoss, g.loss(b), 1e-6 * Math.max(1, expectedLoss), towers + " towers: loss");
                NamedTensors grads = g.gradients(b);
                for (String n : oneTowerGradients.names()) {
                    float[] one = oneTowerGradients.get(n).data();
                    float scale = 0;
                    for (float v : one) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                    assertTrue(maxAbs(grads.get(n).data(), one) <= 1e-5 * scale + 1e-9,
                            towers + " towers: gradient of " + n);
                }
                assertEquals(expectedLoss, g.step(b, h).loss(), 1e-6 * Math.max(1, expectedLoss));
                NamedTensors state = g.state();
                for (String n : oneTowerGradients.names()) {
                    // Adam's first step is lr·sign(g) where |g| >> eps: compare where the gradient is
                    // not rounding noise (the key bias's gradient is 0 in exact arithmetic)
                    float[] grad = oneTowerGradients.get(n).data();
                    float[] got = state.get(n).data();
                    float[] want = oneTowerState.get(n).data();
                    for (int i = 0; i < grad.length; i++) {
                        if (Math.abs(grad[i]) > 1e-5) {
                            assertEquals(want[i], got[i], 1e-5, towers + " towers: " + n + "[" + i + "] after one step");
                        }
                    }
                }
            }
        }
    }

    @Test
    @Tag("slow") // traces a step on several CPU devices
    void towersOnCpuDevicesRunTheirForwardAndBackwardOnTheirDevice() {
        Batch b = TinySetup.batch(SPEC, 4, 1, 5, 2, 3, 25);
        try (TrainingGraph g = TrainingGraph.create(SPEC, TrainingGraphOptions.builder().threads(1, 3)
                .towers(3).towerDevices("cpu").build())) {
            g.load(weights);
            java.util.Set<String> devices = g.stepDevices(b, new StepHyperparameters(1e-2, 0.04, 0.9, 1));
            for (int i = 0; i < 3; i++) {
                String d = "device:CPU:" + i + " backward";
                assertTrue(devices.stream().anyMatch(x -> x.endsWith(d)), "CPU:" + i + " ran no backward op: " + devices);
            }
        }
        try (TrainingGraph g = TrainingGraph.create(SPEC, TrainingGraphOptions.builder().threads(1, 3)
                .towers(3).build())) {
            g.load(weights);
            java.util.Set<String> devices = g.stepDevices(b, new StepHyperparameters(1e-2, 0.04, 0.9, 1));
            assertTrue(devices.stream().noneMatch(x -> x.endsWith("device:CPU:1")), "unplaced towers share CPU:0: "
                    + devices);
        }
    }

    @Test
    void towersTakeBatchesSmallerThanTheirCountAndRepeatExactly() {
        Batch single = TinySetup.batch(SPEC, 1, 1, 6, 2, 3, 23);
        Batch three = TinySetup.batch(SPEC, 3, 1, 6, 2, 3, 24);
        double[][] losses = new double[2][];
        for (int run = 0; run < 2; run++) {
            try (TrainingGraph g = TrainingGraph.create(SPEC,
                    TrainingGraphOptions.builder().seed(5).threads(1, 2).towers(2).build())) {
                g.load(weights);
                double expected = new ReferenceForward(SPEC, weights).loss(single.pixels(), 1,
                        single.masks().context(), single.masks().targets(), true);
                assertEquals(expected, g.loss(single), 1e-6 * Math.max(1, expected), "one image, two towers");
                losses[run] = new double[4];
                for (int t = 0; t < 4; t++) {
                    losses[run][t] = g.step(t % 2 == 0 ? three : single, new StepHyperparameters(1e-2, 0.04, 0.9, t + 1)).loss();
                }
            }
        }
        assertTrue(java.util.Arrays.equals(losses[0], losses[1]), java.util.Arrays.toString(losses[0]) + " vs "
                + java.util.Arrays.toString(losses[1]));
        assertThrows(IllegalArgumentException.class, () -> TrainingGraphOptions.builder().towers(0).build());
    }
}
