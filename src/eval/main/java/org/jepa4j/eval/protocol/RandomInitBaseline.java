package org.jepa4j.eval.protocol;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.infer.ModelInfo;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.provenance.Provenance;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The random-init baseline of a training run: {@link Initializer#initialize} with the run
 * checkpoint's model, config seed and initialisation scheme (the weights training started from),
 * saved as {@code random_init.safetensors} and exported like the evaluated encoder (same precision
 * and int8 activation scale) to {@code random_init.onnx}. Needs no TensorFlow: initialisation and
 * export are the recipe's and model I/O's.
 */
public final class RandomInitBaseline implements BaselineEncoder {
    /** The checkpoint written in the output folder. */
    public static final String CHECKPOINT_FILE = "random_init.safetensors";
    /** The exported encoder written in the output folder. */
    public static final String ONNX_FILE = "random_init.onnx";

    private final Path runDir;

    private RandomInitBaseline(Path runDir) {
        this.runDir = runDir;
    }

    /**
     * The random-init encoder of a training run.
     *
     * @param runDir the run folder (or a checkpoint file) whose model, seed and init scheme are used
     * @return the baseline source
     */
    public static RandomInitBaseline ofRun(Path runDir) {
        return new RandomInitBaseline(runDir);
    }

    @Override
    public Path encoder(Path out, ModelInfo evaluated, PrintStream log) throws IOException {
        return create(runDir, out, exportedLike(evaluated.metadata(), log), log);
    }

    /**
     * The export options that give the baseline the evaluated encoder's number format: its precision
     * and, for int8, its activation scale ({@link OnnxMetadata}); float32 for a model that names a
     * precision jepa4j does not export, with a note in {@code log}.
     */
    static OnnxExporter.Options exportedLike(Map<String, String> metadata, PrintStream log) {
        OnnxExporter.Options defaults = OnnxExporter.Options.defaults();
        String precision = OnnxMetadata.precision(metadata);
        String scale = metadata.getOrDefault(OnnxMetadata.INT8_ACTIVATION_SCALE, defaults.int8Scale());
        if (!OnnxMetadata.PRECISIONS.contains(precision) || !OnnxMetadata.INT8_ACTIVATION_SCALES.contains(scale)) {
            log.printf(Locale.ROOT, "random-init baseline: the evaluated model's %s %s (%s %s) is not one jepa4j"
                            + " exports; the baseline is float32%n", OnnxMetadata.PRECISION, precision,
                    OnnxMetadata.INT8_ACTIVATION_SCALE, scale);
            return defaults;
        }
        return defaults.withPrecision(precision).withInt8Scale(scale);
    }

    /**
     * Builds and exports the random-init encoder of {@code runDir} into {@code outDir} in float32.
     *
     * @see #create(Path, Path, OnnxExporter.Options, PrintStream)
     */
    public static Path create(Path runDir, Path outDir, PrintStream log) throws IOException {
        return create(runDir, outDir, OnnxExporter.Options.defaults(), log);
    }

    /**
     * Builds the random-init encoder of {@code runDir} and exports it into {@code outDir} with {@code options}.
     *
     * @param runDir  the training run folder (or checkpoint)
     * @param outDir  the folder for {@value #CHECKPOINT_FILE} and {@value #ONNX_FILE} (exists)
     * @param options how to export it (the evaluated encoder's precision)
     * @param log     one line naming the seed, the precision and the file
     * @return the exported ONNX file
     * @throws IOException when the checkpoint cannot be read, has no config, or the export fails
     */
    public static Path create(Path runDir, Path outDir, OnnxExporter.Options options, PrintStream log)
            throws IOException {
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
        Path ckpt = outDir.resolve(CHECKPOINT_FILE);
        new Checkpoint(Initializer.initialize(modelSpec, initSeed, config.meta().init()), meta).write(ckpt);
        Path onnx = outDir.resolve(ONNX_FILE);
        OnnxExporter.export(ckpt, onnx, options);
        log.printf(Locale.ROOT, "random-init baseline: seed %d, exported %s (%s)%n", initSeed, onnx, options.precision());
        return onnx;
    }
}
