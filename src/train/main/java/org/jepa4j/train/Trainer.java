package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.cluster.StartPoint;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.mask.MaskSampler;
import org.jepa4j.mask.MaskSamplers;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.pipeline.BatchLoader;
import org.jepa4j.pipeline.LoaderOptions;
import org.jepa4j.pipeline.TrainTransform;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.provenance.CpuFeatures;
import org.jepa4j.provenance.GpuFeatures;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.train.step.PredictionTarget;
import org.jepa4j.train.step.TrainingGraphOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The I-JEPA training loop (docs/reference.md §5) around a {@link TrainingGraph}: data and masks
 * in, one AdamW + EMA step per batch with the scheduled learning rate, weight decay and momentum,
 * logs, monitors and checkpoints out.
 *
 * <p>The run folder ({@link RunFolder}) holds the resolved {@code config.yaml}, the CSV log {@code <write_tag>_r0.csv}
 * ({@link TrainingLog}), {@code provenance.json} and {@code checkpoints/latest.safetensors}
 * (rewritten after every epoch and at the end) plus {@code checkpoints/epoch-NNNN.safetensors}
 * every {@code logging.checkpoint_freq} epochs. Each step runs alone or as one worker of a cluster
 * ({@link StepRunner}).
 *
 * <p>Everything random is a pure function of {@code (meta.seed, step)}: the batch of step t, its
 * crops, its masks ({@code sampleAt(t)}), and the schedules. Resuming therefore loads the tensors
 * (weights, target encoder, Adam moments) and continues at the saved step, giving the same
 * losses as an uninterrupted run.
 *
 * <p>Deviations from the reference: the numbered checkpoint is named after the epoch just
 * completed (the reference's {@code save_checkpoint(epoch+1)} names it one higher); a CSV row is
 * written every {@code logging.log_every} steps (the reference writes every step); a resumed run
 * continues at the saved step rather than at the start of the saved epoch.
 */
public final class Trainer {
    /** Images in the fixed probe batch of the collapse monitors (first images of the held-out split). */
    public static final int PROBE_IMAGES = 256;
    /** Held-out images of the quick kNN check ({@code --eval-every}): the first ones of each split. */
    public static final int KNN_IMAGES = 1000;
    /** Neighbours of the quick kNN check. */
    public static final int KNN_K = 20;

    private final RunConfig config;
    private final Options options;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private StepListener listener = (t, r) -> { };

    /**
     * How to run.
     *
     * @param runFolder   where the run's files go
     * @param resume      continue from the run folder's {@code checkpoints/latest.safetensors}
     * @param evalEvery   quick kNN every N steps (0 = {@code optimization.eval_every})
     * @param out         progress and start-up lines
     * @param interactive redraw one progress line in place (a terminal) instead of printing lines
     * @param cluster     the multi-worker cluster this process is one task of, or null for one process
     */
    public record Options(Path runFolder, boolean resume, int evalEvery, PrintStream out, boolean interactive,
                          ClusterSpec cluster) {

        /** A new run in {@code runFolder}, printing lines to stdout (in place when it is a terminal). */
        public static Options of(Path runFolder) {
            return new Options(runFolder, false, 0, System.out, System.console() != null, null);
        }

        public Options withResume(boolean r) {
            return new Options(runFolder, r, evalEvery, out, interactive, cluster);
        }

        public Options withEvalEvery(int n) {
            return new Options(runFolder, resume, n, out, interactive, cluster);
        }

        public Options withOut(PrintStream o, boolean isInteractive) {
            return new Options(runFolder, resume, evalEvery, o, isInteractive, cluster);
        }

        /** These options as one task of {@code c} (null: one process). */
        public Options withCluster(ClusterSpec c) {
            return new Options(runFolder, resume, evalEvery, out, interactive, c);
        }
    }

    /**
     * One finished step.
     *
     * @param step          global step (0-based)
     * @param epoch         1-based epoch
     * @param loss          the step's loss (before its update)
     * @param values        learning rate, weight decay and momentum the step used
     * @param contextLength Kc
     * @param targetLength  Kt
     */
    public record StepRecord(long step, long epoch, double loss, Schedules.Values values, int contextLength,
                             int targetLength) {
    }

    /** Called after every step, on the training thread. */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(Trainer trainer, StepRecord record);
    }

    /**
     * What a run did.
     *
     * @param firstStep    the step it started at (0, or the resumed step)
     * @param stepsDone    steps completed in total (the next step a resume would run)
     * @param endStep      the step it was to stop at (epochs·ipe, or optimization.max_steps)
     * @param losses       the loss of every step this call ran, in order
     * @param stopped      true when a stop request ended it before {@code endStep}
     * @param latest       the latest checkpoint written
     */
    public record Summary(long firstStep, long stepsDone, long endStep, double[] losses, boolean stopped,
                          Path latest) {
        public double lastLoss() {
            return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
        }
    }

    public Trainer(RunConfig config, Options options) {
        this.config = config;
        this.options = options;
    }

    /** Sets the listener called after each step (tests, tools). */
    public void setListener(StepListener listener) {
        this.listener = listener;
    }

    /**
     * Asks the loop to stop after the current step; it then writes {@code latest} and returns.
     * Safe from any thread (the Ctrl-C shutdown hook calls it).
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Waits until {@link #run} has returned or thrown (for the shutdown hook). */
    public boolean awaitFinished(long millis) throws InterruptedException {
        return finished.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Runs (or resumes) the training.
     *
     * @throws TrainingDivergedException when a loss is NaN/Inf (no checkpoint is written then)
     * @throws IllegalArgumentException  for configurations or run folders that cannot be used
     */
    public Summary run() throws IOException {
        try {
            ClusterSpec cluster = options.cluster();
            // in a multi-worker run only the chief (rank 0) writes the run folder (and takes its lock)
            RunFolder folder = new RunFolder(options.runFolder(), cluster == null || cluster.isChief());
            folder.checkResumable(config.meta(), options.resume());
            return folder.whileLocked(options.out(), () -> runLoop(folder));
        } finally {
            finished.countDown();
        }
    }

    /** Restores or initialises the graph, then per step: load the batch, step, log, checkpoint. */
    private Summary runLoop(RunFolder folder) throws IOException {
        Checkpoint resumeFrom = folder.resumeFrom(config.meta(), options.resume());
        folder.createCheckpointFolder();
        RunPlan plan = RunPlan.of(config);
        Progress progress = new Progress(options.out(), options.interactive(), config.logging().logEvery());
        StepRunner runner = StepRunner.start(options.cluster(), config);
        try (TrainingGraph graph = createGraph(runner, plan.spec(), config); runner) {
            long restored = resumeFrom == null ? 0
                    : CheckpointRestore.restore(graph, resumeFrom, plan, config, options.out());
            // in a cluster the chief's start point (and state) is everyone's: no other worker reads a checkpoint
            StartPoint point = runner.startReplicas(graph, restored, resumeFrom, options.resume(), plan, progress);
            long start = point.step();
            // masks of step t are sampleAt(t): resuming needs no replay of the reference's collator
            // counter (§1.2), the loader starts at step `start`
            MaskSampler sampler = MaskSamplers.create(config.mask(), plan.spec().encoder().gridSize(),
                    plan.spec().encoder().gridSize(), config.meta().seed());
            Provenance provenance = runner.provenance(Provenance.training(folder.path(), plan.yaml(),
                    plan.trainSet().description(), plan.trainSet().size(), config.meta().seed(), graph.device())
                    .withEngine("tensorflow", org.tensorflow.TensorFlow.version())
                    .with("matmul_precision", graph.options().precision().label())
                    .with("cpu_flags", CpuFeatures.host().precisionFlags()));
            if (graph.device().contains("GPU")) {
                provenance = provenance.with("gpus", GpuFeatures.host().describe());
            }
            folder.writeRunFiles(plan.yaml(), provenance);
            StartupReport.print(progress, config, plan, graph, start, point.resumed(), options.runFolder());
            Run run = new Run(folder, plan, graph, provenance, progress, start);
            LoaderOptions loading = runner.loading(LoaderOptions.training(config.data(), config.meta().seed(), start,
                    plan.endStep()));
            try (TrainingLog log = folder.openLog(config.logging().writeTag());
                 BatchLoader loader = new BatchLoader(plan.trainSet(), TrainTransform.of(config.data()), sampler, loading)) {
                folder.stepsBegin();
                for (long step = start; step < plan.endStep(); step++) {
                    if (runner.stopsBefore(step, plan.endStep(), stopRequested, progress)) {
                        break;
                    }
                    long wallStart = System.nanoTime();
                    Batch batch = nextBatch(loader, step);
                    Schedules.Values v = plan.schedules().at(step);
                    long t0 = System.nanoTime();
                    TrainingGraph.StepResult result = runner.step(graph, batch, new TrainingGraph.StepHyperparameters(
                            v.lr(), v.weightDecay(), v.momentum(), step + 1), step, plan.endStep(), stopRequested,
                            progress);
                    run.log(log, step, batch.masks(), v, result.loss(), wallStart, t0, System.nanoTime());
                    run.checkpointIfDue(step);
                    if (runner.stopsAfter(result, step, plan.endStep(), progress)) {
                        break;
                    }
                }
            }
            runner.close(); // the steps are over (also when one stopped the loop before its step): tasks may exit
            return run.finish();
        }
    }

    /** The batch of {@code step}: its images, crops and masks ({@code sampler.sampleAt(step, B)}). */
    private static Batch nextBatch(BatchLoader loader, long step) {
        Batch batch = loader.next();
        if (batch.step() != step) {
            throw new IllegalStateException("loader returned the batch of step " + batch.step()
                    + " where step " + step + " was expected");
        }
        return batch;
    }

    /** One run's progress after each step: losses, log rows, monitors, checkpoints. */
    private final class Run {
        private final RunFolder folder;
        private final RunPlan plan;
        private final TrainingGraph graph;
        private final Provenance provenance;
        private final Progress progress;
        private final long start;
        private final Probe probe;
        private final double[] losses;
        private final StepClock clock = new StepClock();
        private int done;
        private long written;
        private Path lastGood;

        Run(RunFolder folder, RunPlan plan, TrainingGraph graph, Provenance provenance, Progress progress, long start)
                throws IOException {
            this.folder = folder;
            this.plan = plan;
            this.graph = graph;
            this.provenance = provenance;
            this.progress = progress;
            this.start = start;
            probe = !folder.writes() ? Probe.disabled(plan.spec(), progress) : Probe.open(config, plan.spec(),
                    options.evalEvery() > 0 ? options.evalEvery() : config.optimization().evalEvery(), progress);
            losses = new double[(int) Math.max(0, plan.endStep() - start)];
            written = start;
            lastGood = Files.exists(folder.latest()) ? folder.latest() : null;
        }

        /**
         * Records a finished step: stops on a non-finite loss, runs the monitors when due, writes a
         * log row, redraws the progress and calls the listener.
         */
        void log(TrainingLog log, long step, MaskBatch masks, Schedules.Values v, double loss, long wallStart, long t0,
                 long t1) throws IOException {
            long epoch = step / plan.ipe() + 1;
            if (!Double.isFinite(loss)) {
                progress.endLine();
                throw new TrainingDivergedException(step, epoch, v.lr(), loss, lastGood == null ? null : lastGood.toString());
            }
            losses[done++] = loss;
            clock.record(step == start, (t1 - wallStart) / 1e9);
            boolean last = step + 1 == plan.endStep();
            Probe.Result monitors = probe.maybeRun(graph, step, step == start, last);
            boolean logRow = (step + 1) % Math.max(1, config.logging().logEvery()) == 0 || last
                    || monitors.any() || step == start;
            if (logRow && log != null) {
                log.log(new TrainingLog.Row(epoch, step % plan.ipe(), loss, masks.contextLength(),
                        masks.targetLength(), (t1 - t0) / 1e6, step, v.lr(), v.weightDecay(), v.momentum(),
                        plan.batchSize() / clock.secondsPerStep(), monitors.featureStd(), monitors.rankMe(),
                        monitors.knnTop1()));
            }
            progress.step(epoch, config.optimization().epochs(), step, plan.ipe(), plan.endStep(), loss, v.lr(),
                    v.weightDecay(), v.momentum(), plan.batchSize() / clock.secondsPerStep(),
                    clock.secondsPerStep() * (plan.endStep() - step - 1));
            listener.afterStep(Trainer.this, new StepRecord(step, epoch, loss, v, masks.contextLength(),
                    masks.targetLength()));
        }

        /** Writes the checkpoint due after {@code step}, if any ({@link RunFolder#dueAfter}). */
        void checkpointIfDue(long step) throws IOException {
            RunFolder.Due due = folder.dueAfter(step, plan.ipe(), config.logging().checkpointFreq());
            if (due != null) {
                writeCheckpoint(due.numbered(), due.stepsDone(), losses[done - 1]);
                written = due.stepsDone();
                lastGood = folder.latest();
            }
        }

        /** Writes {@code latest} unless the last step's checkpoint is written, and says where the run ended. */
        Summary finish() throws IOException {
            long stepsDone = start + done;
            if (written != stepsDone && folder.writes()) {
                writeCheckpoint(null, stepsDone, done == 0 ? Double.NaN : losses[done - 1]);
            }
            progress.endLine();
            // a worker other than the chief writes no checkpoint: it names none
            progress.println(String.format(Locale.ROOT, "%s at step %d of %d; %s",
                    stepsDone < plan.endStep() ? "stopped" : "finished", stepsDone, plan.endStep(),
                    folder.writes() ? "latest checkpoint " + folder.latest() : "the chief writes the checkpoints"));
            return new Summary(start, stepsDone, plan.endStep(), Arrays.copyOf(losses, done), stepsDone < plan.endStep(),
                    folder.latest());
        }

        /** Writes {@code latest}, or the numbered file first and {@code latest} as a second name of it. */
        private void writeCheckpoint(Path numbered, long stepsDone, double lastLoss) throws IOException {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(Checkpoint.MODEL, Checkpoint.modelSpecJson(plan.spec()));
            meta.put(Checkpoint.CONFIG, plan.yaml());
            meta.put(Checkpoint.STATE, new TrainerState(stepsDone, stepsDone / plan.ipe(), stepsDone,
                    config.meta().seed(), plan.ipe(), plan.batchSize(), plan.trainSet().size(), lastLoss).toJson());
            meta.put(Checkpoint.PROVENANCE, provenance.toJson(stepsDone));
            meta.put(Checkpoint.PREPROCESSING, Preprocessing.of(config.data()).toJson());
            folder.writeCheckpoint(graph.state(), meta, numbered);
        }
    }

    /**
     * TensorFlow graph options from {@code meta}: loss, seed, thread pools, target, initialisation,
     * the matrix products' precision as {@link #precisionChoice} decides it on this machine's CPU;
     * Adam's constants as the reference.
     */
    public static TrainingGraphOptions graphOptions(RunConfig config) {
        return graphOptions(config, precisionChoice(config, CpuFeatures.host(), false).precision());
    }

    /**
     * The precision of a run's matrix products ({@link MatmulPrecision#resolve}) from
     * {@code meta.matmul_precision} and {@code meta.use_bfloat16}; towers placed on GPUs count as a GPU.
     *
     * @param cpu   the CPU's features ({@link CpuFeatures#host()}; injected in tests)
     * @param onGpu whether the graph is known to run on a GPU
     * @return the choice with its startup-line reason
     */
    public static MatmulPrecision.Choice precisionChoice(RunConfig config, CpuFeatures cpu, boolean onGpu) {
        boolean gpu = onGpu(config, onGpu);
        return precisionChoice(config, cpu, gpu, gpu ? GpuFeatures.host() : GpuFeatures.unknown());
    }

    /**
     * {@link #precisionChoice(RunConfig, CpuFeatures, boolean)} with the GPUs' features given.
     *
     * @param gpus the GPUs' compute capabilities ({@link GpuFeatures#host()}; injected in tests)
     */
    public static MatmulPrecision.Choice precisionChoice(RunConfig config, CpuFeatures cpu, boolean onGpu,
                                                        GpuFeatures gpus) {
        return MatmulPrecision.resolve(config.meta().matmulPrecision(), config.meta().useBfloat16(), cpu,
                onGpu(config, onGpu), gpus);
    }

    private static boolean onGpu(RunConfig config, boolean placedOnGpu) {
        return placedOnGpu || "gpu".equals(config.meta().towerDevices());
    }

    /**
     * The run's graph in the chosen precision. Where TensorFlow placed the graph on a GPU and the
     * GPU's choice differs from the CPU's ({@code auto} on a CPU without AMX but a GPU with bf16 tensor
     * cores, or the other way round), it is built again in the GPU's precision.
     */
    private static TrainingGraph createGraph(StepRunner runner, ModelSpec spec, RunConfig config) {
        MatmulPrecision.Choice choice = precisionChoice(config, CpuFeatures.host(), false);
        TrainingGraph graph = runner.createGraph(spec, graphOptions(config, choice.precision()));
        if (graph.device().contains("GPU")) {
            MatmulPrecision.Choice onGpu = precisionChoice(config, CpuFeatures.host(), true);
            if (onGpu.precision() != choice.precision()) {
                graph.close();
                graph = runner.createGraph(spec, graphOptions(config, onGpu.precision()));
            }
        }
        return graph;
    }

    /** {@link #graphOptions(RunConfig)} with the matrix products in {@code precision}. */
    public static TrainingGraphOptions graphOptions(RunConfig config, MatmulPrecision precision) {
        MetaConfig meta = config.meta();
        return TrainingGraphOptions.builder()
                .precision(precision)
                .loss(meta.loss())
                .seed(meta.seed())
                .threads(meta.intraOpThreads(), meta.interOpThreads())
                .towers(meta.towers())
                .towerDevices(meta.towerDevices())
                .target(PredictionTarget.of(meta))
                .init(meta.init())
                .build();
    }

    /** Step-time average for images/s and the ETA; the first step (graph optimisation) is kept apart. */
    private static final class StepClock {
        private double first = Double.NaN;
        private double average = Double.NaN;

        void record(boolean isFirst, double seconds) {
            if (isFirst) {
                first = seconds;
            } else if (Double.isNaN(average)) {
                average = seconds;
            } else {
                average = 0.9 * average + 0.1 * seconds;
            }
        }

        double secondsPerStep() {
            return Double.isNaN(average) ? first : average;
        }
    }
}
