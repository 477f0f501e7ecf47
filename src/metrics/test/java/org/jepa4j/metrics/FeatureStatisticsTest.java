package org.jepa4j.metrics;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FeatureStatisticsTest {

    @Test
    void rankMeFollowsTheEntropyOfNormalisedSingularValues() {
        // singular values 3 and 1: p = (0.75, 0.25)
        float[][] x = {{3, 0}, {0, 1}};
        double p0 = 0.75 + FeatureStatistics.RANKME_EPSILON;
        double p1 = 0.25 + FeatureStatistics.RANKME_EPSILON;
        assertEquals(Math.exp(-(p0 * Math.log(p0) + p1 * Math.log(p1))), FeatureStatistics.rankMe(x), 1e-9);
    }

    @Test
    void rankMeIsOneForCollinearRowsAndDForOrthogonalOnes() {
        float[][] collinear = {{1, 2, 3}, {2, 4, 6}, {-1, -2, -3}, {0.5f, 1, 1.5f}};
        assertEquals(1.0, FeatureStatistics.rankMe(collinear), 1e-4);
        float[][] identity = new float[16][16];
        for (int i = 0; i < 16; i++) {
            identity[i][i] = 2;
        }
        assertEquals(16.0, FeatureStatistics.rankMe(identity), 1e-4);
    }

    @Test
    void singularValuesAgreeWithCommonsMathSvd() {
        Random rng = new Random(1);
        float[][] x = new float[40][7];
        double[][] xd = new double[40][7];
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 7; j++) {
                x[i][j] = (float) rng.nextGaussian();
                xd[i][j] = x[i][j];
            }
        }
        double[] expected = new SingularValueDecomposition(new Array2DRowRealMatrix(xd)).getSingularValues();
        double[] actual = FeatureStatistics.singularValues(x);
        for (int k = 0; k < 7; k++) {
            assertEquals(expected[k], actual[k], 1e-8 * expected[0]);
        }
    }

    @Test
    void wideFeaturesUseTheRowGramOfTheFirstRows() {
        Random rng = new Random(2);
        float[][] x = new float[12][9];
        for (float[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) rng.nextGaussian();
            }
        }
        // 6 rows, 9 columns: the row Gram gives the values of XᵀX (3 zeros), whatever the limit
        float[][] first6 = java.util.Arrays.copyOf(x, 6);
        double[][] x6 = new double[6][9];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 9; j++) {
                x6[i][j] = first6[i][j];
            }
        }
        double[] svd = new SingularValueDecomposition(new Array2DRowRealMatrix(x6)).getSingularValues();
        for (int limit : new int[] {100, 8}) {
            double[] viaRows = FeatureStatistics.singularValues(first6, limit);
            assertEquals(9, viaRows.length);
            for (int k = 0; k < 9; k++) {
                assertEquals(k < svd.length ? svd[k] : 0.0, viaRows[k], 1e-9 * svd[0], "limit " + limit + ", value " + k);
            }
        }
        // more rows than the limit: the singular values of the first 5 rows only
        float[][] first5 = java.util.Arrays.copyOf(x, 5);
        double[][] xd = new double[5][9];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 9; j++) {
                xd[i][j] = first5[i][j];
            }
        }
        double[] expected = new SingularValueDecomposition(new Array2DRowRealMatrix(xd)).getSingularValues();
        double[] capped = FeatureStatistics.singularValues(x, 5);
        for (int k = 0; k < 5; k++) {
            assertEquals(expected[k], capped[k], 1e-9 * expected[0]);
        }
        for (int k = 5; k < 9; k++) {
            assertEquals(0.0, capped[k], 1e-6 * expected[0]);
        }
    }

    @Test
    void normalisedStdIsZeroWhenCollapsedAndKnownOtherwise() {
        float[][] collapsed = {{1, 1}, {2, 2}, {5, 5}};
        assertEquals(0.0, FeatureStatistics.normalisedStd(collapsed), 1e-7);
        // rows +-e1 normalise to (+-1, 0): std 1 in column 0, 0 in column 1
        float[][] opposite = {{3, 0}, {-2, 0}, {7, 0}, {-1, 0}};
        assertEquals(0.5, FeatureStatistics.normalisedStd(opposite), 1e-7);
    }
}
