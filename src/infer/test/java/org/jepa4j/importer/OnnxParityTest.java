package org.jepa4j.importer;

import org.jepa4j.export.OnnxExporter;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;


/**
 * The imported fixture checkpoint, exported to ONNX and run by ONNX Runtime on the fixture's
 * (already normalised) images, reproduces the official target tokens and pooled features.
 */
class OnnxParityTest {
    @RegisterExtension
    static final ImportedFixture.PerClass FIXTURE = ImportedFixture.PerClass.exported(OnnxExporter.Options.defaults());

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
        float[][] out = new float[FIXTURE.get().batch()][];
        for (int b = 0; b < out.length; b++) {
            out[b] = fe.embedPixels(FIXTURE.get().image(b));
        }
        return out;
    }

    private static void within(String name, float[] ours) throws java.io.IOException {
        FIXTURE.get().assertWithin("onnx-runtime", name, name, ours, ImportedFixture.TOL);
    }

    @Test
    void exportedTargetEncoderReproducesTargetTokens() throws Exception {
        try (FeatureExtractor fe = FeatureExtractor.open(FIXTURE.model(),
                ExtractorOptions.defaults().withFeature(FeatureKind.LAST_HIDDEN_STATE).withIntraOpThreads(1))) {
            within("target_tokens", concat(perImage(fe)));
        }
    }

    @Test
    void exportedTargetEncoderReproducesPooledFeatures() throws Exception {
        try (FeatureExtractor fe = FeatureExtractor.open(FIXTURE.model(),
                ExtractorOptions.defaults().withFeature(FeatureKind.POOLED).withIntraOpThreads(1))) {
            within("target_pooled", concat(perImage(fe)));
        }
    }
}
