package org.jepa4j.importer;

import org.jepa4j.train.step.TrainingGraphOptions;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.graph.EncoderGraph;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;
import org.jepa4j.testkit.ImportedFixture;
import org.jepa4j.train.TrainingGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The imported fixture checkpoint run by jepa4j's TensorFlow graphs (float32) reproduces the
 * official outputs within the fixture's tolerance (max abs 1e-5, |loss − loss.txt| ≤ 5e-7).
 */
class TensorFlowParityTest {
    @TempDir
    static Path tmp;
    static OfficialFixture fx;
    static Checkpoint ckpt;
    static float[] images;
    static int batch;

    @BeforeAll
    static void importFixture() throws Exception {
        ImportedFixture imported = ImportedFixture.into(tmp.resolve("run"));
        fx = imported.fixture();
        ckpt = imported.checkpoint();
        images = imported.images();
        batch = imported.batch();
    }

    private static void within(String what, float[] ours, FloatTensor official, double tol) {
        double err = OfficialFixture.maxAbs(ours, official.data());
        System.out.printf(Locale.ROOT, "parity tensorflow %-18s max abs %.3g%n", what, err);
        assertTrue(err <= tol, what + ": max abs " + err + " > " + tol);
    }

    @Test
    void targetEncoderGraphReproducesTargetTokensAndPooled() throws Exception {
        ModelSpec spec = ckpt.modelSpec();
        try (EncoderGraph g = EncoderGraph.create(spec.encoder(), ckpt.part("target_encoder."), 1, 1)) {
            EncoderGraph.EncoderOutputs out = g.forward(images, batch);
            within("target_tokens", out.lastHiddenState(), fx.array("target_tokens"), ImportParityTest.TOL);
            within("target_pooled", out.pooled(), fx.array("target_pooled"), ImportParityTest.TOL);
        }
    }

    @Test
    void contextEncoderGraphReproducesEncoderTokens() throws Exception {
        try (EncoderGraph g = EncoderGraph.create(ckpt.modelSpec().encoder(), ckpt.part("encoder."), 1, 1)) {
            within("encoder_tokens", g.forward(images, batch).lastHiddenState(), fx.array("encoder_tokens"),
                    ImportParityTest.TOL);
        }
    }

    @Test
    void trainingGraphReproducesPredictorOutputAndLoss() throws Exception {
        var spec = ckpt.modelSpec();
        int s = spec.encoder().imageSize();
        MaskBatch masks = new MaskBatch(fx.contextMasks(), fx.targetMasks(), 0);
        Batch b = new Batch(0, images, batch, spec.encoder().channels(), s, s, null, masks);
        try (TrainingGraph g = TrainingGraph.create(spec,
                TrainingGraphOptions.builder().threads(1, 1).build())) {
            g.load(ckpt.tensors());
            within("target_tokens (training graph)", g.targetTokens(images, batch), fx.array("target_tokens"),
                    ImportParityTest.TOL);
            within("predictor_out", g.predictions(b), fx.array("predictor_out"), ImportParityTest.TOL);
            double loss = g.loss(b);
            double err = Math.abs(loss - fx.loss());
            System.out.printf(Locale.ROOT, "parity tensorflow %-18s abs err %.3g (%.9f vs %.9f)%n", "loss", err, loss,
                    fx.loss());
            assertTrue(err <= ImportParityTest.LOSS_TOL, "loss " + loss + " vs " + fx.loss());
        }
    }
}
