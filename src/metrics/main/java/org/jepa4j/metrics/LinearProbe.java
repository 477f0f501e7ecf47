package org.jepa4j.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Linear probe on frozen features: multinomial logistic regression ({@link SoftmaxRegression}) on
 * standardised features, with the learning rate and weight decay chosen on a held-out validation
 * split of the training set, then refitted on the whole training set and scored on the test set.
 *
 * <p>Departs from the paper's ImageNet recipe (docs/reference.md §8: LARS, batch 16384, 50
 * epochs, step decay, sweep lr {0.01, 0.05, 0.001} x wd {5e-4, 0}, best of linear and
 * BatchNorm+linear): here plain SGD with momentum and a cosine schedule on features standardised
 * with the training split's mean and std (which plays the part of the BatchNorm head), on the
 * same lr x wd grid by default. The validation split is stratified by class and drawn from the
 * seed; standardisation statistics come from the whole training split (never from test).
 * Grid points train in parallel; the result is a pure function of the inputs and the seed.
 */
public final class LinearProbe {
    private LinearProbe() {
    }

    /**
     * Probe settings.
     *
     * @param learningRates      grid of base learning rates
     * @param weightDecays       grid of weight decays
     * @param epochs             SGD epochs per fit
     * @param batchSize          SGD mini-batch size
     * @param momentum           SGD heavy-ball momentum
     * @param validationFraction fraction of each class held out for choosing the grid point
     * @param seed               drives the validation split and the SGD row order
     */
    public record Options(double[] learningRates, double[] weightDecays, int epochs, int batchSize, double momentum,
                          double validationFraction, long seed) {
        public Options {
            if (learningRates.length == 0 || weightDecays.length == 0) {
                throw new IllegalArgumentException("linear probe grid needs at least one learning rate and weight decay");
            }
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("linear probe validation fraction must be in (0, 1), got "
                        + validationFraction);
            }
            learningRates = learningRates.clone();
            weightDecays = weightDecays.clone();
        }

        /** The paper's grid (lr {0.05, 0.01, 0.001} x wd {5e-4, 0}), 10 epochs, batch 256, momentum 0.9, 10% validation. */
        public static Options defaults() {
            return new Options(new double[] {0.05, 0.01, 0.001}, new double[] {5e-4, 0}, 10, 256, 0.9, 0.1, 0);
        }

        public Options withSeed(long s) {
            return new Options(learningRates, weightDecays, epochs, batchSize, momentum, validationFraction, s);
        }

        public Options withEpochs(int e) {
            return new Options(learningRates, weightDecays, e, batchSize, momentum, validationFraction, seed);
        }

        public Options withGrid(double[] lrs, double[] wds) {
            return new Options(lrs, wds, epochs, batchSize, momentum, validationFraction, seed);
        }

        @Override
        public double[] learningRates() {
            return learningRates.clone();
        }

        @Override
        public double[] weightDecays() {
            return weightDecays.clone();
        }

        SoftmaxRegression.Hyper hyper(double lr, double wd) {
            return new SoftmaxRegression.Hyper(lr, wd, momentum, epochs, batchSize);
        }
    }

    /** One grid point and its validation accuracy. */
    public record GridPoint(double learningRate, double weightDecay, double validationTop1) {
    }

    /**
     * Outcome of a probe.
     *
     * @param testTop1           test accuracy of the model refitted on all training rows
     * @param trainTop1          its accuracy on the training rows
     * @param learningRate       chosen learning rate
     * @param weightDecay        chosen weight decay
     * @param grid               every grid point with its validation accuracy, in grid order
     * @param trainSize          training rows
     * @param validationSize     rows held out while choosing the grid point
     * @param testSize           test rows
     * @param dim                feature width
     * @param seconds            wall time of the whole probe
     */
    public record Result(double testTop1, double trainTop1, double learningRate, double weightDecay,
                         List<GridPoint> grid, int trainSize, int validationSize, int testSize, int dim,
                         double seconds) {
        public Result {
            grid = List.copyOf(grid);
        }
    }

    /**
     * Runs the probe.
     *
     * @param trainFeatures {@code [nTrain, d]}
     * @param trainLabels   {@code [nTrain]}
     * @param testFeatures  {@code [nTest, d]}
     * @param testLabels    {@code [nTest]}
     */
    public static Result run(float[][] trainFeatures, int[] trainLabels, float[][] testFeatures, int[] testLabels,
                             Options options) {
        long t0 = System.nanoTime();
        int d = FeatureMatrix.columns("probe training features", trainFeatures);
        int dt = FeatureMatrix.columns("probe test features", testFeatures);
        if (d != dt) {
            throw new IllegalArgumentException("probe test features have " + dt + " columns, training features " + d);
        }
        FeatureMatrix.checkLabels("probe training features", trainFeatures, trainLabels);
        FeatureMatrix.checkLabels("probe test features", testFeatures, testLabels);
        int classes = FeatureMatrix.numClasses(trainLabels, testLabels);
        Standardiser st = Standardiser.fit(trainFeatures);
        float[][] train = st.apply(trainFeatures);
        float[][] test = st.apply(testFeatures);

        boolean[] held = validationMask(trainLabels, classes, options.validationFraction(), options.seed());
        int nVal = 0;
        for (boolean v : held) {
            nVal += v ? 1 : 0;
        }
        float[][] fitX = new float[train.length - nVal][];
        int[] fitY = new int[fitX.length];
        float[][] valX = new float[nVal][];
        int[] valY = new int[nVal];
        for (int i = 0, a = 0, v = 0; i < train.length; i++) {
            if (held[i]) {
                valX[v] = train[i];
                valY[v++] = trainLabels[i];
            } else {
                fitX[a] = train[i];
                fitY[a++] = trainLabels[i];
            }
        }

        double[] lrs = options.learningRates();
        double[] wds = options.weightDecays();
        int points = lrs.length * wds.length;
        double[] valTop1 = new double[points];
        IntStream.range(0, points).parallel().forEach(p -> {
            SoftmaxRegression m = SoftmaxRegression.train(fitX, fitY, classes,
                    options.hyper(lrs[p / wds.length], wds[p % wds.length]), options.seed() + 1);
            valTop1[p] = Knn.accuracy(m.predict(valX), valY);
        });
        List<GridPoint> grid = new ArrayList<>();
        int best = 0;
        for (int p = 0; p < points; p++) {
            grid.add(new GridPoint(lrs[p / wds.length], wds[p % wds.length], valTop1[p]));
            if (valTop1[p] > valTop1[best]) {
                best = p;
            }
        }
        double lr = lrs[best / wds.length];
        double wd = wds[best % wds.length];
        SoftmaxRegression fin = SoftmaxRegression.train(train, trainLabels, classes, options.hyper(lr, wd),
                options.seed() + 2);
        double testTop1 = Knn.accuracy(fin.predict(test), testLabels);
        double trainTop1 = Knn.accuracy(fin.predict(train), trainLabels);
        return new Result(testTop1, trainTop1, lr, wd, grid, train.length, nVal, test.length, d,
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * A stratified held-out set: in each class, {@code round(fraction * count)} rows (at least one
     * when the class has two or more) chosen by a seeded shuffle.
     */
    static boolean[] validationMask(int[] labels, int classes, double fraction, long seed) {
        int[] counts = new int[classes];
        for (int l : labels) {
            counts[l]++;
        }
        int[][] byClass = new int[classes][];
        for (int c = 0; c < classes; c++) {
            byClass[c] = new int[counts[c]];
        }
        int[] fill = new int[classes];
        for (int i = 0; i < labels.length; i++) {
            byClass[labels[i]][fill[labels[i]]++] = i;
        }
        Random rng = new Random(seed);
        boolean[] held = new boolean[labels.length];
        for (int c = 0; c < classes; c++) {
            int[] rows = byClass[c];
            for (int i = rows.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = rows[i];
                rows[i] = rows[j];
                rows[j] = t;
            }
            int take = (int) Math.round(fraction * rows.length);
            if (take == 0 && rows.length >= 2) {
                take = 1;
            }
            take = Math.min(take, rows.length - 1);
            for (int i = 0; i < Math.max(take, 0); i++) {
                held[rows[i]] = true;
            }
        }
        if (!containsTrue(held)) {
            throw tooFewToHoldOut(labels.length);
        }
        return held;
    }

    /**
     * Checks, before any feature is computed, that the probe can hold out a validation split from
     * training rows with {@code labels}: some class must have two rows or more ({@link #run} holds out
     * at least one row of each such class and none of a class with one row).
     *
     * @throws IllegalArgumentException naming the row count otherwise
     */
    public static void requireValidationSplit(int[] labels) {
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        for (int l : labels) {
            if (counts.merge(l, 1, Integer::sum) >= 2) {
                return;
            }
        }
        throw tooFewToHoldOut(labels.length);
    }

    private static IllegalArgumentException tooFewToHoldOut(int rows) {
        return new IllegalArgumentException("linear probe: " + rows + " training rows are too few to hold out a"
                + " validation split (it needs a class with two rows or more)");
    }

    private static boolean containsTrue(boolean[] a) {
        for (boolean b : a) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    /** Formats the grid as a fixed-width table (for logs). */
    public static String gridTable(Result r) {
        StringBuilder sb = new StringBuilder(String.format("%-10s %-10s %s%n", "lr", "wd", "val top-1"));
        for (GridPoint g : r.grid()) {
            boolean chosen = g.learningRate() == r.learningRate() && g.weightDecay() == r.weightDecay();
            sb.append(String.format("%-10s %-10s %.4f%s%n", g.learningRate(), g.weightDecay(), g.validationTop1(),
                    chosen ? "  *" : ""));
        }
        return sb.toString();
    }
}
