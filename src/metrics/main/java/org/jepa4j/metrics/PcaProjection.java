package org.jepa4j.metrics;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Principal-component projection fitted on a feature matrix {@code [n, d]}: the mean and the
 * leading eigenvectors of the covariance (double precision, commons-math3). Each component's sign
 * is fixed so that its largest-magnitude entry is positive, which makes plots repeatable.
 *
 * @param mean                {@code [d]} column means
 * @param components          {@code [m, d]} unit principal directions, largest variance first
 * @param explainedVariance   {@code [m]} variance along each component
 * @param totalVariance       sum of all column variances
 */
public record PcaProjection(double[] mean, double[][] components, double[] explainedVariance, double totalVariance) {

    /**
     * Fits the first {@code m} principal components of {@code x [n, d]} (m &lt;= d). Features up to
     * {@link FeatureStatistics#MAX_GRAM} wide use the {@code [d, d]} covariance of all rows, or the
     * {@code [n, n]} Gram matrix of the rows when there are fewer rows than columns (the same
     * components); wider ones are fitted on the first {@code MAX_GRAM} rows through their
     * {@code [rows, rows]} Gram matrix (the same components when all rows fit), so a flattened token
     * grid stays cheap.
     */
    public static PcaProjection fit(float[][] x, int m) {
        return fit(x, m, FeatureStatistics.MAX_GRAM);
    }

    /** {@link #fit(float[][], int)} with the width above which the row Gram matrix is used. */
    static PcaProjection fit(float[][] x, int m, int maxGram) {
        int d = FeatureMatrix.columns("PCA features", x);
        if (m < 1 || m > d) {
            throw new IllegalArgumentException("PCA components must be in [1, " + d + "], got " + m);
        }
        float[][] rows = d <= maxGram ? x : Arrays.copyOf(x, Math.min(x.length, maxGram));
        // fewer rows than columns: the [n, n] Gram matrix gives the same components as the [d, d]
        // covariance at a fraction of the cost (an eigendecomposition is cubic in its size)
        boolean byRows = d > maxGram || rows.length < d;
        return byRows ? fitRowGram(rows, m, columnMeans(rows, d)) : fitCovariance(rows, m, columnMeans(rows, d));
    }

    /** The fit through the {@code [d, d]} covariance whatever the shape of {@code x} (tests compare both fits). */
    static PcaProjection fitByCovariance(float[][] x, int m) {
        return fitCovariance(x, m, columnMeans(x, FeatureMatrix.columns("PCA features", x)));
    }

    private static double[] columnMeans(float[][] rows, int d) {
        double[] mean = new double[d];
        for (float[] row : rows) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= rows.length;
        }
        return mean;
    }

    private static PcaProjection fitCovariance(float[][] x, int m, double[] mean) {
        int d = mean.length;
        int n = x.length;
        double[][] cov = new double[d][d];
        IntStream.range(0, d).parallel().forEach(a -> {
            double[] ca = cov[a];
            for (float[] row : x) {
                double va = row[a] - mean[a];
                for (int b = a; b < d; b++) {
                    ca[b] += va * (row[b] - mean[b]);
                }
            }
            for (int b = a; b < d; b++) {
                ca[b] /= n;
            }
        });
        double total = 0;
        for (int a = 0; a < d; a++) {
            total += cov[a][a];
            for (int b = 0; b < a; b++) {
                cov[a][b] = cov[b][a];
            }
        }
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(cov, false));
        Integer[] order = descending(eig.getRealEigenvalues());
        double[][] comps = new double[m][];
        double[] var = new double[m];
        for (int c = 0; c < m; c++) {
            comps[c] = signFixed(eig.getEigenvector(order[c]).toArray());
            var[c] = Math.max(eig.getRealEigenvalues()[order[c]], 0);
        }
        return new PcaProjection(mean, comps, var, total);
    }

    /**
     * Dual PCA: with the centred rows {@code Xc} and the eigenpairs {@code (λ, u)} of
     * {@code K = Xc Xcᵀ}, the unit principal directions are {@code Xcᵀ u / sqrt(λ)} and the
     * variances {@code λ / n}. Directions of rank beyond the rows (λ = 0) are zero vectors.
     */
    private static PcaProjection fitRowGram(float[][] x, int m, double[] mean) {
        int d = mean.length;
        int n = x.length;
        double[][] k = FeatureStatistics.rowGram(x, mean);
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += k[i][i];
        }
        EigenDecomposition eig = new EigenDecomposition(new Array2DRowRealMatrix(k, false));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = descending(values);
        double[][] comps = new double[m][];
        double[] var = new double[m];
        for (int c = 0; c < m; c++) {
            double lambda = c < n ? Math.max(values[order[c]], 0) : 0;
            double[] v = new double[d];
            if (lambda > 1e-12 * Math.max(total, Double.MIN_NORMAL)) {
                double[] u = eig.getEigenvector(order[c]).toArray();
                for (int i = 0; i < n; i++) {
                    double w = u[i] / Math.sqrt(lambda);
                    for (int j = 0; j < d; j++) {
                        v[j] += w * (x[i][j] - mean[j]);
                    }
                }
            }
            comps[c] = signFixed(v);
            var[c] = lambda / n;
        }
        return new PcaProjection(mean, comps, var, total / n);
    }

    private static Integer[] descending(double[] values) {
        Integer[] order = IntStream.range(0, values.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]).thenComparingInt(i -> i));
        return order;
    }

    /** {@code v} negated when its largest-magnitude entry is negative (repeatable plots). */
    private static double[] signFixed(double[] v) {
        int arg = 0;
        for (int j = 1; j < v.length; j++) {
            if (Math.abs(v[j]) > Math.abs(v[arg])) {
                arg = j;
            }
        }
        if (v[arg] < 0) {
            for (int j = 0; j < v.length; j++) {
                v[j] = -v[j];
            }
        }
        return v;
    }

    /** Coordinates {@code [n, m]} of {@code x [n, d]} along the components. */
    public double[][] project(float[][] x) {
        int d = FeatureMatrix.columns("PCA features", x);
        if (d != mean.length) {
            throw new IllegalArgumentException("PCA was fitted on " + mean.length + " columns, got " + d);
        }
        double[][] out = new double[x.length][components.length];
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < components.length; c++) {
                double s = 0;
                double[] v = components[c];
                for (int j = 0; j < d; j++) {
                    s += (x[i][j] - mean[j]) * v[j];
                }
                out[i][c] = s;
            }
        }
        return out;
    }

    /** Fraction of the total variance along each component. */
    public double[] explainedVarianceRatio() {
        double[] r = new double[explainedVariance.length];
        for (int c = 0; c < r.length; c++) {
            r[c] = totalVariance > 0 ? explainedVariance[c] / totalVariance : 0;
        }
        return r;
    }
}
