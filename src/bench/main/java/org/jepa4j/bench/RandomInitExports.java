package org.jepa4j.bench;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.provenance.Provenance;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encoders of any size without training, for benchmarks: a run config's model at the weights
 * training would start from ({@link Initializer#initialize} with {@code meta.seed} and
 * {@code meta.init}), written as a checkpoint and exported by the project's exporter as float32
 * and as int8. Files already in the folder are reused, so a second benchmark of the same config
 * starts at once.
 */
final class RandomInitExports {
    /** The float32 and int8 exports of one encoder. */
    record Exports(Path fp32, Path int8) {
    }

    private RandomInitExports() {
    }

    /**
     * @param config a run config file or preset (e.g. {@code models/vit_huge})
     * @param folder where {@code <name>.safetensors}, {@code <name>-fp32.onnx} and {@code <name>-int8.onnx} go
     * @param log    a line per file made
     */
    static Exports create(String config, Path folder, PrintStream log) throws IOException {
        Path ckpt = checkpoint(config, folder, log);
        return new Exports(export(ckpt, "-fp32.onnx", OnnxExporter.Options.defaults(), log),
                export(ckpt, "-int8.onnx", OnnxExporter.Options.defaults().withPrecision("int8"), log));
    }

    /** The float32 export alone ({@link #create}). */
    static Path fp32(String config, Path folder, PrintStream log) throws IOException {
        return export(checkpoint(config, folder, log), "-fp32.onnx", OnnxExporter.Options.defaults(), log);
    }

    /** {@code <config name>-seed<seed>.safetensors}: the initial weights, written unless present. */
    private static Path checkpoint(String config, Path folder, PrintStream log) throws IOException {
        RunConfig run = RunConfigLoader.resolve(config, List.of());
        ModelSpec spec = run.modelSpec();
        String name = Path.of(config).getFileName().toString().replaceAll("\\.ya?ml$", "") + "-seed" + run.meta().seed();
        Files.createDirectories(folder);
        Path ckpt = folder.resolve(name + ".safetensors");
        if (!Files.exists(ckpt)) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(Checkpoint.MODEL, Checkpoint.modelSpecJson(spec));
            meta.put(Checkpoint.CONFIG, RunConfigWriter.toYaml(run));
            meta.put(Checkpoint.PREPROCESSING, Preprocessing.of(run.data()).toJson());
            meta.put(Checkpoint.PROVENANCE, Provenance.randomInit(Path.of(config), run.meta().seed()).toJson(-1));
            long started = System.nanoTime();
            new Checkpoint(Initializer.initialize(spec, run.meta().seed(), run.meta().init()), meta).write(ckpt);
            log.printf(Locale.ROOT, "random-init %s: %s (%.0f s)%n", config, ckpt, (System.nanoTime() - started) / 1e9);
        }
        return ckpt;
    }

    /** {@code <checkpoint name><suffix>} beside the checkpoint, exported unless present. */
    private static Path export(Path ckpt, String suffix, OnnxExporter.Options options, PrintStream log)
            throws IOException {
        Path out = ckpt.resolveSibling(ckpt.getFileName().toString().replace(".safetensors", suffix));
        if (!Files.exists(out)) {
            long started = System.nanoTime();
            OnnxExporter.export(ckpt, out, options);
            log.printf(Locale.ROOT, "exported %s (%.0f s)%n", out, (System.nanoTime() - started) / 1e9);
        }
        return out;
    }
}
