package org.jepa4j.eval;

import org.jepa4j.metrics.KnnContract;
import org.jepa4j.metrics.NeighbourSearch;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link KnnContract} with ONNX Runtime's {@link InnerProductSearch}, and its bank chunking. */
class OnnxKnnTest extends KnnContract {
    @Override
    protected NeighbourSearch.Factory search() {
        return InnerProductSearch.FACTORY;
    }

    @Test
    void bankSplitIntoChunksGivesTheSameNeighboursAsOneTensor() {
        Random rng = new Random(5);
        float[][] bank = gaussian(rng, 300, 6);
        bank[250] = bank[10].clone(); // an exact tie across chunks: the lower index must come first
        float[][] queries = gaussian(rng, 40, 6);
        queries[0] = bank[10].clone();
        int k = 25;
        int[][] idxOne = new int[40][];
        float[][] simOne = new float[40][];
        int[][] idxChunked = new int[40][];
        float[][] simChunked = new float[40][];
        try (InnerProductSearch one = new InnerProductSearch(bank, 6);
             InnerProductSearch chunked = new InnerProductSearch(bank, 6, 7 * 6)) { // 43 tensors of <= 7 rows
            one.search(queries, 0, 40, k, idxOne, simOne);
            chunked.search(queries, 0, 40, k, idxChunked, simChunked);
        }
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(idxOne[i], idxChunked[i], "query " + i);
            assertArrayEquals(simOne[i], simChunked[i], "query " + i);
            for (int j = 0; j < k; j++) { // the products themselves, against a double-precision dot
                double dot = 0;
                for (int c = 0; c < 6; c++) {
                    dot += (double) queries[i][c] * bank[idxOne[i][j]][c];
                }
                assertEquals(dot, simOne[i][j], 1e-5);
            }
        }
        assertEquals(10, idxChunked[0][0]);
        assertEquals(250, idxChunked[0][1]);
    }
}
