package org.jepa4j.importer;

import org.jepa4j.export.Agreement;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official-tiny fixture, imported and exported with {@code --precision int8}: run unchanged by
 * {@link FeatureExtractor}, which reports the precision, with every image's features within the
 * stated tolerance of the official PyTorch (float32) outputs.
 *
 * <p>Tolerance: per image, cosine at least 0.9999 and relative L2 error at most 1 % (a quantized
 * activation is off by at most 1/254 of its token's largest value, a weight by 1/126 of its
 * channel's largest: about 1.2 % per matrix product at worst, much less as independent roundings
 * average out; measured 0.28 % and cosine 0.999996 at worst, AMD EPYC, 2026-12-07).
 */
class Int8OfficialParityTest {
    static final double MIN_COSINE = 0.9999;
    static final double MAX_RELATIVE_L2 = 1e-2;

    @RegisterExtension
    static final ImportedFixture.PerClass FIXTURE =
            ImportedFixture.PerClass.exported(OnnxExporter.Options.defaults().withPrecision("int8"));

    @Test
    void int8FeaturesOfEveryImageStayWithinTheToleranceOfTheOfficialOutputs() throws Exception {
        check(FeatureKind.LAST_HIDDEN_STATE, FIXTURE.get().array("target_tokens"));
        check(FeatureKind.POOLED, FIXTURE.get().array("target_pooled"));
    }

    @Test
    void theExtractorReportsTheInt8Precision() throws Exception {
        try (FeatureExtractor fe = FeatureExtractor.open(FIXTURE.model())) {
            assertEquals("int8", fe.info().precision());
            assertEquals("token", fe.info().metadata().get("jepa4j.int8_activation_scale"));
        }
    }

    private static void check(FeatureKind kind, FloatTensor official) throws java.io.IOException {
        try (FeatureExtractor fe = FeatureExtractor.open(FIXTURE.model(),
                ExtractorOptions.defaults().withFeature(kind).withIntraOpThreads(1))) {
            int batch = FIXTURE.get().batch();
            int out = official.data().length / batch;
            double worstCos = 1;
            double worstRel = 0;
            for (int b = 0; b < batch; b++) {
                float[] ours = fe.embedPixels(FIXTURE.get().image(b));
                float[] ref = Arrays.copyOfRange(official.data(), b * out, (b + 1) * out);
                assertEquals(ref.length, ours.length, kind + " length");
                Agreement a = Agreement.of(ref, ours);
                worstCos = Math.min(worstCos, a.cosine());
                worstRel = Math.max(worstRel, a.relativeL2());
            }
            System.out.printf(Locale.ROOT, "int8 vs official %-18s worst image: cosine %.7f, relative L2 %.3g%n",
                    kind.outputName(), worstCos, worstRel);
            assertTrue(worstCos >= MIN_COSINE, kind + ": cosine " + worstCos);
            assertTrue(worstRel <= MAX_RELATIVE_L2, kind + ": relative L2 " + worstRel);
        }
    }
}
