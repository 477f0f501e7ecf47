package org.jepa4j.metrics;

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

    /**
     * Widest feature whose {@code [d, d]} Gram matrix is decomposed; wider features use the row
     * Gram matrix of at most this many rows (an eigen-decomposition costs {@code O(size³)}).
     */
    public static final int MAX_GRAM = 2048;

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
     * Singular values come from the eigenvalues of a Gram matrix in double precision (see
     * {@link #singularValues}); for features wider than {@link #MAX_GRAM} from the first
     * {@link #MAX_GRAM} rows only, so the rank is then at most {@link #MAX_GRAM}.
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

    /**
     * Singular values of {@code features [n, d]}, largest first, {@code d} of them (trailing zeros
     * when there are fewer rows than columns). From the {@code [d, d]} Gram matrix {@code XᵀX} when
     * {@code n >= d} and {@code d <= MAX_GRAM}, else from the row Gram matrix {@code XXᵀ} of the first
     * {@code min(n, MAX_GRAM)} rows (same non-zero singular values when {@code n <= MAX_GRAM}), which
     * keeps wide features such as a flattened {@code last_hidden_state} to seconds.
     */
    public static double[] singularValues(float[][] features) {
        return singularValues(features, MAX_GRAM);
    }

    /** {@link #singularValues(float[][])} with the width above which the row Gram matrix is used. */
    static double[] singularValues(float[][] features, int maxGram) {
        int d = FeatureMatrix.columns("feature statistics", features);
        // fewer rows than columns: the [n, n] row Gram matrix has the same non-zero eigenvalues, cheaper
        boolean byRows = d > maxGram || features.length < d;
        double[][] gram = byRows ? rowGram(Arrays.copyOf(features, Math.min(features.length, maxGram)), null)
                : gram(features);
        double[] eig = new EigenDecomposition(new Array2DRowRealMatrix(gram, false)).getRealEigenvalues();
        double[] s = new double[d];
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

    /**
     * {@code X Xᵀ [n, n]} of the rows of {@code x} in double precision, each row first shifted by
     * {@code -centre} when {@code centre} is not null; rows of the result computed in parallel.
     */
    static double[][] rowGram(float[][] x, double[] centre) {
        int d = FeatureMatrix.columns("feature statistics", x);
        int n = x.length;
        double[][] rows = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                rows[i][j] = centre == null ? x[i][j] : x[i][j] - centre[j];
            }
        }
        double[][] g = new double[n][n];
        IntStream.range(0, n).parallel().forEach(a -> {
            double[] ra = rows[a];
            for (int b = a; b < n; b++) {
                double[] rb = rows[b];
                double sum = 0;
                for (int j = 0; j < d; j++) {
                    sum += ra[j] * rb[j];
                }
                g[a][b] = sum;
            }
        });
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < a; b++) {
                g[a][b] = g[b][a];
            }
        }
        return g;
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
