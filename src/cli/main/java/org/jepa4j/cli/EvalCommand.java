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

    @Option(names = "--features", defaultValue = "pooled",
            paramLabel = "pooled|pooled_last4|pooled_grid|last_hidden_state",
            description = "Encoder feature to evaluate (default: ${DEFAULT-VALUE}; pooled_grid: token means over 3x3"
                    + " regions; last_hidden_state: all tokens flattened, N*D values).")
    String features;

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
        if (limitTrain < 0 || limitTest < 0 || batchSize <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("--limit-train and --limit-test must be >= 0, --batch-size and --epochs positive");
        }
        FeatureKind kind = FeatureKind.parse(features);
        if (run != null && !Files.isDirectory(run)) {
            throw new IllegalArgumentException("--run " + run + ": not a folder (expected a training run folder)");
        }
        PrintStream log = System.err;
        SplitData train = split(Split.TRAIN, limitTrain);
        SplitData test = split(Split.TEST, limitTest);
        List<String> classNames = train.images().classNames();
        log.printf(Locale.ROOT, "data: %s, %s%n", train.images().description(), test.images().description());
        Files.createDirectories(out);
        ExtractorOptions options = runtime.applyTo(ExtractorOptions.builder(), OnnxRuntimeThreadOptions.onePerProcessor()).feature(kind)
                .provider(ExecutionProvider.parse(provider)).build();
        Evaluation.Settings settings = Evaluation.Settings.defaults()
                .withProbe(LinearProbe.Options.defaults().withEpochs(epochs).withSeed(seed));

        List<EvaluationReport.FeatureResult> results = new ArrayList<>();
        Map<String, String> modelInfo = new LinkedHashMap<>();
        float[][] pretrainedTest;
        EvalTransform transform;
        try (FeatureExtractor fx = FeatureExtractor.open(model, options)) {
            ModelInfo info = fx.info();
            transform = fx.transform();
            modelInfo.putAll(info.metadata());
            modelInfo.put("model_id", info.modelId());
            modelInfo.put("model_path", info.path().toString());
            modelInfo.put("feature", info.feature().toString());
            modelInfo.put("dimension", Integer.toString(info.dimension()));
            modelInfo.put("provider", info.provider().label());
            log.printf(Locale.ROOT, "model: %s (%s, %d values, provider %s, %d lane%s)%n", info.modelId(), info.feature(),
                    info.dimension(), info.provider().label(), fx.lanes(), fx.lanes() == 1 ? "" : "s");
            long t0 = System.nanoTime();
            float[][] trainX = embed(fx, train, "pretrained train");
            pretrainedTest = embed(fx, test, "pretrained test");
            results.add(Evaluation.evaluate(EvaluationReport.PRETRAINED, info.modelId() + " " + info.feature(), trainX,
                    train.labels(), pretrainedTest, test.labels(), (System.nanoTime() - t0) / 1e9, settings, log));
        }

        Path baseline = baselineModel != null ? baselineModel : run != null ? createRandomInit(run, out, log) : null;
        if (baseline != null) {
            try (FeatureExtractor fx = FeatureExtractor.open(baseline, options)) {
                long t0 = System.nanoTime();
                float[][] trainX = embed(fx, train, "random-init train");
                float[][] testX = embed(fx, test, "random-init test");
                results.add(Evaluation.evaluate(EvaluationReport.RANDOM_INIT, fx.info().modelId() + " " + fx.info().feature(),
                        trainX, train.labels(), testX, test.labels(), (System.nanoTime() - t0) / 1e9, settings, log));
            }
        } else {
            log.println("random-init baseline skipped: pass --baseline-model FILE or --run RUN_DIR");
        }

        if (!noPixels) {
            long t0 = System.nanoTime();
            float[][] trainX = pixels(transform, train);
            float[][] testX = pixels(transform, test);
            var p = transform.preprocessing();
            results.add(Evaluation.evaluate(EvaluationReport.RAW_PIXELS, String.format(Locale.ROOT,
                    "evaluation-transformed pixels (%dx%dx%d, normalised)", p.channels(), p.imageSize(), p.imageSize()),
                    trainX, train.labels(), testX, test.labels(), (System.nanoTime() - t0) / 1e9, settings, log));
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
        EvaluationReport report = new EvaluationReport(Instant.now().toString(), Version.current(),
                new EvaluationReport.DataSummary(data, train.labels().length, test.labels().length,
                        Math.max(classNames.size(), numClasses(train.labels(), test.labels())), classNames),
                kind.toString(), modelInfo, provenance, results, Map.of());

        Charts.accuracyBars(report, out.resolve("accuracy.png"));
        report = report.withChart("accuracy", "accuracy.png");
        Charts.pcaScatter(pretrainedTest, test.labels(), classNames, "PCA of pretrained test features ("
                + kind + ")", out.resolve("pca.png"));
        report = report.withChart("pca", "pca.png");
        if (run != null) {
            try {
                RunLog runLog = RunLog.read(RunLog.find(run));
                Charts.trainingCurves(runLog, "Pretraining: " + run.getFileName(), out.resolve("training.png"));
                report = report.withChart("training", "training.png");
            } catch (IOException e) {
                log.println("training chart skipped: " + e.getMessage());
            }
        }
        report.writeJson(out.resolve("report.json"));
        report.writeMarkdown(out.resolve("report.md"));
        log.println();
        for (EvaluationReport.FeatureResult r : report.results()) {
            log.printf(Locale.ROOT, "%-12s probe %6.2f%%  kNN %6.2f%%%n", r.name(), 100 * r.probe().testTop1(),
                    100 * r.knn().top1());
        }
        log.println("wrote " + out.resolve("report.json") + ", report.md, " + String.join(", ", report.charts().values()));
        return 0;
    }

    private SplitData split(Split which, int limit) {
        ImageDataset ds = ImageSources.open(data, which).limit(limit);
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

    private float[][] embed(FeatureExtractor fx, SplitData split, String what) {
        int n = split.labels().length;
        System.err.println(what + " features:");
        float[][] outRows = new float[n][];
        EmbedCommand.Progress progress = new EmbedCommand.Progress(n, System.err);
        for (int start = 0; start < n; start += batchSize) {
            int end = Math.min(n, start + batchSize);
            List<Image> images = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                images.add(split.images().image(i));
            }
            float[][] rows = fx.embedBatch(images);
            System.arraycopy(rows, 0, outRows, start, rows.length);
            progress.update(end);
        }
        progress.finish();
        return outRows;
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
     * model and config seed (the weights training started from), saved as a checkpoint and exported
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
        new Checkpoint(Initializer.initialize(modelSpec, initSeed), meta).write(ckpt);
        Path onnx = outDir.resolve("random_init.onnx");
        OnnxExporter.export(ckpt, onnx, OnnxExporter.Options.defaults());
        log.printf(Locale.ROOT, "random-init baseline: seed %d, exported %s%n", initSeed, onnx);
        return onnx;
    }
}
