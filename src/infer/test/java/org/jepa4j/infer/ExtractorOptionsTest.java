package org.jepa4j.infer;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.Preprocessing;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One builder makes every option; the deprecated withers still give the same options. */
class ExtractorOptionsTest {
    private static final Preprocessing PRE = new Preprocessing(16, 16, 1, new double[] {0.5}, new double[] {0.25});

    @Test
    void theBuilderSetsEachOptionAndKeepsTheDocumentedDefaults() {
        assertEquals(new ExtractorOptions(FeatureKind.POOLED, ExecutionProvider.CPU, 0, 0, false,
                ExtractorOptions.Optimization.ALL, null, 1, BoundedImageDecoder.DEFAULT_MAX_PIXELS), ExtractorOptions.defaults());
        ExtractorOptions o = ExtractorOptions.builder().feature(FeatureKind.LAST_HIDDEN_STATE)
                .provider(ExecutionProvider.CUDA).deviceId(1).intraOpThreads(3).spinning(true)
                .optimization(ExtractorOptions.Optimization.BASIC).preprocessing(PRE).lanes(2).maxPixels(1000).build();
        assertEquals(new ExtractorOptions(FeatureKind.LAST_HIDDEN_STATE, ExecutionProvider.CUDA, 1, 3, true,
                ExtractorOptions.Optimization.BASIC, PRE, 2, 1000), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(ExtractorOptions.defaults().toBuilder().lanes(4).build().lanes(), 4);
    }

    @Test
    @SuppressWarnings("deprecation")
    void deprecatedWithersGiveWhatTheBuilderGives() {
        ExtractorOptions d = ExtractorOptions.defaults();
        assertEquals(d.toBuilder().feature(FeatureKind.POOLED_GRID).build(), d.withFeature(FeatureKind.POOLED_GRID));
        assertEquals(d.toBuilder().provider(ExecutionProvider.CUDA).build(), d.withProvider(ExecutionProvider.CUDA));
        assertEquals(d.toBuilder().deviceId(2).build(), d.withDeviceId(2));
        assertEquals(d.toBuilder().intraOpThreads(5).build(), d.withIntraOpThreads(5));
        assertEquals(d.toBuilder().spinning(true).build(), d.withSpinning(true));
        assertEquals(d.toBuilder().optimization(ExtractorOptions.Optimization.NONE).build(),
                d.withOptimization(ExtractorOptions.Optimization.NONE));
        assertEquals(d.toBuilder().preprocessing(PRE).build(), d.withPreprocessing(PRE));
        assertEquals(d.toBuilder().lanes(3).build(), d.withLanes(3));
        assertEquals(d.toBuilder().maxPixels(77).build(), d.withMaxPixels(77));
        assertEquals(3, d.withLanes(3).withMaxPixels(77).lanes(), "a wither keeps the other options");
    }

    @Test
    void buildNamesTheSettingThatIsOutOfRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> ExtractorOptions.builder().lanes(0).build());
        assertTrue(e.getMessage().contains("lanes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExtractorOptions.builder().maxPixels(0).build());
        assertTrue(e.getMessage().contains("maxPixels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExtractorOptions.builder().intraOpThreads(-1).build());
        assertTrue(e.getMessage().contains("intraOpThreads"), e.getMessage());
    }
}
