package org.jepa4j.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SinCosPositionsTest {

    /**
     * The reference's construction, written the way it computes: a 1-D table per coordinate
     * ({@code out = pos ⊗ ω}, {@code [sin(out), cos(out)]}) with the column grid first
     * ({@code meshgrid(w, h)}), the two halves concatenated.
     */
    private static double[][] referenceTable(int d, int g) {
        double[] colGrid = new double[g * g];
        double[] rowGrid = new double[g * g];
        for (int n = 0; n < g * g; n++) {
            colGrid[n] = n % g;
            rowGrid[n] = n / g;
        }
        double[][] first = oneDimensional(d / 2, colGrid);
        double[][] second = oneDimensional(d / 2, rowGrid);
        double[][] out = new double[g * g][d];
        for (int n = 0; n < g * g; n++) {
            System.arraycopy(first[n], 0, out[n], 0, d / 2);
            System.arraycopy(second[n], 0, out[n], d / 2, d / 2);
        }
        return out;
    }

    private static double[][] oneDimensional(int dim, double[] positions) {
        int half = dim / 2;
        double[][] out = new double[positions.length][dim];
        for (int n = 0; n < positions.length; n++) {
            for (int k = 0; k < half; k++) {
                double omega = Math.exp(-Math.log(10000.0) * k / half);
                out[n][k] = Math.sin(positions[n] * omega);
                out[n][half + k] = Math.cos(positions[n] * omega);
            }
        }
        return out;
    }

    @Test
    void sinCosTableMatchesClosedForm() {
        for (int[] dg : new int[][] {{32, 4}, {96, 8}, {48, 14}}) {
            int d = dg[0];
            int g = dg[1];
            float[] table = SinCosPositions.table(d, g);
            double[][] expected = referenceTable(d, g);
            assertEquals(g * g * d, table.length);
            for (int n = 0; n < g * g; n++) {
                for (int c = 0; c < d; c++) {
                    assertEquals(expected[n][c], table[n * d + c], 1e-6, "token " + n + " channel " + c);
                }
            }
        }
    }

    @Test
    void firstHalfEncodesTheColumnAndSecondHalfTheRow() {
        int d = 32;
        int g = 4;
        float[] t = SinCosPositions.table(d, g);
        // token (row 2, col 0): column half is sin(0)=0 / cos(0)=1; row half channel 2·(d/4)... sin(2·ω0)=sin 2
        int n = 2 * g;
        assertEquals(0.0, t[n * d], 0.0);
        assertEquals(1.0, t[n * d + d / 4], 0.0);
        assertEquals(Math.sin(2.0), t[n * d + d / 2], 1e-7);
        assertEquals(Math.cos(2.0), t[n * d + 3 * d / 4], 1e-7);
        // token (row 0, col 3)
        assertEquals(Math.sin(3.0), t[3 * d], 1e-7);
        assertEquals(0.0, t[3 * d + d / 2], 0.0);
        // last frequency ω = 10000^(−(d/4−1)/(d/4))
        double omegaLast = Math.pow(10000.0, -(d / 4 - 1) / (double) (d / 4));
        assertEquals(Math.sin(3 * omegaLast), t[3 * d + d / 4 - 1], 1e-7);
    }

    @Test
    void rejectsWidthsNotDivisibleByFour() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SinCosPositions.table(30, 4));
        assertEquals(true, e.getMessage().contains("30"));
    }
}
