package org.jepa4j.infer.internal;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLanesTest {

    @Test
    void sliceSizesCoverTheBatchInSmallEvenSlicesPerLane() {
        assertArrayEquals(new int[] {2, 2, 3}, BatchLanes.sliceSizes(7, 3));
        assertArrayEquals(new int[] {1, 1}, BatchLanes.sliceSizes(2, 4), "no empty slices");
        assertArrayEquals(new int[] {5}, BatchLanes.sliceSizes(5, 1), "one lane: the batch whole");
        assertArrayEquals(new int[] {40}, BatchLanes.sliceSizes(40, 1));
        assertArrayEquals(new int[] {8, 8, 8, 8, 8, 8, 8, 8}, BatchLanes.sliceSizes(64, 2));
        assertArrayEquals(new int[] {4, 4, 4, 5}, BatchLanes.sliceSizes(17, 2), "a multiple of the lanes");
        for (int count = 1; count < 80; count++) {
            for (int lanes = 2; lanes < 6; lanes++) {
                int[] sizes = BatchLanes.sliceSizes(count, lanes);
                assertEquals(count, java.util.Arrays.stream(sizes).sum());
                assertTrue(sizes[sizes.length - 1] - sizes[0] <= 1);
                assertTrue(sizes[sizes.length - 1] <= BatchLanes.SLICE_IMAGES, count + " / " + lanes);
                assertTrue(sizes.length % lanes == 0 || sizes.length == count, count + " / " + lanes);
                assertTrue(sizes.length < lanes + count / BatchLanes.SLICE_IMAGES + lanes, "not more slices than needed");
            }
        }
    }

    @Test
    void aLaneThatIsHeldUpLeavesTheOtherSlicesToTheOthers() {
        try (BatchLanes lanes = new BatchLanes(2)) {
            int[] sizes = BatchLanes.sliceSizes(40, 2);
            assertEquals(6, sizes.length);
            // slice 0 waits until every other slice is done: with a fixed share per lane this never ends
            CountDownLatch othersDone = new CountDownLatch(sizes.length - 1);
            List<Integer> out = lanes.run(40, (first, size) -> {
                if (first == 0) {
                    try {
                        assertTrue(othersDone.await(10, TimeUnit.SECONDS), "the other lane did not take the remaining slices");
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                } else {
                    othersDone.countDown();
                }
                return first;
            });
            assertEquals(List.of(0, 6, 12, 19, 26, 33), out, "first image of each slice (sizes 6, 6, 7, 7, 7, 7), in order");
        }
    }

    @Test
    void slicesRunSideBySideAndComeBackInOrder() throws Exception {
        try (BatchLanes lanes = new BatchLanes(3)) {
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            // every slice waits until all three have started: this only ends if they run at once
            CountDownLatch started = new CountDownLatch(3);
            List<String> out = lanes.run(8, (first, size) -> {
                threads.add(Thread.currentThread());
                started.countDown();
                try {
                    assertTrue(started.await(10, TimeUnit.SECONDS), "slices did not run concurrently");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return first + "+" + size;
            });
            assertEquals(List.of("0+2", "2+3", "5+3"), out);
            assertEquals(3, threads.size());
        }
    }

    @Test
    void aFailingSliceFailsTheBatch() {
        try (BatchLanes lanes = new BatchLanes(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lanes.run(4, (first, size) -> {
                if (first > 0) {
                    throw new IllegalStateException("slice at " + first + " failed");
                }
                return size;
            }));
            assertEquals("slice at 2 failed", e.getMessage());
            assertEquals(List.of(2, 2), lanes.run(4, (first, size) -> size), "usable after a failure");
        }
        assertThrows(IllegalArgumentException.class, () -> new BatchLanes(0));
    }
}
