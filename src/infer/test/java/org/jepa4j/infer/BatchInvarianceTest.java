package org.jepa4j.infer;

import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Every feature of an image is a function of that image alone: bit-identical in any batch and lane. */
class BatchInvarianceTest {
    /** 16 px, patch 4: a 4x4 token grid (pooled_grid), depth 2 (pooled_last4 over both blocks). */
    static final EncoderSpec SPEC = TinyEncoders.RGB;
    static final int MAX_BATCH = 33;
    static final Set<FeatureKind> ALL = EnumSet.allOf(FeatureKind.class);

    @TempDir
    static Path dir;
    static Path model;
    static float[] pixels;
    static int length;

    @BeforeAll
    static void export() throws Exception {
        model = ExportedEncoders.export(dir, SPEC, 7).model();
        length = SPEC.channels() * SPEC.imageSize() * SPEC.imageSize();
        pixels = TestModels.randomPixels(SPEC, MAX_BATCH, 11);
    }

    /** Images {@code order[0], order[1], ...} of {@link #pixels}, stacked. */
    static float[] stack(int[] order) {
        float[] out = new float[order.length * length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(pixels, order[i] * length, out, i * length, length);
        }
        return out;
    }

    @Test
    void everyFeatureIsBitIdenticalAloneAtEveryPositionOfEveryBatchAndLaneCount() throws Exception {
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
