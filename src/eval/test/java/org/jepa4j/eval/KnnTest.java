package org.jepa4j.eval;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KnnTest {

    private static float[][] gaussian(Random rng, int n, int d) {
        float[][] x = new float[n][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    /** Double-precision brute force: all cosine similarities, sorted, DINO votes. */
    private static int[] bruteForce(float[][] train, int[] labels, float[][] test, int k, double t, int classes,
                                    int[][] neighboursOut) {
        int[] pred = new int[test.length];
        for (int i = 0; i < test.length; i++) {
            double[] sims = new double[train.length];
            for (int j = 0; j < train.length; j++) {
                double dot = 0, na = 0, nb = 0;
                for (int c = 0; c < test[i].length; c++) {
                    dot += (double) test[i][c] * train[j][c];
                    na += (double) test[i][c] * test[i][c];
                    nb += (double) train[j][c] * train[j][c];
                }
                sims[j] = dot / Math.sqrt(na * nb);
            }
            Integer[] order = IntStream.range(0, train.length).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -sims[j]).thenComparingInt(j -> j));
            double[] votes = new double[classes];
            int kk = Math.min(k, train.length);
            neighboursOut[i] = new int[kk];
            for (int r = 0; r < kk; r++) {
                neighboursOut[i][r] = order[r];
                votes[labels[order[r]]] += Math.exp(sims[order[r]] / t);
            }
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (votes[c] > votes[best]) {
                    best = c;
                }
            }
            pred[i] = best;
        }
        return pred;
    }

    @Test
    void matchesDoublePrecisionBruteForceOnRandomData() {
        Random rng = new Random(7);
        int classes = 5;
        // 613 test rows: two full query blocks of 256 and a partial one
        float[][] train = gaussian(rng, 613, 19);
        float[][] test = gaussian(rng, 613, 19);
        int[] labels = rng.ints(train.length, 0, classes).toArray();
        int[][] expectedNb = new int[test.length][];
        int[] expected = bruteForce(train, labels, test, 7, 0.1, classes, expectedNb);
        Knn knn = Knn.fit(train, labels);
        Knn.Neighbours nb = knn.neighbours(test, 7);
        for (int i = 0; i < test.length; i++) {
            assertArrayEquals(expectedNb[i], nb.indices()[i], "neighbours of test row " + i);
        }
        assertArrayEquals(expected, knn.predict(test, 7, 0.1));
    }

    @Test
    void handMadeCaseFollowsTheClosedFormVotes() {
        float[][] train = {{1, 0}, {0, 1}, {1, 1}, {-1, 0}};
        int[] labels = {0, 1, 1, 2};
        float[][] test = {{1, 0.1f}};
        // cosines: 1/sqrt(1.01) to class 0; 1.1/sqrt(2.02) and 0.1/sqrt(1.01) to class 1
        double s0 = 1 / Math.sqrt(1.01);
        double s2 = 1.1 / Math.sqrt(2.02);
        double s1 = 0.1 / Math.sqrt(1.01);
        for (double t : new double[] {0.07, 10}) {
            double vote0 = Math.exp(s0 / t);
            double vote1 = Math.exp(s2 / t) + Math.exp(s1 / t);
            int expected = vote1 > vote0 ? 1 : 0;
            assertEquals(expected, Knn.fit(train, labels).predict(test, 3, t)[0], "T = " + t);
        }
        // at T = 0.07 the single closest neighbour dominates; at T = 10 the two class-1 votes win
        assertEquals(1.0, Knn.evaluate(train, labels, test, new int[] {0}, 3, 0.07));
        assertEquals(1.0, Knn.evaluate(train, labels, test, new int[] {1}, 3, 10));
        Knn.Neighbours nb = Knn.fit(train, labels).neighbours(test, 3);
        assertArrayEquals(new int[] {0, 2, 1}, nb.indices()[0]);
        assertEquals(s0, nb.similarities()[0][0], 1e-6);
        assertEquals(s2, nb.similarities()[0][1], 1e-6);
    }

    @Test
    void equalSimilaritiesPreferTheLowerTrainingIndex() {
        float[][] train = new float[10][];
        for (int i = 0; i < 10; i++) {
            train[i] = new float[] {1, 0};
        }
        int[] labels = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
        Knn.Neighbours nb = Knn.fit(train, labels).neighbours(new float[][] {{2, 0}}, 2);
        assertArrayEquals(new int[] {0, 1}, nb.indices()[0]);
        assertEquals(3, Knn.fit(train, labels).predict(new float[][] {{2, 0}}, 2, 0.07)[0]);
    }

    @Test
    void kLargerThanTheTrainingSetUsesEveryRow() {
        float[][] train = {{1, 0}, {0, 1}, {-1, 0}};
        Knn.Neighbours nb = Knn.fit(train, new int[] {0, 1, 2}).neighbours(new float[][] {{0, 1}}, 20);
        assertArrayEquals(new int[] {1, 0, 2}, nb.indices()[0]);
    }

    @Test
    void repeatedCallsGiveTheSameNeighbours() {
        Random rng = new Random(3);
        float[][] train = gaussian(rng, 900, 8);
        float[][] test = gaussian(rng, 130, 8);
        int[] labels = rng.ints(train.length, 0, 4).toArray();
        Knn knn = Knn.fit(train, labels);
        Knn.Neighbours first = knn.neighbours(test, 20);
        Knn.Neighbours second = knn.neighbours(test, 20);
        for (int i = 0; i < test.length; i++) {
            assertArrayEquals(first.indices()[i], second.indices()[i]);
            assertArrayEquals(first.similarities()[i], second.similarities()[i]);
        }
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

    @Test
    void mismatchedWidthsAreRejectedWithBothSizes() {
        Knn knn = Knn.fit(new float[][] {{1, 0}}, new int[] {0});
        var e = assertThrows(IllegalArgumentException.class, () -> knn.predict(new float[][] {{1, 0, 0}}, 1, 0.07));
        assertEquals("kNN test features have 3 columns, training features 2", e.getMessage());
    }
}
