package org.jepa4j.eval;

import org.jepa4j.metrics.FeatureStatistics;
import org.jepa4j.metrics.Knn;
import org.jepa4j.metrics.LinearProbe;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Scores one kind of frozen feature the same way for every kind (pretrained, random-init, raw
 * pixels): linear probe ({@link LinearProbe}), weighted kNN ({@link Knn}, searched by ONNX Runtime's
 * {@link InnerProductSearch}) and the collapse
 * statistics of the test features ({@link FeatureStatistics}).
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * Evaluation settings.
     *
     * @param probe       linear-probe grid and SGD settings
     * @param k           kNN neighbours
     * @param temperature kNN vote temperature
     */
    public record Settings(LinearProbe.Options probe, int k, double temperature) {
        /** The probe's defaults and DINO's kNN (k = 20, T = 0.07). */
        public static Settings defaults() {
            return new Settings(LinearProbe.Options.defaults(), Knn.DEFAULT_K, Knn.DEFAULT_TEMPERATURE);
        }

        public Settings withProbe(LinearProbe.Options p) {
            return new Settings(p, k, temperature);
        }
    }

    /**
     * Probe, kNN and statistics of one feature kind, with a timing line on {@code log}.
     *
     * @param trainFeatures  {@code [nTrain, d]}
     * @param testFeatures   {@code [nTest, d]}
     * @param extractSeconds time spent computing the features (reported only)
     */
    public static EvaluationReport.FeatureResult evaluate(String name, String description, float[][] trainFeatures,
                                                          int[] trainLabels, float[][] testFeatures, int[] testLabels,
                                                          double extractSeconds, Settings settings, PrintStream log) {
        LinearProbe.Result probe = LinearProbe.run(trainFeatures, trainLabels, testFeatures, testLabels,
                settings.probe());
        long t0 = System.nanoTime();
        double knnTop1 = Knn.evaluate(trainFeatures, trainLabels, testFeatures, testLabels, settings.k(),
                settings.temperature(), InnerProductSearch.FACTORY);
        double knnSeconds = (System.nanoTime() - t0) / 1e9;
        double rankMe = diagnostic("RankMe", name, () -> FeatureStatistics.rankMe(testFeatures), log);
        double std = diagnostic("normalised std", name, () -> FeatureStatistics.normalisedStd(testFeatures), log);
        log.printf(Locale.ROOT, "%s (%d x %d): linear probe %.2f%% (lr %s, wd %s) in %.1f s; kNN %.2f%% in %.1f s;"
                        + " RankMe %.1f, normalised std %.4f%n", name, trainFeatures.length, probe.dim(),
                100 * probe.testTop1(), probe.learningRate(), probe.weightDecay(), probe.seconds(), 100 * knnTop1,
                knnSeconds, rankMe, std);
        return new EvaluationReport.FeatureResult(name, description, probe.dim(), extractSeconds, probe,
                new EvaluationReport.KnnResult(settings.k(), settings.temperature(), knnTop1, knnSeconds), rankMe,
                std);
    }

    /**
     * A diagnostic statistic of the features, or NaN (reported as n/a) with one warning line when it
     * cannot be computed (an eigen decomposition that does not converge on degenerate features, such
     * as the raw pixels of a few synthetic patterns): a statistic never fails an evaluation whose
     * probe and kNN succeeded.
     */
    static double diagnostic(String statistic, String features, java.util.function.DoubleSupplier compute,
                             PrintStream log) {
        try {
            return compute.getAsDouble();
        } catch (org.apache.commons.math3.exception.MathIllegalStateException | ArithmeticException e) {
            log.println("warning: " + statistic + " of " + features + " could not be computed (" + e.getMessage()
                    + "); reported as n/a");
            return Double.NaN;
        }
    }
}
