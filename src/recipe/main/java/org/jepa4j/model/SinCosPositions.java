package org.jepa4j.model;

/**
 * The fixed 2-D sin-cos positional table of the reference (docs/reference.md §2), used for the
 * encoder's {@code pos_embed} and the predictor's {@code predictor_pos_embed}.
 *
 * <p>Token {@code n = row * gridSize + col}. The first {@code D/2} channels encode the column,
 * the last {@code D/2} the row (the reference's {@code meshgrid(w, h)} order); within each half
 * {@code [sin(p·ω_k)]_k ++ [cos(p·ω_k)]_k} with {@code ω_k = 10000^(−k/(D/4))},
 * {@code k = 0 … D/4−1}. Computed in double and rounded once to float, as the reference computes
 * it in float64 numpy and stores float32.
 */
public final class SinCosPositions {
    private SinCosPositions() {
    }

    /**
     * The table {@code [N, D]} row-major, {@code N = gridSize²}.
     *
     * @param width    D, a multiple of 4
     * @param gridSize patches per side
     */
    public static float[] table(int width, int gridSize) {
        if (width <= 0 || width % 4 != 0) {
            throw new IllegalArgumentException("sin-cos table width " + width + " must be a positive multiple of 4");
        }
        if (gridSize <= 0) {
            throw new IllegalArgumentException("sin-cos table gridSize must be positive, got " + gridSize);
        }
        int quarter = width / 4;
        double[] omega = new double[quarter];
        for (int k = 0; k < quarter; k++) {
            omega[k] = 1.0 / Math.pow(10000.0, k / (double) quarter);
        }
        float[] out = new float[gridSize * gridSize * width];
        for (int row = 0; row < gridSize; row++) {
            for (int col = 0; col < gridSize; col++) {
                int base = (row * gridSize + col) * width;
                for (int k = 0; k < quarter; k++) {
                    out[base + k] = (float) Math.sin(col * omega[k]);
                    out[base + quarter + k] = (float) Math.cos(col * omega[k]);
                    out[base + 2 * quarter + k] = (float) Math.sin(row * omega[k]);
                    out[base + 3 * quarter + k] = (float) Math.cos(row * omega[k]);
                }
            }
        }
        return out;
    }
}
