package org.jepa4j.importer;

import org.jepa4j.train.step.TrainingGraphOptions;
import org.jepa4j.graph.EncoderGraph;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.train.TrainingGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The imported fixture checkpoint run by jepa4j's TensorFlow graphs (float32) reproduces the
 * official outputs within the fixture's tolerance (max abs 1e-5, |loss − loss.txt| ≤ 5e-7).
 */
class TensorFlowParityTest {
    @RegisterExtension
    static final ImportedFixture.PerClass FIXTURE = new ImportedFixture.PerClass();

    private static void within(String what, String name, float[] ours) throws java.io.IOException {
        FIXTURE.get().assertWithin("tensorflow", what, name, ours, ImportedFixture.TOL);
    }

    @Test
    void targetEncoderGraphReproducesTargetTokensAndPooled() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        ModelSpec spec = imported.checkpoint().modelSpec();
        try (EncoderGraph g = EncoderGraph.create(spec.encoder(), imported.checkpoint().part("target_encoder."), 1, 1)) {
            EncoderGraph.EncoderOutputs out = g.forward(imported.images(), imported.batch());
            within("target_tokens", "target_tokens", out.lastHiddenState());
            within("target_pooled", "target_pooled", out.pooled());
        }
    }

    @Test
    void contextEncoderGraphReproducesEncoderTokens() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        try (EncoderGraph g = EncoderGraph.create(imported.checkpoint().modelSpec().encoder(),
                imported.checkpoint().part("encoder."), 1, 1)) {
            within("encoder_tokens", "encoder_tokens", g.forward(imported.images(), imported.batch()).lastHiddenState());
        }
    }

    @Test
    void trainingGraphReproducesPredictorOutputAndLoss() throws Exception {
        ImportedFixture imported = FIXTURE.get();
        var spec = imported.checkpoint().modelSpec();
        int s = spec.encoder().imageSize();
        MaskBatch masks = new MaskBatch(imported.fixture().contextMasks(), imported.fixture().targetMasks(), 0);
        Batch b = new Batch(0, imported.images(), imported.batch(), spec.encoder().channels(), s, s, null, masks);
        try (TrainingGraph g = TrainingGraph.create(spec,
                TrainingGraphOptions.builder().threads(1, 1).build())) {
            g.load(imported.checkpoint().tensors());
            within("target_tokens (training graph)", "target_tokens", g.targetTokens(imported.images(), imported.batch()));
            within("predictor_out", "predictor_out", g.predictions(b));
            imported.assertLossWithin("tensorflow", g.loss(b));
        }
    }
}
