package org.jepa4j.infer.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GridPoolingTest {

    /** Tokens of a side x side grid whose channel 0 is the row, channel 1 the column, channel 2 constant. */
    static float[] coordinateTokens(int side) {
        float[] t = new float[side * side * 3];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                int at = (r * side + c) * 3;
                t[at] = r;
                t[at + 1] = c;
                t[at + 2] = 5;
            }
        }
        return t;
    }

    @Test
    void regionsFollowAdaptiveAveragePooling() {
        // side 7: [0,3) [2,5) [4,7) -> mean row/column 1, 3, 5; side 9: [0,3) [3,6) [6,9) -> 1, 4, 7;
        // side 4: [0,2) [1,3) [2,4) -> 0.5, 1.5, 2.5 (the mean of an index range [a,b) is (a+b-1)/2)
        int[] sides = {7, 9, 4};
        double[][] centres = {{1, 3, 5}, {1, 4, 7}, {0.5, 1.5, 2.5}};
        for (int s = 0; s < sides.length; s++) {
            float[] pooled = GridPooling.pool(coordinateTokens(sides[s]), 3);
            assertEquals(GridPooling.length(3), pooled.length);
            for (int cr = 0; cr < 3; cr++) {
                for (int cc = 0; cc < 3; cc++) {
                    int at = (cr * 3 + cc) * 3;
                    assertEquals(centres[s][cr], pooled[at], 1e-6, "side " + sides[s] + " cell row " + cr);
                    assertEquals(centres[s][cc], pooled[at + 1], 1e-6, "side " + sides[s] + " cell column " + cc);
                    assertEquals(5, pooled[at + 2], 1e-6);
                }
            }
        }
    }

    @Test
    void everyTokenFallsInSomeRegionAndRegionsCoverTheGrid() {
        for (int side = 3; side <= 20; side++) {
            assertEquals(0, GridPooling.start(0, side));
            assertEquals(side, GridPooling.end(GridPooling.CELLS - 1, side));
            for (int i = 0; i + 1 < GridPooling.CELLS; i++) {
                assertTrue(GridPooling.start(i + 1, side) <= GridPooling.end(i, side), "gap after cell " + i);
                assertTrue(GridPooling.end(i, side) > GridPooling.start(i, side));
            }
        }
    }

    @Test
    void onlySquareGridsOfAtLeastThreePerSideAreSupported() {
        assertTrue(GridPooling.supports(49));
        assertTrue(GridPooling.supports(9));
        assertFalse(GridPooling.supports(4));
        assertFalse(GridPooling.supports(50));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GridPooling.pool(new float[50 * 2], 2));
        assertTrue(e.getMessage().contains("square grid") && e.getMessage().contains("100 values"), e.getMessage());
    }
}
