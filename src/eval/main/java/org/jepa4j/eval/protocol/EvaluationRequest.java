package org.jepa4j.eval.protocol;

import org.jepa4j.eval.Evaluation;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.io.Bounds;
import org.jepa4j.metrics.LinearProbe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What to evaluate and how: an exported encoder, labelled data, the features, the baselines, the
 * splits and the probe. Built with {@link #builder}; {@link Evaluator#evaluate} runs it.
 *
 * @param model         the exported encoder (ONNX)
 * @param data          a labelled data source with train and test splits ({@code ImageSources.FORMS})
 * @param out           folder for the reports, charts and a built baseline encoder
 * @param features      features to evaluate, at least one, no repeats; the first is reported in {@code out},
 *                      each other in {@code out/<feature>}
 * @param baseline      the random-init encoder, or null to skip that baseline
 * @param run           a training run folder whose CSV log is charted, or null
 * @param limitTrain    first N fitted images, 0 = all
 * @param limitTest     first N scored images, 0 = all
 * @param validation    score on the training split's last N images instead of the test split, 0 = the test split
 * @param pixelBaseline evaluate the evaluation-transformed raw pixels too
 * @param settings      the linear probe's grid and SGD settings, kNN's k and temperature
 * @param batchSize     images per ONNX Runtime call
 * @param extractor     ONNX Runtime options (provider, threads); its feature is replaced by each of {@code features}
 * @param command       the command line that asked for it, recorded in the report, or null
 */
public record EvaluationRequest(Path model, String data, Path out, List<FeatureKind> features,
                                BaselineEncoder baseline, Path run, int limitTrain, int limitTest, int validation,
                                boolean pixelBaseline, Evaluation.Settings settings, int batchSize,
                                ExtractorOptions extractor, String command) {

    /**
     * Checks an evaluation's counts with the command line's bounds ({@link Bounds}), naming the option
     * and the value that is out of range.
     *
     * @throws IllegalArgumentException for a negative {@code --limit-train}, {@code --limit-test} or
     *                                  {@code --validation}, or a {@code --batch-size} or {@code --epochs}
     *                                  below 1 or beyond its bound
     */
    public static void checkCounts(int limitTrain, int limitTest, int validation, int batchSize, int epochs) {
        Bounds.zeroOrAtMost("--limit-train", limitTrain, Integer.MAX_VALUE, "images");
        Bounds.zeroOrAtMost("--limit-test", limitTest, Integer.MAX_VALUE, "images");
        Bounds.zeroOrAtMost("--validation", validation, Integer.MAX_VALUE, "images");
        Bounds.atMost("--batch-size", batchSize, Bounds.MAX_BATCH, "images per batch");
        Bounds.atMost("--epochs", epochs, Bounds.MAX_EPOCHS, "epochs");
    }

    /** Checks the request; see {@link Builder#build()}. */
    public EvaluationRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(extractor, "extractor");
        features = List.copyOf(features);
        checkCounts(limitTrain, limitTest, validation, batchSize, settings.probe().epochs());
        if (features.isEmpty()) {
            throw new IllegalArgumentException("--features: expected at least one feature");
        }
        for (int i = 0; i < features.size(); i++) {
            if (features.indexOf(features.get(i)) != i) {
                throw new IllegalArgumentException("--features " + String.join(",",
                        features.stream().map(FeatureKind::toString).toList()) + ": " + features.get(i)
                        + " is given twice");
            }
        }
        if (run != null && !Files.isDirectory(run)) {
            throw new IllegalArgumentException("--run " + run + ": not a folder (expected a training run folder)");
        }
        if (Files.isRegularFile(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file, expected a folder for the report and charts");
        }
    }

    /**
     * A request with the defaults: the pooled feature, no random-init baseline, all images, the
     * test split, the raw-pixel baseline, the probe's defaults (10 epochs, seed 0), kNN k = 20,
     * T = 0.07, batches of 128, ONNX Runtime on the CPU.
     *
     * @param model the exported encoder (ONNX)
     * @param data  a labelled data source
     * @param out   folder for the reports and charts
     * @return a builder
     */
    public static Builder builder(Path model, String data, Path out) {
        return new Builder(model, data, out);
    }

    /** The folder of one feature's report: {@code out} for the first feature, {@code out/<feature>} for the others. */
    public Path reportFolder(FeatureKind kind) {
        return kind == features.get(0) ? out : out.resolve(kind.toString());
    }

    /** Builds an {@link EvaluationRequest}; every setter returns this builder. */
    public static final class Builder {
        private final Path model;
        private final String data;
        private final Path out;
        private List<FeatureKind> features = List.of(FeatureKind.POOLED);
        private BaselineEncoder baseline;
        private Path run;
        private int limitTrain;
        private int limitTest;
        private int validation;
        private boolean pixelBaseline = true;
        private Evaluation.Settings settings = Evaluation.Settings.defaults();
        private int batchSize = 128;
        private ExtractorOptions extractor = ExtractorOptions.defaults();
        private String command;

        private Builder(Path model, String data, Path out) {
            this.model = model;
            this.data = data;
            this.out = out;
        }

        /** @param kinds features to evaluate, the first reported in {@code out} @return this */
        public Builder features(List<FeatureKind> kinds) {
            this.features = new ArrayList<>(kinds);
            return this;
        }

        /** @param source the random-init encoder, or null for none @return this */
        public Builder baseline(BaselineEncoder source) {
            this.baseline = source;
            return this;
        }

        /** @param runDir training run folder whose log is charted, or null @return this */
        public Builder run(Path runDir) {
            this.run = runDir;
            return this;
        }

        /** @param n first N fitted images, 0 = all @return this */
        public Builder limitTrain(int n) {
            this.limitTrain = n;
            return this;
        }

        /** @param n first N scored images, 0 = all @return this */
        public Builder limitTest(int n) {
            this.limitTest = n;
            return this;
        }

        /** @param n score on the training split's last N images instead of the test split, 0 = none @return this */
        public Builder validation(int n) {
            this.validation = n;
            return this;
        }

        /** @param on evaluate the raw pixels too @return this */
        public Builder pixelBaseline(boolean on) {
            this.pixelBaseline = on;
            return this;
        }

        /** @param s probe and kNN settings @return this */
        public Builder settings(Evaluation.Settings s) {
            this.settings = s;
            return this;
        }

        /** @param p the linear probe's settings (epochs, seed, grid), kNN unchanged @return this */
        public Builder probe(LinearProbe.Options p) {
            this.settings = settings.withProbe(p);
            return this;
        }

        /** @param n images per ONNX Runtime call @return this */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** @param options ONNX Runtime options (provider, threads) @return this */
        public Builder extractor(ExtractorOptions options) {
            this.extractor = options;
            return this;
        }

        /** @param line the command line recorded in the report's provenance, or null @return this */
        public Builder command(String line) {
            this.command = line;
            return this;
        }

        /**
         * @return the request
         * @throws IllegalArgumentException naming the setting when one is out of range
         */
        public EvaluationRequest build() {
            return new EvaluationRequest(model, data, out, features, baseline, run, limitTrain, limitTest, validation,
                    pixelBaseline, settings, batchSize, extractor, command);
        }
    }
}
