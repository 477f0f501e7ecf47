package org.jepa4j.train;

import org.jepa4j.metrics.FeatureStatistics;

/**
 * Representation-collapse monitors computed on pooled target-encoder features {@code [B, D]}
 * (the mean over tokens of the target encoder's last hidden state) of a fixed probe batch, with the
 * definitions of {@link FeatureStatistics}, so training logs and evaluation reports compare.
 *
 * <ul>
 *   <li><b>feature std</b>: each row is L2-normalised, then the standard deviation of every
 *       feature dimension over the B rows is taken (divided by B) and averaged over the D
 *       dimensions. A complete collapse (every image mapped to the same direction) gives 0;
 *       well-spread unit vectors give about {@code 1/sqrt(D)} (SimSiam's diagnostic).</li>
 *   <li><b>RankMe</b> (Garrido et al., 2023): with singular values {@code σ_k} of the
 *       (uncentred) feature matrix and {@code p_k = σ_k / Σσ + ε}, the effective rank is
 *       {@code exp(−Σ p_k·log p_k)}; 1 for identical rows, n for n orthogonal rows of equal norm,
 *       at most {@code min(B, D)}.</li>
 * </ul>
 * Collapse is reported when {@code std < STD_FRACTION/sqrt(D)} (a tenth of the healthy spread)
 * or {@code rank < RANK_FRACTION·min(B, D)} (one percent of the largest possible rank).
 */
public final class CollapseMonitor {
    /** Collapse when the feature std falls below this fraction of {@code 1/sqrt(D)}. */
    public static final double STD_FRACTION = 0.1;
    /** Collapse when RankMe falls below this fraction of {@code min(B, D)}. */
    public static final double RANK_FRACTION = 0.01;

    private CollapseMonitor() {
    }

    /**
     * Result of one probe.
     *
     * @param featureStd mean over dimensions of the per-dimension std of L2-normalised features
     * @param rankMe     effective rank of the feature matrix
     * @param rows       B, the number of probe images
     * @param dim        D, the feature width
     */
    public record Stats(double featureStd, double rankMe, int rows, int dim) {

        /** The std of well-spread unit vectors in D dimensions: {@code 1/sqrt(D)}. */
        public double healthyStd() {
            return 1.0 / Math.sqrt(dim);
        }

        /** True when either monitor is below its threshold (see {@link CollapseMonitor}). */
        public boolean collapsed() {
            return featureStd < STD_FRACTION * healthyStd() || rankMe < RANK_FRACTION * Math.min(rows, dim);
        }

        /** A one-line description for logs, with the thresholds. */
        public String describe() {
            return String.format("feature std %.4f (healthy ~%.4f, collapse < %.4f), RankMe %.2f of max %d (collapse < %.2f)",
                    featureStd, healthyStd(), STD_FRACTION * healthyStd(), rankMe, Math.min(rows, dim),
                    RANK_FRACTION * Math.min(rows, dim));
        }
    }

    /** Both monitors on {@code features [rows, dim]} (row-major). */
    public static Stats measure(float[] features, int rows, int dim) {
        float[][] m = asRows(features, rows, dim);
        return new Stats(FeatureStatistics.normalisedStd(m), FeatureStatistics.rankMe(m), rows, dim);
    }

    /**
     * Mean over dimensions of the per-dimension std of the L2-normalised rows:
     * {@link FeatureStatistics#normalisedStd}, the number evaluation reports show.
     *
     * @param features {@code [rows, dim]} row-major; rows of zero norm stay zero
     */
    public static double featureStd(float[] features, int rows, int dim) {
        return FeatureStatistics.normalisedStd(asRows(features, rows, dim));
    }

    /** RankMe of {@code features [rows, dim]}: {@link FeatureStatistics#rankMe}; 0 for an all-zero matrix. */
    public static double rankMe(float[] features, int rows, int dim) {
        return FeatureStatistics.rankMe(asRows(features, rows, dim));
    }

    private static float[][] asRows(float[] features, int rows, int dim) {
        check(features, rows, dim);
        float[][] m = new float[rows][];
        for (int r = 0; r < rows; r++) {
            m[r] = java.util.Arrays.copyOfRange(features, r * dim, (r + 1) * dim);
        }
        return m;
    }

    private static void check(float[] features, int rows, int dim) {
        if (rows <= 0 || dim <= 0 || features.length != (long) rows * dim) {
            throw new IllegalArgumentException("features must be [rows, dim] = [" + rows + ", " + dim + "] ("
                    + (long) rows * dim + " values), got " + features.length + " values");
        }
    }

    /** Mean over the N tokens of {@code tokens [B, N, D]}: the pooled features {@code [B, D]}. */
    public static float[] meanPool(float[] tokens, int batch, int numTokens, int dim) {
        if (tokens.length != (long) batch * numTokens * dim) {
            throw new IllegalArgumentException("tokens must be [" + batch + ", " + numTokens + ", " + dim
                    + "], got " + tokens.length + " values");
        }
        float[] pooled = new float[batch * dim];
        for (int b = 0; b < batch; b++) {
            double[] acc = new double[dim];
            for (int n = 0; n < numTokens; n++) {
                int base = (b * numTokens + n) * dim;
                for (int c = 0; c < dim; c++) {
                    acc[c] += tokens[base + c];
                }
            }
            for (int c = 0; c < dim; c++) {
                pooled[b * dim + c] = (float) (acc[c] / numTokens);
            }
        }
        return pooled;
    }
}
