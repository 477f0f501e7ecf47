package org.jepa4j.pipeline;

import org.jepa4j.config.Range;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.FolderDataset;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.data.Split;
import org.jepa4j.data.SyntheticDataset;
import org.jepa4j.data.TestImages;
import org.jepa4j.data.UnreadableImageException;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.mask.MaskSampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLoaderTest {

    /** A stand-in sampler whose masks are a pure function of (step, B), as the contract requires. */
    private static final class StepMasks implements MaskSampler {
        private long step;

        @Override
        public MaskBatch sampleAt(long s, int b) {
            SplittableRandom r = new SplittableRandom(s * 7919 + b);
            int[][][] ctx = new int[1][b][5];
            int[][][] tgt = new int[2][b][3];
            for (int[][] m : ctx) {
                for (int[] row : m) {
                    Arrays.setAll(row, k -> r.nextInt(64));
                }
            }
            for (int[][] m : tgt) {
                for (int[] row : m) {
                    Arrays.setAll(row, k -> r.nextInt(64));
                }
            }
            return new MaskBatch(ctx, tgt, s);
        }

        @Override
        public long step() {
            return step;
        }

        @Override
        public void setStep(long s) {
            step = s;
        }
    }

    /** Synthetic images whose first pixel encodes the index, to trace which images a batch holds. */
    private static ImageDataset indexed(int n) {
        return new ImageDataset() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Image image(int index) {
                float[] px = new float[4];
                Arrays.fill(px, index / 1000f);
                return new Image(1, 2, 2, px);
            }

            @Override
            public int label(int index) {
                return index % 3;
            }

            @Override
            public List<String> classNames() {
                return List.of("a", "b", "c");
            }

            @Override
            public String description() {
                return "indexed " + n;
            }
        };
    }

    private static final ImageDataset SYNTH = new SyntheticDataset(50, 12, 3, 5, 3, Split.TRAIN);
    private static final TrainTransform TRAIN = new TrainTransform(RandomResizedCrop.of(8, Range.of(0.3, 1.0)), true,
            new Preprocessing(8, 8, 3, new double[] {0.5, 0.4, 0.3}, new double[] {0.2, 0.3, 0.4}));
    private static final EvalTransform IDENTITY = new EvalTransform(
            new Preprocessing(2, 2, 1, new double[] {0}, new double[] {1}));

    private static List<Batch> drain(BatchLoader loader) {
        List<Batch> out = new ArrayList<>();
        try (loader) {
            while (loader.hasNext()) {
                out.add(loader.next());
            }
        }
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            Batch x = a.get(i);
            Batch y = b.get(i);
            assertEquals(x.step(), y.step());
            assertArrayEquals(x.pixels(), y.pixels(), 0f, "pixels of step " + x.step());
            assertArrayEquals(x.labels(), y.labels(), "labels of step " + x.step());
            if (x.masks() == null) {
                assertNull(y.masks());
            } else {
                assertTrue(Arrays.deepEquals(x.masks().context(), y.masks().context()));
                assertTrue(Arrays.deepEquals(x.masks().targets(), y.masks().targets()));
            }
        }
    }

    @Test
    void sameSeedGivesTheSameBatchesWhateverTheWorkerCount() {
        LoaderOptions o = new LoaderOptions(8, 1, 2, 11, 0, 15, true); // 6 batches per epoch: 2.5 epochs
        List<Batch> one = drain(new BatchLoader(SYNTH, TRAIN, new StepMasks(), o));
        List<Batch> three = drain(new BatchLoader(SYNTH, TRAIN, new StepMasks(), o.withWorkers(3)));
        assertEquals(15, one.size());
        assertSameBatches(one, three);
        Batch b = one.get(0);
        assertEquals(8, b.size());
        assertEquals(3, b.channels());
        assertEquals(8, b.height());
        assertEquals(1, b.masks().numContextMasks());
        List<Batch> otherSeed = drain(new BatchLoader(SYNTH, TRAIN, null, new LoaderOptions(8, 2, 2, 12, 0, 1, true)));
        assertFalse(Arrays.equals(b.pixels(), otherSeed.get(0).pixels()));
        assertNull(otherSeed.get(0).masks());
    }

    @Test
    void replicaSlicesTogetherAreExactlyTheWholeBatch() {
        LoaderOptions o = new LoaderOptions(7, 2, 2, 3, 0, 8, true); // 7 images: slices of 2, 2, 3
        List<Batch> whole = drain(new BatchLoader(SYNTH, TRAIN, new StepMasks(), o));
        int replicas = 3;
        List<List<Batch>> parts = new java.util.ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            parts.add(drain(new BatchLoader(SYNTH, TRAIN, new StepMasks(), o.withReplica(r, replicas).withSteps(2, 8))));
        }
        for (int t = 2; t < 8; t++) {
            Batch w = whole.get(t);
            for (int r = 0; r < replicas; r++) {
                Batch p = parts.get(r).get(t - 2);
                int[] s = LoaderOptions.slice(7, r, replicas);
                assertEquals(t, p.step());
                assertEquals(s[1] - s[0], p.size());
                Batch expected = w.slice(s[0], s[1]);
                assertArrayEquals(expected.pixels(), p.pixels(), "step " + t + " replica " + r + ": crops and flips");
                assertArrayEquals(expected.labels(), p.labels());
                assertTrue(Arrays.deepEquals(expected.masks().context(), p.masks().context()), "context masks");
                assertTrue(Arrays.deepEquals(expected.masks().targets(), p.masks().targets()), "target masks");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> o.withReplica(3, 3));
        assertThrows(IllegalArgumentException.class, () -> o.withReplica(0, 8));
    }

    @Test
    void resumingAtAStepYieldsTheTailOfAStraightRun() {
        LoaderOptions o = new LoaderOptions(8, 2, 3, 5, 0, 14, true);
        List<Batch> straight = drain(new BatchLoader(SYNTH, TRAIN, new StepMasks(), o));
        List<Batch> resumed = drain(new BatchLoader(SYNTH, TRAIN, new StepMasks(), o.withSteps(9, 14)));
        assertEquals(5, resumed.size());
        assertEquals(9, resumed.get(0).step());
        assertSameBatches(straight.subList(9, 14), resumed);
    }

    @Test
    void resumeLoadsNoImagesForSkippedSteps() {
        AtomicInteger reads = new AtomicInteger();
        ImageDataset base = indexed(40);
        ImageDataset counting = new ImageDataset() {
            public int size() {
                return 40;
            }

            public Image image(int i) {
                reads.incrementAndGet();
                return base.image(i);
            }

            public int label(int i) {
                return base.label(i);
            }

            public List<String> classNames() {
                return base.classNames();
            }

            public String description() {
                return "counting";
            }
        };
        drain(new BatchLoader(counting, IDENTITY, null, new LoaderOptions(4, 2, 2, 0, 1000, 1003, true)));
        assertEquals(12, reads.get());
    }

    @Test
    void everyEpochVisitsEachImageOnceInADifferentOrderAndDropsTheRemainder() {
        int n = 43;
        int b = 5; // ipe = 8, 3 images dropped per epoch
        assertEquals(8, BatchLoader.iterationsPerEpoch(n, b));
        List<Batch> batches = drain(new BatchLoader(indexed(n), IDENTITY, null, new LoaderOptions(b, 3, 4, 9, 0, 24, true)));
        List<int[]> orders = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            int[] seen = new int[n];
            int[] order = new int[8 * b];
            for (int s = 0; s < 8; s++) {
                Batch batch = batches.get(e * 8 + s);
                for (int j = 0; j < b; j++) {
                    int index = Math.round(batch.pixels()[j * 4] * 1000);
                    assertEquals(index % 3, batch.labels()[j]);
                    seen[index]++;
                    order[s * b + j] = index;
                }
            }
            assertEquals(n - 3, Arrays.stream(seen).filter(c -> c == 1).count());
            assertEquals(3, Arrays.stream(seen).filter(c -> c == 0).count());
            orders.add(order);
            assertArrayEquals(Arrays.copyOf(BatchLoader.permutation(n, 9, e, true), 8 * b), order);
        }
        assertFalse(Arrays.equals(orders.get(0), orders.get(1)));
        int[] sorted = BatchLoader.permutation(n, 9, 0, false);
        for (int i = 0; i < n; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void evaluationCoversEveryImageOnceInOrderWithAPartialLastBatch() {
        List<Batch> batches = drain(BatchLoader.evaluation(indexed(23), IDENTITY, 5, 3));
        assertEquals(5, batches.size());
        assertEquals(3, batches.get(4).size());
        int next = 0;
        for (Batch b : batches) {
            for (int j = 0; j < b.size(); j++) {
                assertEquals(next, Math.round(b.pixels()[j * 4] * 1000));
                assertEquals(next % 3, b.labels()[j]);
                next++;
            }
        }
        assertEquals(23, next);
    }

    @Test
    void workerFailureSurfacesOnNextWithItsCause() {
        RuntimeException boom = new RuntimeException("disk on fire");
        ImageDataset failing = new ImageDataset() {
            public int size() {
                return 20;
            }

            public Image image(int i) {
                if (i >= 10) {
                    throw boom;
                }
                return indexed(20).image(i);
            }

            public int label(int i) {
                return -1;
            }

            public List<String> classNames() {
                return List.of();
            }

            public String description() {
                return "failing";
            }
        };
        try (BatchLoader loader = BatchLoader.evaluation(failing, IDENTITY, 5, 2)) {
            assertNull(loader.next().labels());
            assertEquals(1, loader.next().step());
            var e = assertThrows(IllegalStateException.class, loader::next);
            assertSame(boom, e.getCause());
            assertTrue(e.getMessage().contains("step 2"), e.getMessage());
        }
    }

    @Test
    void closeStopsTheWorkersOfAnUnboundedLoader() throws InterruptedException {
        BatchLoader loader = new BatchLoader(SYNTH, TRAIN, null, new LoaderOptions(8, 3, 4, 0, 0, LoaderOptions.UNBOUNDED, true));
        assertTrue(loader.hasNext());
        assertEquals(0, loader.next().step());
        loader.close();
        assertFalse(loader.hasNext());
        assertThrows(java.util.NoSuchElementException.class, loader::next);
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().startsWith("jepa4j-loader-") && t.isAlive(), t.getName() + " still running");
        }
        long built = Arrays.stream(loader.workerBatchCounts()).sum();
        assertTrue(built >= 1 && built <= 1 + 4, "the prefetch window bounds the work done ahead: " + built);
    }

    @Test
    void datasetSmallerThanABatchIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new BatchLoader(indexed(3), IDENTITY, null, new LoaderOptions(4, 1, 1, 0, 0, 1, true)));
        assertTrue(e.getMessage().contains("data.batch_size"), e.getMessage());
        assertNotEquals(0, BatchLoader.iterationsPerEpoch(4, 4));
    }

    @Test
    void corruptFileIsReportedOnceSkippedAndCounted(@TempDir Path dir) throws IOException {
        TestImages.writeGreyPng(dir.resolve("a/1.png"), 6, 6, 10);
        Path bad = TestImages.writeCorrupt(dir.resolve("a/2.png"));
        TestImages.writeGreyPng(dir.resolve("b/3.png"), 6, 6, 30);
        TestImages.writeGreyPng(dir.resolve("b/4.png"), 6, 6, 40);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        FolderDataset ds = FolderDataset.scan(dir, "folder train", new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(4, ds.size());
        var e = assertThrows(UnreadableImageException.class, () -> ds.image(1));
        assertEquals(bad, e.file());

        // the loader substitutes the next readable index (3.png, label 1) and does not fail
        EvalTransform eval = new EvalTransform(new Preprocessing(6, 6, 1, new double[] {0}, new double[] {1}));
        int seen = 0;
        try (BatchLoader loader = BatchLoader.evaluation(ds, eval, 4, 2)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                seen += b.size();
                assertArrayEquals(new int[] {0, 1, 1, 1}, b.labels());
                assertEquals(30 / 255f, b.pixels()[36], 1e-6f);
                assertEquals(30 / 255f, b.pixels()[72], 1e-6f);
            }
            assertEquals(1, loader.substitutions());
        }
        assertEquals(4, seen);
        String warnings = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, warnings.lines().count(), warnings);
        assertTrue(warnings.contains(bad.toString()), warnings);
        assertEquals(1, ds.unreadableCount());
        assertEquals("skipped 1 unreadable file under " + dir, ds.unreadableSummary());
    }
}
