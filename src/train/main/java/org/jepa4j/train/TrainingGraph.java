package org.jepa4j.train;

import org.jepa4j.cluster.Replication;
import org.jepa4j.graph.GraphVariables;
import org.jepa4j.graph.Layers;
import org.jepa4j.graph.Predictor;
import org.jepa4j.graph.Tensors;
import org.jepa4j.graph.VisionTransformer;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.train.step.AdamW;
import org.jepa4j.train.step.EmaUpdate;
import org.jepa4j.train.step.Feeds;
import org.jepa4j.train.step.JepaLoss;
import org.jepa4j.train.step.ReplicaSync;
import org.jepa4j.train.step.StepInputs;
import org.jepa4j.train.step.StepProfiler;
import org.jepa4j.train.step.Towers;
import org.jepa4j.train.step.TrainingGraphOptions;
import org.jepa4j.train.step.TrainingState;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The whole I-JEPA training step as one TensorFlow graph, in the order of upstream's
 * {@code train_step} (docs/reference.md §4, §5): {@code forward_target} (target encoder on the
 * full image, no gradient, LayerNorm'd targets at the target blocks), {@code forward_context}
 * (context encoder on the context tokens, then the predictor), {@code loss_fn} ({@link JepaLoss}),
 * the gradients, the optimizer step ({@link AdamW}) and the EMA of the target encoder
 * ({@link EmaUpdate}), all in one session run ordered by control dependencies.
 *
 * <p>Masks and images are fed per step ({@link StepInputs}); batch size, nenc, npred and the mask
 * lengths may change from step to step without rebuilding anything. Learning rate, weight decay,
 * EMA momentum and the Adam bias corrections are fed as scalars. Graph plumbing lives beside the
 * step: {@link Towers} (slices of the batch, each tower on its device), {@link ReplicaSync} (one
 * replica of a data-parallel run), {@link StepProfiler} (traced steps).
 *
 * <p>The fixed sin-cos tables are variables that are never trained (so a loaded checkpoint's
 * tables are used as they are) and are left out of the EMA.
 *
 * <p>Not thread-safe: one step at a time.
 */
public final class TrainingGraph implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TrainingGraph.class.getName());

    /**
     * The scalars of one step.
     *
     * @param lr          learning rate
     * @param weightDecay decoupled weight decay of the decayed group ({@link ParameterNames#isWeightDecayed})
     * @param emaMomentum target-encoder momentum m in {@code θ̄ ← m·θ̄ + (1−m)·θ}
     * @param adamStep    AdamW step t = 1, 2, … for the bias corrections {@code 1 − β^t}
     */
    public record StepHyperparameters(double lr, double weightDecay, double emaMomentum, long adamStep) {
        public StepHyperparameters {
            if (adamStep < 1) {
                throw new IllegalArgumentException("adamStep must be >= 1 (torch counts from 1), got " + adamStep);
            }
        }
    }

    /**
     * @param loss      the loss of the step's forward, before the update (a replica: the global loss)
     * @param stopVotes replicas that asked to stop after this step (0 for a one-process graph)
     */
    public record StepResult(double loss, int stopVotes) {
        public StepResult(double loss) {
            this(loss, 0);
        }
    }

    /** One tower's outputs: target tokens {@code [Bi·N, D]}, predictions, loss sum and count. */
    private record Tower(Operand<TFloat32> targetTokens, Operand<TFloat32> predictions, JepaLoss.Sum loss) {
    }

    private final ModelSpec spec;
    private final TrainingGraphOptions options;
    private final Graph graph;
    private final Session session;
    private final GraphVariables variables;
    private final TrainingState state;
    private final StepInputs inputs;
    private final AdamW adamW;
    private final EmaUpdate ema;
    private final ReplicaSync sync;
    private final Operand<TFloat32> lossOut;
    private final Operand<TFloat32> predictionsOut;
    private final Operand<TFloat32> targetTokensOut;
    private final Operand<TFloat32> localLossOut;
    private final List<Operand<TFloat32>> gradientOuts;
    private final List<Operand<TFloat32>> localGradientOuts;
    private final Op trainOp;
    private final String device;

    private TrainingGraph(ModelSpec spec, TrainingGraphOptions options, Replication replication) {
        this.spec = spec;
        this.options = options;
        this.graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            Layers layers = new Layers(tf, options.precision());
            variables = new GraphVariables(tf);
            boolean pixels = options.target().isPixels();
            Map<String, long[]> shapes = new LinkedHashMap<>(ParameterNames.all(spec));
            if (pixels) {
                shapes.putAll(ParameterNames.pixelHead(spec));
            }
            state = new TrainingState(variables, shapes);
            List<String> trainedNames = state.trainedNames();

            EncoderSpec e = spec.encoder();
            inputs = new StepInputs(tf, e);
            adamW = new AdamW(tf, options.beta1(), options.beta2(), options.eps());
            ema = new EmaUpdate(tf, options.target());
            VisionTransformer targetEncoder = new VisionTransformer(layers, e, variables.part(ParameterNames.TARGET_ENCODER));
            VisionTransformer encoder = new VisionTransformer(layers, e, variables.part(ParameterNames.ENCODER));
            Predictor predictor = new Predictor(layers, spec, variables.part(ParameterNames.PREDICTOR));
            JepaLoss jepaLoss = new JepaLoss(tf, layers, e, options.target(), options.loss());
            Towers towers = new Towers(graph, tf, inputs, options);
            List<Tower> outs = new ArrayList<>();
            for (int i = 0; i < towers.count(); i++) {
                Operand<TFloat32> imgs = towers.images(i);
                Operand<TInt32> masksEnc = towers.context(i);
                Operand<TInt32> masksPred = towers.targets(i);
                outs.add(towers.build(i, () -> {
                    // forward_target (src/train.py:295-303); with pixel targets the tokens are only
                    // fetched by targetTokens(), never by a step
                    Operand<TFloat32> tokens = targetEncoder.forward(imgs, null).tokens();
                    Operand<TFloat32> h = jepaLoss.targets(imgs, tokens, masksPred);
                    // forward_context (src/train.py:305-308)
                    Operand<TFloat32> z = predictor.forward(encoder.forward(imgs, masksEnc).tokens(), masksEnc, masksPred);
                    if (pixels) {
                        z = layers.linear(z, variables.get(ParameterNames.PREDICTOR + "pixel_head.weight"),
                                variables.get(ParameterNames.PREDICTOR + "pixel_head.bias"));
                    }
                    // loss_fn (src/train.py:310-313)
                    return new Tower(tokens, z, jepaLoss.sum(z, h, masksPred));
                }));
            }
            targetTokensOut = tf.withName("target_tokens").identity(
                    towers.joinRows(outs.stream().map(Tower::targetTokens).toList()));
            predictionsOut = tf.withName("predictions").identity(towers.joinPredictions(
                    outs.stream().map(Tower::predictions).toList(), VisionTransformer.dim(tf, inputs.targetIdx(), 0),
                    VisionTransformer.dim(tf, inputs.contextIdx(), 0), options.target().width(e)));
            List<Operand<?>> trained = new ArrayList<>();
            trainedNames.forEach(n -> trained.add(variables.get(n)));
            List<Operand<TFloat32>> lossSums = outs.stream().map(t -> t.loss().sum()).toList();
            Operand<TFloat32> lossSum = sumOf(tf, lossSums);
            Operand<TFloat32> lossCount = sumOf(tf, outs.stream().map(t -> t.loss().count()).toList());
            if (replication == null) {
                // the mean over all elements of the batch: every tower's sum over the total count
                sync = null;
                lossOut = tf.withName("loss").identity(tf.math.div(lossSum, lossCount));
                localLossOut = lossOut;
                gradientOuts = towers.gradients(lossOut, lossSums, lossCount, trained, trainedNames);
                localGradientOuts = gradientOuts;
            } else {
                sync = new ReplicaSync(tf, replication);
                Operand<TFloat32> globalCount = sync.globalCount(tf, lossCount, inputs.images());
                localLossOut = tf.withName("local_loss").identity(tf.math.div(lossSum, globalCount));
                localGradientOuts = towers.gradients(localLossOut, lossSums, globalCount, trained, trainedNames);
                ReplicaSync.Summed summed = sync.sumOverReplicas(tf, localGradientOuts, localLossOut, trainedNames, shapes);
                gradientOuts = summed.gradients();
                lossOut = summed.loss();
            }
            // the optimizer step once every gradient exists (src/train.py:322-328), then the EMA (:333-336)
            Map<String, Op> updated = adamW.update(tf, afterAll(tf, gradientOuts, lossOut), variables, trainedNames,
                    shapes, gradientOuts);
            List<Op> all = new ArrayList<>(updated.values());
            all.addAll(ema.update(tf, variables, trainedNames, updated));
            trainOp = tf.withName("train").withControlDependencies(all).noOp();
        } catch (RuntimeException ex) {
            graph.close();
            throw ex;
        }
        this.session = openSession(replication);
        try {
            // a session on a server target returns no parseable run metadata to trace placement with
            NamedTensors initial = Initializer.initialize(spec, options.seed(), options.init());
            if (options.target().isPixels()) {
                initial = initial.merge(Initializer.initializePixelHead(spec, options.seed()));
            }
            List<String> devices = state.load(session, initial, replication == null);
            this.device = replication == null ? Tensors.shortDevice(devices)
                    : "CPU of " + replication.server().cluster().self().deviceName();
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
        LOG.log(System.Logger.Level.INFO, () -> String.format(Locale.ROOT,
                "training graph on %s: %d trained parameters, target %s, loss %s, intra_op %d, inter_op %d, towers %d",
                device, trainedParameterCount(), options.target().describe(), options.loss(), options.intraOpThreads(),
                options.interOpThreads(), options.towers()));
    }

    /** Builds the graph and a session, with initial weights from {@link Initializer} (seed of the options). */
    public static TrainingGraph create(ModelSpec spec, TrainingGraphOptions options) {
        return new TrainingGraph(spec, options, null);
    }

    /**
     * Builds one replica of a data-parallel run: the same graph, fed this replica's slice of each
     * global batch, whose gradients and loss are summed over every replica by one all-reduce
     * before the one AdamW and EMA update; its session runs on the replica's server. Call
     * {@link #broadcastFromRankZero} before the first step so every replica starts equal.
     */
    public static TrainingGraph create(ModelSpec spec, TrainingGraphOptions options, Replication replication) {
        return new TrainingGraph(spec, options, Objects.requireNonNull(replication, "replication"));
    }

    private Session openSession(Replication replication) {
        ConfigProto config = Tensors.sessionConfig(options.intraOpThreads(), options.interOpThreads());
        if (options.towerDevices().equals("cpu")) {
            // one CPU device per tower (they share the process's threads)
            config = config.toBuilder().putDeviceCount("CPU", options.towers()).build();
        }
        try {
            return replication == null ? new Session(graph, config) : replication.openSession(graph);
        } catch (RuntimeException ex) {
            graph.close();
            throw ex;
        }
    }

    /** A no-op that runs once every gradient and the loss exist. */
    private static Op afterAll(Ops tf, List<Operand<TFloat32>> gradients, Operand<TFloat32> loss) {
        List<Op> done = new ArrayList<>();
        for (Operand<TFloat32> g : gradients) {
            done.add(tf.identity(g));
        }
        done.add(tf.identity(loss));
        return tf.withControlDependencies(done).noOp();
    }

    private static Operand<TFloat32> sumOf(Ops tf, List<Operand<TFloat32>> parts) {
        return parts.size() == 1 ? parts.get(0) : tf.math.addN(parts);
    }

    /** One training step: forward, gradients, AdamW and EMA in one session run. Returns the forward's loss. */
    public StepResult step(Batch batch, StepHyperparameters h) {
        return step(batch, h, false, null, null);
    }

    /**
     * One training step of a replica that may ask every replica to stop after it: the result
     * counts the replicas that asked ({@code voteStop} is ignored by a one-process graph).
     */
    public StepResult step(Batch batch, StepHyperparameters h, boolean voteStop) {
        return step(batch, h, voteStop, null, null);
    }

    /**
     * One traced training step: the time spent per TensorFlow op type (summed over nodes, in
     * microseconds), largest first. For benchmarks.
     */
    Map<String, Long> profileStep(Batch batch, StepHyperparameters h) {
        Map<String, Long> perType = new LinkedHashMap<>();
        step(batch, h, false, StepProfiler.Breakdown.OP_TYPE, perType);
        return perType;
    }

    /**
     * The devices whose ops ran in one traced training step (e.g. {@code /job:localhost/.../device:CPU:1}),
     * and each device that ran backward ops once more with {@code " backward"} appended.
     */
    Set<String> stepDevices(Batch batch, StepHyperparameters h) {
        Map<String, Long> perDevice = new LinkedHashMap<>();
        step(batch, h, false, StepProfiler.Breakdown.DEVICE, perDevice);
        return perDevice.keySet();
    }

    private StepResult step(Batch batch, StepHyperparameters h, boolean voteStop, StepProfiler.Breakdown trace,
                            Map<String, Long> profile) {
        try (Feeds feeds = new Feeds()) {
            Session.Runner r = inputs.feed(session.runner(), batch, feeds);
            adamW.feed(r, feeds, h.lr(), h.weightDecay(), h.adamStep());
            ema.feed(r, feeds, h.emaMomentum());
            if (sync != null) {
                sync.feedStep(r, feeds, voteStop);
            }
            r.fetch(lossOut).addTarget(trainOp);
            try (Result res = trace == null ? r.run() : StepProfiler.runTraced(r, trace, profile)) {
                int votes = sync == null ? 0 : Math.round(((TFloat32) res.get(0)).getFloat());
                return new StepResult(((TFloat32) res.get(sync == null ? 0 : 1)).getFloat(), votes);
            }
        }
    }

    /** The loss of a batch without any update (a replica: of the fed batch alone, without the others). */
    public double loss(Batch batch) {
        try (Feeds feeds = new Feeds()) {
            Session.Runner r = inputs.feed(session.runner(), batch, feeds);
            if (sync != null) {
                sync.feedGlobalBatch(r, feeds, batch.size());
            }
            try (Result res = r.fetch(localLossOut).run()) {
                return ((TFloat32) res.get(0)).getFloat();
            }
        }
    }

    /** Predictor output {@code [npred·nenc·B, Kt, D]}, rows ordered target-major, context-minor, image-inner (§3). */
    public float[] predictions(Batch batch) {
        try (Feeds feeds = new Feeds();
             Result res = inputs.feed(session.runner(), batch, feeds).fetch(predictionsOut).run()) {
            return Tensors.readFloats((TFloat32) res.get(0));
        }
    }

    /** Target encoder output {@code [B, N, D]} after its final LayerNorm, for {@code pixels [B, C, H, W]}. */
    public float[] targetTokens(float[] pixels, int batchSize) {
        try (Feeds feeds = new Feeds();
             Result res = inputs.feedImages(session.runner(), pixels, batchSize, feeds).fetch(targetTokensOut).run()) {
            return Tensors.readFloats((TFloat32) res.get(0));
        }
    }

    /**
     * Gradients of the loss with respect to every trained parameter (names with part prefix),
     * without applying them (a replica: of the fed batch alone, as {@link #loss}). For tests and
     * diagnostics.
     */
    NamedTensors gradients(Batch batch) {
        NamedTensors.Builder out = NamedTensors.builder();
        try (Feeds feeds = new Feeds()) {
            Session.Runner r = inputs.feed(session.runner(), batch, feeds);
            if (sync != null) {
                sync.feedGlobalBatch(r, feeds, batch.size());
            }
            localGradientOuts.forEach(r::fetch);
            List<String> trainedNames = state.trainedNames();
            try (Result res = r.run()) {
                for (int i = 0; i < trainedNames.size(); i++) {
                    String n = trainedNames.get(i);
                    out.put(n, new FloatTensor(variables.shape(n), Tensors.readFloats((TFloat32) res.get(i))));
                }
            }
        }
        return out.build();
    }

    /**
     * Every parameter ({@code encoder.}, {@code predictor.}, {@code target_encoder.}, names and shapes
     * of {@link ParameterNames#all}) followed by the AdamW moments {@code optimizer.exp_avg.<param>}
     * and {@code optimizer.exp_avg_sq.<param>} of each trained parameter.
     */
    public NamedTensors state() {
        return state.read(session);
    }

    /**
     * Loads parameters and, when present, AdamW moments (absent moments become zeros).
     *
     * @throws IllegalArgumentException naming a missing parameter, or a tensor with its shape and the
     *                                  expected shape
     */
    public void load(NamedTensors values) {
        state.load(session, values, false);
    }

    /**
     * Makes every replica's state (parameters, target encoder, AdamW moments) equal to rank 0's
     * ({@link ReplicaSync#broadcastFromRankZero}). A no-op without replication. Every replica must
     * call it, after loading its initial or resumed state.
     */
    public void broadcastFromRankZero() {
        if (sync != null) {
            load(sync.broadcastFromRankZero(session, state()));
        }
    }

    /**
     * Rank 0's {@code values} on every replica, exactly ({@link ReplicaSync#broadcastFromRankZero(Session, float[])});
     * without replication, a copy of {@code values}. Every replica must call it with the same length.
     */
    public float[] broadcastFromRankZero(float[] values) {
        return sync == null ? values.clone() : sync.broadcastFromRankZero(session, values);
    }

    /**
     * The median wall time of {@code runs} all-reduces of one step's packed gradient (every trained
     * value and the two scalars, as each step sums them), fed and fetched as a vector: the
     * communication part of a step, for benchmarks. Every replica must call it with the same
     * {@code runs}.
     */
    public double allReduceMillis(int runs) {
        if (sync == null) {
            throw new IllegalStateException("allReduceMillis: a one-process graph has no all-reduce");
        }
        return StepProfiler.allReduceMillis(session, sync, Math.toIntExact(trainedParameterCount() + 2), runs);
    }

    /** The replication this graph is a replica of, or null for a one-process graph. */
    public Replication replication() {
        return sync == null ? null : sync.replication();
    }

    /** Where TensorFlow placed the graph: {@code CPU} or a GPU name such as {@code GPU:0}. */
    public String device() {
        return device;
    }

    public ModelSpec spec() {
        return spec;
    }

    public TrainingGraphOptions options() {
        return options;
    }

    /** Number of trained values (encoder and predictor, without the fixed tables). */
    public long trainedParameterCount() {
        return state.trainedValueCount();
    }

    @Override
    public void close() {
        if (session != null) {
            session.close();
        }
        graph.close();
    }
}
