package org.jepa4j.infer;

/**
 * Average pooling of a square token grid into {@value #CELLS}x{@value #CELLS} regions, the
 * {@link FeatureKind#POOLED_GRID} feature.
 *
 * <p>The regions follow PyTorch's {@code adaptive_avg_pool2d}: along each side of {@code S} tokens,
 * cell {@code i} covers rows {@code floor(i·S/3)} to {@code ceil((i+1)·S/3)} (exclusive), so on a
 * 7x7 grid the cells span tokens 0–2, 2–4 and 4–6 and overlap by one. Linear evaluation of
 * convolutional features pools feature maps to a small grid in the same way (Goyal et al. 2019,
 * "Scaling and Benchmarking Self-Supervised Visual Representation Learning"); for small images,
 * where the class depends on the silhouette, it keeps the layout that a mean over all tokens loses.
 */
public final class GridPooling {
    /** Regions per side. */
    public static final int CELLS = 3;

    private GridPooling() {
    }

    /**
     * Whether a model with {@code tokens} tokens per image can be pooled: a square grid of at least
     * {@value #CELLS} tokens per side.
     */
    public static boolean supports(long tokens) {
        long side = Math.round(Math.sqrt(tokens));
        return side * side == tokens && side >= CELLS;
    }

    /** Values per image of the pooled feature for token width {@code dim}. */
    public static int length(int dim) {
        return CELLS * CELLS * dim;
    }

    /**
     * Pools one image's tokens.
     *
     * @param tokens {@code [S·S, D]} token-major, row-major over the grid (as {@code last_hidden_state})
     * @param dim    token width D
     * @return {@code [9, D]} flattened: cell (row, column) in row-major order, channels fastest
     * @throws IllegalArgumentException when the tokens do not form a square grid of at least 3x3
     */
    public static float[] pool(float[] tokens, int dim) {
        if (dim <= 0 || tokens.length % dim != 0 || !supports(tokens.length / dim)) {
            throw new IllegalArgumentException("grid pooling needs a square grid of at least " + CELLS + "x" + CELLS
                    + " tokens of width " + dim + ", got " + tokens.length + " values");
        }
        int side = (int) Math.round(Math.sqrt(tokens.length / dim));
        float[] out = new float[length(dim)];
        double[] sum = new double[dim];
        for (int cr = 0; cr < CELLS; cr++) {
            int r0 = start(cr, side);
            int r1 = end(cr, side);
            for (int cc = 0; cc < CELLS; cc++) {
                int c0 = start(cc, side);
                int c1 = end(cc, side);
                java.util.Arrays.fill(sum, 0);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        int base = (r * side + c) * dim;
                        for (int k = 0; k < dim; k++) {
                            sum[k] += tokens[base + k];
                        }
                    }
                }
                int count = (r1 - r0) * (c1 - c0);
                int at = (cr * CELLS + cc) * dim;
                for (int k = 0; k < dim; k++) {
                    out[at + k] = (float) (sum[k] / count);
                }
            }
        }
        return out;
    }

    /**
     * Mean over all tokens of one image, the {@link FeatureKind#POOLED} feature: sums in double in
     * token order, so the result depends on this image's tokens alone (never on its batch).
     *
     * @param tokens {@code [N, D]} token-major
     * @param dim    token width D
     * @return {@code [D]}
     */
    public static float[] mean(float[] tokens, int dim) {
        if (dim <= 0 || tokens.length % dim != 0 || tokens.length == 0) {
            throw new IllegalArgumentException("token mean needs tokens of width " + dim + ", got " + tokens.length
                    + " values");
        }
        int n = tokens.length / dim;
        double[] sum = new double[dim];
        for (int t = 0; t < n; t++) {
            int base = t * dim;
            for (int k = 0; k < dim; k++) {
                sum[k] += tokens[base + k];
            }
        }
        float[] out = new float[dim];
        for (int k = 0; k < dim; k++) {
            out[k] = (float) (sum[k] / n);
        }
        return out;
    }

    /** First token of cell {@code i} along a side of {@code side} tokens. */
    static int start(int i, int side) {
        return i * side / CELLS;
    }

    /** One past the last token of cell {@code i} along a side of {@code side} tokens. */
    static int end(int i, int side) {
        return ((i + 1) * side + CELLS - 1) / CELLS;
    }
}
