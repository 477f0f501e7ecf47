package org.jepa4j.mask;

import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.Range;
import org.jepa4j.tensor.Npy;
import org.jepa4j.testing.OfficialFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.jepa4j.mask.MaskAssertions.assertWellFormed;
import static org.jepa4j.mask.MaskAssertions.rectangle;
import static org.jepa4j.mask.MaskAssertions.setOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiBlockMaskSamplerTest {

    private static final MaskConfig SHIPPED = MaskConfig.defaults();
    /** The bench setting of docs/reference.md §1.7 / §12: 8x8 grid, min_keep 4. */
    private static final MaskConfig BENCH = with(SHIPPED, 4, false, false);

    static MaskConfig with(MaskConfig c, int minKeep, boolean allowOverlap, boolean coverEdges) {
        return c.toBuilder().allowOverlap(allowOverlap).minKeep(minKeep).coverEdges(coverEdges).truncation("first")
                .build();
    }

    static MaskConfig scales(Range pred, Range aspect, Range enc, int npred, int minKeep) {
        return MaskConfig.builder().aspectRatio(aspect).encMaskScale(enc).minKeep(minKeep).numEncMasks(1)
                .numPredMasks(npred).patchSize(4).predMaskScale(pred).build();
    }

    /** Brute force over every float32 uniform torch can draw. */
    private static SortedSet<BlockSize> bruteForce(int h, int w, Range scale, Range aspect) {
        TreeSet<BlockSize> out = new TreeSet<>();
        BlockSize previous = null;
        for (int k = 0; k < (1 << 24); k++) {
            BlockSize s = MultiBlockMaskSampler.blockSize(h, w, scale, aspect, k * 0x1.0p-24);
            if (!s.equals(previous)) {
                out.add(s);
                previous = s;
            }
        }
        return out;
    }

    @Test
    void possibleBlockSizesEqualsBruteForceOverAllTorchUniforms() {
        assertEquals(bruteForce(16, 16, SHIPPED.predMaskScale(), SHIPPED.aspectRatio()),
                MultiBlockMaskSampler.possibleBlockSizes(16, 16, SHIPPED.predMaskScale(), SHIPPED.aspectRatio()));
        // the reference class defaults on a 14x14 grid: wide scale and aspect ranges, many breaks
        Range scale = Range.of(0.2, 0.8);
        Range aspect = Range.of(0.3, 3.0);
        assertEquals(bruteForce(14, 14, scale, aspect), MultiBlockMaskSampler.possibleBlockSizes(14, 14, scale, aspect));
    }

    @Test
    void shippedSettingsOn16x16DrawTheSixTargetSizesAndA15x15ContextAtTheOrigin() {
        SortedSet<BlockSize> expected = new TreeSet<>(List.of(new BlockSize(5, 7), new BlockSize(6, 6),
                new BlockSize(6, 7), new BlockSize(7, 6), new BlockSize(8, 6), new BlockSize(9, 6)));
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, SHIPPED, 0);
        assertEquals(expected, s.possibleTargetSizes());
        assertEquals(Set.of(new BlockSize(15, 15)), s.possibleContextSizes());
        for (long step = 0; step < 30; step++) {
            MaskDraw d = s.draw(step, 16);
            assertEquals(List.of(new BlockSize(15, 15)), d.contextBlocks());
            assertEquals(0, d.relaxations());
            for (int b = 0; b < 16; b++) {
                // context = the 15x15 block at (0,0) minus this image's targets, exactly
                Set<Integer> expectedContext = new TreeSet<>();
                for (int r = 0; r < 15; r++) {
                    for (int c = 0; c < 15; c++) {
                        expectedContext.add(r * 16 + c);
                    }
                }
                for (int[][] t : d.targets()) {
                    expectedContext.removeAll(setOf(t[b]));
                }
                assertEquals(expectedContext, setOf(d.context()[0][b]));
            }
        }
    }

    @Test
    void drawnSizesFollowTheReferenceFormulaForTheStepsUniform() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, SHIPPED, 7);
        for (long step = 0; step < 200; step++) {
            // the reference: g.manual_seed(step); target u first, then context u
            TorchGenerator g = new TorchGenerator(step);
            double u = g.rand();
            MaskDraw d = s.draw(step, 2);
            BlockSize p = d.targetBlocks().get(0);
            assertTrue(s.possibleTargetSizes().contains(p));
            // independent bounds from the definition: h·w ≈ floor(N·s(u)), h/w ≈ ar(u), each side rounded
            double scale = SHIPPED.predMaskScale().lerp(u);
            double ar = SHIPPED.aspectRatio().lerp(u);
            int maxKeep = (int) Math.floor(256 * scale);
            assertTrue((p.height() - 0.5) * (p.width() - 0.5) <= maxKeep, p + " vs max_keep " + maxKeep);
            assertTrue((p.height() + 0.5) * (p.width() + 0.5) >= maxKeep, p + " vs max_keep " + maxKeep);
            assertTrue((p.height() - 0.5) / (p.width() + 0.5) <= ar && (p.height() + 0.5) / (p.width() - 0.5) >= ar,
                    p + " vs aspect " + ar);
            assertTrue(maxKeep >= 0.15 * 256 - 1 && maxKeep <= 0.2 * 256, "scale in range");
            // the masks really are blocks of that size
            for (int[][] t : d.targets()) {
                for (int[] idx : t) {
                    int[] rect = rectangle(idx, 16);
                    assertEquals(p.height(), rect[2]);
                    assertEquals(p.width(), rect[3]);
                }
            }
        }
    }

    @Test
    void stepZeroSizesMatchTheOfficialFixture() throws IOException {
        Path dir = OfficialFixture.load().dir;
        // the fixture's masks come from a fresh reference collator (size seed 0) on an 8x8 grid
        Npy.Array pred = Npy.read(dir.resolve("masks_pred.npy"));
        long[] all = pred.toLongs();
        int npred = (int) pred.shape()[0];
        int images = (int) pred.shape()[1];
        int kt = (int) pred.shape()[2];
        MaskDraw d = new MultiBlockMaskSampler(8, 8, BENCH, 0).draw(0, images);
        BlockSize p = d.targetBlocks().get(0);
        for (int m = 0; m < npred; m++) {
            for (int b = 0; b < images; b++) {
                int[] idx = new int[kt];
                for (int i = 0; i < kt; i++) {
                    idx[i] = (int) all[(m * images + b) * kt + i];
                }
                int[] rect = rectangle(idx, 8);
                assertEquals(p, new BlockSize(rect[2], rect[3]), "fixture block " + m + "/" + b);
            }
        }
        assertEquals(List.of(new BlockSize(7, 7)), d.contextBlocks());
        // the fixture's context lies in the 7x7 block at (0,0) and avoids that image's targets
        Npy.Array enc = Npy.read(dir.resolve("masks_enc.npy"));
        long[] ctx = enc.toLongs();
        int kc = (int) enc.shape()[1];
        for (int b = 0; b < images; b++) {
            for (int i = 0; i < kc; i++) {
                int idx = (int) ctx[b * kc + i];
                assertTrue(idx / 8 < 7 && idx % 8 < 7);
                for (int m = 0; m < npred; m++) {
                    for (int j = 0; j < kt; j++) {
                        assertNotEquals(all[(m * images + b) * kt + j], idx);
                    }
                }
            }
        }
    }

    @Test
    void contextNeverOverlapsTargets() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(8, 8, BENCH, 3);
        for (long step = 0; step < 50; step++) {
            MaskDraw d = s.draw(step, 32);
            if (d.relaxations() > 0) {
                continue;   // relaxation re-admits overlap on purpose (tested below)
            }
            for (int b = 0; b < 32; b++) {
                Set<Integer> ctx = setOf(d.context()[0][b]);
                for (int[][] t : d.targets()) {
                    for (int idx : t[b]) {
                        int bb = b;
                        long st = step;
                        assertFalse(ctx.contains(idx), () -> "step " + st + " image " + bb + " patch " + idx);
                    }
                }
            }
        }
    }

    @Test
    void allowOverlapKeepsTheWholeContextBlock() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, with(SHIPPED, 10, true, false), 3);
        MaskDraw d = s.draw(5, 8);
        for (int b = 0; b < 8; b++) {
            int[] rect = rectangle(d.context()[0][b], 16);
            assertArrayEquals(new int[] {0, 0, 15, 15}, rect);
        }
    }

    @Test
    void relaxationReadmitsTargetsWhenTheContextWouldBeTooSmall() {
        // 6x6 targets on an 8x8 grid cover any 4x4 context block almost always: the §1.4 fallback
        MaskConfig c = scales(Range.of(0.5, 0.5), Range.of(1, 1), Range.of(0.3, 0.3), 4, 4);
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(8, 8, c, 1);
        MaskDraw d = s.draw(0, 16);
        assertEquals(List.of(new BlockSize(6, 6)), d.targetBlocks());
        assertEquals(List.of(new BlockSize(4, 4)), d.contextBlocks());
        assertTrue(d.relaxations() > 0);
        boolean overlapSeen = false;
        for (int b = 0; b < 16; b++) {
            int[] ctx = d.context()[0][b];
            assertTrue(ctx.length > 4, "context keeps more than min_keep");
            // §1.4: context = some 4x4 block minus the first (npred − tries) targets, tries >= 0
            Set<Integer> cs = setOf(ctx);
            boolean explained = false;
            for (int tries = 0; tries <= 4 && !explained; tries++) {
                for (int top = 0; top < 4 && !explained; top++) {
                    for (int left = 0; left < 4 && !explained; left++) {
                        Set<Integer> expected = new TreeSet<>();
                        for (int r = top; r < top + 4; r++) {
                            for (int col = left; col < left + 4; col++) {
                                expected.add(r * 8 + col);
                            }
                        }
                        for (int m = 0; m < 4 - tries; m++) {
                            expected.removeAll(setOf(d.targets()[m][b]));
                        }
                        explained = expected.equals(cs);
                    }
                }
            }
            assertTrue(explained, "image " + b + " context " + Arrays.toString(ctx));
            for (int[][] t : d.targets()) {
                for (int idx : t[b]) {
                    overlapSeen |= cs.contains(idx);
                }
            }
        }
        assertTrue(overlapSeen);
        assertWellFormed(d.toBatch(), 64);
    }

    @Test
    void everyListHasTheSameLengthAcrossTheBatch() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, SHIPPED, 0);
        for (long step = 0; step < 10; step++) {
            MaskBatch batch = s.sampleAt(step, 24);
            assertEquals(1, batch.numContextMasks());
            assertEquals(4, batch.numTargetMasks());
            assertEquals(24, batch.batchSize());
            assertWellFormed(batch, 256);
        }
    }

    @Test
    void truncationKeepsTheLowestIndicesOfEachList() {
        MaskDraw d = new MultiBlockMaskSampler(16, 16, SHIPPED, 0).draw(2, 16);
        MaskBatch batch = d.toBatch();
        int minCtx = Integer.MAX_VALUE;
        for (int[] idx : d.context()[0]) {
            minCtx = Math.min(minCtx, idx.length);
        }
        assertEquals(minCtx, batch.contextLength());
        for (int b = 0; b < 16; b++) {
            assertArrayEquals(Arrays.copyOf(d.context()[0][b], minCtx), batch.context()[0][b]);
        }
    }

    @Test
    void sameSeedAndStepGiveIdenticalMasksAndStepsDiffer() {
        MultiBlockMaskSampler a = new MultiBlockMaskSampler(16, 16, SHIPPED, 42);
        MultiBlockMaskSampler b = new MultiBlockMaskSampler(16, 16, SHIPPED, 42);
        MaskBatch x = a.sampleAt(9, 8);
        MaskBatch y = b.sampleAt(9, 8);
        assertTrue(Arrays.deepEquals(x.context(), y.context()));
        assertTrue(Arrays.deepEquals(x.targets(), y.targets()));
        assertFalse(Arrays.deepEquals(x.targets(), a.sampleAt(10, 8).targets()));
        MaskBatch otherSeed = new MultiBlockMaskSampler(16, 16, SHIPPED, 43).sampleAt(9, 8);
        assertFalse(Arrays.deepEquals(x.targets(), otherSeed.targets()), "the seed moves block positions");
    }

    @Test
    void masksDoNotDependOnThreadOrder() throws Exception {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, SHIPPED, 5);
        List<MaskBatch> sequential = new ArrayList<>();
        for (long step = 0; step < 16; step++) {
            sequential.add(s.sampleAt(step, 8));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<MaskBatch>> futures = new ArrayList<>();
            for (long step = 15; step >= 0; step--) {
                long st = step;
                futures.add(pool.submit(() -> s.sampleAt(st, 8)));
            }
            for (int i = 0; i < 16; i++) {
                MaskBatch p = futures.get(15 - i).get();
                assertTrue(Arrays.deepEquals(sequential.get(i).targets(), p.targets()));
                assertTrue(Arrays.deepEquals(sequential.get(i).context(), p.context()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nextAdvancesTheStepAndSetStepFastForwards() {
        MultiBlockMaskSampler s = new MultiBlockMaskSampler(16, 16, SHIPPED, 5);
        assertEquals(0, s.step());
        MaskBatch first = s.next(4);
        assertEquals(0, first.step());
        assertEquals(1, s.step());
        s.setStep(100);
        MaskBatch resumed = s.next(4);
        assertEquals(100, resumed.step());
        assertTrue(Arrays.deepEquals(new MultiBlockMaskSampler(16, 16, SHIPPED, 5).sampleAt(100, 4).targets(),
                resumed.targets()));
    }

    @Test
    void minKeepThatTheReferenceCouldNotMeetIsRejectedWithAFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MultiBlockMaskSampler(8, 8, SHIPPED, 0));
        assertTrue(e.getMessage().contains("mask.min_keep 10"), e.getMessage());
        assertTrue(e.getMessage().contains("8x8"), e.getMessage());
        assertTrue(e.getMessage().contains("3x3 target blocks (9 patches)"), e.getMessage());
        assertTrue(e.getMessage().contains("use min_keep <= 8"), e.getMessage());
        // and the suggestion works
        new MultiBlockMaskSampler(8, 8, with(SHIPPED, 8, false, false), 0).sampleAt(0, 4);
    }

    @Test
    void tinyGridsNeverHang() {
        Range[][] settings = {
            {SHIPPED.predMaskScale(), SHIPPED.aspectRatio(), SHIPPED.encMaskScale()},
            {Range.of(0.2, 0.8), Range.of(0.3, 3.0), Range.of(0.2, 0.8)},
            {Range.of(0.5, 0.9), Range.of(1, 1), Range.of(0.9, 1.0)},
        };
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int built = 0;
            int rejected = 0;
            for (int grid = 2; grid <= 4; grid++) {
                for (Range[] set : settings) {
                    for (int minKeep = 0; minKeep <= 10; minKeep++) {
                        for (int npred = 1; npred <= 4; npred += 3) {
                            MaskConfig c = scales(set[0], set[1], set[2], npred, minKeep);
                            MultiBlockMaskSampler s;
                            try {
                                s = new MultiBlockMaskSampler(grid, grid, c, 0);
                            } catch (IllegalArgumentException e) {
                                assertTrue(e.getMessage().contains("mask.min_keep " + minKeep), e.getMessage());
                                rejected++;
                                continue;
                            }
                            built++;
                            for (long step = 0; step < 20; step++) {
                                MaskDraw d = s.draw(step, 16);
                                assertWellFormed(d.toBatch(), grid * grid);
                                for (int[][] m : d.context()) {
                                    for (int[] idx : m) {
                                        assertTrue(idx.length > minKeep);
                                    }
                                }
                                for (int[][] m : d.targets()) {
                                    for (int[] idx : m) {
                                        assertTrue(idx.length > minKeep);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            assertTrue(built > 0 && rejected > 0, "built " + built + ", rejected " + rejected);
        });
    }

    @Test
    void lastRowAndColumnAreNeverCoveredUnlessCoverEdges() {
        boolean[] edgeHit = new boolean[2];
        for (int variant = 0; variant < 2; variant++) {
            boolean cover = variant == 1;
            MultiBlockMaskSampler s = new MultiBlockMaskSampler(8, 8, with(BENCH, 4, false, cover), 0);
            for (long step = 0; step < 40; step++) {
                MaskDraw d = s.draw(step, 16);
                for (int[][][] kind : List.of(d.context(), d.targets())) {
                    for (int[][] m : kind) {
                        for (int[] idx : m) {
                            for (int i : idx) {
                                if (i / 8 == 7 || i % 8 == 7) {
                                    edgeHit[variant] = true;
                                }
                            }
                        }
                    }
                }
            }
        }
        assertFalse(edgeHit[0], "cover_edges false: row 7 / column 7 never used, as the reference");
        assertTrue(edgeHit[1], "cover_edges true: row 7 / column 7 reachable");
    }

    @Test
    void invalidSettingsNameTheirKey() {
        MaskConfig noTargets = MaskConfig.builder().aspectRatio(SHIPPED.aspectRatio())
                .encMaskScale(SHIPPED.encMaskScale()).minKeep(4).numEncMasks(1).numPredMasks(0).patchSize(4)
                .predMaskScale(SHIPPED.predMaskScale()).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MultiBlockMaskSampler(16, 16, noTargets, 0))
                .getMessage().contains("mask.num_pred_masks"));
        MaskConfig badScale = scales(Range.of(0.1, 1.5), SHIPPED.aspectRatio(), SHIPPED.encMaskScale(), 4, 4);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MultiBlockMaskSampler(16, 16, badScale, 0))
                .getMessage().contains("mask.pred_mask_scale"));
    }
}
