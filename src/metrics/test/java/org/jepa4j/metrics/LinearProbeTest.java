package org.jepa4j.metrics;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearProbeTest {

    /** Rows {@code centre[label] + noise * N(0, I)}. */
    private static float[][] mixture(Random rng, double[][] centres, double noise, int[] labels) {
        int d = centres[0].length;
        float[][] x = new float[labels.length][d];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(centres.length);
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (centres[labels[i]][j] + noise * rng.nextGaussian());
            }
        }
        return x;
    }

    private static LinearProbe.Options quick() {
        return LinearProbe.Options.defaults().withEpochs(5).withGrid(new double[] {0.05, 0.005}, new double[] {5e-4, 0});
    }

    @Test
    void separableDataReachesFullAccuracy() {
        Random rng = new Random(1);
        double[][] centres = {{8, 0, 0, 3, 1}, {0, 8, 0, -3, 1}, {0, 0, 8, 0, -2}};
        int[] yTrain = new int[1500];
        int[] yTest = new int[500];
        float[][] xTrain = mixture(rng, centres, 1, yTrain);
        float[][] xTest = mixture(rng, centres, 1, yTest);
        LinearProbe.Result r = LinearProbe.run(xTrain, yTrain, xTest, yTest, quick());
        assertEquals(1.0, r.testTop1(), 1e-9);
        assertEquals(1.0, r.trainTop1(), 1e-9);
    }

    @Test
    void gaussianMixtureComesWithinAFewPointsOfTheBayesAccuracy() {
        // two classes, identity covariance, means 2.2 apart along one axis of 12:
        // the Bayes rule is the bisecting hyperplane, accuracy Phi(2.2 / 2)
        Random rng = new Random(2);
        int d = 12;
        double[][] centres = new double[2][d];
        centres[0][0] = -1.1;
        centres[1][0] = 1.1;
        int[] yTrain = new int[6000];
        int[] yTest = new int[6000];
        float[][] xTrain = mixture(rng, centres, 1, yTrain);
        float[][] xTest = mixture(rng, centres, 1, yTest);
        double bayes = new NormalDistribution().cumulativeProbability(1.1);
        LinearProbe.Result r = LinearProbe.run(xTrain, yTrain, xTest, yTest, quick());
        assertEquals(bayes, r.testTop1(), 0.02, "Bayes accuracy " + bayes);
    }

    /** Independent double-precision objective: mean cross-entropy + wd/2 ||W||^2. */
    private static double objective(float[][] x, int[] y, int classes, double[] w, double[] b, double wd) {
        int d = x[0].length;
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            double[] z = new double[classes];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                z[c] = b[c];
                for (int j = 0; j < d; j++) {
                    z[c] += w[c * d + j] * x[i][j];
                }
                max = Math.max(max, z[c]);
            }
            double s = 0;
            for (int c = 0; c < classes; c++) {
                s += Math.exp(z[c] - max);
            }
            total += max + Math.log(s) - z[y[i]];
        }
        double reg = 0;
        for (double v : w) {
            reg += v * v;
        }
        return total / x.length + 0.5 * wd * reg;
    }

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Random rng = new Random(4);
        int n = 23;
        int d = 6;
        int classes = 4;
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(classes);
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
        }
        float[] w = new float[classes * d];
        float[] b = new float[classes];
        for (int p = 0; p < w.length; p++) {
            w[p] = (float) (0.5 * rng.nextGaussian());
        }
        for (int c = 0; c < classes; c++) {
            b[c] = (float) rng.nextGaussian();
        }
        double wd = 0.3;
        SoftmaxRegression.Gradient g = SoftmaxRegression.gradient(x, y, classes, w, b, wd);
        double[] wd64 = new double[w.length];
        double[] bd64 = new double[classes];
        for (int p = 0; p < w.length; p++) {
            wd64[p] = w[p];
        }
        for (int c = 0; c < classes; c++) {
            bd64[c] = b[c];
        }
        assertEquals(objective(x, y, classes, wd64, bd64, wd), g.loss(), 1e-5);
        DoubleSupplier f = () -> objective(x, y, classes, wd64, bd64, wd);
        assertCentralDifferences("dW", wd64, g.weights(), f);
        assertCentralDifferences("db", bd64, g.bias(), f);
    }

    /**
     * Each {@code gradient[p]} within 1e-5 of the central difference (f(p + h) - f(p - h)) / 2h,
     * h = 1e-4, of {@code objective} as {@code params[p]} moves (restored afterwards).
     */
    private static void assertCentralDifferences(String name, double[] params, float[] gradient, DoubleSupplier objective) {
        double h = 1e-4;
        for (int p = 0; p < params.length; p++) {
            double keep = params[p];
            params[p] = keep + h;
            double up = objective.getAsDouble();
            params[p] = keep - h;
            double down = objective.getAsDouble();
            params[p] = keep;
            assertEquals((up - down) / (2 * h), gradient[p], 1e-5, name + "[" + p + "]");
        }
    }

    @Test
    void sameSeedGivesTheSameResultWhateverTheThreadCount() throws Exception {
        Random rng = new Random(5);
        double[][] centres = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        int[] yTrain = new int[800];
        int[] yTest = new int[300];
        float[][] xTrain = mixture(rng, centres, 0.8, yTrain);
        float[][] xTest = mixture(rng, centres, 0.8, yTest);
        LinearProbe.Options o = quick().withSeed(11);
        LinearProbe.Result a = new ForkJoinPool(1).submit(() -> LinearProbe.run(xTrain, yTrain, xTest, yTest, o)).get();
        LinearProbe.Result b = new ForkJoinPool(3).submit(() -> LinearProbe.run(xTrain, yTrain, xTest, yTest, o)).get();
        assertEquals(a.grid(), b.grid());
        assertEquals(a.testTop1(), b.testTop1());
        assertEquals(a.learningRate(), b.learningRate());
        SoftmaxRegression.Hyper h = new SoftmaxRegression.Hyper(0.05, 1e-4, 0.9, 3, 32);
        assertArrayEquals(SoftmaxRegression.train(xTrain, yTrain, 3, h, 9).weights(),
                SoftmaxRegression.train(xTrain, yTrain, 3, h, 9).weights());
    }

    @Test
    void chosenGridPointHasTheBestValidationAccuracy() {
        Random rng = new Random(6);
        double[][] centres = {{1, 0}, {0, 1}};
        int[] yTrain = new int[600];
        int[] yTest = new int[100];
        LinearProbe.Result r = LinearProbe.run(mixture(rng, centres, 1, yTrain), yTrain,
                mixture(rng, centres, 1, yTest), yTest, quick());
        assertEquals(4, r.grid().size());
        double best = r.grid().stream().mapToDouble(LinearProbe.GridPoint::validationTop1).max().orElseThrow();
        LinearProbe.GridPoint first = r.grid().stream().filter(g -> g.validationTop1() == best).findFirst().orElseThrow();
        assertEquals(first.learningRate(), r.learningRate());
        assertEquals(first.weightDecay(), r.weightDecay());
        assertEquals(60, r.validationSize(), 2);
    }

    @Test
    void validationSplitHoldsOutTheFractionOfEveryClass() {
        int[] labels = new int[1000];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i < 900 ? 0 : 1;
        }
        boolean[] held = LinearProbe.validationMask(labels, 2, 0.1, 3);
        int held0 = 0;
        int held1 = 0;
        for (int i = 0; i < labels.length; i++) {
            if (held[i]) {
                if (labels[i] == 0) {
                    held0++;
                } else {
                    held1++;
                }
            }
        }
        assertEquals(90, held0);
        assertEquals(10, held1);
        assertArrayEquals(held, LinearProbe.validationMask(labels, 2, 0.1, 3));
    }

    @Test
    void standardiserUsesTrainingStatisticsOnTestRows() {
        Standardiser s = Standardiser.fit(new float[][] {{1, 5}, {3, 5}});
        float[][] t = s.apply(new float[][] {{4, 6}});
        assertEquals(2.0, t[0][0], 1e-6); // (4 - mean 2) / population std 1
        assertEquals(1.0 / Standardiser.MIN_STD, t[0][1], 1e-2 / Standardiser.MIN_STD); // constant column
        assertTrue(Double.isFinite(t[0][1]));
    }

    @Test
    void theUpFrontCheckRefusesExactlyTheLabelsTheValidationSplitCannotBeDrawnFrom() {
        // against the split itself, on every labelling of 1..4 rows with up to 4 classes
        for (int n = 1; n <= 4; n++) {
            int[] labels = new int[n];
            for (int code = 0; code < Math.pow(4, n); code++) {
                for (int i = 0, c = code; i < n; i++, c /= 4) {
                    labels[i] = c % 4;
                }
                boolean splits;
                try {
                    LinearProbe.validationMask(labels, 4, 0.1, 7);
                    splits = true;
                } catch (IllegalArgumentException e) {
                    splits = false;
                }
                boolean passes;
                try {
                    LinearProbe.requireValidationSplit(labels);
                    passes = true;
                } catch (IllegalArgumentException e) {
                    passes = false;
                    assertTrue(e.getMessage().contains(n + " training rows are too few"), e.getMessage());
                }
                assertEquals(splits, passes, java.util.Arrays.toString(labels));
            }
        }
    }
}

