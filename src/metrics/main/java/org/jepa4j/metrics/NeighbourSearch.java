package org.jepa4j.metrics;

/**
 * The {@code k} largest inner products of query rows with a fixed bank of rows: the search behind
 * {@link Knn}. {@link ExactInnerProductSearch} is plain Java, for the small sets of a training
 * monitor; {@code jepa4j-eval} adds an ONNX Runtime search for full evaluation sets.
 *
 * <p>Every implementation returns, for each query, bank indices ordered by decreasing inner
 * product, with equal products keeping the lower bank index first. Closing frees what the search
 * holds (native memory for an ONNX Runtime search).
 */
public interface NeighbourSearch extends AutoCloseable {

    /**
     * Fills {@code outIdx[i]} and {@code outSim[i]} for queries {@code from <= i < to}: the bank
     * indices of the {@code min(k, bank size)} largest inner products, largest first, and those products.
     *
     * @param queries {@code [q, dim]} query rows
     * @param from    first query row
     * @param to      one past the last query row
     * @param k       neighbours per query (at least 1)
     * @param outIdx  per query: bank indices, filled for rows {@code from..to-1}
     * @param outSim  per query: inner products, filled for rows {@code from..to-1}
     */
    void search(float[][] queries, int from, int to, int k, int[][] outIdx, float[][] outSim);

    @Override
    void close();

    /** Opens a search over a bank of rows. */
    @FunctionalInterface
    interface Factory {
        /**
         * @param bank {@code [n, dim]} rows to search (the search may keep or copy them)
         * @param dim  row width
         * @return a search over {@code bank}; the caller closes it
         */
        NeighbourSearch open(float[][] bank, int dim);
    }
}
