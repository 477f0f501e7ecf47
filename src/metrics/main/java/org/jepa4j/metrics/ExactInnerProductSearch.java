package org.jepa4j.metrics;

import java.util.stream.IntStream;

/**
 * Exact inner-product search in plain Java: every query against every bank row, each product
 * accumulated in float in index order, a partial selection of the {@code k} best. Quadratic, meant
 * for the few thousand rows of a training monitor's kNN check; {@code jepa4j-eval}'s ONNX Runtime
 * search is the one for tens of thousands of wide rows. Queries run in parallel on the common pool.
 */
public final class ExactInnerProductSearch implements NeighbourSearch {
    /** Opens an exact search (a {@link NeighbourSearch.Factory}). */
    public static final NeighbourSearch.Factory FACTORY = ExactInnerProductSearch::new;

    private final float[][] bank;
    private final int dim;

    /**
     * @param bank {@code [n, dim]} rows, kept by reference (not copied)
     * @param dim  row width
     */
    public ExactInnerProductSearch(float[][] bank, int dim) {
        this.bank = bank;
        this.dim = dim;
    }

    @Override
    public void search(float[][] queries, int from, int to, int k, int[][] outIdx, float[][] outSim) {
        if (k < 1) {
            throw new IllegalArgumentException("inner-product search needs k >= 1, got " + k);
        }
        int kept = Math.min(k, bank.length);
        IntStream.range(from, to).parallel().forEach(i -> {
            float[] q = queries[i];
            int[] idx = new int[kept];
            float[] sim = new float[kept];
            int filled = 0;
            for (int j = 0; j < bank.length; j++) {
                float[] row = bank[j];
                float dot = 0;
                for (int c = 0; c < dim; c++) {
                    dot += q[c] * row[c];
                }
                if (filled == kept && !(dot > sim[kept - 1])) {
                    continue; // not better than the worst kept; on equality the lower index (kept) wins
                }
                // insertion into the sorted top list: strictly larger moves ahead, equal stays behind
                int at = filled == kept ? kept - 1 : filled++;
                while (at > 0 && dot > sim[at - 1]) {
                    sim[at] = sim[at - 1];
                    idx[at] = idx[at - 1];
                    at--;
                }
                sim[at] = dot;
                idx[at] = j;
            }
            outIdx[i] = idx;
            outSim[i] = sim;
        });
    }

    @Override
    public void close() {
        // holds no native memory
    }
}
