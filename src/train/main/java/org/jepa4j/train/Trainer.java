package org.jepa4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.cluster.ClusterFailureException;
import org.jepa4j.cluster.ClusterRun;
import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.cluster.StartPoint;
import org.jepa4j.cluster.Watchdog;
import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.DataConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.data.Batch;
import org.jepa4j.data.BatchLoader;
import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.LoaderOptions;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.data.TrainTransform;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.io.RunFolderLock;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.mask.MaskSampler;
import org.jepa4j.mask.MaskSamplers;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.provenance.Version;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The I-JEPA training loop (docs/reference.md §5) around a {@link TrainingGraph}: data and masks
 * in, one AdamW + EMA step per batch with the scheduled learning rate, weight decay and momentum,
 * logs, monitors and checkpoints out.
 *
 * <p>A run folder holds the resolved {@code config.yaml}, the CSV log {@code <write_tag>_r0.csv}
 * ({@link TrainingLog}), {@code provenance.json} and {@code checkpoints/latest.safetensors}
 * (rewritten after every epoch and at the end) plus {@code checkpoints/epoch-NNNN.safetensors}
 * every {@code logging.checkpoint_freq} epochs.
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

    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** The run folder's checkpoint folder. */
    public static Path checkpointFolder(Path runFolder) {
        return runFolder.resolve(Checkpoint.FOLDER);
    }

    /** The numbered checkpoint file of a completed 1-based epoch. */
    public static String epochFileName(long epoch) {
        return String.format(Locale.ROOT, "epoch-%04d.safetensors", epoch);
    }

    /**
     * Runs (or resumes) the training.
     *
     * @throws TrainingDivergedException when a loss is NaN/Inf (no checkpoint is written then)
     * @throws IllegalArgumentException  for configurations or run folders that cannot be used
     */
    public Summary run() throws IOException {
        try {
            Path runFolder = options.runFolder();
            boolean chief = options.cluster() == null || options.cluster().isChief();
            if (chief && options.resume() && !Files.isDirectory(runFolder)) {
                resumeCheckpoint(runFolder, checkpointFolder(runFolder).resolve(Checkpoint.LATEST)); // names it
            }
            if (options.cluster() != null && !options.cluster().isChief()) {
                // a worker other than the chief writes nothing to the run folder, so it takes no lock
                return runLoop();
            }
            // one writer per run folder; a second run fails here, before it reads or writes anything
            try (RunFolderLock lock = RunFolderLock.acquire(runFolder)) {
                if (lock.stalePrevious() != null) {
                    options.out().println("taking over the lock of an ended run (" + lock.stalePrevious() + ")");
                }
                lock.removeStaleTemporaries(List.of(runFolder, checkpointFolder(runFolder)), options.out());
                return runLoop();
            }
        } finally {
            finished.countDown();
        }
    }

    private Summary runLoop() throws IOException {
        Path runFolder = options.runFolder();
        Path checkpoints = checkpointFolder(runFolder);
        Path latest = checkpoints.resolve(Checkpoint.LATEST);
        ClusterSpec cluster = options.cluster();
        // in a multi-worker run only the chief (rank 0) writes the run folder
        boolean writes = cluster == null || cluster.isChief();
        // in a cluster only the chief reads the run folder: the others get the step, weights and
        // optimizer state from it (ClusterRun.startReplicas), so they need no copy of the checkpoint
        Checkpoint resumeFrom = writes ? resumeCheckpoint(runFolder, latest) : null;
        if (writes && resumeFrom == null && Files.exists(latest)) {
            throw new IllegalArgumentException("run folder " + runFolder + " already holds " + latest.getFileName()
                    + " from an earlier run: pass --resume to continue it, or choose another --out");
        }
        if (writes) {
            AtomicFiles.createFolders(checkpoints, "checkpoint");
        }

        DataConfig data = config.data();
        ModelSpec spec = config.modelSpec();
        int batchSize = data.batchSize();
        ImageDataset trainSet = DatasetResolver.train(data);
        long ipe = BatchLoader.iterationsPerEpoch(trainSet.size(), batchSize);
        if (ipe <= 0) {
            throw new IllegalArgumentException("config data.batch_size: " + batchSize + " is more than the "
                    + trainSet.size() + " training images of " + trainSet.description());
        }
        int epochs = config.optimization().epochs();
        long totalSteps = epochs * ipe;
        long maxSteps = config.optimization().maxSteps();
        long endStep = maxSteps > 0 ? Math.min(maxSteps, totalSteps) : totalSteps;
        Schedules schedules = Schedules.of(config.optimization(), ipe);
        String yaml = RunConfigWriter.toYaml(config);
        long seed = config.meta().seed();
        Progress progress = new Progress(options.out(), options.interactive(), config.logging().logEvery());

        ClusterRun clusterRun = cluster == null ? null : ClusterRun.start(cluster, config);
        try (TrainingGraph graph = clusterRun == null ? TrainingGraph.create(spec, graphOptions(config))
                : TrainingGraph.create(spec, graphOptions(config), clusterRun.replication());
             Watchdog watchdog = clusterRun == null ? null : clusterRun.watchdog()) {
            long start = 0;
            if (resumeFrom != null) {
                start = restore(graph, resumeFrom, spec, ipe, batchSize);
            }
            boolean resumed = resumeFrom != null;
            if (clusterRun != null) {
                StartPoint point = clusterRun.startReplicas(graph, start, resumeFrom, options.resume(), progress::println);
                start = point.step();
                resumed = point.resumed();
            } else if (resumeFrom != null && ClusterRun.workerCountChange(resumeFrom, 1) != null) {
                progress.println(ClusterRun.workerCountChange(resumeFrom, 1));
            }
            MaskSampler sampler = MaskSamplers.create(config.mask(), spec.encoder().gridSize(),
                    spec.encoder().gridSize(), seed);
            // masks of step t are sampleAt(t): resuming needs no replay of the reference's collator
            // counter (§1.2), the loader starts at step `start`

            Provenance provenance = Provenance.training(runFolder, yaml, trainSet.description(),
                    trainSet.size(), seed, graph.device());
            if (cluster != null) {
                provenance = provenance.with(ClusterRun.PROVENANCE_CLUSTER_SIZE, cluster.size());
            }
            if (writes) {
                AtomicFiles.writeString(runFolder.resolve("config.yaml"), yaml);
                AtomicFiles.writeString(runFolder.resolve("provenance.json"), provenance.toJson(-1));
            }

            printStartup(progress, graph, trainSet, ipe, totalSteps, endStep, start, resumed);
            Probe probe = !writes ? Probe.disabled(spec, progress) : Probe.open(config, spec, options.evalEvery() > 0
                    ? options.evalEvery() : config.optimization().evalEvery(), progress);

            double[] losses = new double[(int) Math.max(0, endStep - start)];
            int done = 0;
            long written = start;
            Path lastGood = Files.exists(latest) ? latest : null;
            StepClock clock = new StepClock();
            Path logFile = runFolder.resolve(TrainingLog.fileName(config.logging().writeTag()));
            LoaderOptions loading = LoaderOptions.training(data, seed, start, endStep);
            if (cluster != null) {
                loading = loading.withReplica(cluster.rank(), cluster.size());
            }
            try (TrainingLog log = writes ? TrainingLog.open(logFile) : null;
                 BatchLoader loader = new BatchLoader(trainSet, TrainTransform.of(data), sampler, loading)) {
                for (long step = start; step < endStep; step++) {
                    if (stopRequested && cluster == null) {
                        progress.println("stop requested: finishing at step " + step + " of " + endStep);
                        break;
                    }
                    long wallStart = System.nanoTime();
                    Batch raw = loader.next();
                    if (raw.step() != step) {
                        throw new IllegalStateException("loader returned the batch of step " + raw.step()
                                + " where step " + step + " was expected");
                    }
                    MaskBatch masks = raw.masks(); // sampler.sampleAt(step, B), drawn by the loader's workers
                    Batch batch = raw;
                    Schedules.Values v = schedules.at(step);
                    long t0 = System.nanoTime();
                    TrainingGraph.StepHyperparameters hyper = new TrainingGraph.StepHyperparameters(v.lr(),
                            v.weightDecay(), v.momentum(), step + 1);
                    TrainingGraph.StepResult result;
                    if (clusterRun == null) {
                        result = graph.step(batch, hyper);
                    } else {
                        watchdog.stepStarted(step);
                        try {
                            // a stop request (Ctrl-C, SIGTERM) is voted on, so every worker ends after this step
                            result = graph.step(batch, hyper, stopRequested);
                        } catch (RuntimeException e) {
                            watchdog.close(); // this failure is reported once, here
                            progress.endLine();
                            throw ClusterFailureException.of(cluster, step, e);
                        }
                        watchdog.stepFinished();
                    }
                    double loss = result.loss();
                    long t1 = System.nanoTime();
                    long epoch = step / ipe + 1;
                    if (!Double.isFinite(loss)) {
                        progress.endLine();
                        throw new TrainingDivergedException(step, epoch, v.lr(), loss,
                                lastGood == null ? null : lastGood.toString());
                    }
                    losses[done++] = loss;
                    clock.record(step == start, (t1 - wallStart) / 1e9);

                    boolean last = step + 1 == endStep;
                    Probe.Result monitors = probe.maybeRun(graph, step, step == start, last);
                    boolean logRow = (step + 1) % Math.max(1, config.logging().logEvery()) == 0 || last
                            || monitors.any() || step == start;
                    if (logRow && log != null) {
                        log.log(new TrainingLog.Row(epoch, step % ipe, loss, masks.contextLength(),
                                masks.targetLength(), (t1 - t0) / 1e6, step, v.lr(), v.weightDecay(), v.momentum(),
                                batchSize / clock.secondsPerStep(), monitors.featureStd(), monitors.rankMe(),
                                monitors.knnTop1()));
                    }
                    progress.step(epoch, epochs, step, ipe, endStep, loss, v.lr(), v.weightDecay(), v.momentum(),
                            batchSize / clock.secondsPerStep(), clock.secondsPerStep() * (endStep - step - 1));
                    listener.afterStep(this, new StepRecord(step, epoch, loss, v, masks.contextLength(),
                            masks.targetLength()));

                    if ((step + 1) % ipe == 0 && writes) {
                        int freq = config.logging().checkpointFreq();
                        Path numbered = freq > 0 && epoch % freq == 0 ? checkpoints.resolve(epochFileName(epoch)) : null;
                        writeCheckpoint(graph, numbered, latest, step + 1, ipe, trainSet.size(), loss, yaml, provenance,
                                spec);
                        written = step + 1;
                        lastGood = latest;
                    }
                    if (result.stopVotes() > 0 && step + 1 < endStep) {
                        progress.endLine();
                        progress.println("stop requested by " + result.stopVotes() + " of " + cluster.size()
                                + " workers: every worker finishes at step " + (step + 1) + " of " + endStep);
                        break;
                    }
                }
            }
            if (watchdog != null) {
                watchdog.close(); // the steps are over: tasks may now exit one by one
            }
            long stepsDone = start + done;
            if (written != stepsDone && writes) {
                writeCheckpoint(graph, null, latest, stepsDone, ipe, trainSet.size(),
                        done == 0 ? Double.NaN : losses[done - 1], yaml, provenance, spec);
            }
            progress.endLine();
            progress.println(String.format(Locale.ROOT, "%s at step %d of %d; latest checkpoint %s",
                    stepsDone < endStep ? "stopped" : "finished", stepsDone, endStep, latest));
            return new Summary(start, stepsDone, endStep, Arrays.copyOf(losses, done), stepsDone < endStep, latest);
        }
    }

    /** TensorFlow graph options from {@code meta}: loss, seed, thread pools, target, initialisation; Adam's constants as the reference. */
    public static TrainingGraph.TrainingGraphOptions graphOptions(RunConfig config) {
        TrainingGraph.TrainingGraphOptions d = TrainingGraph.TrainingGraphOptions.defaults();
        return new TrainingGraph.TrainingGraphOptions(config.meta().loss(), config.meta().seed(),
                config.meta().intraOpThreads(), config.meta().interOpThreads(), d.beta1(), d.beta2(), d.eps(),
                config.meta().towers(), config.meta().towerDevices(), PredictionTarget.of(config.meta()),
                config.meta().init());
    }

    /** The checkpoint to resume from, or null for a new run. */
    private Checkpoint resumeCheckpoint(Path runFolder, Path latest) throws IOException {
        String read = config.meta().readCheckpoint();
        boolean fromConfig = config.meta().loadCheckpoint();
        if (!options.resume() && !fromConfig) {
            return null;
        }
        Path file = latest;
        if (fromConfig && read != null && !read.isBlank()) {
            Path p = Path.of(read);
            // the reference reads meta.read_checkpoint relative to logging.folder
            file = p.isAbsolute() || Files.exists(p) ? p : runFolder.resolve(read);
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("cannot resume: " + file + " does not exist"
                    + (options.resume() ? " (--resume continues the run in --out / logging.folder)"
                    : " (meta.load_checkpoint is true; meta.read_checkpoint names the file)"));
        }
        return Checkpoint.read(file);
    }

    private long restore(TrainingGraph graph, Checkpoint ckpt, ModelSpec spec, long ipe, int batchSize) {
        ModelSpec saved = ckpt.modelSpec();
        if (!saved.equals(spec)) {
            throw new IllegalArgumentException("cannot resume: the checkpoint's model " + saved
                    + " differs from the config's " + spec);
        }
        TrainerState state = TrainerState.fromJson(ckpt.meta(Checkpoint.STATE));
        boolean sameRun = state.ipe() == ipe && state.batchSize() == batchSize && state.seed() == config.meta().seed();
        if (state.imported() && !sameRun) {
            return warmStart(graph, ckpt, state, ipe, batchSize);
        }
        boolean savedPixels = ckpt.tensors().names().containsAll(ParameterNames.pixelHead(spec).keySet());
        if (savedPixels != graph.options().target().isPixels()) {
            throw new IllegalArgumentException("cannot resume: the checkpoint was trained with meta.target "
                    + (savedPixels ? ConfigKeys.TARGET_PIXELS : ConfigKeys.TARGET_FEATURES) + ", the config asks for "
                    + graph.options().target().kind());
        }
        if (state.ipe() != ipe || state.batchSize() != batchSize) {
            throw new IllegalArgumentException("cannot resume: the checkpoint was trained with " + state.ipe()
                    + " iterations per epoch at batch size " + state.batchSize() + ", this config gives " + ipe
                    + " at batch size " + batchSize + " (data.batch_size or the dataset changed)");
        }
        if (state.seed() != config.meta().seed()) {
            throw new IllegalArgumentException("cannot resume: the checkpoint's meta.seed is " + state.seed()
                    + ", the config's is " + config.meta().seed());
        }
        graph.load(ckpt.tensors());
        return state.step();
    }

    /**
     * Starts a new schedule (step 0) from imported weights: the official run's iterations per
     * epoch and batch size do not describe this data, so its step cannot be continued. Tensors the
     * import lacks (the predictor of a Hugging Face encoder, AdamW moments) keep their fresh values.
     */
    private long warmStart(TrainingGraph graph, Checkpoint ckpt, TrainerState state, long ipe, int batchSize) {
        NamedTensors fresh = graph.state();
        NamedTensors imported = ckpt.tensors();
        List<String> kept = fresh.names().stream()
                .filter(n -> !n.startsWith("optimizer.") && !imported.contains(n)).toList();
        graph.load(fresh.merge(imported));
        options.out().println("warm start from imported weights: the source run had " + state.ipe()
                + " iterations per epoch at batch " + state.batchSize() + " (this config: " + ipe + " at batch "
                + batchSize + "), so schedules start at step 0"
                + (kept.isEmpty() ? "" : "; freshly initialised: " + kept.size() + " tensors the import lacks ("
                + kept.get(0) + (kept.size() > 1 ? ", ..." : "") + ")"));
        return 0;
    }

    /** Writes {@code latest}, or the numbered file first and {@code latest} as a second name of it. */
    private void writeCheckpoint(TrainingGraph graph, Path numbered, Path latest, long stepsDone, long ipe,
                                 long dataSize, double lastLoss, String yaml, Provenance provenance, ModelSpec spec)
            throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Checkpoint.MODEL, Checkpoint.modelSpecJson(spec));
        meta.put(Checkpoint.CONFIG, yaml);
        meta.put(Checkpoint.STATE, new TrainerState(stepsDone, stepsDone / ipe, stepsDone, config.meta().seed(), ipe,
                config.data().batchSize(), dataSize, lastLoss).toJson());
        meta.put(Checkpoint.PROVENANCE, provenance.toJson(stepsDone));
        meta.put(Checkpoint.PREPROCESSING, Preprocessing.of(config.data()).toJson());
        Checkpoint ckpt = new Checkpoint(graph.state(), meta);
        if (numbered == null) {
            ckpt.write(latest);
        } else {
            ckpt.writeNumberedAndLatest(numbered, latest);
        }
    }



    private void printStartup(Progress progress, TrainingGraph graph, ImageDataset trainSet, long ipe,
                              long totalSteps, long endStep, long start, boolean resumed) {
        long encoder = 0;
        long predictor = 0;
        for (Map.Entry<String, FloatTensor> e : graph.state().asMap().entrySet()) {
            String name = e.getKey();
            if (name.startsWith(ParameterNames.ENCODER)) {
                encoder += e.getValue().size();
            } else if (name.startsWith(ParameterNames.PREDICTOR)) {
                predictor += e.getValue().size();
            }
        }
        ModelSpec spec = config.modelSpec();
        var e = spec.encoder();
        var p = spec.predictor();
        progress.println(String.format(Locale.ROOT, "model: encoder %dpx/patch %d (%dx%d grid, %d channel%s), width %d,"
                        + " depth %d, heads %d, mlp %d: %,d parameters; predictor width %d, depth %d, heads %d,"
                        + " mlp %d: %,d parameters",
                e.imageSize(), e.patchSize(), e.gridSize(), e.gridSize(), e.channels(), e.channels() == 1 ? "" : "s",
                e.width(), e.depth(), e.heads(), e.mlpHidden(), encoder, p.width(), p.depth(), p.heads(),
                p.mlpHidden(), predictor));
        PredictionTarget target = graph.options().target();
        progress.println("target: " + target.describe() + (target.isPixels()
                ? " (no target encoder, no EMA; the exported encoder is the context encoder)"
                : " (the target encoder is an EMA copy of the encoder)"));
        progress.println("data: " + trainSet.description() + ", batch " + config.data().batchSize());
        progress.println(String.format(Locale.ROOT, "schedule: %d iterations per epoch, %d epochs = %d steps%s",
                ipe, config.optimization().epochs(), totalSteps,
                endStep < totalSteps ? " (optimization.max_steps stops at " + endStep + ")" : ""));
        if (resumed) {
            progress.println(String.format(Locale.ROOT, "resuming at step %d (epoch %d, itr %d)", start,
                    start / ipe + 1, start % ipe));
        }
        progress.println("device: " + graph.device() + ", TensorFlow threads intra-op "
                + threads(config.meta().intraOpThreads()) + ", inter-op " + threads(config.meta().interOpThreads())
                + ", towers " + config.meta().towers() + ", loader workers " + config.data().numWorkers());
        String cores = coreUseNote(config.meta().intraOpThreads(), config.meta().interOpThreads(),
                Runtime.getRuntime().availableProcessors());
        if (cores != null) {
            progress.println(cores);
        }
        if (!config.ignoredKeys().isEmpty()) {
            progress.println("ignored config keys (accepted for compatibility, no effect on the JVM): "
                    + String.join(", ", config.ignoredKeys()));
        }
        progress.println("run folder: " + options.runFolder().toAbsolutePath().normalize());
    }

    /**
     * A note when explicit thread counts keep TensorFlow on fewer cores than the machine has
     * (e.g. a 2-core preset on a larger machine), or null.
     */
    static String coreUseNote(int intraOp, int interOp, int cores) {
        if (intraOp <= 0 || interOp <= 0 || (long) intraOp * interOp >= cores) {
            return null;
        }
        return String.format(Locale.ROOT, "note: meta.intra_op_threads %d x meta.inter_op_threads %d keep TensorFlow on"
                + " %d of this machine's %d cores; raise inter_op_threads and meta.towers together, or set"
                + " 0/0 and towers 1 for TensorFlow's defaults", intraOp, interOp, intraOp * interOp, cores);
    }

    private static String threads(int n) {
        return n <= 0 ? "TF default" : Integer.toString(n);
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
