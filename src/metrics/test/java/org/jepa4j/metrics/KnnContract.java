package org.jepa4j.metrics;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What every {@link NeighbourSearch} behind {@link Knn} must give: the neighbours and votes of a
 * double-precision brute force, DINO's closed-form votes, the lower index on ties. Run by
 * {@code KnnTest} with the plain-Java search and by jepa4j-eval's {@code OnnxKnnTest} with ONNX
 * Runtime's.
 */
public abstract class KnnContract {

    /** The search under test. */
    protected abstract NeighbourSearch.Factory search();

    private Knn fit(float[][] train, int[] labels) {
        return Knn.fit(train, labels, search());
    }

    protected static float[][] gaussian(Random rng, int n, int d) {
        float[][] x = new float[n][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    @Test
    public void matchesDoublePrecisionBruteForceOnRandomData() {
        Random rng = new Random(7);
        int classes = 5;
        // 613 test rows: two full query blocks of 256 and a partial one
        float[][] train = gaussian(rng, 613, 19);
        float[][] test = gaussian(rng, 613, 19);
        int[] labels = rng.ints(train.length, 0, classes).toArray();
        int[][] expectedNb = new int[test.length][];
        int[] expected = BruteForceKnn.predict(train, labels, test, 7, 0.1, classes, expectedNb);
        Knn knn = fit(train, labels);
        Knn.Neighbours nb = knn.neighbours(test, 7);
        for (int i = 0; i < test.length; i++) {
            assertArrayEquals(expectedNb[i], nb.indices()[i], "neighbours of test row " + i);
        }
        assertArrayEquals(expected, knn.predict(test, 7, 0.1));
    }

    @Test
    public void handMadeCaseFollowsTheClosedFormVotes() {
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
            assertEquals(expected, fit(train, labels).predict(test, 3, t)[0], "T = " + t);
        }
        // at T = 0.07 the single closest neighbour dominates; at T = 10 the two class-1 votes win
        assertEquals(1.0, Knn.evaluate(train, labels, test, new int[] {0}, 3, 0.07, search()));
        assertEquals(1.0, Knn.evaluate(train, labels, test, new int[] {1}, 3, 10, search()));
        Knn.Neighbours nb = fit(train, labels).neighbours(test, 3);
        assertArrayEquals(new int[] {0, 2, 1}, nb.indices()[0]);
        assertEquals(s0, nb.similarities()[0][0], 1e-6);
        assertEquals(s2, nb.similarities()[0][1], 1e-6);
    }

    @Test
    public void equalSimilaritiesPreferTheLowerTrainingIndex() {
        float[][] train = new float[10][];
        for (int i = 0; i < 10; i++) {
            train[i] = new float[] {1, 0};
        }
        int[] labels = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
        Knn.Neighbours nb = fit(train, labels).neighbours(new float[][] {{2, 0}}, 2);
        assertArrayEquals(new int[] {0, 1}, nb.indices()[0]);
        assertEquals(3, fit(train, labels).predict(new float[][] {{2, 0}}, 2, 0.07)[0]);
    }

    @Test
    public void kLargerThanTheTrainingSetUsesEveryRow() {
        float[][] train = {{1, 0}, {0, 1}, {-1, 0}};
        Knn.Neighbours nb = fit(train, new int[] {0, 1, 2}).neighbours(new float[][] {{0, 1}}, 20);
        assertArrayEquals(new int[] {1, 0, 2}, nb.indices()[0]);
    }

    @Test
    public void successiveQueriesOfOneIndexEachMatchBruteForce() {
        // one fitted index asked twice with different queries: neither answer may carry state from
        // the other (a reused buffer or tensor would); each against the double-precision oracle
        Random rng = new Random(3);
        float[][] train = gaussian(rng, 900, 8);
        int[] labels = rng.ints(train.length, 0, 4).toArray();
        Knn knn = fit(train, labels);
        for (int round = 0; round < 2; round++) {
            float[][] test = gaussian(rng, 130 + round * 70, 8);
            int[][] expected = new int[test.length][];
            BruteForceKnn.predict(train, labels, test, 20, 0.07, 4, expected);
            Knn.Neighbours nb = knn.neighbours(test, 20);
            for (int i = 0; i < test.length; i++) {
                assertArrayEquals(expected[i], nb.indices()[i], "round " + round + ", test row " + i);
            }
        }
    }

    @Test
    public void mismatchedWidthsAreRejectedWithBothSizes() {
        Knn knn = fit(new float[][] {{1, 0}}, new int[] {0});
        var e = assertThrows(IllegalArgumentException.class, () -> knn.predict(new float[][] {{1, 0, 0}}, 1, 0.07));
        assertEquals("kNN test features have 3 columns, training features 2", e.getMessage());
    }
}
