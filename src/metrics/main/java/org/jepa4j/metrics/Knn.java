package org.jepa4j.metrics;

import java.util.Arrays;

/**
 * Weighted k-nearest-neighbour classifier on frozen features, as DINO reports kNN accuracy
 * (Caron et al. 2021, {@code eval_knn.py}): features are L2-normalised, similarity is the cosine,
 * each of the {@code k} most similar training images votes for its class with weight
 * {@code exp(sim / T)}, the class with the largest summed weight wins (lowest class index on a tie).
 *
 * <p>The {@code k} most similar training rows come from a {@link NeighbourSearch}: by default the
 * plain-Java {@link ExactInnerProductSearch} (small sets, such as a training monitor's), or one
 * passed to {@link #fit(float[][], int[], NeighbourSearch.Factory)}, such as {@code jepa4j-eval}'s
 * ONNX Runtime search for full evaluation sets. Among equally similar training images the one with
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
    private final NeighbourSearch.Factory search;

    private Knn(float[][] trainFeatures, int[] trainLabels, NeighbourSearch.Factory search) {
        this.search = java.util.Objects.requireNonNull(search, "search");
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
        return fit(trainFeatures, trainLabels, ExactInnerProductSearch.FACTORY);
    }

    /**
     * As {@link #fit(float[][], int[])}, searching neighbours with {@code search}.
     *
     * @param trainFeatures {@code [nTrain, d]}
     * @param trainLabels   {@code [nTrain]} class indices
     * @param search        opens the inner-product search over the normalised training rows
     * @return the classifier
     */
    public static Knn fit(float[][] trainFeatures, int[] trainLabels, NeighbourSearch.Factory search) {
        return new Knn(trainFeatures, trainLabels, search);
    }

    /**
     * Top-1 accuracy of the weighted kNN classifier with the plain-Java search: the one-call entry
     * point of training monitors.
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
        return evaluate(trainFeatures, trainLabels, testFeatures, testLabels, k, temperature,
                ExactInnerProductSearch.FACTORY);
    }

    /**
     * As {@link #evaluate(float[][], int[], float[][], int[], int, double)}, searching neighbours
     * with {@code search} (the {@code eval} command passes ONNX Runtime's).
     *
     * @param trainFeatures {@code [nTrain, d]}
     * @param trainLabels   {@code [nTrain]} class indices
     * @param testFeatures  {@code [nTest, d]}
     * @param testLabels    {@code [nTest]} class indices
     * @param k             neighbours per test image (clamped to nTrain)
     * @param temperature   T in the vote weight {@code exp(sim / T)}
     * @param search        opens the inner-product search
     * @return fraction of test images whose predicted class equals their label
     */
    public static double evaluate(float[][] trainFeatures, int[] trainLabels, float[][] testFeatures,
                                  int[] testLabels, int k, double temperature, NeighbourSearch.Factory search) {
        FeatureMatrix.checkLabels("kNN test features", testFeatures, testLabels);
        int[] pred = fit(trainFeatures, trainLabels, search).predict(testFeatures, k, temperature);
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
        try (NeighbourSearch s = search.open(train, dim)) {
            s.search(test, 0, test.length, kk, indices, sims);
        }
        return new Neighbours(indices, sims);
    }
}
