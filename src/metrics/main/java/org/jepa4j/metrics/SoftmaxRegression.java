package org.jepa4j.metrics;

import java.util.Random;

/**
 * Multinomial logistic regression {@code p(c | x) = softmax(W x + b)_c} with weights
 * {@code W [C, d]} (row-major) and bias {@code b [C]}, trained by mini-batch SGD with heavy-ball
 * momentum and a cosine learning-rate schedule on the objective
 * {@code mean cross-entropy + wd/2 * ||W||^2} (the bias is not decayed).
 *
 * <p>Training is single-threaded and a pure function of its inputs and seed; callers run several
 * trainings in parallel (the probe's grid).
 */
public final class SoftmaxRegression {
    private final int classes;
    private final int dim;
    private final float[] weights;
    private final float[] bias;

    private SoftmaxRegression(int classes, int dim, float[] weights, float[] bias) {
        this.classes = classes;
        this.dim = dim;
        this.weights = weights;
        this.bias = bias;
    }

    /** A model with the given parameters (copied): {@code weights [C*d]}, {@code bias [C]}. */
    public static SoftmaxRegression of(int classes, int dim, float[] weights, float[] bias) {
        if (weights.length != classes * dim || bias.length != classes) {
            throw new IllegalArgumentException("softmax regression of " + classes + " classes x " + dim
                    + " features needs " + classes * dim + " weights and " + classes + " biases, got "
                    + weights.length + " and " + bias.length);
        }
        return new SoftmaxRegression(classes, dim, weights.clone(), bias.clone());
    }

    /** Weights {@code [C*d]}, row-major (a copy). */
    public float[] weights() {
        return weights.clone();
    }

    /** Bias {@code [C]} (a copy). */
    public float[] bias() {
        return bias.clone();
    }

    /** Training hyper-parameters. */
    public record Hyper(double learningRate, double weightDecay, double momentum, int epochs, int batchSize) {
        public Hyper {
            if (!(learningRate > 0) || weightDecay < 0 || momentum < 0 || momentum >= 1 || epochs < 1
                    || batchSize < 1) {
                throw new IllegalArgumentException("invalid SGD settings: " + learningRate + " lr, " + weightDecay
                        + " wd, " + momentum + " momentum, " + epochs + " epochs, batch " + batchSize);
            }
        }
    }

    /**
     * Trains from zero weights on {@code x [n, d]} (already standardised) with labels in
     * {@code [0, classes)}; each epoch visits the rows in a fresh permutation drawn from {@code seed}.
     */
    public static SoftmaxRegression train(float[][] x, int[] y, int classes, Hyper h, long seed) {
        int d = FeatureMatrix.columns("probe features", x);
        FeatureMatrix.checkLabels("probe features", x, y);
        int n = x.length;
        float[] w = new float[classes * d];
        float[] b = new float[classes];
        float[] gw = new float[classes * d];
        float[] gb = new float[classes];
        float[] vw = new float[classes * d];
        float[] vb = new float[classes];
        float[] scratch = new float[classes];
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random rng = new Random(seed);
        int stepsPerEpoch = (n + h.batchSize() - 1) / h.batchSize();
        long totalSteps = (long) stepsPerEpoch * h.epochs();
        long step = 0;
        float mu = (float) h.momentum();
        float wd = (float) h.weightDecay();
        for (int epoch = 0; epoch < h.epochs(); epoch++) {
            shuffle(order, rng);
            for (int from = 0; from < n; from += h.batchSize()) {
                int to = Math.min(n, from + h.batchSize());
                java.util.Arrays.fill(gw, 0f);
                java.util.Arrays.fill(gb, 0f);
                accumulate(x, y, order, from, to, classes, d, w, b, gw, gb, scratch);
                float lr = (float) (h.learningRate() * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps)));
                float scale = 1f / (to - from);
                for (int p = 0; p < w.length; p++) {
                    float g = gw[p] * scale + wd * w[p];
                    vw[p] = mu * vw[p] + g;
                    w[p] -= lr * vw[p];
                }
                for (int c = 0; c < classes; c++) {
                    vb[c] = mu * vb[c] + gb[c] * scale;
                    b[c] -= lr * vb[c];
                }
                step++;
            }
        }
        return new SoftmaxRegression(classes, d, w, b);
    }

    private static void shuffle(int[] a, Random rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * Adds the summed cross-entropy gradient of rows {@code order[from..to)} to {@code gw}, {@code gb}
     * and returns their summed loss.
     */
    static double accumulate(float[][] x, int[] y, int[] order, int from, int to, int classes, int d,
                             float[] w, float[] b, float[] gw, float[] gb, float[] logits) {
        double loss = 0;
        for (int t = from; t < to; t++) {
            int i = order[t];
            float[] xi = x[i];
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                float z = b[c] + dot(w, c * d, xi, d);
                logits[c] = z;
                max = Math.max(max, z);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[c] - max);
            }
            double logSum = max + Math.log(sum);
            int label = y[i];
            loss += logSum - logits[label];
            for (int c = 0; c < classes; c++) {
                float g = (float) Math.exp(logits[c] - logSum) - (c == label ? 1f : 0f);
                gb[c] += g;
                int off = c * d;
                for (int j = 0; j < d; j++) {
                    gw[off + j] += g * xi[j];
                }
            }
        }
        return loss;
    }

    /** Dot product with four partial sums (independent chains; the order is fixed, so results are repeatable). */
    private static float dot(float[] w, int off, float[] x, int d) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int j = 0;
        for (; j + 3 < d; j += 4) {
            s0 += w[off + j] * x[j];
            s1 += w[off + j + 1] * x[j + 1];
            s2 += w[off + j + 2] * x[j + 2];
            s3 += w[off + j + 3] * x[j + 3];
        }
        for (; j < d; j++) {
            s0 += w[off + j] * x[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The objective's value and gradient at given parameters (for checks and diagnostics). */
    public record Gradient(double loss, float[] weights, float[] bias) {
    }

    /**
     * Objective {@code mean CE + wd/2 ||W||^2} on all rows of {@code x} and its gradient, computed
     * by the same code path training uses.
     */
    public static Gradient gradient(float[][] x, int[] y, int classes, float[] w, float[] b, double wd) {
        int d = FeatureMatrix.columns("probe features", x);
        int n = x.length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        float[] gw = new float[classes * d];
        float[] gb = new float[classes];
        double loss = accumulate(x, y, order, 0, n, classes, d, w, b, gw, gb, new float[classes]) / n;
        double reg = 0;
        for (int p = 0; p < w.length; p++) {
            gw[p] = gw[p] / n + (float) wd * w[p];
            reg += (double) w[p] * w[p];
        }
        for (int c = 0; c < classes; c++) {
            gb[c] /= n;
        }
        return new Gradient(loss + 0.5 * wd * reg, gw, gb);
    }

    /** Most probable class of each row of {@code x [n, d]} (lowest index on a tie). */
    public int[] predict(float[][] x) {
        int d = FeatureMatrix.columns("probe features", x);
        if (d != dim) {
            throw new IllegalArgumentException("features have " + d + " columns, the probe was trained on " + dim);
        }
        int[] out = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            int best = 0;
            float bestZ = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                float z = bias[c] + dot(weights, c * d, x[i], d);
                if (z > bestZ) {
                    bestZ = z;
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }
}
