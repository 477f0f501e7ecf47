package org.jepa4j.metrics;

/**
 * Checks and small transforms of feature matrices {@code [n, d]} (one row per image) shared by
 * the probe, kNN, PCA and statistics.
 */
public final class FeatureMatrix {
    private FeatureMatrix() {
    }

    /**
     * The common row length of {@code x}.
     *
     * @throws IllegalArgumentException naming {@code what} when {@code x} is empty or ragged
     */
    public static int columns(String what, float[][] x) {
        if (x == null || x.length == 0) {
            throw new IllegalArgumentException(what + ": expected at least one feature row, got none");
        }
        int d = x[0].length;
        if (d == 0) {
            throw new IllegalArgumentException(what + ": feature rows have no columns");
        }
        for (int i = 1; i < x.length; i++) {
            if (x[i].length != d) {
                throw new IllegalArgumentException(what + ": row " + i + " has " + x[i].length
                        + " columns, row 0 has " + d);
            }
        }
        return d;
    }

    /** Checks that {@code labels} has one non-negative entry per row of {@code x}. */
    public static void checkLabels(String what, float[][] x, int[] labels) {
        if (labels.length != x.length) {
            throw new IllegalArgumentException(what + ": " + x.length + " feature rows but " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException(what + ": label " + labels[i] + " at row " + i + " is negative");
            }
        }
    }

    /** One more than the largest label in any of {@code labelSets}. */
    public static int numClasses(int[]... labelSets) {
        int max = -1;
        for (int[] labels : labelSets) {
            for (int l : labels) {
                max = Math.max(max, l);
            }
        }
        return max + 1;
    }

    /** Rows of {@code x} scaled to unit Euclidean norm (all-zero rows stay zero), as new arrays. */
    public static float[][] l2Normalised(float[][] x) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            float[] row = x[i];
            double ss = 0;
            for (float v : row) {
                ss += (double) v * v;
            }
            float inv = ss > 0 ? (float) (1.0 / Math.sqrt(ss)) : 0f;
            float[] r = new float[row.length];
            for (int j = 0; j < row.length; j++) {
                r[j] = row[j] * inv;
            }
            out[i] = r;
        }
        return out;
    }
}
