package org.jepa4j.importer;

import org.jepa4j.train.step.TrainingGraphOptions;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.graph.EncoderGraph;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.train.TrainingGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The imported fixture checkpoint run by jepa4j's TensorFlow graphs (float32) reproduces the
 * official outputs within the fixture's tolerance (max abs 1e-5, |loss − loss.txt| ≤ 5e-7).
 */
class TensorFlowParityTest {
    @TempDir
    static Path tmp;
    static ImportedFixture imported;
    static Checkpoint ckpt;
    static float[] images;
    static int batch;

    @BeforeAll
    static void importFixture() throws Exception {
        imported = ImportedFixture.into(tmp.resolve("run"));
        ckpt = imported.checkpoint();
        images = imported.images();
        batch = imported.batch();
    }

    private static void within(String what, String name, float[] ours) throws java.io.IOException {
        imported.assertWithin("tensorflow", what, name, ours, ImportedFixture.TOL);
    }

    @Test
    void targetEncoderGraphReproducesTargetTokensAndPooled() throws Exception {
        ModelSpec spec = ckpt.modelSpec();
        try (EncoderGraph g = EncoderGraph.create(spec.encoder(), ckpt.part("target_encoder."), 1, 1)) {
            EncoderGraph.EncoderOutputs out = g.forward(images, batch);
            within("target_tokens", "target_tokens", out.lastHiddenState());
            within("target_pooled", "target_pooled", out.pooled());
        }
    }

    @Test
    void contextEncoderGraphReproducesEncoderTokens() throws Exception {
        try (EncoderGraph g = EncoderGraph.create(ckpt.modelSpec().encoder(), ckpt.part("encoder."), 1, 1)) {
            within("encoder_tokens", "encoder_tokens", g.forward(images, batch).lastHiddenState());
        }
    }

    @Test
    void trainingGraphReproducesPredictorOutputAndLoss() throws Exception {
        var spec = ckpt.modelSpec();
        int s = spec.encoder().imageSize();
        MaskBatch masks = new MaskBatch(imported.fixture().contextMasks(), imported.fixture().targetMasks(), 0);
        Batch b = new Batch(0, images, batch, spec.encoder().channels(), s, s, null, masks);
        try (TrainingGraph g = TrainingGraph.create(spec,
                TrainingGraphOptions.builder().threads(1, 1).build())) {
            g.load(ckpt.tensors());
            within("target_tokens (training graph)", "target_tokens", g.targetTokens(images, batch));
            within("predictor_out", "predictor_out", g.predictions(b));
            imported.assertLossWithin("tensorflow", g.loss(b));
        }
    }
}
