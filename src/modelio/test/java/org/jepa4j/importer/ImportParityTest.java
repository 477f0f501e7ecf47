package org.jepa4j.importer;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;
import org.jepa4j.testing.ReferenceForward;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The imported fixture checkpoint, run through the double-precision reference forward,
 * reproduces the official code's outputs within the fixture's tolerance (README: max abs 1e-5
 * per array, |loss − loss.txt| ≤ 5e-7).
 */
class ImportParityTest {
    private static final String ENGINE = "reference-forward";

    @TempDir
    static Path tmp;
    static ImportedFixture imported;
    static OfficialFixture fx;
    static Checkpoint ckpt;

    @BeforeAll
    static void importFixture() throws Exception {
        imported = ImportedFixture.into(tmp.resolve("run"));
        fx = imported.fixture();
        ckpt = imported.checkpoint();
    }

    private static void within(String name, double[] ours) throws java.io.IOException {
        imported.assertWithin(ENGINE, name, name, ours, ImportedFixture.TOL);
    }

    private static double[] flat(double[][][] x) {
        return java.util.Arrays.stream(x).flatMap(java.util.Arrays::stream).flatMapToDouble(java.util.Arrays::stream)
                .toArray();
    }

    @Test
    void importedModelHasTheFixtureSizes() {
        ModelSpec s = ckpt.modelSpec();
        var c = fx.config;
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
        try (OfficialCheckpoint src = OfficialCheckpoint.open(fx.checkpoint(), false)) {
            assertEquals(src.shapes().keySet(), ckpt.tensors().names());
            for (String name : src.shapes().keySet()) {
                FloatTensor t = ckpt.tensors().get(name);
                FloatTensor s = src.load(name);
                assertArrayEquals(s.shape(), t.shape(), name);
                assertArrayEquals(s.data(), t.data(), name);
            }
        }
    }

    @Test
    void targetEncoderTokensPooledAndNormalisedMatchTheOfficialOutputs() throws Exception {
        ReferenceForward ref = new ReferenceForward(ckpt.modelSpec(), ckpt.tensors());
        double[][][] target = ref.encode("target_encoder.", imported.images(), imported.batch(), null);
        within("target_tokens", flat(target));
        double[][] pooled = ReferenceForward.meanPool(target);
        within("target_pooled", java.util.Arrays.stream(pooled).flatMapToDouble(java.util.Arrays::stream).toArray());
        within("target_tokens_ln", flat(ReferenceForward.layerNormNoAffine(target, 1e-5)));
    }

    @Test
    void contextEncoderTokensMatchTheOfficialOutputs() throws Exception {
        ReferenceForward ref = new ReferenceForward(ckpt.modelSpec(), ckpt.tensors());
        within("encoder_tokens", flat(ref.encode("encoder.", imported.images(), imported.batch(), null)));
    }

    @Test
    void predictorOutputAndLossMatchTheOfficialOutputs() throws Exception {
        ReferenceForward ref = new ReferenceForward(ckpt.modelSpec(), ckpt.tensors());
        int[][][] ctx = fx.contextMasks();
        int[][][] tgt = fx.targetMasks();
        double[][][] z = ref.predict(ref.encode("encoder.", imported.images(), imported.batch(), ctx), ctx, tgt);
        within("predictor_out", flat(z));
        imported.assertLossWithin(ENGINE, ref.loss(imported.images(), imported.batch(), ctx, tgt, true));
    }
}
