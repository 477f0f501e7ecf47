package org.jepa4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;
import org.jepa4j.data.UnreadableImageException;
import org.jepa4j.eval.Charts;
import org.jepa4j.eval.Evaluation;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.eval.LinearProbe;
import org.jepa4j.eval.RunLog;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.infer.ExecutionProvider;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.ModelInfo;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.provenance.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j eval}: linear probe and kNN of an exported encoder's frozen features, against a
 * random-init encoder of the same architecture and raw pixels, on the same splits; writes
 * {@code report.json}, {@code report.md} and PNG charts.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate an exported encoder: linear probe and kNN (k=20, T=0.07) on frozen features, against"
                + " a random-init encoder and raw pixels on the same splits; writes report.json, report.md and charts.")
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "Exported encoder (ONNX).")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "SPEC",
            description = "Labelled data source with train and test splits: " + ImageSources.FORMS + ".")
    String data;

    @Option(names = "--features", defaultValue = "pooled", split = ",",
            paramLabel = "KIND[,KIND...]",
            description = "Encoder feature(s) to evaluate: pooled, pooled_last4, pooled_grid (token means over 3x3"
                    + " regions), last_hidden_state (all tokens flattened, N*D values); several are extracted in one pass"
                    + " over each split, the first reported in OUT, each other in OUT/<feature> (default: ${DEFAULT-VALUE}).")
    List<String> features = new ArrayList<>();

    @Option(names = "--baseline-model", paramLabel = "FILE",
            description = "Random-init encoder of the same architecture (ONNX) for the baseline.")
    Path baselineModel;

    @Option(names = "--run", paramLabel = "RUN_DIR",
            description = "Training run folder: its CSV log is charted, and without --baseline-model the random-init"
                    + " encoder is built from its config and seed (written to OUT/random_init.onnx).")
    Path run;

    @Option(names = "--limit-train", defaultValue = "0", paramLabel = "N", description = "Use the first N training images (0 = all).")
    int limitTrain;

    @Option(names = "--limit-test", defaultValue = "0", paramLabel = "N", description = "Use the first N test images (0 = all).")
    int limitTest;

    @Option(names = "--validation", defaultValue = "0", paramLabel = "N",
            description = "Score on the last N training images instead of the test split, and fit on the training"
                    + " images before them: a validation split for choosing a recipe without reading the test split"
                    + " (0 = the test split; --limit-train and --limit-test then apply to the two parts).")
    int validation;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the report and charts.")
    Path out;

    @Option(names = "--no-pixel-baseline", description = "Skip the raw-pixel baseline.")
    boolean noPixels;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "Linear-probe SGD epochs per fit (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed of the probe's validation split and SGD order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "128", paramLabel = "N", description = "Images per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda|tensorrt|auto",
            description = "ONNX Runtime execution provider (default: ${DEFAULT-VALUE}).")
    String provider;

    @Mixin
    OnnxRuntimeThreadOptions runtime;

    @Spec
    CommandSpec spec;

    /** A labelled split held in memory as labels plus the dataset to read images from. */
    private record SplitData(ImageDataset images, int[] labels) {
    }

    @Override
    public Integer call() throws IOException {
        if (limitTrain < 0 || limitTest < 0 || validation < 0 || batchSize <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("--limit-train, --limit-test and --validation must be >= 0, --batch-size"
                    + " and --epochs positive");
        }
        org.jepa4j.io.Bounds.atMost("--batch-size", batchSize, org.jepa4j.io.Bounds.MAX_BATCH, "images per batch");
        org.jepa4j.io.Bounds.atMost("--epochs", epochs, org.jepa4j.io.Bounds.MAX_EPOCHS, "epochs");
        runtime.check();
        List<FeatureKind> kinds = new ArrayList<>();
        for (String f : features) {
            FeatureKind k = FeatureKind.parse(f);
            if (kinds.contains(k)) {
                throw new IllegalArgumentException("--features " + String.join(",", features) + ": " + k
                        + " is given twice");
            }
            kinds.add(k);
        }
        if (run != null && !Files.isDirectory(run)) {
            throw new IllegalArgumentException("--run " + run + ": not a folder (expected a training run folder)");
        }
        PrintStream log = System.err;
        if (Files.isRegularFile(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file, expected a folder for the report and charts");
        }
        List<org.jepa4j.io.OutputGuard.Input> inputs = OutputChecks.inputs(OutputChecks.modelInputs("--model", model),
                OutputChecks.modelInputs("--baseline-model", baselineModel), OutputChecks.dataInputs("--data", data));
        if (run != null) {
            inputs.add(new org.jepa4j.io.OutputGuard.Input("--run (its checkpoint)",
                    run.resolve(org.jepa4j.checkpoint.Checkpoint.FOLDER).resolve(org.jepa4j.checkpoint.Checkpoint.LATEST)));
        }
        OutputChecks.checkFolder("--out", out, inputs);
        boolean earlierReport = Files.isRegularFile(out.resolve("report.json"))
                && org.jepa4j.io.OutputGuard.headContains(out.resolve("report.json"), "\"jepa4jVersion\"", 256);
        for (String written : List.of("report.json", "report.md", "accuracy.png", "pca.png", "training.png",
                "random_init.safetensors", "random_init.onnx")) {
            Path target = out.resolve(written);
            for (Path in : java.util.Arrays.asList(model, baselineModel)) {
                if (in != null && OutputChecks.sameFile(target, in)) {
                    throw new IllegalArgumentException("--out " + out + ": eval writes " + written + " there, which is"
                            + " the input " + in + "; choose another --out");
                }
            }
            java.util.function.Predicate<Path> own = written.endsWith(".png") ? OutputChecks::isPng
                    : written.endsWith(".onnx") ? OutputChecks::isJepa4jOnnx
                    : written.endsWith(".safetensors") ? p -> org.jepa4j.io.OutputGuard.headContains(p, "jepa4j.", 1 << 20)
                    : p -> earlierReport; // report.json and report.md: an eval report's
            org.jepa4j.io.OutputGuard.requireReplaceable("--out", target, "what an earlier eval wrote there", own);
        }
        SplitData train;
        SplitData test;
        if (validation > 0) {
            ImageDataset all = ImageSources.open(data, Split.TRAIN);
            if (validation >= all.size()) {
                throw new IllegalArgumentException("--validation " + validation + ": the training split of --data "
                        + data + " has " + all.size() + " images, expected fewer held out so that some remain to fit on");
            }
            train = split(all.range(0, all.size() - validation).limit(limitTrain), Split.TRAIN);
            test = split(all.range(all.size() - validation, all.size()).limit(limitTest), Split.TRAIN);
        } else {
            train = split(ImageSources.open(data, Split.TRAIN).limit(limitTrain), Split.TRAIN);
            test = split(ImageSources.open(data, Split.TEST).limit(limitTest), Split.TEST);
        }
        List<String> classNames = train.images().classNames();
        log.printf(Locale.ROOT, "data: %s, %s%n", train.images().description(), test.images().description());
        org.jepa4j.io.AtomicFiles.createFolders(out, "report");
        ExtractorOptions options = runtime.applyTo(ExtractorOptions.builder(), OnnxRuntimeThreadOptions.onePerProcessor())
                .feature(kinds.get(0)).provider(ExecutionProvider.parse(provider)).build();
        Evaluation.Settings settings = Evaluation.Settings.defaults()
                .withProbe(LinearProbe.Options.defaults().withEpochs(epochs).withSeed(seed));

        Map<FeatureKind, List<EvaluationReport.FeatureResult>> results = new LinkedHashMap<>();
        kinds.forEach(k -> results.put(k, new ArrayList<>()));
        Map<String, String> modelInfo = new LinkedHashMap<>();
        Map<FeatureKind, float[][]> pretrainedTest;
        EvalTransform transform;
        Map<FeatureKind, Integer> dimensions = new LinkedHashMap<>();
        try (FeatureExtractor fx = FeatureExtractor.open(model, options)) {
            ModelInfo info = fx.info();
            for (FeatureKind k : kinds) {
                if (!info.featureLength().containsKey(k)) {
                    throw new IllegalArgumentException("--features " + k + ": " + model + " offers "
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
            Map<FeatureKind, float[][]> trainX = embed(fx, train, kinds, "pretrained train");
            pretrainedTest = embed(fx, test, kinds, "pretrained test");
            double seconds = (System.nanoTime() - t0) / 1e9;
            // the first pass finds the unreadable images; every feature and the baseline leave the same ones out
            int[] keepTrain = readable(trainX.get(kinds.get(0)), train, "train", log);
            int[] keepTest = readable(pretrainedTest.get(kinds.get(0)), test, "test", log);
            for (FeatureKind k : kinds) {
                trainX.put(k, rows(trainX.get(k), keepTrain));
                pretrainedTest.put(k, rows(pretrainedTest.get(k), keepTest));
            }
            train = subset(train, keepTrain);
            test = subset(test, keepTest);
            for (FeatureKind k : kinds) {
                results.get(k).add(Evaluation.evaluate(EvaluationReport.PRETRAINED, info.modelId() + " " + k,
                        trainX.remove(k), train.labels(), pretrainedTest.get(k), test.labels(), seconds, settings, log));
            }
        }

        Path baseline = baselineModel != null ? baselineModel : run != null ? createRandomInit(run, out, log) : null;
        if (baseline != null) {
            try (FeatureExtractor fx = FeatureExtractor.open(baseline, options)) {
                long t0 = System.nanoTime();
                Map<FeatureKind, float[][]> trainX = embed(fx, train, kinds, "random-init train");
                Map<FeatureKind, float[][]> testX = embed(fx, test, kinds, "random-init test");
                double seconds = (System.nanoTime() - t0) / 1e9;
                for (FeatureKind k : kinds) {
                    results.get(k).add(Evaluation.evaluate(EvaluationReport.RANDOM_INIT, fx.info().modelId() + " " + k,
                            trainX.remove(k), train.labels(), testX.remove(k), test.labels(), seconds, settings, log));
                }
            }
        } else {
            log.println("random-init baseline skipped: pass --baseline-model FILE or --run RUN_DIR");
        }

        if (!noPixels) {
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

        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("command", "jepa4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        provenance.put("probe", "SGD momentum 0.9, batch 256, cosine lr, " + epochs + " epochs, grid lr "
                + java.util.Arrays.toString(settings.probe().learningRates()) + " x wd "
                + java.util.Arrays.toString(settings.probe().weightDecays()) + ", 10% stratified validation, seed " + seed);
        provenance.put("java", System.getProperty("java.version"));
        provenance.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        if (run != null) {
            provenance.put("run", run.toString());
        }
        if (kinds.size() > 1) {
            provenance.put("features", kinds.stream().map(FeatureKind::toString).collect(
                    java.util.stream.Collectors.joining(",")) + ", extracted in one pass over each split");
        }
        for (FeatureKind k : kinds) {
            Path folder = k == kinds.get(0) ? out : out.resolve(k.toString());
            org.jepa4j.io.AtomicFiles.createFolders(folder, "report");
            Map<String, String> info = new LinkedHashMap<>(modelInfo);
            info.put("feature", k.toString());
            info.put("dimension", Integer.toString(dimensions.get(k)));
            writeReport(folder, k, info, provenance, results.get(k), pretrainedTest.get(k), train, test, classNames,
                    k == kinds.get(0), log);
        }
        return 0;
    }

    /** One feature's report.json, report.md and charts in {@code folder}. */
    private void writeReport(Path folder, FeatureKind kind, Map<String, String> modelInfo, Map<String, String> provenance,
                             List<EvaluationReport.FeatureResult> results, float[][] pretrainedTest, SplitData train,
                             SplitData test, List<String> classNames, boolean withTraining, PrintStream log)
            throws IOException {
        EvaluationReport report = new EvaluationReport(Instant.now().toString(), Version.current(),
                new EvaluationReport.DataSummary(validation > 0 ? data + " (validation: scored on the last " + validation
                        + " training images, fitted on the ones before)" : data, train.labels().length, test.labels().length,
                        Math.max(classNames.size(), numClasses(train.labels(), test.labels())), classNames),
                kind.toString(), modelInfo, provenance, results, Map.of());
        Charts.accuracyBars(report, folder.resolve("accuracy.png"));
        report = report.withChart("accuracy", "accuracy.png");
        Charts.pcaScatter(pretrainedTest, test.labels(), classNames, "PCA of pretrained test features ("
                + kind + ")", folder.resolve("pca.png"));
        report = report.withChart("pca", "pca.png");
        if (run != null && withTraining) {
            try {
                RunLog runLog = RunLog.read(RunLog.find(run));
                Charts.trainingCurves(runLog, "Pretraining: " + run.getFileName(), folder.resolve("training.png"));
                report = report.withChart("training", "training.png");
            } catch (IOException e) {
                log.println("training chart skipped: " + e.getMessage());
            }
        }
        report.writeJson(folder.resolve("report.json"));
        report.writeMarkdown(folder.resolve("report.md"));
        log.println();
        log.println(kind + ":");
        for (EvaluationReport.FeatureResult r : report.results()) {
            log.printf(Locale.ROOT, "%-12s probe %6.2f%%  kNN %6.2f%%%n", r.name(), 100 * r.probe().testTop1(),
                    100 * r.knn().top1());
        }
        log.println("wrote " + folder.resolve("report.json") + ", report.md, " + String.join(", ", report.charts().values()));
    }

    private SplitData split(ImageDataset ds, Split which) {
        if (!ds.labelled()) {
            throw new IllegalArgumentException("--data " + data + ": the " + which.label()
                    + " split has no class labels; evaluation needs labelled images");
        }
        int[] labels = new int[ds.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = ds.label(i);
        }
        return new SplitData(ds, labels);
    }

    /**
     * Every feature of {@code kinds} of every image of the split, from one pass (one session run per
     * batch); null rows for images found unreadable.
     */
    private Map<FeatureKind, float[][]> embed(FeatureExtractor fx, SplitData split, List<FeatureKind> kinds, String what) {
        int n = split.labels().length;
        System.err.println(what + " features" + (kinds.size() > 1 ? " (" + kinds.size() + " kinds)" : "") + ":");
        Map<FeatureKind, float[][]> outRows = new java.util.EnumMap<>(FeatureKind.class);
        kinds.forEach(k -> outRows.put(k, new float[n][]));
        java.util.Set<FeatureKind> asked = java.util.EnumSet.copyOf(kinds);
        EmbedCommand.Progress progress = new EmbedCommand.Progress(n, System.err);
        for (int start = 0; start < n; start += batchSize) {
            int end = Math.min(n, start + batchSize);
            List<Image> images = new ArrayList<>(end - start);
            List<Integer> at = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                try {
                    images.add(split.images().image(i));
                    at.add(i);
                } catch (UnreadableImageException e) {
                    // left out; counted and named by readable()
                }
            }
            if (!images.isEmpty()) {
                Map<FeatureKind, float[][]> rows = DatasetFeatures.embed(fx, split.images(), images, at, asked);
                for (FeatureKind k : kinds) {
                    float[][] part = rows.get(k);
                    for (int r = 0; r < part.length; r++) {
                        outRows.get(k)[at.get(r)] = part[r];
                    }
                }
            }
            progress.update(end);
        }
        progress.finish();
        return outRows;
    }

    /** Indices of the rows that were read; says how many were skipped; none readable is an error. */
    private int[] readable(float[][] rows, SplitData split, String which, PrintStream log) {
        int[] keep = java.util.stream.IntStream.range(0, rows.length).filter(i -> rows[i] != null).toArray();
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

    /** The images at {@code keep} of a split, as a split of their own (the same split when all are kept). */
    private static SplitData subset(SplitData split, int[] keep) {
        if (keep.length == split.labels().length) {
            return split;
        }
        ImageDataset all = split.images();
        int[] labels = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            labels[i] = split.labels()[keep[i]];
        }
        ImageDataset view = all.select(keep, keep.length + " readable");
        return new SplitData(view, labels);
    }

    /** The evaluation transform's normalised pixels, flattened {@code [C*S*S]}, per image. */
    private static float[][] pixels(EvalTransform transform, SplitData split) {
        float[][] x = new float[split.labels().length][];
        java.util.stream.IntStream.range(0, x.length).parallel()
                .forEach(i -> x[i] = transform.apply(split.images().image(i)));
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

    /**
     * The random-init baseline of a run: {@link Initializer#initialize} with the run checkpoint's
     * model, config seed and initialisation scheme (the weights training started from), saved as a checkpoint and exported
     * like the trained encoder.
     */
    static Path createRandomInit(Path runDir, Path outDir, PrintStream log) throws IOException {
        Checkpoint trained = Checkpoint.read(runDir);
        String yaml = trained.meta(Checkpoint.CONFIG);
        if (yaml == null) {
            throw new IOException(Checkpoint.resolve(runDir) + ": checkpoint has no " + Checkpoint.CONFIG
                    + " metadata; pass the random-init encoder with --baseline-model");
        }
        RunConfig config = RunConfigLoader.parse(yaml, Checkpoint.resolve(runDir) + " (" + Checkpoint.CONFIG + ")",
                List.of());
        ModelSpec modelSpec = trained.modelSpec();
        long initSeed = config.meta().seed();
        Map<String, String> meta = new LinkedHashMap<>();
        for (String key : List.of(Checkpoint.MODEL, Checkpoint.CONFIG, Checkpoint.PREPROCESSING)) {
            if (trained.meta(key) != null) {
                meta.put(key, trained.meta(key));
            }
        }
        meta.put(Checkpoint.PROVENANCE, Provenance.randomInit(runDir, initSeed).toJson(-1));
        Path ckpt = outDir.resolve("random_init.safetensors");
        new Checkpoint(Initializer.initialize(modelSpec, initSeed, config.meta().init()), meta).write(ckpt);
        Path onnx = outDir.resolve("random_init.onnx");
        OnnxExporter.export(ckpt, onnx, OnnxExporter.Options.defaults());
        log.printf(Locale.ROOT, "random-init baseline: seed %d, exported %s%n", initSeed, onnx);
        return onnx;
    }
}
