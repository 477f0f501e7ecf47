package org.jepa4j.eval;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Weighted k-nearest-neighbour classifier on frozen features, as DINO reports kNN accuracy
 * (Caron et al. 2021, {@code eval_knn.py}): features are L2-normalised, similarity is the cosine,
 * each of the {@code k} most similar training images votes for its class with weight
 * {@code exp(sim / T)}, the class with the largest summed weight wins (lowest class index on a tie).
 *
 * <p>The {@code [nTest, nTrain]} similarities are never stored: they are computed block by block
 * (test rows in chunks spread over the common fork-join pool, training rows in cache-sized blocks,
 * 4x4 register tiles inside), and each test row keeps its top {@code k} in a small heap. Among equally similar training images the one with the lower index is preferred, so
 * results do not depend on the number of threads.
 */
public final class Knn {
    /** DINO's reported setting. */
    public static final int DEFAULT_K = 20;
    /** DINO's temperature for the vote weights. */
    public static final double DEFAULT_TEMPERATURE = 0.07;

    private static final int TRAIN_BLOCK = 256;
    private static final int TEST_CHUNK = 32;

    private final int dim;
    private final int trainSize;
    private final int[] trainLabels;
    private final int numClasses;
    /** L2-normalised training rows, padded with zero rows to a multiple of 4. */
    private final float[][] train;

    private Knn(float[][] trainFeatures, int[] trainLabels) {
        this.dim = FeatureMatrix.columns("kNN training features", trainFeatures);
        FeatureMatrix.checkLabels("kNN training features", trainFeatures, trainLabels);
        this.trainSize = trainFeatures.length;
        this.trainLabels = trainLabels.clone();
        this.numClasses = FeatureMatrix.numClasses(trainLabels);
        this.train = padded(FeatureMatrix.l2Normalised(trainFeatures), dim);
    }

    private static float[][] padded(float[][] rows, int dim) {
        int n = (rows.length + 3) / 4 * 4;
        float[][] out = java.util.Arrays.copyOf(rows, n);
        for (int i = rows.length; i < n; i++) {
            out[i] = new float[dim];
        }
        return out;
    }

    /**
     * Indexes training features {@code [nTrain, d]} with their labels (copied and normalised).
     *
     * @throws IllegalArgumentException when the matrix is empty or ragged or labels do not match
     */
    public static Knn fit(float[][] trainFeatures, int[] trainLabels) {
        return new Knn(trainFeatures, trainLabels);
    }

    /**
     * Top-1 accuracy of the weighted kNN classifier: the one-call entry point used by training
     * monitors and the {@code eval} command.
     *
     * @param trainFeatures {@code [nTrain, d]}
     * @param trainLabels   {@code [nTrain]} class indices
     * @param testFeatures  {@code [nTest, d]}
     * @param testLabels    {@code [nTest]} class indices
     * @param k             neighbours per test image (clamped to nTrain)
     * @param temperature   T in the vote weight {@code exp(sim / T)}
     * @return fraction of test images whose predicted class equals their label
     */
    public static double evaluate(float[][] trainFeatures, int[] trainLabels, float[][] testFeatures,
                                  int[] testLabels, int k, double temperature) {
        FeatureMatrix.checkLabels("kNN test features", testFeatures, testLabels);
        int[] pred = fit(trainFeatures, trainLabels).predict(testFeatures, k, temperature);
        return accuracy(pred, testLabels);
    }

    /** Fraction of positions where {@code predicted} equals {@code labels}. */
    static double accuracy(int[] predicted, int[] labels) {
        int hit = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                hit++;
            }
        }
        return (double) hit / labels.length;
    }

    /** The {@code k} nearest training rows of each test row, most similar first. */
    public record Neighbours(int[][] indices, float[][] similarities) {
    }

    /**
     * Predicted classes for test features {@code [nTest, d]}.
     *
     * @throws IllegalArgumentException when the width differs from the training features or k &lt; 1
     */
    public int[] predict(float[][] testFeatures, int k, double temperature) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("kNN temperature must be positive, got " + temperature);
        }
        Neighbours nb = neighbours(testFeatures, k);
        int[] pred = new int[testFeatures.length];
        double[] votes = new double[numClasses];
        for (int i = 0; i < pred.length; i++) {
            Arrays.fill(votes, 0);
            int[] idx = nb.indices()[i];
            float[] sim = nb.similarities()[i];
            for (int r = 0; r < idx.length; r++) {
                votes[trainLabels[idx[r]]] += Math.exp(sim[r] / temperature);
            }
            int best = 0;
            for (int c = 1; c < numClasses; c++) {
                if (votes[c] > votes[best]) {
                    best = c;
                }
            }
            pred[i] = best;
        }
        return pred;
    }

    /** The {@code min(k, nTrain)} most cosine-similar training rows of every test row. */
    public Neighbours neighbours(float[][] testFeatures, int k) {
        int d = FeatureMatrix.columns("kNN test features", testFeatures);
        if (d != dim) {
            throw new IllegalArgumentException("kNN test features have " + d + " columns, training features " + dim);
        }
        if (k < 1) {
            throw new IllegalArgumentException("kNN k must be at least 1, got " + k);
        }
        int kk = Math.min(k, trainSize);
        float[][] test = FeatureMatrix.l2Normalised(testFeatures);
        int n = test.length;
        int[][] indices = new int[n][];
        float[][] sims = new float[n][];
        int chunks = (n + TEST_CHUNK - 1) / TEST_CHUNK;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * TEST_CHUNK;
            int to = Math.min(n, from + TEST_CHUNK);
            searchChunk(test, from, to, kk, indices, sims);
        });
        return new Neighbours(indices, sims);
    }

    private void searchChunk(float[][] test, int from, int to, int k, int[][] outIdx, float[][] outSim) {
        int rows = to - from;
        TopK[] heaps = new TopK[rows];
        for (int r = 0; r < rows; r++) {
            heaps[r] = new TopK(k);
        }
        float[] s16 = new float[16];
        for (int base = 0; base < train.length; base += TRAIN_BLOCK) {
            int end = Math.min(train.length, base + TRAIN_BLOCK);
            for (int r0 = 0; r0 < rows; r0 += 4) {
                int m = Math.min(4, rows - r0);
                // a tail of fewer than 4 test rows repeats its last row; the copies are ignored
                float[] a0 = test[from + r0];
                float[] a1 = test[from + r0 + Math.min(1, m - 1)];
                float[] a2 = test[from + r0 + Math.min(2, m - 1)];
                float[] a3 = test[from + r0 + Math.min(3, m - 1)];
                for (int j = base; j < end; j += 4) {
                    dot4x4(a0, a1, a2, a3, train[j], train[j + 1], train[j + 2], train[j + 3], s16);
                    int valid = Math.min(4, trainSize - j);
                    for (int r = 0; r < m; r++) {
                        TopK h = heaps[r0 + r];
                        for (int c = 0; c < valid; c++) {
                            h.offer(s16[4 * r + c], j + c);
                        }
                    }
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            heaps[r].drainSorted(outIdx, outSim, from + r);
        }
    }

    /**
     * The 16 dot products of four test rows with four training rows, {@code out[4 * r + c]}: a
     * register-blocked kernel (16 independent accumulators), measured faster in HotSpot C2 than
     * the vectorised axpy form for these widths.
     */
    private void dot4x4(float[] a0, float[] a1, float[] a2, float[] a3, float[] b0, float[] b1, float[] b2,
                        float[] b3, float[] out) {
        float s00 = 0, s01 = 0, s02 = 0, s03 = 0;
        float s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        float s20 = 0, s21 = 0, s22 = 0, s23 = 0;
        float s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (int k = 0; k < dim; k++) {
            float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
            float y0 = b0[k], y1 = b1[k], y2 = b2[k], y3 = b3[k];
            s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
            s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
            s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
            s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        }
        out[0] = s00; out[1] = s01; out[2] = s02; out[3] = s03;
        out[4] = s10; out[5] = s11; out[6] = s12; out[7] = s13;
        out[8] = s20; out[9] = s21; out[10] = s22; out[11] = s23;
        out[12] = s30; out[13] = s31; out[14] = s32; out[15] = s33;
    }

    /**
     * The k best (similarity, index) pairs seen so far: a min-heap whose root is the worst kept
     * pair. Offers arrive in increasing index order, so a tie with the root never displaces it
     * (the lower index is preferred).
     */
    private static final class TopK {
        private final float[] sim;
        private final int[] idx;
        private int size;

        TopK(int k) {
            sim = new float[k];
            idx = new int[k];
        }

        void offer(float s, int i) {
            if (size < sim.length) {
                int pos = size++;
                sim[pos] = s;
                idx[pos] = i;
                siftUp(pos);
            } else if (s > sim[0]) {
                sim[0] = s;
                idx[0] = i;
                siftDown(0);
            }
        }

        /** True when (s1, i1) ranks below (s2, i2): lower similarity, or equal and higher index. */
        private static boolean worse(float s1, int i1, float s2, int i2) {
            return s1 < s2 || (s1 == s2 && i1 > i2);
        }

        private void siftUp(int pos) {
            while (pos > 0) {
                int parent = (pos - 1) >>> 1;
                if (!worse(sim[pos], idx[pos], sim[parent], idx[parent])) {
                    return;
                }
                swap(pos, parent);
                pos = parent;
            }
        }

        private void siftDown(int pos) {
            while (true) {
                int l = 2 * pos + 1;
                if (l >= size) {
                    return;
                }
                int worst = l;
                int r = l + 1;
                if (r < size && worse(sim[r], idx[r], sim[l], idx[l])) {
                    worst = r;
                }
                if (!worse(sim[worst], idx[worst], sim[pos], idx[pos])) {
                    return;
                }
                swap(pos, worst);
                pos = worst;
            }
        }

        private void swap(int a, int b) {
            float s = sim[a];
            sim[a] = sim[b];
            sim[b] = s;
            int i = idx[a];
            idx[a] = idx[b];
            idx[b] = i;
        }

        /** Writes the kept pairs, best first, into row {@code row} of the outputs. */
        void drainSorted(int[][] outIdx, float[][] outSim, int row) {
            int n = size;
            int[] oi = new int[n];
            float[] os = new float[n];
            for (int p = n - 1; p >= 0; p--) {
                oi[p] = idx[0];
                os[p] = sim[0];
                size--;
                if (size > 0) {
                    sim[0] = sim[size];
                    idx[0] = idx[size];
                    siftDown(0);
                }
            }
            outIdx[row] = oi;
            outSim[row] = os;
        }
    }
}
