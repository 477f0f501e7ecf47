package org.jepa4j.model;

import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InitializerTest {
    // wide enough for tight statistics, still pure Java and fast
    private static final ModelSpec SPEC = new ModelSpec(new EncoderSpec(32, 4, 3, 192, 4, 3, 768),
            new PredictorSpec(96, 2, 3, 384));

    @Test
    void initialisationFollowsReference() {
        NamedTensors w = Initializer.initialize(SPEC, 7);
        Map<String, long[]> shapes = ParameterNames.all(SPEC);
        assertEquals(shapes.keySet().stream().toList(), w.names().stream().toList());
        shapes.forEach((name, shape) -> assertArrayEquals(shape, w.get(name).shape(), name));

        for (String name : w.names()) {
            FloatTensor t = w.get(name);
            String local = name.substring(name.indexOf('.') + 1);
            if (local.endsWith("pos_embed")) {
                int width = (int) t.shape()[2];
                assertArrayEquals(SinCosPositions.table(width, SPEC.encoder().gridSize()), t.data(), name);
            } else if (local.endsWith("bias")) {
                for (float v : t.data()) {
                    assertEquals(0f, v, name);
                }
            } else if (t.rank() == 1) { // LayerNorm gains
                for (float v : t.data()) {
                    assertEquals(1f, v, name);
                }
            } else {
                // Linear, conv and mask_token: trunc_normal(0.02) with no depth rescaling (§2.1)
                double[] ms = meanAndStd(t.data());
                double tol = 4 * 0.02 / Math.sqrt(2.0 * t.data().length) + 1e-4;
                assertEquals(0.0, ms[0], 5 * 0.02 / Math.sqrt(t.data().length), name + " mean");
                assertEquals(0.02, ms[1], Math.max(tol, name.contains("mask_token") ? 0.004 : 0), name + " std");
            }
        }
        // the rescaled layers of the deepest block keep std 0.02 (fix_init_weight is overwritten)
        double deep = meanAndStd(w.get("encoder.blocks.3.mlp.fc2.weight").data())[1];
        assertTrue(Math.abs(deep - 0.02) < 0.0005, "blocks.3.mlp.fc2 std " + deep);

        // target encoder is an exact copy of the encoder
        for (String name : ParameterNames.encoder(SPEC.encoder()).keySet()) {
            assertEquals(w.get(ParameterNames.ENCODER + name), w.get(ParameterNames.TARGET_ENCODER + name), name);
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        NamedTensors a = Initializer.initialize(SPEC, 11);
        assertEquals(a, Initializer.initialize(SPEC, 11));
        NamedTensors b = Initializer.initialize(SPEC, 12);
        assertNotEquals(a.get("encoder.blocks.0.attn.qkv.weight"), b.get("encoder.blocks.0.attn.qkv.weight"));
        // different tensors draw different values
        assertNotEquals(a.get("encoder.blocks.0.attn.proj.weight").data()[0],
                a.get("encoder.blocks.1.attn.proj.weight").data()[0]);
    }

    @Test
    void schemeChangesOnlyThePatchEmbeddingAndThePositionTables() {
        NamedTensors ref = Initializer.initialize(SPEC, 7);
        NamedTensors other = Initializer.initialize(SPEC, 7, new InitScheme(InitScheme.XAVIER_UNIFORM, 0.25, 2.0));
        assertEquals(Initializer.initialize(SPEC, 7, InitScheme.reference()), ref);
        float[] enc = SinCosPositions.table(192, SPEC.encoder().gridSize());
        float[] pred = SinCosPositions.table(96, SPEC.encoder().gridSize());
        for (String name : ref.names()) {
            float[] a = ref.get(name).data();
            float[] b = other.get(name).data();
            if (name.endsWith("predictor_pos_embed")) {
                for (int i = 0; i < b.length; i++) {
                    assertEquals(2.0 * pred[i], b[i], 1e-6, name);
                }
            } else if (name.endsWith("pos_embed")) {
                for (int i = 0; i < b.length; i++) {
                    assertEquals(0.25 * enc[i], b[i], 1e-6, name);
                }
            } else if (name.endsWith("patch_embed.proj.weight")) {
                // xavier_uniform on [D, C·p·p] = [192, 3·4·4]: U(±sqrt(6 / (48 + 192))), std bound/sqrt(3)
                double bound = Math.sqrt(6.0 / (48 + 192));
                double max = 0;
                for (float v : b) {
                    max = Math.max(max, Math.abs(v));
                }
                assertTrue(max <= bound && max > 0.98 * bound, name + " max " + max + " bound " + bound);
                double[] ms = meanAndStd(b);
                assertEquals(bound / Math.sqrt(3), ms[1], 0.03 * bound, name + " std");
                assertEquals(0.0, ms[0], 5 * bound / Math.sqrt(3 * b.length), name + " mean");
                // the target encoder is still the encoder's copy
                assertArrayEquals(b, other.get(ParameterNames.TARGET_ENCODER + "patch_embed.proj.weight").data());
            } else {
                assertArrayEquals(a, b, name + " changed under another scheme");
            }
        }
    }

    @Test
    void schemeRefusesUnknownDrawsAndNegativeScales() {
        assertThrows(IllegalArgumentException.class, () -> new InitScheme("he_normal", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new InitScheme(InitScheme.TRUNC_NORMAL, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new InitScheme(InitScheme.TRUNC_NORMAL, 1, Double.NaN));
    }

    private static double[] meanAndStd(float[] x) {
        double s = 0;
        for (float v : x) {
            s += v;
        }
        double mean = s / x.length;
        double q = 0;
        for (float v : x) {
            q += (v - mean) * (v - mean);
        }
        return new double[] {mean, Math.sqrt(q / x.length)};
    }
}
