package org.jepa4j.eval;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Collapse statistics of a feature matrix {@code [n, d]}: pure functions shared by evaluation
 * reports and the training monitor.
 */
public final class FeatureStatistics {
    /** RankMe's epsilon added to each normalised singular value (Garrido et al. 2023). */
    public static final double RANKME_EPSILON = 1e-7;

    private FeatureStatistics() {
    }

    /**
     * Mean over dimensions of the per-dimension standard deviation of the L2-normalised rows
     * (the SimSiam collapse indicator): about {@code 1/sqrt(d)} for well-spread features, 0 when
     * every row points the same way.
     *
     * @param features {@code [n, d]}, n &gt;= 1
     */
    public static double normalisedStd(float[][] features) {
        int d = FeatureMatrix.columns("feature statistics", features);
        float[][] z = FeatureMatrix.l2Normalised(features);
        double[] mean = new double[d];
        for (float[] row : z) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= z.length;
        }
        double[] var = new double[d];
        for (float[] row : z) {
            for (int j = 0; j < d; j++) {
                double c = row[j] - mean[j];
                var[j] += c * c;
            }
        }
        double sum = 0;
        for (int j = 0; j < d; j++) {
            sum += Math.sqrt(var[j] / z.length);
        }
        return sum / d;
    }

    /**
     * RankMe effective rank (Garrido et al. 2023): with singular values {@code σ_k} of the
     * (uncentred) feature matrix, {@code p_k = σ_k / Σσ + ε} and the rank is
     * {@code exp(-Σ p_k log p_k)}; between 1 (all rows collinear) and {@code min(n, d)}.
     * Singular values come from the eigenvalues of the {@code [d, d]} Gram matrix in double precision.
     *
     * @param features {@code [n, d]}, n &gt;= 1
     */
    public static double rankMe(float[][] features) {
        double[] s = singularValues(features);
        double total = Arrays.stream(s).sum();
        if (total <= 0) {
            return 0;
        }
        double entropy = 0;
        for (double v : s) {
            double p = v / total + RANKME_EPSILON;
            entropy -= p * Math.log(p);
        }
        return Math.exp(entropy);
    }

    /** Singular values of {@code features [n, d]}, largest first ({@code d} of them; trailing zeros when n &lt; d). */
    public static double[] singularValues(float[][] features) {
        double[][] gram = gram(features);
        double[] eig = new EigenDecomposition(new Array2DRowRealMatrix(gram, false)).getRealEigenvalues();
        double[] s = new double[eig.length];
        for (int i = 0; i < eig.length; i++) {
            s[i] = Math.sqrt(Math.max(eig[i], 0));
        }
        Arrays.sort(s);
        for (int i = 0, j = s.length - 1; i < j; i++, j--) {
            double t = s[i];
            s[i] = s[j];
            s[j] = t;
        }
        return s;
    }

    /** {@code X^T X} in double precision, rows of the result computed in parallel. */
    static double[][] gram(float[][] x) {
        int d = FeatureMatrix.columns("feature statistics", x);
        double[][] g = new double[d][d];
        IntStream.range(0, d).parallel().forEach(a -> {
            double[] ga = g[a];
            for (float[] row : x) {
                double va = row[a];
                if (va == 0) {
                    continue;
                }
                for (int b = a; b < d; b++) {
                    ga[b] += va * row[b];
                }
            }
        });
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < a; b++) {
                g[a][b] = g[b][a];
            }
        }
        return g;
    }
}
