package org.jepa4j.cli;

import org.jepa4j.commands.OnnxRuntimeThreadOptions;
import org.jepa4j.commands.OutputChecks;
import org.jepa4j.data.ImageSources;
import org.jepa4j.eval.protocol.BaselineEncoder;
import org.jepa4j.eval.protocol.EvaluationRequest;
import org.jepa4j.eval.protocol.Evaluator;
import org.jepa4j.eval.protocol.RandomInitBaseline;
import org.jepa4j.infer.ExecutionProvider;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.metrics.LinearProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j eval}: linear probe and kNN of an exported encoder's frozen features, against a
 * random-init encoder of the same architecture and raw pixels, on the same splits; writes
 * {@code report.json}, {@code report.md} and PNG charts. The protocol is the library's
 * ({@link Evaluator}); this command maps its options onto an {@link EvaluationRequest}.
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

    @Override
    public Integer call() throws IOException {
        org.jepa4j.eval.protocol.EvaluationRequest.checkCounts(limitTrain, limitTest, validation, batchSize, epochs);
        runtime.check();
        List<FeatureKind> kinds = new ArrayList<>();
        for (String f : features) {
            kinds.add(FeatureKind.parse(f));
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
                RandomInitBaseline.CHECKPOINT_FILE, RandomInitBaseline.ONNX_FILE)) {
            Path target = out.resolve(written);
            for (Path in : Arrays.asList(model, baselineModel)) {
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
        ExtractorOptions extractor = runtime.applyTo(ExtractorOptions.builder(), OnnxRuntimeThreadOptions.onePerProcessor())
                .provider(ExecutionProvider.parse(provider)).build();
        EvaluationRequest request = EvaluationRequest.builder(model, data, out)
                .features(kinds)
                .baseline(baselineModel != null ? BaselineEncoder.file(baselineModel)
                        : run != null ? RandomInitBaseline.ofRun(run) : null)
                .run(run)
                .limitTrain(limitTrain).limitTest(limitTest).validation(validation)
                .pixelBaseline(!noPixels)
                .probe(LinearProbe.Options.defaults().withEpochs(epochs).withSeed(seed))
                .batchSize(batchSize)
                .extractor(extractor)
                .command("jepa4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()))
                .build();
        Evaluator.run(request, System.err);
        return 0;
    }
}
