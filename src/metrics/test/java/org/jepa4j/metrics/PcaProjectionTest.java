package org.jepa4j.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcaProjectionTest {

    @Test
    void recoversRotatedAxesAndCoordinates() {
        double a = Math.toRadians(30);
        double[] u = {Math.cos(a), Math.sin(a), 0};
        double[] v = {-Math.sin(a), Math.cos(a), 0};
        // points +-2u and +-1v around the centre (5, -1, 3): variances 2 and 0.5 along u and v
        double[][] coords = {{2, 0}, {-2, 0}, {0, 1}, {0, -1}};
        float[][] x = new float[4][3];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                x[i][j] = (float) (new double[] {5, -1, 3}[j] + coords[i][0] * u[j] + coords[i][1] * v[j]);
            }
        }
        PcaProjection pca = PcaProjection.fit(x, 2);
        assertEquals(2.0, pca.explainedVariance()[0], 1e-5);
        assertEquals(0.5, pca.explainedVariance()[1], 1e-5);
        assertEquals(0.8, pca.explainedVarianceRatio()[0], 1e-5);
        // sign rule: the largest-magnitude entry is positive (u's first entry; v's second)
        for (int j = 0; j < 3; j++) {
            assertEquals(u[j], pca.components()[0][j], 1e-5);
            assertEquals(v[j], pca.components()[1][j], 1e-5);
        }
        double[][] p = pca.project(x);
        for (int i = 0; i < 4; i++) {
            assertEquals(coords[i][0], p[i][0], 1e-5);
            assertEquals(coords[i][1], p[i][1], 1e-5);
        }
    }

    @Test
    void rowGramFitOfWideFeaturesEqualsTheCovarianceFit() {
        java.util.Random rng = new java.util.Random(3);
        float[][] x = new float[12][20];
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 20; j++) {
                // a few strong directions so the first components are well separated
                x[i][j] = (float) (rng.nextGaussian() * (j < 3 ? 4 - j : 0.3) + j);
            }
        }
        PcaProjection covariance = PcaProjection.fitByCovariance(x, 3);
        PcaProjection rowGram = PcaProjection.fit(x, 3, 100); // 12 rows < 20 columns: by the rows
        assertTrue(java.util.Arrays.deepEquals(rowGram.components(), PcaProjection.fit(x, 3, 15).components()),
                "20 columns > 15, all 12 rows used: the same fit");
        assertEquals(covariance.totalVariance(), rowGram.totalVariance(), 1e-4);
        for (int c = 0; c < 3; c++) {
            assertEquals(covariance.explainedVariance()[c], rowGram.explainedVariance()[c], 1e-4);
            for (int j = 0; j < 20; j++) {
                assertEquals(covariance.components()[c][j], rowGram.components()[c][j], 1e-5);
            }
        }
        double[][] a = covariance.project(x);
        double[][] b = rowGram.project(x);
        for (int i = 0; i < 12; i++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(a[i][c], b[i][c], 1e-4);
            }
        }
    }
}
