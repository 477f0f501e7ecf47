package org.jepa4j.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class MicroBatcherTest {

    /** Each output is its input times two, so a mix-up between items shows. */
    private static float[][] doubled(List<float[]> inputs) {
        float[][] out = new float[inputs.size()][];
        for (int i = 0; i < out.length; i++) {
            float[] in = inputs.get(i);
            out[i] = new float[in.length];
            for (int j = 0; j < in.length; j++) {
                out[i][j] = 2 * in[j];
            }
        }
        return out;
    }

    @Test
    void inputsArrivingTogetherShareBatchesNoLargerThanMaxBatch() throws Exception {
        ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
        try (MicroBatcher b = new MicroBatcher("t", in -> {
            sizes.add(in.size());
            return doubled(in);
        }, 4, Duration.ofMillis(200), 64, 1, MicroBatcher.Listener.NONE)) {
            MicroBatcher.Reservation r = b.reserve(10).orElseThrow();
            List<CompletableFuture<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                results.add(r.submit(new float[] {i, -i}));
            }
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(new float[] {2 * i, -2 * i}, results.get(i).get(10, TimeUnit.SECONDS));
            }
            assertEquals(10, sizes.stream().mapToInt(Integer::intValue).sum());
            assertTrue(sizes.stream().allMatch(s -> s <= 4), "batch sizes " + sizes);
            // ten inputs queued within microseconds of each other and a 200 ms window: batched
            assertTrue(sizes.size() < 10, "expected some batch > 1, got " + sizes);
        }
    }

    @Test
    void fullQueueRefusesReservationsButRunsEveryAcceptedInput() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Semaphore entered = new Semaphore(0);
        try (MicroBatcher b = new MicroBatcher("t", in -> {
            entered.release();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return doubled(in);
        }, 1, Duration.ZERO, 3, 1, MicroBatcher.Listener.NONE)) {
            CompletableFuture<float[]> running = b.reserve(1).orElseThrow().submit(new float[] {100});
            assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS), "worker should take the first input");
            List<CompletableFuture<float[]>> queued = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                queued.add(b.reserve(1).orElseThrow().submit(new float[] {i}));
            }
            assertEquals(3, b.depth());
            assertTrue(b.reserve(1).isEmpty(), "a fourth waiting input exceeds the capacity of 3");
            MicroBatcher.Reservation two = b.reserve(1).orElse(null);
            assertEquals(null, two);
            assertThrows(IllegalArgumentException.class, () -> b.reserve(4), "more than the capacity can never fit");
            gate.countDown();
            assertArrayEquals(new float[] {200}, running.get(10, TimeUnit.SECONDS));
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(new float[] {2 * i}, queued.get(i).get(10, TimeUnit.SECONDS));
            }
            assertEquals(0, b.depth());
            MicroBatcher.Reservation again = b.reserve(3).orElseThrow(() -> new AssertionError("room again once drained"));
            again.release(); // an unused reservation would hold close() open
        }
    }

    @Test
    void releasedPlacesReturnToTheQueue() {
        try (MicroBatcher b = new MicroBatcher("t", MicroBatcherTest::doubled, 2, Duration.ZERO, 4, 1,
                MicroBatcher.Listener.NONE)) {
            MicroBatcher.Reservation r = b.reserve(4).orElseThrow();
            assertTrue(b.reserve(1).isEmpty());
            r.release();
            r.release();
            assertEquals(0, b.depth());
            b.reserve(4).orElseThrow().release();
        }
    }

    @Test
    void closeRunsQueuedInputsThenRefusesNewOnes() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        MicroBatcher b = new MicroBatcher("t", in -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return doubled(in);
        }, 2, Duration.ZERO, 8, 1, MicroBatcher.Listener.NONE);
        MicroBatcher.Reservation r = b.reserve(5).orElseThrow();
        List<CompletableFuture<float[]>> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(r.submit(new float[] {i}));
        }
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> b.close(Duration.ofSeconds(20)));
        while (!b.isClosed()) {
            Thread.onSpinWait();
        }
        assertTrue(b.reserve(1).isEmpty(), "closing batcher takes nothing new");
        assertFalse(closing.isDone(), "close waits for the queued inputs");
        gate.countDown();
        assertTrue(closing.get(20, TimeUnit.SECONDS), "every input ran within the grace period");
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(new float[] {2 * i}, results.get(i).getNow(null));
        }
    }

    @Test
    void aFailingBatchFailsOnlyItsOwnInputs() throws Exception {
        try (MicroBatcher b = new MicroBatcher("t", in -> {
            if (in.get(0)[0] < 0) {
                throw new IllegalStateException("model broke on a negative input");
            }
            return doubled(in);
        }, 1, Duration.ZERO, 8, 1, MicroBatcher.Listener.NONE)) {
            CompletableFuture<float[]> bad = b.reserve(1).orElseThrow().submit(new float[] {-1});
            CompletableFuture<float[]> good = b.reserve(1).orElseThrow().submit(new float[] {3});
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("negative"), e.getCause().getMessage());
            assertArrayEquals(new float[] {6}, good.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void submittingMoreThanReservedIsRefused() {
        try (MicroBatcher b = new MicroBatcher("t", MicroBatcherTest::doubled, 2, Duration.ZERO, 4, 1,
                MicroBatcher.Listener.NONE)) {
            MicroBatcher.Reservation r = b.reserve(1).orElseThrow();
            r.submit(new float[] {1});
            assertThrows(IllegalStateException.class, () -> r.submit(new float[] {2}));
        }
    }
}
