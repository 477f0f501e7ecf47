package org.jepa4j.mask;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MaskConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TruncationTest {

    /** The Fashion-MNIST grid (28 px / patch 4) with the reference's mask settings and min_keep 4. */
    static MaskConfig grid7(String truncation) {
        MaskConfig d = MaskConfig.defaults();
        return MaskConfig.builder().aspectRatio(d.aspectRatio()).encMaskScale(d.encMaskScale()).minKeep(4)
                .numEncMasks(1).numPredMasks(4).patchSize(4).predMaskScale(d.predMaskScale()).truncation(truncation)
                .build();
    }

    @Test
    void firstKeepsTheLowestIndicesAsTheReference() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(7, 7, grid7("first"), 3);
        MaskDraw draw = s.draw(11, 16);
        MaskBatch batch = s.truncate(draw);
        int k = batch.contextLength();
        for (int b = 0; b < 16; b++) {
            assertArrayEquals(Arrays.copyOf(draw.context()[0][b], k), batch.context()[0][b]);
        }
        assertEquals(draw.toBatch().contextLength(), k);
    }

    @Test
    void randomKeepsASortedSubsetOfTheSameLengthThatIsReproducible() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(7, 7, grid7("random"), 3);
        MaskDraw draw = s.draw(11, 16);
        MaskBatch batch = s.truncate(draw);
        assertEquals(MaskDraw.minLength(draw.context()), batch.contextLength());
        assertEquals(MaskDraw.minLength(draw.targets()), batch.targetLength());
        boolean differsFromFirst = false;
        for (int b = 0; b < 16; b++) {
            int[] full = draw.context()[0][b];
            int[] kept = batch.context()[0][b];
            for (int i = 0; i < kept.length; i++) {
                assertTrue(Arrays.binarySearch(full, kept[i]) >= 0, "kept index is in the full list");
                if (i > 0) {
                    assertTrue(kept[i - 1] < kept[i], "sorted and without repeats");
                }
            }
            differsFromFirst |= !Arrays.equals(kept, Arrays.copyOf(full, kept.length));
        }
        assertTrue(differsFromFirst);
        // a pure function of (seed, step): the training loader and a resumed run see the same lists
        MaskBatch again = new MultiBlockMaskSampler(7, 7, grid7("random"), 3).sampleAt(11, 16);
        assertTrue(Arrays.deepEquals(batch.context(), again.context()));
        assertTrue(Arrays.deepEquals(batch.targets(), again.targets()));
        MaskBatch otherSeed = new MultiBlockMaskSampler(7, 7, grid7("random"), 4).sampleAt(11, 16);
        assertFalse(Arrays.deepEquals(batch.context(), otherSeed.context()));
    }

    @Test
    void randomRemovesTheReferencesTopRowBias() {
        // 7x7 grid, B = 128: the reference keeps the top of the context block (mean row ~1.2 of a
        // block centred on row ~2.5); a uniform subset keeps the block's mean row
        MaskStatistics first = MaskStatistics.measure(new MultiBlockMaskSampler(7, 7, grid7("first"), 0), 0, 20, 128);
        MaskStatistics random = MaskStatistics.measure(new MultiBlockMaskSampler(7, 7, grid7("random"), 0), 0, 20, 128);
        assertTrue(first.meanKeptContextRow() < first.meanContextRowBeforeTruncation() - 1.0);
        assertEquals(random.meanContextRowBeforeTruncation(), random.meanKeptContextRow(), 0.1);
        // same blocks, same lengths: only which tokens survive changes
        assertEquals(first.contextLength().mean(), random.contextLength().mean(), 1e-12);
        assertEquals(first.targetLength().mean(), random.targetLength().mean(), 1e-12);
    }

    @Test
    void everyStrategyHonoursTheMode() {
        for (String strategy : ConfigKeys.MASK_STRATEGIES) {
            MaskConfig c = grid7("random");
            MaskConfig withStrategy = c.toBuilder().strategy(strategy).truncation("random").build();
            assertEquals(Truncation.RANDOM, MaskSamplers.create(withStrategy, 8, 8, 0).truncation(), strategy);
        }
    }

    @Test
    void unknownModeIsRejectedWithTheKeyAndTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Truncation.fromConfig("last"));
        assertTrue(e.getMessage().contains("mask.truncation"));
        assertTrue(e.getMessage().contains("'last'"));
        assertTrue(e.getMessage().contains("first, random"));
    }
}
