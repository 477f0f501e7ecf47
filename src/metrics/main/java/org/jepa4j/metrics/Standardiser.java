package org.jepa4j.metrics;

/**
 * Per-column standardisation {@code (x - mean) / std}, with mean and std estimated on training
 * features and applied unchanged to any other split.
 *
 * @param mean {@code [d]} column means
 * @param std  {@code [d]} column standard deviations (population), floored at {@link #MIN_STD}
 */
public record Standardiser(double[] mean, double[] std) {
    /** Constant columns are divided by this instead of zero. */
    public static final double MIN_STD = 1e-6;

    public Standardiser {
        mean = mean.clone();
        std = std.clone();
    }

    /** Estimates column means and standard deviations of {@code x [n, d]}. */
    public static Standardiser fit(float[][] x) {
        int d = FeatureMatrix.columns("standardiser features", x);
        double[] mean = new double[d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= x.length;
        }
        double[] var = new double[d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                double c = row[j] - mean[j];
                var[j] += c * c;
            }
        }
        double[] std = new double[d];
        for (int j = 0; j < d; j++) {
            std[j] = Math.max(Math.sqrt(var[j] / x.length), MIN_STD);
        }
        return new Standardiser(mean, std);
    }

    /** Standardised copy of {@code x [n, d]}. */
    public float[][] apply(float[][] x) {
        int d = FeatureMatrix.columns("standardised features", x);
        if (d != mean.length) {
            throw new IllegalArgumentException("features have " + d + " columns, the standardiser was fitted on "
                    + mean.length);
        }
        float[] m = new float[d];
        float[] inv = new float[d];
        for (int j = 0; j < d; j++) {
            m[j] = (float) mean[j];
            inv[j] = (float) (1.0 / std[j]);
        }
        float[][] out = new float[x.length][d];
        for (int i = 0; i < x.length; i++) {
            float[] row = x[i];
            float[] o = out[i];
            for (int j = 0; j < d; j++) {
                o[j] = (row[j] - m[j]) * inv[j];
            }
        }
        return out;
    }
}
