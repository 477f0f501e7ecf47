package org.jepa4j.mask;

import org.jepa4j.config.MaskConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.jepa4j.mask.MaskAssertions.assertWellFormed;
import static org.jepa4j.mask.MaskAssertions.rectangle;
import static org.jepa4j.mask.MaskAssertions.setOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AblationMaskSamplersTest {

    static MaskConfig strategy(String name) {
        MaskConfig d = MaskConfig.defaults();
        return d.toBuilder().strategy(name).truncation("first").build();
    }

    /** Context and targets of each image are disjoint and together cover the whole image. */
    private static void assertPartition(MaskDraw d, int numPatches) {
        for (int b = 0; b < d.batchSize(); b++) {
            Set<Integer> seen = new HashSet<>();
            int total = 0;
            for (int[][][] kind : List.of(d.context(), d.targets())) {
                for (int[][] m : kind) {
                    seen.addAll(setOf(m[b]));
                    total += m[b].length;
                }
            }
            assertEquals(numPatches, total, "no patch twice");
            assertEquals(numPatches, seen.size(), "every patch once");
        }
    }

    @Test
    void factoryBuildsTheNamedStrategyAndRejectsUnknownOnes() {
        assertInstanceOf(MultiBlockMaskSampler.class, MaskSamplers.create(strategy("multiblock"), 16, 16, 0));
        assertInstanceOf(RandomMaskSampler.class, MaskSamplers.create(strategy("random"), 16, 16, 0));
        assertInstanceOf(BlockMaskSampler.class, MaskSamplers.create(strategy("block"), 16, 16, 0));
        assertInstanceOf(RasterizedMaskSampler.class, MaskSamplers.create(strategy("rasterized"), 16, 16, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MaskSamplers.create(strategy("blocks"), 16, 16, 0));
        assertTrue(e.getMessage().contains("mask.strategy") && e.getMessage().contains("'blocks'")
                && e.getMessage().contains("rasterized"), e.getMessage());
    }

    /** A batch of 8 drawn at {@code step} on the 16x16 grid, checked to split each image and to batch well. */
    private static MaskDraw drawOnSixteenBySixteen(AbstractMaskSampler s, long step) {
        MaskDraw d = s.draw(step, 8);
        assertPartition(d, 256);
        assertWellFormed(d.toBatch(), 256);
        return d;
    }

    @Test
    void randomMaskingSplitsEachImageIntoDisjointContextAndTargetAtTheDrawnRatio() {
        AbstractMaskSampler s = MaskSamplers.create(strategy("random"), 16, 16, 3);
        double ratioSum = 0;
        int batches = 200;
        for (long step = 0; step < batches; step++) {
            MaskDraw d = drawOnSixteenBySixteen(s, step);
            assertEquals(1, d.context().length);
            assertEquals(1, d.targets().length);
            MaskBatch batch = d.toBatch();
            // the reference: r = 0.4 + 0.2·torch.rand (seeded by step); num_keep = int(N·(1 − r))
            double r = 0.4 + 0.2 * new TorchGenerator(step).rand();
            assertEquals((int) (256 * (1 - r)), batch.contextLength());
            assertEquals(256 - batch.contextLength(), batch.targetLength());
            ratioSum += (double) batch.targetLength() / 256;
            assertFalse(Arrays.equals(batch.context()[0][0], batch.context()[0][1]), "per-image permutations");
        }
        assertEquals(0.5, ratioSum / batches, 0.02);
    }

    @Test
    void blockMaskingHasOne12x12TargetAndItsComplementOn16x16() {
        BlockMaskSampler s = (BlockMaskSampler) MaskSamplers.create(strategy("block"), 16, 16, 3);
        // Table 6 Block(0.6): max_keep = int(0.6·256) = 153, h = w = round(sqrt(153)) = 12
        assertEquals(new BlockSize(12, 12), s.block());
        Set<Integer> tops = new HashSet<>();
        for (long step = 0; step < 20; step++) {
            MaskDraw d = drawOnSixteenBySixteen(s, step);
            MaskBatch batch = d.toBatch();
            assertEquals(144, batch.targetLength());
            assertEquals(112, batch.contextLength());
            for (int[] t : d.targets()[0]) {
                int[] rect = rectangle(t, 16);
                assertEquals(12, rect[2]);
                assertEquals(12, rect[3]);
                assertTrue(rect[0] + 12 <= 15 && rect[1] + 12 <= 15, "exclusive bound: last row/col never in the block");
                tops.add(rect[0]);
            }
        }
        assertEquals(Set.of(0, 1, 2, 3), tops, "positions drawn per image over [0, H−h)");
    }

    @Test
    void rasterizedMaskingUsesOneQuadrantAsContextAndTheOtherThreeAsTargets() {
        AbstractMaskSampler s = MaskSamplers.create(strategy("rasterized"), 16, 16, 3);
        int[] contextQuadrant = new int[4];
        for (long step = 0; step < 50; step++) {
            MaskDraw d = drawOnSixteenBySixteen(s, step);
            assertEquals(1, d.context().length);
            assertEquals(3, d.targets().length);
            MaskBatch batch = d.toBatch();
            assertEquals(64, batch.contextLength());
            assertEquals(64, batch.targetLength());
            for (int b = 0; b < 8; b++) {
                int[] rect = rectangle(d.context()[0][b], 16);
                assertEquals(8, rect[2]);
                assertEquals(8, rect[3]);
                assertTrue(rect[0] % 8 == 0 && rect[1] % 8 == 0);
                contextQuadrant[rect[0] / 8 * 2 + rect[1] / 8]++;
                for (int[][] t : d.targets()) {
                    int[] tr = rectangle(t[b], 16);
                    assertArrayEquals(new int[] {8, 8}, new int[] {tr[2], tr[3]});
                }
            }
        }
        for (int q : contextQuadrant) {
            assertTrue(q > 60 && q < 140, "each quadrant drawn about a quarter of 400 times: " + Arrays.toString(contextQuadrant));
        }
    }

    @Test
    void rasterizedOnAnOddGridTruncatesToTheSmallestQuadrant() {
        AbstractMaskSampler s = MaskSamplers.create(strategy("rasterized"), 5, 5, 1);
        MaskDraw d = s.draw(0, 16);
        assertPartition(d, 25);
        MaskBatch batch = d.toBatch();
        assertWellFormed(batch, 25);
        // quadrants 2x2, 2x3, 3x2, 3x3: both kinds cut to 4 patches across the batch
        assertEquals(4, batch.contextLength());
        assertEquals(4, batch.targetLength());
    }

    @Test
    void ablationsRejectGridsTheyCannotSplit() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskSamplers.create(strategy("rasterized"), 1, 4, 0))
                .getMessage().contains("rasterized"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskSamplers.create(strategy("block"), 4, 4, 0))
                .getMessage().contains("mask.min_keep 10"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskSamplers.create(strategy("random"), 1, 2, 0))
                .getMessage().contains("random"));
    }
}
