package org.jepa4j.eval.protocol;

import org.jepa4j.data.EvalTransform;
import org.jepa4j.eval.Evaluation;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.infer.DatasetFeatures;
import org.jepa4j.infer.ProgressBar;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.ModelInfo;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.metrics.LinearProbe;
import org.jepa4j.provenance.Provenance;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The evaluation protocol: frozen features of an exported encoder scored by linear probe and kNN
 * (k = 20, T = 0.07) against a random-init encoder of the same architecture and the raw pixels, on
 * the same splits. Every feature of the request comes from one extraction pass over each split; the
 * images found unreadable in the first pass are left out of every entry.
 *
 * <pre>{@code
 * EvaluationRequest request = EvaluationRequest.builder(model, "fashion-mnist", out)
 *         .baseline(RandomInitBaseline.ofRun(runDir)).limitTrain(10000).build();
 * EvaluationResult result = Evaluator.evaluate(request, System.err);
 * ReportWriter.write(result, System.err);
 * }</pre>
 */
public final class Evaluator {
    private Evaluator() {
    }

    /**
     * Evaluates and writes the reports: {@link #evaluate} then {@link ReportWriter#write}.
     *
     * @param request what to evaluate
     * @param log     progress, per-entry timing lines and the summary
     * @return the scores
     * @throws IOException when the model, data or a report cannot be read or written
     */
    public static EvaluationResult run(EvaluationRequest request, PrintStream log) throws IOException {
        EvaluationResult result = evaluate(request, log);
        ReportWriter.write(result, log);
        return result;
    }

    /**
     * Extracts the features, fits and scores every entry; writes nothing but a random-init encoder
     * the request's baseline builds in its output folder.
     *
     * @param request what to evaluate
     * @param log     progress and per-entry timing lines
     * @return the scores
     * @throws IOException when the model or data cannot be read, or the baseline cannot be built
     * @throws IllegalArgumentException naming the input when the data has no labels, no image is readable or the
     *                                  model lacks a feature
     */
    public static EvaluationResult evaluate(EvaluationRequest request, PrintStream log) throws IOException {
        List<FeatureKind> kinds = request.features();
        LabelledSplit.Pair splits = LabelledSplit.open(request.data(), request.limitTrain(), request.limitTest(),
                request.validation());
        LabelledSplit train = splits.train();
        LabelledSplit test = splits.test();
        List<String> classNames = train.images().classNames();
        log.printf(Locale.ROOT, "data: %s, %s%n", train.images().description(), test.images().description());
        LinearProbe.requireValidationSplit(train.labels()); // before minutes of extraction, not after
        AtomicFiles.createFolders(request.out(), "report");
        ExtractorOptions options = request.extractor().withFeature(kinds.get(0));
        Evaluation.Settings settings = request.settings();

        Map<FeatureKind, List<EvaluationReport.FeatureResult>> results = new LinkedHashMap<>();
        kinds.forEach(k -> results.put(k, new ArrayList<>()));
        Map<String, String> modelInfo = new LinkedHashMap<>();
        Map<FeatureKind, float[][]> pretrainedTest;
        EvalTransform transform;
        Map<FeatureKind, Integer> dimensions = new LinkedHashMap<>();
        ModelInfo evaluated;
        try (FeatureExtractor fx = FeatureExtractor.open(request.model(), options)) {
            ModelInfo info = fx.info();
            evaluated = info;
            for (FeatureKind k : kinds) {
                if (!info.featureLength().containsKey(k)) {
                    throw new IllegalArgumentException("--features " + k + ": " + request.model() + " offers "
                            + info.featureLength().keySet());
                }
                dimensions.put(k, info.dimension(k));
            }
            transform = fx.transform();
            modelInfo.putAll(info.metadata());
            modelInfo.put("model_id", info.modelId());
            modelInfo.put("model_path", info.path().toString());
            modelInfo.put("provider", info.provider().label());
            log.printf(Locale.ROOT, "model: %s (%s, provider %s, %d lane%s)%n", info.modelId(), dimensions,
                    info.provider().label(), fx.lanes(), fx.lanes() == 1 ? "" : "s");
            long t0 = System.nanoTime();
            Map<FeatureKind, float[][]> trainX = embed(fx, train, kinds, request.batchSize(), "pretrained train", log);
            pretrainedTest = embed(fx, test, kinds, request.batchSize(), "pretrained test", log);
            double seconds = (System.nanoTime() - t0) / 1e9;
            // the first pass finds the unreadable images; every feature and the baseline leave the same ones out
            int[] keepTrain = readable(trainX.get(kinds.get(0)), train, "train", request.data(), log);
            int[] keepTest = readable(pretrainedTest.get(kinds.get(0)), test, "test", request.data(), log);
            for (FeatureKind k : kinds) {
                trainX.put(k, rows(trainX.get(k), keepTrain));
                pretrainedTest.put(k, rows(pretrainedTest.get(k), keepTest));
            }
            train = train.subset(keepTrain);
            test = test.subset(keepTest);
            for (FeatureKind k : kinds) {
                results.get(k).add(Evaluation.evaluate(EvaluationReport.PRETRAINED, info.modelId() + " " + k,
                        trainX.remove(k), train.labels(), pretrainedTest.get(k), test.labels(), seconds, settings, log));
            }
        }

        Path baseline = request.baseline() != null ? request.baseline().encoder(request.out(), evaluated, log) : null;
        if (baseline != null) {
            try (FeatureExtractor fx = FeatureExtractor.open(baseline, options)) {
                if (!fx.info().precision().equals(evaluated.precision())) {
                    log.printf(Locale.ROOT, "note: the random-init baseline %s is %s, the evaluated model %s; the"
                                    + " comparison then also measures the precision%n", baseline, fx.info().precision(),
                            evaluated.precision());
                }
                long t0 = System.nanoTime();
                Map<FeatureKind, float[][]> trainX = embed(fx, train, kinds, request.batchSize(), "random-init train",
                        log);
                Map<FeatureKind, float[][]> testX = embed(fx, test, kinds, request.batchSize(), "random-init test", log);
                double seconds = (System.nanoTime() - t0) / 1e9;
                for (FeatureKind k : kinds) {
                    results.get(k).add(Evaluation.evaluate(EvaluationReport.RANDOM_INIT, fx.info().modelId() + " " + k,
                            trainX.remove(k), train.labels(), testX.remove(k), test.labels(), seconds, settings, log));
                }
            }
        } else {
            log.println("random-init baseline skipped: pass --baseline-model FILE or --run RUN_DIR");
        }

        if (request.pixelBaseline()) {
            long t0 = System.nanoTime();
            float[][] trainX = pixels(transform, train);
            float[][] testX = pixels(transform, test);
            var p = transform.preprocessing();
            EvaluationReport.FeatureResult pixelResult = Evaluation.evaluate(EvaluationReport.RAW_PIXELS,
                    String.format(Locale.ROOT, "evaluation-transformed pixels (%dx%dx%d, normalised)", p.channels(),
                            p.imageSize(), p.imageSize()),
                    trainX, train.labels(), testX, test.labels(), (System.nanoTime() - t0) / 1e9, settings, log);
            results.values().forEach(r -> r.add(pixelResult));
        }

        Map<FeatureKind, EvaluationResult.Feature> features = new LinkedHashMap<>();
        for (FeatureKind k : kinds) {
            features.put(k, new EvaluationResult.Feature(dimensions.get(k), List.copyOf(results.get(k)),
                    pretrainedTest.get(k)));
        }
        String spec = request.validation() > 0 ? request.data() + " (validation: scored on the last "
                + request.validation() + " training images, fitted on the ones before)" : request.data();
        EvaluationReport.DataSummary data = new EvaluationReport.DataSummary(spec, train.size(), test.size(),
                Math.max(classNames.size(), numClasses(train.labels(), test.labels())), classNames);
        return new EvaluationResult(request, data, modelInfo, provenance(request), features, test.labels());
    }

    /** How the scores were made, as the report's provenance section lists it. */
    private static Map<String, String> provenance(EvaluationRequest request) {
        var probe = request.settings().probe();
        Map<String, String> provenance = new LinkedHashMap<>();
        if (request.command() != null) {
            provenance.put("command", request.command());
        }
        provenance.put("probe", "SGD momentum 0.9, batch 256, cosine lr, " + probe.epochs() + " epochs, grid lr "
                + Arrays.toString(probe.learningRates()) + " x wd " + Arrays.toString(probe.weightDecays())
                + ", 10% stratified validation, seed " + probe.seed());
        provenance.put("java", System.getProperty("java.version"));
        provenance.put("os", Provenance.operatingSystem());
        provenance.put("arch", System.getProperty("os.arch"));
        provenance.put("onnxruntime", FeatureExtractor.onnxRuntimeVersion());
        provenance.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        if (request.run() != null) {
            provenance.put("run", request.run().toString());
        }
        if (request.features().size() > 1) {
            provenance.put("features", request.features().stream().map(FeatureKind::toString)
                    .collect(Collectors.joining(",")) + ", extracted in one pass over each split");
        }
        return provenance;
    }

    /**
     * Every feature of {@code kinds} of every image of the split, from one pass (one session run per
     * batch); null rows for images found unreadable.
     */
    private static Map<FeatureKind, float[][]> embed(FeatureExtractor fx, LabelledSplit split, List<FeatureKind> kinds,
                                                     int batchSize, String what, PrintStream log) {
        int n = split.size();
        log.println(what + " features" + (kinds.size() > 1 ? " (" + kinds.size() + " kinds)" : "") + ":");
        Map<FeatureKind, float[][]> outRows = new EnumMap<>(FeatureKind.class);
        kinds.forEach(k -> outRows.put(k, new float[n][]));
        Set<FeatureKind> asked = EnumSet.copyOf(kinds);
        ProgressBar progress = new ProgressBar(n, log);
        for (int start = 0; start < n; start += batchSize) {
            int end = Math.min(n, start + batchSize);
            // unreadable images are left out here, then counted and named by readable()
            DatasetFeatures.Slice slice = DatasetFeatures.read(split.images(), start, end, (e, i) -> { });
            if (!slice.isEmpty()) {
                Map<FeatureKind, float[][]> rows = DatasetFeatures.embed(fx, split.images(), slice.images(),
                        slice.indices(), asked);
                for (FeatureKind k : kinds) {
                    float[][] part = rows.get(k);
                    for (int r = 0; r < part.length; r++) {
                        outRows.get(k)[slice.indices().get(r)] = part[r];
                    }
                }
            }
            progress.update(end);
        }
        progress.finish();
        return outRows;
    }

    /** Indices of the rows that were read; says how many were skipped; none readable is an error. */
    private static int[] readable(float[][] rows, LabelledSplit split, String which, String data, PrintStream log) {
        int[] keep = IntStream.range(0, rows.length).filter(i -> rows[i] != null).toArray();
        if (keep.length == 0) {
            throw new IllegalArgumentException("--data " + data + ": none of the " + rows.length + " " + which
                    + " images is readable");
        }
        if (keep.length < rows.length) {
            log.printf(Locale.ROOT, "skipped %d unreadable %s image%s of %d (%s)%n", rows.length - keep.length, which,
                    rows.length - keep.length == 1 ? "" : "s", rows.length, split.images().unreadableSummary());
        }
        return keep;
    }

    private static float[][] rows(float[][] all, int[] keep) {
        float[][] out = new float[keep.length][];
        for (int i = 0; i < keep.length; i++) {
            out[i] = all[keep[i]];
        }
        return out;
    }

    /** The evaluation transform's normalised pixels, flattened {@code [C*S*S]}, per image. */
    private static float[][] pixels(EvalTransform transform, LabelledSplit split) {
        float[][] x = new float[split.size()][];
        IntStream.range(0, x.length).parallel().forEach(i -> x[i] = transform.apply(split.images().image(i)));
        return x;
    }

    private static int numClasses(int[] a, int[] b) {
        int max = -1;
        for (int v : a) {
            max = Math.max(max, v);
        }
        for (int v : b) {
            max = Math.max(max, v);
        }
        return max + 1;
    }
}
