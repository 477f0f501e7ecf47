package org.jepa4j.cli;

import org.jepa4j.commands.OutputChecks;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.onnx.OnnxWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jepa4j export}: a checkpoint's frozen encoder to ONNX. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a checkpoint's frozen encoder to ONNX (outputs last_hidden_state, pooled, pooled_last4;"
                + " preprocessing and provenance in the model's metadata).")
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, paramLabel = "RUN_DIR|CKPT",
            description = "Run folder (uses checkpoints/latest.safetensors) or checkpoint file.")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "ONNX file to write, e.g. encoder.onnx.")
    Path out;

    @Option(names = "--encoder", defaultValue = "target", paramLabel = "target|context",
            description = "Which encoder to export (default: ${DEFAULT-VALUE}, the EMA target encoder the paper evaluates).")
    String encoder;

    @Option(names = "--opset", defaultValue = "17", description = "ONNX opset, 17..21 (default: ${DEFAULT-VALUE}).")
    int opset;

    @Option(names = "--ir-version", description = "ONNX IR version (default: 8 for opset 17, else 9 or 10).")
    Integer irVersion;

    @Option(names = "--external-data", defaultValue = "auto", paramLabel = "auto|always|never",
            description = "Store weights in <out>.data: auto = only above protobuf's 2 GB limit (default: ${DEFAULT-VALUE}).")
    String externalData;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8",
            description = "Matrix products of the blocks: fp32, or int8 (weights per output channel, activations"
                    + " quantized at run time; features within about 1e-2 relative of fp32) (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--int8-scale", paramLabel = "token|image",
            description = "With --precision int8, what one activation scale covers: each token (default) or each"
                    + " image; never the batch, so features do not depend on the batch.")
    String int8Scale;

    @Option(names = "--force", description = "Write --out even when its name does not end in .onnx"
            + " (the checkpoint itself is never overwritten).")
    boolean force;

    @Option(names = "--accept-unchecked", description = "Export a checkpoint that carries no checksums (made elsewhere,"
            + " or its checksum entry removed), with a warning; refused otherwise.")
    boolean acceptUnchecked;

    @Override
    public Integer call() throws IOException {
        Path input = Checkpoint.resolve(checkpoint);
        var inputs = List.of(new org.jepa4j.io.OutputGuard.Input("--checkpoint", input));
        if (java.nio.file.Files.isDirectory(checkpoint) && OutputChecks.sameFile(out, checkpoint)) {
            throw new IllegalArgumentException("--out " + out + " is the run folder --checkpoint " + checkpoint);
        }
        OutputChecks.checkFile("--out", out, List.of(".onnx"), force, inputs, "an ONNX model written by jepa4j export",
                OutputChecks::isJepa4jOnnx);
        Path data = out.resolveSibling(out.getFileName() + ".data");
        OutputChecks.checkFile("--out", data, List.of(".data"), true, inputs,
                "the external data of a jepa4j export", p -> OutputChecks.isJepa4jOnnx(out));
        if (int8Scale != null && !precision.equals("int8")) {
            throw new IllegalArgumentException("--int8-scale " + int8Scale + " applies to int8 exports only, and this"
                    + " one is --precision " + precision + "; add --precision int8 or leave --int8-scale out");
        }
        OnnxExporter.Options defaults = OnnxExporter.Options.defaults();
        OnnxExporter.Options o = defaults
                .withEncoder(OnnxExporter.Encoder.parse(encoder))
                .withOpset(opset)
                .withIrVersion(irVersion != null ? irVersion : defaultIrVersion(opset))
                .withExternalData(OnnxWriter.ExternalData.parse(externalData))
                .withPrecision(precision)
                .withInt8Scale(int8Scale != null ? int8Scale : defaults.int8Scale());
        long start = System.nanoTime();
        OnnxWriter.Written w = OnnxExporter.export(checkpoint, out, o, acceptUnchecked ? System.err : null);
        System.out.printf(Locale.ROOT, "wrote %s (%s, %s)%s in %.1f s%n", w.model(), precision,
                megabytes(w.modelBytes()),
                w.externalData() == null ? "" : " + external data " + w.externalData() + " (" + megabytes(w.dataBytes()) + ")",
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** IR 8 goes with opset 17 (the newest Debian's onnx 1.12 accepts); opset 18-19 need IR 9, 20-21 IR 10. */
    static long defaultIrVersion(int opset) {
        return opset <= 17 ? 8 : opset <= 19 ? 9 : 10;
    }

    static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

}
