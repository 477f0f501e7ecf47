package org.jepa4j.graph;

import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.model.PredictorSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testing.ReferenceForward;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.jepa4j.testing.OfficialFixture.maxAbs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncoderGraphTest {
    private static final ModelSpec SPEC = new ModelSpec(new EncoderSpec(16, 4, 3, 48, 2, 3, 96),
            new PredictorSpec(24, 1, 3, 96));

    private static NamedTensors randomWeights(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, FloatTensor> m = new LinkedHashMap<>();
        Initializer.initialize(SPEC, seed).asMap().forEach((name, t) -> {
            if (name.endsWith("pos_embed")) {
                m.put(name, t);
                return;
            }
            float[] d = new float[t.data().length];
            double base = t.rank() == 1 && name.endsWith("weight") ? 1 : 0;
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (base + 0.15 * r.nextGaussian());
            }
            m.put(name, new FloatTensor(t.shape().clone(), d));
        });
        return NamedTensors.of(m);
    }

    private static float[] flatten2(double[][] x) {
        float[] out = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                out[i * x[i].length + j] = (float) x[i][j];
            }
        }
        return out;
    }

    @Test
    void encoderMatchesDoublePrecisionJavaForward() {
        NamedTensors w = randomWeights(5);
        int batch = 3;
        SplittableRandom r = new SplittableRandom(9);
        float[] pixels = new float[batch * 3 * 16 * 16];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) r.nextGaussian();
        }
        ReferenceForward ref = new ReferenceForward(SPEC, w);
        try (EncoderGraph g = EncoderGraph.create(SPEC.encoder(), w.withPrefixRemoved(ParameterNames.TARGET_ENCODER), 1, 1)) {
            EncoderGraph.EncoderOutputs out = g.forward(pixels, batch);
            double[][][] tokens = ref.encode(ParameterNames.TARGET_ENCODER, pixels, batch, null);
            float[] expectedTokens = ReferenceForward.flatten(tokens);
            assertTrue(maxAbs(out.lastHiddenState(), expectedTokens) < 1e-5,
                    "last_hidden_state differs by " + maxAbs(out.lastHiddenState(), expectedTokens));
            float[] expectedPooled = flatten2(ReferenceForward.meanPool(tokens));
            assertTrue(maxAbs(out.pooled(), expectedPooled) < 1e-5);
            float[] expectedLast4 = flatten2(ref.pooledLast4(ParameterNames.TARGET_ENCODER, pixels, batch));
            assertEquals(batch * 2 * 48, out.pooledLast4().length); // depth 2 < 4: all blocks
            assertTrue(maxAbs(out.pooledLast4(), expectedLast4) < 1e-5,
                    "pooled_last4 differs by " + maxAbs(out.pooledLast4(), expectedLast4));
            // the last block's pooled feature equals pooled
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < 48; i++) {
                    assertEquals(out.pooled()[b * 48 + i], out.pooledLast4()[b * 96 + 48 + i], 1e-6);
                }
            }
        }
    }

    @Test
    void depthOneEncoderPoolsItsOnlyBlock() {
        ModelSpec shallow = new ModelSpec(new EncoderSpec(8, 4, 1, 32, 1, 2, 64), new PredictorSpec(16, 1, 2, 64));
        NamedTensors w = Initializer.initialize(shallow, 3);
        float[] pixels = new float[2 * 8 * 8];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) Math.sin(i);
        }
        try (EncoderGraph g = EncoderGraph.create(shallow.encoder(), w.withPrefixRemoved(ParameterNames.TARGET_ENCODER), 1, 1)) {
            EncoderGraph.EncoderOutputs out = g.forward(pixels, 2);
            float[] expected = flatten2(new ReferenceForward(shallow, w).pooledLast4(ParameterNames.TARGET_ENCODER, pixels, 2));
            assertEquals(2 * 32, out.pooledLast4().length);
            assertTrue(maxAbs(out.pooledLast4(), expected) < 1e-5);
            assertTrue(maxAbs(out.pooledLast4(), out.pooled()) < 1e-6, "depth 1: pooled_last4 == pooled");
        }
    }

    @Test
    void missingOrMisshapenWeightsAreNamed() {
        NamedTensors w = randomWeights(1).withPrefixRemoved(ParameterNames.ENCODER);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () ->
                EncoderGraph.create(SPEC.encoder(), w.filter(n -> !n.equals("norm.bias")), 1, 1));
        assertTrue(missing.getMessage().contains("norm.bias"), missing.getMessage());
        Map<String, FloatTensor> bad = new LinkedHashMap<>(w.asMap());
        bad.put("blocks.1.attn.qkv.weight", FloatTensor.zeros(48, 48));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () ->
                EncoderGraph.create(SPEC.encoder(), NamedTensors.of(bad), 1, 1));
        assertTrue(shape.getMessage().contains("blocks.1.attn.qkv.weight") && shape.getMessage().contains("[144, 48]"),
                shape.getMessage());
    }
}
