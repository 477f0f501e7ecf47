package org.jepa4j.mask;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks shared by the mask tests, written from the definitions, not from the samplers. */
final class MaskAssertions {

    private MaskAssertions() {
    }

    /** Every list of a kind has the same length across the batch, indices sorted, distinct, in range. */
    static void assertWellFormed(MaskBatch batch, int numPatches) {
        int kc = batch.contextLength();
        int kt = batch.targetLength();
        for (int[][] m : batch.context()) {
            for (int[] idx : m) {
                assertEquals(kc, idx.length, "context length");
                assertSortedInRange(idx, numPatches);
            }
        }
        for (int[][] m : batch.targets()) {
            for (int[] idx : m) {
                assertEquals(kt, idx.length, "target length");
                assertSortedInRange(idx, numPatches);
            }
        }
    }

    static void assertSortedInRange(int[] idx, int numPatches) {
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= numPatches) {
                fail("index out of range [0, " + numPatches + "): " + idx[i]);
            }
            if (i > 0 && idx[i - 1] >= idx[i]) {
                fail("not strictly ascending: " + Arrays.toString(idx));
            }
        }
    }

    /**
     * The bounding box {top, left, height, width} of the cells, asserting they fill it completely
     * (i.e. the cells form one rectangle).
     */
    static int[] rectangle(int[] idx, int gridWidth) {
        int top = Integer.MAX_VALUE;
        int left = Integer.MAX_VALUE;
        int bottom = -1;
        int right = -1;
        for (int i : idx) {
            top = Math.min(top, i / gridWidth);
            bottom = Math.max(bottom, i / gridWidth);
            left = Math.min(left, i % gridWidth);
            right = Math.max(right, i % gridWidth);
        }
        int h = bottom - top + 1;
        int w = right - left + 1;
        if (h * w != idx.length) {
            fail("cells do not form a full rectangle: " + Arrays.toString(idx));
        }
        return new int[] {top, left, h, w};
    }

    static Set<Integer> setOf(int[] idx) {
        Set<Integer> s = new HashSet<>();
        for (int i : idx) {
            s.add(i);
        }
        return s;
    }

}
