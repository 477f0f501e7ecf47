package org.jepa4j.importer;

import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;
import org.jepa4j.testkit.ImportedFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The imported fixture checkpoint, exported to ONNX and run by ONNX Runtime on the fixture's
 * (already normalised) images, reproduces the official target tokens and pooled features.
 */
class OnnxParityTest {
    @TempDir
    static Path tmp;
    static OfficialFixture fx;
    static Path model;
    static float[] images;
    static int batch;

    @BeforeAll
    static void importAndExport() throws Exception {
        ImportedFixture imported = ImportedFixture.into(tmp.resolve("run"));
        fx = imported.fixture();
        model = imported.exportTarget(tmp.resolve("target.onnx"));
        images = imported.images();
        batch = imported.batch();
    }

    private static float[] concat(float[][] rows) {
        int n = 0;
        for (float[] r : rows) {
            n += r.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    /** Each fixture image (already normalised, [C, S, S]) through the raw-pixel entry point. */
    private static float[][] perImage(FeatureExtractor fe) {
        int per = images.length / batch;
        float[][] out = new float[batch][];
        for (int b = 0; b < batch; b++) {
            out[b] = fe.embedPixels(java.util.Arrays.copyOfRange(images, b * per, (b + 1) * per));
        }
        return out;
    }

    private static void within(String what, float[] ours, FloatTensor official) {
        double err = OfficialFixture.maxAbs(ours, official.data());
        System.out.printf(Locale.ROOT, "parity onnx-runtime %-18s max abs %.3g%n", what, err);
        assertTrue(err <= ImportParityTest.TOL, what + ": max abs " + err + " > " + ImportParityTest.TOL);
    }

    @Test
    void exportedTargetEncoderReproducesTargetTokens() throws Exception {
        try (FeatureExtractor fe = FeatureExtractor.open(model,
                ExtractorOptions.defaults().withFeature(FeatureKind.LAST_HIDDEN_STATE).withIntraOpThreads(1))) {
            within("target_tokens", concat(perImage(fe)), fx.array("target_tokens"));
        }
    }

    @Test
    void exportedTargetEncoderReproducesPooledFeatures() throws Exception {
        try (FeatureExtractor fe = FeatureExtractor.open(model,
                ExtractorOptions.defaults().withFeature(FeatureKind.POOLED).withIntraOpThreads(1))) {
            within("target_pooled", concat(perImage(fe)), fx.array("target_pooled"));
        }
    }
}
