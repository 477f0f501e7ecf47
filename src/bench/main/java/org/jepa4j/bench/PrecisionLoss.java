package org.jepa4j.bench;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.provenance.CpuFeatures;
import org.jepa4j.train.Trainer;
import org.jepa4j.train.TrainerState;
import org.jepa4j.train.TrainingGraph;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tools/precision-loss}: the training loss of one checkpoint's weights, through the float32
 * graph and through the bf16 ones, on the same batches (the next ones its run would train on), with
 * no update. It tells apart the two ways a bf16 run can end at another loss than a float32 run: the
 * bf16 forward pass itself (same weights, other loss) and the weights bf16 training reached (other
 * weights, the same loss through every graph).
 */
@Command(name = "precision-loss", mixinStandardHelpOptions = true, description = "The training loss of a checkpoint's"
        + " weights through each precision's graph, on the batches its run would train on next (no update).")
public final class PrecisionLoss implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "RUN_DIR|CKPT", description = "A training checkpoint"
            + " (a run folder's latest, or a file).")
    Path checkpoint;

    @Option(names = "--batches", defaultValue = "24", description = "Batches, from the checkpoint's step on"
            + " (default: ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--precision", split = ",", defaultValue = "fp32,bf16,bf16_attention", description = "Precisions;"
            + " the first is the reference of the differences (default: ${DEFAULT-VALUE}).")
    List<String> precisions;

    /** The losses of one precision, batch by batch. */
    record Losses(MatmulPrecision precision, double[] perBatch) {
        double mean() {
            double s = 0;
            for (double l : perBatch) {
                s += l;
            }
            return s / perBatch.length;
        }
    }

    PrecisionLoss() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PrecisionLoss()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (batches < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--batches: expected 1 or more, got " + batches);
        }
        List<MatmulPrecision> chosen = new ArrayList<>();
        for (String p : precisions) {
            try {
                chosen.add(MatmulPrecision.resolve(p, true, CpuFeatures.host(), false).precision());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--precision: " + e.getMessage());
            }
        }
        Checkpoint c;
        try {
            c = Checkpoint.read(checkpoint);
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--checkpoint " + e.getMessage());
        }
        String yaml = c.meta(Checkpoint.CONFIG);
        String state = c.meta(Checkpoint.STATE);
        if (yaml == null || state == null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--checkpoint " + checkpoint + ": not a"
                    + " training checkpoint (no " + (yaml == null ? Checkpoint.CONFIG : Checkpoint.STATE) + " metadata)");
        }
        RunConfig config = RunConfigLoader.parse(yaml, Checkpoint.resolve(checkpoint) + " (" + Checkpoint.CONFIG + ")",
                List.of());
        long step = TrainerState.fromJson(state).step();
        List<Losses> rows = measure(c, config, RunBatches.at(config, step, batches), chosen);
        print(System.out, Checkpoint.resolve(checkpoint), step, rows);
        return 0;
    }

    /** The loss of every batch through each precision's graph, holding the checkpoint's weights. */
    static List<Losses> measure(Checkpoint c, RunConfig config, List<Batch> batches, List<MatmulPrecision> precisions) {
        List<Losses> rows = new ArrayList<>();
        for (MatmulPrecision p : precisions) {
            double[] losses = new double[batches.size()];
            try (TrainingGraph g = TrainingGraph.create(config.modelSpec(), Trainer.graphOptions(config, p))) {
                g.load(c.tensors());
                for (int i = 0; i < losses.length; i++) {
                    losses[i] = g.loss(batches.get(i));
                }
            }
            rows.add(new Losses(p, losses));
        }
        return rows;
    }

    static void print(PrintStream out, Path checkpoint, long step, List<Losses> rows) {
        Losses ref = rows.get(0);
        out.printf(Locale.ROOT, "%s (step %d): loss on the next %d batches, no update; CPU flags: %s%n", checkpoint, step,
                ref.perBatch().length, CpuFeatures.host().precisionFlags());
        out.println("| precision | mean loss | vs " + ref.precision().label() + " | mean size of a batch's difference | largest |");
        out.println("|---|---|---|---|---|");
        for (Losses r : rows) {
            double sum = 0;
            double max = 0;
            for (int i = 0; i < r.perBatch().length; i++) {
                double d = Math.abs(r.perBatch()[i] - ref.perBatch()[i]) / ref.perBatch()[i];
                sum += d;
                max = Math.max(max, d);
            }
            out.printf(Locale.ROOT, "| %s | %.5f | %+.2f %% | %.3f %% | %.3f %% |%n", r.precision().label(), r.mean(),
                    100 * (r.mean() - ref.mean()) / ref.mean(), 100 * sum / r.perBatch().length, 100 * max);
        }
    }
}
