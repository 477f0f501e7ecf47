package org.jepa4j.mask;

import org.jepa4j.config.MaskConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaskStatisticsTest {

    @Test
    void shippedSettingsReproduceTheReferenceFigures() {
        // docs/reference.md §1.7, measured with the reference collator: 16x16, B = 128, 20 batches:
        // K_pred mean 43.1 (35..54), K_enc mean 72 (42..94), before truncation ≈ 112 = 0.44·N,
        // kept context mean row 4.5. Positions come from another RNG, so means within a tolerance.
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, MaskConfig.defaults(), 0);
        MaskStatistics st = MaskStatistics.measure(s, 0, 20, 128);
        assertTrue(s.possibleTargetSizes().containsAll(st.targetBlocks().keySet()));
        assertEquals(Set.of(new BlockSize(15, 15)), st.contextBlocks().keySet());
        assertEquals(43.1, st.targetLength().mean(), 4.0);
        assertEquals(72, st.contextLength().mean(), 8.0);
        assertEquals(0.44, st.meanContextBeforeTruncation() / 256, 0.03);
        assertEquals(4.5, st.meanKeptContextRow(), 1.0);
        assertTrue(st.meanContextRowBeforeTruncation() > st.meanKeptContextRow() + 1.5, "truncation biases to the top");
        // sizes are the reference's own (same generator): the first steps' target sizes are known
        int total = 0;
        for (int c : st.targetBlocks().values()) {
            total += c;
        }
        assertEquals(20, total);
        for (int i = 0; i < 256; i++) {
            if (i / 16 == 15 || i % 16 == 15) {
                assertEquals(0.0, st.targetCoverage()[i]);
                assertEquals(0.0, st.contextCoverage()[i]);
            }
        }
    }

    @Test
    void benchSettingOn8x8MatchesTheReferenceFigures() {
        // §1.7: 8x8, B = 64, min_keep 4: target blocks 3x3 or 4x3, K_enc mean 12.7 (8..19), K_pred mean 10.7
        MaskConfig d = MaskConfig.defaults();
        MaskConfig bench = MaskConfig.builder().aspectRatio(d.aspectRatio()).encMaskScale(d.encMaskScale())
                .minKeep(4).numEncMasks(1).numPredMasks(4).patchSize(4).predMaskScale(d.predMaskScale()).build();
        MaskStatistics st = MaskStatistics.measure(new MultiBlockMaskSampler(8, 8, bench, 0), 0, 60, 64);
        assertTrue(Set.of(new BlockSize(3, 3), new BlockSize(4, 3)).containsAll(st.targetBlocks().keySet()));
        assertEquals(Set.of(new BlockSize(7, 7)), st.contextBlocks().keySet());
        assertEquals(12.7, st.contextLength().mean(), 2.0);
        assertEquals(10.7, st.targetLength().mean(), 1.0);
    }

    @Test
    void coverageAndLengthsAgreeWithADirectCount() {
        AbstractMaskSampler s = MaskSamplers.create(AblationMaskSamplersTest.strategy("block"), 16, 16, 2);
        MaskStatistics st = MaskStatistics.measure(s, 5, 4, 8);
        assertEquals(4, st.batches());
        assertEquals(112.0, st.contextLength().mean());
        assertEquals(144, st.targetLength().max());
        assertEquals(List.of(new BlockSize(12, 12)), List.copyOf(st.targetBlocks().keySet()));
        double[] target = new double[256];
        double[] context = new double[256];
        for (int i = 0; i < 4; i++) {
            MaskDraw draw = s.draw(5 + i, 8);
            for (int b = 0; b < 8; b++) {
                for (int idx : draw.targets()[0][b]) {
                    target[idx] += 1.0 / 32;
                }
                for (int idx : draw.context()[0][b]) {
                    context[idx] += 1.0 / 32;
                }
            }
        }
        for (int i = 0; i < 256; i++) {
            assertEquals(target[i], st.targetCoverage()[i], 1e-12);
            assertEquals(context[i], st.contextCoverage()[i], 1e-12);
            assertEquals(1.0, st.targetCoverage()[i] + st.contextCoverage()[i], 1e-12, "block: complement");
        }
    }
}
