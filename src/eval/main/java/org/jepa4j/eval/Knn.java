package org.jepa4j.eval;

import java.util.Arrays;

/**
 * Weighted k-nearest-neighbour classifier on frozen features, as DINO reports kNN accuracy
 * (Caron et al. 2021, {@code eval_knn.py}): features are L2-normalised, similarity is the cosine,
 * each of the {@code k} most similar training images votes for its class with weight
 * {@code exp(sim / T)}, the class with the largest summed weight wins (lowest class index on a tie).
 *
 * <p>The similarities are computed by ONNX Runtime's matrix multiply (Gemm), {@value InnerProductSearch#QUERY_BLOCK}
 * test rows at a time against all training rows, and its TopK keeps the {@code k} best
 * of each block ({@link InnerProductSearch}). Among equally similar training images the one with
 * the lower index is preferred.
 */
public final class Knn {
    /** DINO's reported setting. */
    public static final int DEFAULT_K = 20;
    /** DINO's temperature for the vote weights. */
    public static final double DEFAULT_TEMPERATURE = 0.07;

    private final int dim;
    private final int trainSize;
    private final int[] trainLabels;
    private final int numClasses;
    /** L2-normalised training rows. */
    private final float[][] train;

    private Knn(float[][] trainFeatures, int[] trainLabels) {
        this.dim = FeatureMatrix.columns("kNN training features", trainFeatures);
        FeatureMatrix.checkLabels("kNN training features", trainFeatures, trainLabels);
        this.trainSize = trainFeatures.length;
        this.trainLabels = trainLabels.clone();
        this.numClasses = FeatureMatrix.numClasses(trainLabels);
        this.train = FeatureMatrix.l2Normalised(trainFeatures);
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
        int[][] indices = new int[test.length][];
        float[][] sims = new float[test.length][];
        try (InnerProductSearch search = new InnerProductSearch(train, dim)) {
            search.search(test, 0, test.length, kk, indices, sims);
        }
        return new Neighbours(indices, sims);
    }
}
