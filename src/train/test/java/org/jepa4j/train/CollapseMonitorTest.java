package org.jepa4j.train;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Collapse monitors against closed forms. */
class CollapseMonitorTest {

    @Test
    void identicalRowsHaveRankOneAndZeroStd() {
        int rows = 6;
        int dim = 5;
        float[] f = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < dim; c++) {
                f[r * dim + c] = 0.3f * c - 0.5f;
            }
        }
        CollapseMonitor.Stats s = CollapseMonitor.measure(f, rows, dim);
        assertEquals(1.0, s.rankMe(), 1e-4); // RankMe's epsilon adds ~1e-5
        assertEquals(0.0, s.featureStd(), 1e-9);
        assertTrue(s.collapsed());
    }

    @Test
    void scaledCopiesCollapseToo() {
        // same direction, different norms: L2 normalisation removes the scale
        int dim = 4;
        float[] f = {1, 2, 3, 4, 2, 4, 6, 8, -0.5f, -1, -1.5f, -2};
        assertEquals(1.0, CollapseMonitor.rankMe(f, 3, dim), 1e-4);
        // rows 1,2 are +u and row 3 is -u: per-dim std of (u, u, -u) = |u_c|·sqrt(8/9) (divided by 3)
        double norm = Math.sqrt(30);
        double expected = 0;
        for (int c = 1; c <= 4; c++) {
            expected += c / norm * Math.sqrt(8.0 / 9.0);
        }
        assertEquals(expected / dim, CollapseMonitor.featureStd(f, 3, dim), 1e-7);
    }

    @Test
    void orthogonalRowsHaveRankEqualToTheirCount() {
        int dim = 8;
        int rows = 5;
        float[] f = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            f[r * dim + r] = 2f; // scaled standard basis vectors, equal norms
        }
        assertEquals(rows, CollapseMonitor.rankMe(f, rows, dim), 1e-4);
        // unit rows e_0..e_4: dims 0..4 hold one 1 among 5 values, dims 5..7 are 0
        double perDim = Math.sqrt((4 * 0.04 + 0.64) / 5.0); // values {1,0,0,0,0}, mean 0.2
        assertEquals(perDim * rows / dim, CollapseMonitor.featureStd(f, rows, dim), 1e-7);
        assertFalse(CollapseMonitor.measure(f, rows, dim).collapsed());
    }

    @Test
    void rotatedOrthogonalSetKeepsItsRank() {
        // rows of a random orthogonal matrix (Gram-Schmidt): rank is rotation invariant
        int n = 6;
        Random rnd = new Random(3);
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                q[i][j] = rnd.nextGaussian();
            }
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += q[i][j] * q[k][j];
                }
                for (int j = 0; j < n; j++) {
                    q[i][j] -= dot * q[k][j];
                }
            }
            double norm = 0;
            for (int j = 0; j < n; j++) {
                norm += q[i][j] * q[i][j];
            }
            for (int j = 0; j < n; j++) {
                q[i][j] /= Math.sqrt(norm);
            }
        }
        float[] f = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                f[i * n + j] = (float) q[i][j];
            }
        }
        assertEquals(n, CollapseMonitor.rankMe(f, n, n), 1e-4);
    }

    @Test
    void randomGaussianFeaturesAreHealthy() {
        int rows = 64;
        int dim = 32;
        Random rnd = new Random(7);
        float[] f = new float[rows * dim];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) rnd.nextGaussian();
        }
        CollapseMonitor.Stats s = CollapseMonitor.measure(f, rows, dim);
        assertEquals(1 / Math.sqrt(dim), s.featureStd(), 0.2 / Math.sqrt(dim));
        assertTrue(s.rankMe() > dim / 2.0, "rank " + s.rankMe());
        assertFalse(s.collapsed());
    }

    @Test
    void rankOfTwoUnequalDirectionsFollowsTheEntropy() {
        // singular values 3 and 1 -> p = (3/4, 1/4), each + RankMe's epsilon
        float[] f = {3, 0, 0, 1};
        double e = org.jepa4j.metrics.FeatureStatistics.RANKME_EPSILON;
        double h = -((0.75 + e) * Math.log(0.75 + e) + (0.25 + e) * Math.log(0.25 + e));
        assertEquals(Math.exp(h), CollapseMonitor.rankMe(f, 2, 2), 1e-12);
    }

    @Test
    void meanPoolAveragesTokens() {
        // [B=2, N=2, D=2]
        float[] tokens = {1, 2, 3, 4, -1, 0, 1, 2};
        float[] pooled = CollapseMonitor.meanPool(tokens, 2, 2, 2);
        assertEquals(2f, pooled[0]);
        assertEquals(3f, pooled[1]);
        assertEquals(0f, pooled[2]);
        assertEquals(1f, pooled[3]);
    }
}
