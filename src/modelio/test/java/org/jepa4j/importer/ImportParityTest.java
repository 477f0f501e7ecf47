package org.jepa4j.importer;

import org.jepa4j.model.ModelSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The imported fixture checkpoint, run through the double-precision reference forward,
 * reproduces the official code's outputs within the fixture's tolerance (README: max abs 1e-5
 * per array, |loss − loss.txt| ≤ 5e-7).
 */
class ImportParityTest {
    private static final String ENGINE = "reference-forward";

    @RegisterExtension
    static final ImportedFixture.PerClass FIXTURE = new ImportedFixture.PerClass();

    private static void within(String name, double[] ours) throws java.io.IOException {
        FIXTURE.get().assertWithin(ENGINE, name, name, ours, ImportedFixture.TOL);
    }

    private static double[] flat(double[][][] x) {
        return java.util.Arrays.stream(x).flatMap(java.util.Arrays::stream).flatMapToDouble(java.util.Arrays::stream)
                .toArray();
    }

    @Test
    void importedModelHasTheFixtureSizes() {
        ImportedFixture imported = FIXTURE.get();
        ModelSpec s = imported.checkpoint().modelSpec();
        var c = imported.fixture().config;
        assertEquals(c.path("img_size").asInt(), s.encoder().imageSize());
        assertEquals(c.path("patch_size").asInt(), s.encoder().patchSize());
        assertEquals(c.path("in_chans").asInt(), s.encoder().channels());
        assertEquals(c.path("encoder").path("embed_dim").asInt(), s.encoder().width());
        assertEquals(c.path("encoder").path("depth").asInt(), s.encoder().depth());
        assertEquals(c.path("encoder").path("num_heads").asInt(), s.encoder().heads());
        assertEquals(c.path("encoder").path("mlp_ratio").asInt() * s.encoder().width(), s.encoder().mlpHidden());
        assertEquals(c.path("predictor").path("pred_emb_dim").asInt(), s.predictor().width());
        assertEquals(c.path("predictor").path("pred_depth").asInt(), s.predictor().depth());
        assertEquals(c.path("predictor").path("num_heads").asInt(), s.predictor().heads());
    }

    @Test
    void importedTensorsEqualTheTorchTensorsBitForBit() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        try (OfficialCheckpoint src = OfficialCheckpoint.open(imported.fixture().checkpoint(), false)) {
            assertEquals(src.shapes().keySet(), imported.checkpoint().tensors().names());
            for (String name : src.shapes().keySet()) {
                FloatTensor t = imported.checkpoint().tensors().get(name);
                FloatTensor s = src.load(name);
                assertArrayEquals(s.shape(), t.shape(), name);
                assertArrayEquals(s.data(), t.data(), name);
            }
        }
    }

    @Test
    void targetEncoderTokensPooledAndNormalisedMatchTheOfficialOutputs() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        ReferenceForward ref = new ReferenceForward(imported.checkpoint().modelSpec(), imported.checkpoint().tensors());
        double[][][] target = ref.encode("target_encoder.", imported.images(), imported.batch(), null);
        within("target_tokens", flat(target));
        double[][] pooled = ReferenceForward.meanPool(target);
        within("target_pooled", java.util.Arrays.stream(pooled).flatMapToDouble(java.util.Arrays::stream).toArray());
        within("target_tokens_ln", flat(ReferenceForward.layerNormNoAffine(target, 1e-5)));
    }

    @Test
    void contextEncoderTokensMatchTheOfficialOutputs() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        ReferenceForward ref = new ReferenceForward(imported.checkpoint().modelSpec(), imported.checkpoint().tensors());
        within("encoder_tokens", flat(ref.encode("encoder.", imported.images(), imported.batch(), null)));
    }

    @Test
    void predictorOutputAndLossMatchTheOfficialOutputs() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        ReferenceForward ref = new ReferenceForward(imported.checkpoint().modelSpec(), imported.checkpoint().tensors());
        int[][][] ctx = imported.fixture().contextMasks();
        int[][][] tgt = imported.fixture().targetMasks();
        double[][][] z = ref.predict(ref.encode("encoder.", imported.images(), imported.batch(), ctx), ctx, tgt);
        within("predictor_out", flat(z));
        imported.assertLossWithin(ENGINE, ref.loss(imported.images(), imported.batch(), ctx, tgt, true));
    }
}
