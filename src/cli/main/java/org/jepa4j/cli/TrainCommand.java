package org.jepa4j.cli;

import org.jepa4j.commands.OutputChecks;
import org.jepa4j.cluster.ClusterConfigException;
import org.jepa4j.cluster.ClusterFailureException;
import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.cluster.TfConfig;
import org.jepa4j.config.LoggingConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.train.Trainer;
import org.jepa4j.train.TrainingDivergedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j train}: pre-trains an I-JEPA model as a run config describes; Ctrl-C finishes the
 * current step, writes the latest checkpoint and exits; {@code --resume} continues the run.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Pre-train an I-JEPA encoder (context encoder + predictor, EMA target encoder).",
                "The run folder gets config.yaml, <write_tag>_r0.csv, provenance.json and",
                "checkpoints/latest.safetensors (every epoch, at the end and on Ctrl-C) plus",
                "checkpoints/epoch-NNNN.safetensors every logging.checkpoint_freq epochs.",
                "With --cluster/--task-index or TF_CONFIG every worker runs the same command on its slice of",
                "each global batch (docs/distributed.md)."})
public final class TrainCommand implements Callable<Integer> {
    /** How long the Ctrl-C hook waits for the current step and the checkpoint. */
    static final long STOP_WAIT_MILLIS = 10 * 60 * 1000L;

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: logging.folder of the config).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in the run folder from checkpoints/latest.safetensors.")
    boolean resume;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "0",
            description = "Quick kNN (k=20) of the target encoder's pooled features on held-out images every N steps"
                    + " (default: optimization.eval_every; 0 = off).")
    int evalEvery;

    @Option(names = "--cluster", paramLabel = "HOST:PORT,...",
            description = {"Train as one worker of a synchronous data-parallel cluster: every worker's TensorFlow"
                    + " server address, in rank order (worker 0 is the chief and writes the run folder).",
                    "Without it the environment variable TF_CONFIG, when set, describes the cluster."})
    String cluster;

    @Option(names = "--task-index", paramLabel = "I", description = "This worker's index in --cluster.")
    Integer taskIndex;

    @Spec
    CommandSpec spec;

    /** The cluster from --cluster/--task-index, else from TF_CONFIG, else null (one process). */
    ClusterSpec clusterSpec(String tfConfig) {
        if (cluster != null) {
            if (taskIndex == null) {
                throw new ClusterConfigException("--cluster needs --task-index I, this worker's index in the list");
            }
            return ClusterSpec.ofWorkers(cluster, taskIndex);
        }
        if (taskIndex != null) {
            throw new ClusterConfigException("--task-index " + taskIndex + " needs --cluster host:port,host:port,...");
        }
        return tfConfig == null || tfConfig.isBlank() ? null : TfConfig.parse(tfConfig);
    }

    @Override
    public Integer call() throws Exception {
        ClusterSpec clusterSpec = clusterSpec(System.getenv(TfConfig.VARIABLE));
        RunConfig config = configOptions.load();
        Path folder = out != null ? out : runFolderOf(config);
        LoggingConfig l = config.logging();
        // the resolved config records where the run actually lives
        config = config.withLogging(new LoggingConfig(folder.toString(), l.writeTag(), l.checkpointFreq(), l.logEvery()));
        if (evalEvery < 0) {
            throw new IllegalArgumentException("--eval-every: " + evalEvery + " must be >= 0");
        }
        OutputChecks.checkFolder("--out", folder, OutputChecks.inputs(OutputChecks.dataInputs("data.source",
                config.data().source()), OutputChecks.dataInputs("data.eval_source", config.data().evalSource())));
        // the files train writes at the top of the run folder replace only their own earlier versions
        org.jepa4j.io.OutputGuard.requireReplaceable("--out", folder.resolve("config.yaml"), "a run config",
                OutputChecks::isRunConfigYaml);
        org.jepa4j.io.OutputGuard.requireReplaceable("--out", folder.resolve("provenance.json"),
                "the provenance of a jepa4j run", p -> org.jepa4j.io.OutputGuard.headContains(p, "jepa4j_version", 1 << 16));
        // SIGTERM: training writes its last checkpoint before it exits; its temporaries are its own to finish
        org.jepa4j.io.OutputGuard.finishWritesOnStop(folder);
        Trainer trainer = new Trainer(config, Trainer.Options.of(folder).withResume(resume).withEvalEvery(evalEvery)
                .withCluster(clusterSpec));
        try {
            runStoppingOnSignal(trainer);
            return 0;
        } catch (TrainingDivergedException | ClusterFailureException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 1;
        }
    }

    /**
     * Runs {@code trainer} with a shutdown hook that, on Ctrl-C or SIGTERM, asks it to stop after
     * the current step and waits (up to {@link #STOP_WAIT_MILLIS}) until it has written its latest
     * checkpoint, so that the run can be resumed.
     */
    static Trainer.Summary runStoppingOnSignal(Trainer trainer) throws IOException {
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                trainer.awaitFinished(STOP_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jepa4j-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return trainer.run();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook is running and waits for us
            }
        }
    }

    private static Path runFolderOf(RunConfig config) {
        String folder = config.logging().folder();
        if (folder == null || folder.isBlank() || folder.startsWith("$replace_this")) {
            throw new IllegalArgumentException("config logging.folder: '" + folder + "' is a placeholder;"
                    + " set it or pass --out DIR");
        }
        return Path.of(folder);
    }
}
