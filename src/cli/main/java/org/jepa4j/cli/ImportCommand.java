package org.jepa4j.cli;

import org.jepa4j.commands.OutputChecks;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.importer.CheckpointImporter;
import org.jepa4j.importer.ImportException;
import org.jepa4j.importer.ImportOptions;
import org.jepa4j.importer.WeightSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j import}: an official I-JEPA checkpoint ({@code .pth.tar}) or a Hugging Face
 * {@code IJepaModel} safetensors file into a jepa4j run folder.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import an official I-JEPA checkpoint (torch .pth.tar) or a Hugging Face IJepaModel"
                + " .safetensors file into a jepa4j run folder (checkpoints/latest.safetensors + config.yaml).",
                "Sizes are inferred from the tensor shapes; attention heads are not stored in the weights and come"
                        + " from --heads, --model-name or the reference size of the width."})
public final class ImportCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, paramLabel = "FILE", description = "checkpoint to import: an"
            + " official .pth.tar, a Hugging Face safetensors file or model folder (its model.safetensors)")
    Path from;

    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "run folder to write")
    Path out;

    @Option(names = "--model-name", paramLabel = "NAME", description = "vit_tiny ... vit_giant: gives the heads")
    String modelName;

    @Option(names = "--embed-dim", paramLabel = "D", description = "expected encoder width (checked)")
    int embedDim;

    @Option(names = "--depth", paramLabel = "L", description = "expected encoder depth (checked)")
    int depth;

    @Option(names = "--heads", paramLabel = "N", description = "encoder attention heads")
    int heads;

    @Option(names = "--patch-size", paramLabel = "P", description = "expected patch size (checked)")
    int patchSize;

    @Option(names = "--image-size", paramLabel = "S", description = "expected image size (checked)")
    int imageSize;

    @Option(names = "--channels", paramLabel = "C", description = "expected input channels (checked)")
    int channels;

    @Option(names = "--pred-heads", paramLabel = "N", description = "predictor heads (default: the encoder's)")
    int predHeads;

    @Option(names = "--with-optimizer", description = "also import the AdamW moments (official checkpoints)")
    boolean withOptimizer;

    @Option(names = "--force", description = "replace a checkpoint already in RUN_DIR")
    boolean force;

    @Option(names = "--verbose", description = "print stack traces of failures")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter progress = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImportOptions options = new ImportOptions(modelName, embedDim, depth, heads, patchSize, imageSize, channels,
                predHeads, withOptimizer);
        try {
            OutputChecks.checkFolder("--out", out, List.of(new org.jepa4j.io.OutputGuard.Input("--from", from)));
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 2;
        }
        Path existing = out.resolve(Checkpoint.FOLDER).resolve(Checkpoint.LATEST);
        if (Files.exists(existing) && !force) {
            err.println("error: " + existing + " already exists; choose another --out or pass --force to replace it");
            err.flush();
            return 2;
        }
        try (WeightSource source = CheckpointImporter.open(from, withOptimizer)) {
            progress.println("reading " + source.format() + " " + from);
            CheckpointImporter.Result r = CheckpointImporter.importInto(source,
                    CheckpointImporter.withFolderConfig(from, options), out, progress);
            progress.printf("imported %d tensors (%s); source SHA-256 %s%n", r.tensors(),
                    CheckpointImporter.human(r.bytes()), r.sha256());
            progress.println("run folder " + out + " is ready (set data.* in " + r.config().getFileName()
                    + " before training from it)");
            progress.flush();
            return 0;
        } catch (ImportException e) {
            err.println("error: " + e.getMessage());
            debug(e, err);
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("error: " + e.getMessage());
            debug(e, err);
            return 1;
        }
    }

    private void debug(Exception e, PrintWriter err) {
        if (verbose || "1".equals(System.getenv("JEPA4J_DEBUG"))) {
            e.printStackTrace(err);
        }
        err.flush();
    }
}
