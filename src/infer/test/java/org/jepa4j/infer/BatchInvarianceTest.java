package org.jepa4j.infer;

import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every feature of an image is a function of that image alone: bit-identical in any batch and lane,
 * for float32 and int8 exports.
 */
class BatchInvarianceTest {
    /** 16 px, patch 4: a 4x4 token grid (pooled_grid), depth 2 (pooled_last4 over both blocks). */
    static final EncoderSpec SPEC = new EncoderSpec(16, 4, 3, 32, 2, 2, 128);
    static final int MAX_BATCH = 33;
    static final Set<FeatureKind> ALL = EnumSet.allOf(FeatureKind.class);

    @TempDir
    static Path dir;
    static Path checkpoint;
    static float[] pixels;
    static int length;

    @BeforeAll
    static void export() throws Exception {
        checkpoint = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), SPEC, 7);
        length = SPEC.channels() * SPEC.imageSize() * SPEC.imageSize();
        pixels = TestModels.randomPixels(SPEC, MAX_BATCH, 11);
    }

    /** The float32 export and the int8 exports with either activation scale (never one scale per batch). */
    static Stream<OnnxExporter.Options> exports() {
        OnnxExporter.Options d = OnnxExporter.Options.defaults();
        return Stream.of(d, d.withPrecision("int8").withInt8Scale("token"), d.withPrecision("int8").withInt8Scale("image"));
    }

    /** Images {@code order[0], order[1], ...} of {@link #pixels}, stacked. */
    static float[] stack(int[] order) {
        float[] out = new float[order.length * length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(pixels, order[i] * length, out, i * length, length);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("exports")
    void everyFeatureIsBitIdenticalAloneAtEveryPositionOfEveryBatchAndLaneCount(OnnxExporter.Options export)
            throws Exception {
        Path model = dir.resolve("encoder-" + export.precision() + "-" + export.int8Scale() + ".onnx");
        OnnxExporter.export(checkpoint, model, export);
        Map<FeatureKind, float[][]> alone = new java.util.EnumMap<>(FeatureKind.class);
        try (FeatureExtractor fx = FeatureExtractor.open(model)) {
            for (FeatureKind k : ALL) {
                alone.put(k, new float[MAX_BATCH][]);
            }
            for (int img = 0; img < MAX_BATCH; img++) {
                Map<FeatureKind, float[][]> one = fx.embedStacked(stack(new int[] {img}), 1, ALL);
                for (FeatureKind k : ALL) {
                    alone.get(k)[img] = one.get(k)[0];
                }
            }
        }
        for (int lanes = 1; lanes <= 3; lanes++) {
            try (FeatureExtractor fx = FeatureExtractor.open(model, ExtractorOptions.defaults().withLanes(lanes))) {
                for (int b = 1; b <= MAX_BATCH; b++) {
                    // image 0 at position b-1 of batch b, every other image somewhere else
                    int[] order = new int[b];
                    for (int i = 0; i < b; i++) {
                        order[i] = (i + 1) % b;
                    }
                    Map<FeatureKind, float[][]> batch = fx.embedStacked(stack(order), b, ALL);
                    for (FeatureKind k : ALL) {
                        for (int i = 0; i < b; i++) {
                            assertArrayEquals(alone.get(k)[order[i]], batch.get(k)[i], 0f, k + ": image " + order[i]
                                    + " at position " + i + " of a batch of " + b + " with " + lanes + " lanes");
                        }
                    }
                }
                // one feature at a time, as embed and eval ask, gives the same bits as all at once
                for (FeatureKind k : ALL) {
                    try (FeatureExtractor single = FeatureExtractor.open(model,
                            ExtractorOptions.defaults().withLanes(lanes).withFeature(k))) {
                        assertArrayEquals(alone.get(k)[5], single.embedPixels(stack(new int[] {5})), 0f, k + " alone");
                        assertArrayEquals(alone.get(k)[5], single.embedStacked(stack(new int[] {3, 5, 1}), 3)[1], 0f,
                                k + " in a batch of 3");
                    }
                }
            }
        }
        // the property is not vacuous: the images' features differ
        assertFalse(java.util.Arrays.equals(alone.get(FeatureKind.POOLED)[0], alone.get(FeatureKind.POOLED)[1]));
    }
}
