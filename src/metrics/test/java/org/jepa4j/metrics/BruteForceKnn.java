package org.jepa4j.metrics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The weighted kNN classifier of DINO (cosine similarity, the k nearest, votes exp(sim / T), the
 * lowest class on a tie, the lower index among equally similar neighbours), computed the slow way
 * in double precision: every similarity, a full sort. The oracle that {@link Knn} and the
 * evaluation's kNN scores are checked against.
 */
public final class BruteForceKnn {
    private BruteForceKnn() {
    }

    /**
     * Predicts a class for every test row.
     *
     * @param train          training features {@code [n, d]}
     * @param labels         their classes, 0 to {@code classes - 1}
     * @param test           test features {@code [m, d]}
     * @param k              neighbours that vote
     * @param t              temperature of the votes
     * @param classes        number of classes
     * @param neighboursOut  {@code [m][]} filled with each test row's neighbours, nearest first
     * @return the predicted class of every test row
     */
    public static int[] predict(float[][] train, int[] labels, float[][] test, int k, double t, int classes,
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

    /**
     * Top-1 accuracy of the classifier on a labelled test set.
     *
     * @param train  training features
     * @param yTrain their classes
     * @param test   test features
     * @param yTest  their classes
     * @param k      neighbours that vote
     * @param t      temperature of the votes
     * @return the fraction of test rows whose predicted class is their own
     */
    public static double top1(float[][] train, int[] yTrain, float[][] test, int[] yTest, int k, double t) {
        int classes = 1 + Math.max(Arrays.stream(yTrain).max().orElse(0), Arrays.stream(yTest).max().orElse(0));
        int[] pred = predict(train, yTrain, test, k, t, classes, new int[test.length][]);
        int hits = 0;
        for (int i = 0; i < test.length; i++) {
            hits += pred[i] == yTest[i] ? 1 : 0;
        }
        return (double) hits / test.length;
    }
}
