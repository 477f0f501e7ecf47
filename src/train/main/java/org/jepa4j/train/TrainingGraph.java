package org.jepa4j.train;

import org.jepa4j.cluster.Replication;
import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.data.Batch;
import org.jepa4j.graph.GraphVariables;
import org.jepa4j.graph.Layers;
import org.jepa4j.graph.PixelTargets;
import org.jepa4j.graph.Predictor;
import org.jepa4j.graph.Tensors;
import org.jepa4j.graph.VisionTransformer;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.InitScheme;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The whole I-JEPA training step as one TensorFlow graph (docs/reference.md §4, §5): target
 * encoder on the full image (no gradient) → LayerNorm'd targets at the target blocks; context
 * encoder on the context tokens → predictor → smooth-L1 (or L2) loss → gradients → AdamW exactly
 * as torch's (decoupled decay first, then the bias-corrected Adam update) → EMA of the target
 * encoder, all in one session run ordered by control dependencies.
 *
 * <p>Masks and images are fed per step ({@code images [B, C, H, W]}, {@code context [nenc, B, Kc]},
 * {@code targets [npred, B, Kt]}); batch size, nenc, npred and the mask lengths may change from
 * step to step without rebuilding anything. Learning rate, weight decay, EMA momentum and the
 * Adam bias corrections are fed as scalars.
 *
 * <p>The fixed sin-cos tables are variables that are never trained (so a loaded checkpoint's
 * tables are used as they are) and are left out of the EMA, where the reference's update would
 * leave them unchanged anyway because both copies are equal.
 *
 * <p>With {@code towers > 1} ({@link TrainingGraphOptions}) the fed batch is cut into contiguous
 * slices of images ({@link BatchSlices}), each running its own copy of the forward pass; the loss
 * is the sum of every tower's per-element losses over their total count, so the gradients, the
 * update and the outputs are those of one tower up to float rounding.
 *
 * <p>Not thread-safe: one step at a time.
 */
public final class TrainingGraph implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TrainingGraph.class.getName());
    /** Prefix of the first AdamW moment of each trained parameter in {@link #state()}. */
    public static final String EXP_AVG = "optimizer.exp_avg.";
    /** Prefix of the second AdamW moment of each trained parameter in {@link #state()}. */
    public static final String EXP_AVG_SQ = "optimizer.exp_avg_sq.";
    /** eps of the non-affine LayerNorm on the targets (torch's F.layer_norm default, §4). */
    public static final double TARGET_NORM_EPS = 1e-5;

    /**
     * How the graph is built.
     *
     * @param loss           {@code smooth_l1} (the reference, beta 1) or {@code l2} (mean squared error)
     * @param seed           seed of the initial weights ({@link Initializer})
     * @param intraOpThreads TensorFlow intra-op threads, 0 = TensorFlow's default
     * @param interOpThreads TensorFlow inter-op threads, 0 = TensorFlow's default
     * @param beta1          AdamW β1
     * @param beta2          AdamW β2
     * @param eps            AdamW ε (added to the bias-corrected √v as torch does)
     * @param towers         copies of the forward and backward pass, each on a slice of the batch,
     *                       whose gradients are summed before one update: the same step as one
     *                       tower up to float rounding, but independent work that TensorFlow's
     *                       inter-op threads run side by side (1 = one pass over the whole batch)
     * @param towerDevices   where the towers run: {@code none} (all on the session's one device, placed
     *                       by TensorFlow), {@code cpu} (tower i's forward and backward on
     *                       {@code /device:CPU:i}, the session made with that many CPU devices) or
     *                       {@code gpu} (tower i on {@code /device:GPU:i}); the update stays on device 0
     * @param target         what the predictor predicts ({@link PredictionTarget}; features by default)
     * @param init           how the initial weights are drawn ({@link InitScheme}; the reference's by default)
     */
    public record TrainingGraphOptions(String loss, long seed, int intraOpThreads, int interOpThreads,
                                       double beta1, double beta2, double eps, int towers, String towerDevices,
                                       PredictionTarget target, InitScheme init) {

        /** The reference's initialisation. */
        public TrainingGraphOptions(String loss, long seed, int intraOpThreads, int interOpThreads,
                                    double beta1, double beta2, double eps, int towers, String towerDevices,
                                    PredictionTarget target) {
            this(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers, towerDevices, target,
                    InitScheme.reference());
        }

        /** Values of {@code towerDevices} ({@code meta.tower_devices}). */
        public static final List<String> TOWER_DEVICES = MetaConfig.TOWER_DEVICES;

        /** One device for every tower ({@code towerDevices} none). */
        public TrainingGraphOptions(String loss, long seed, int intraOpThreads, int interOpThreads,
                                    double beta1, double beta2, double eps, int towers) {
            this(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers, "none");
        }

        /** The reference's feature target. */
        public TrainingGraphOptions(String loss, long seed, int intraOpThreads, int interOpThreads,
                                    double beta1, double beta2, double eps, int towers, String towerDevices) {
            this(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers, towerDevices,
                    PredictionTarget.features());
        }

        public TrainingGraphOptions {
            if (!ConfigKeys.LOSSES.contains(loss)) {
                throw new IllegalArgumentException("loss '" + loss + "' is not supported, expected one of " + ConfigKeys.LOSSES);
            }
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0)) {
                throw new IllegalArgumentException("AdamW betas must be in [0, 1) and eps > 0, got beta1 " + beta1
                        + ", beta2 " + beta2 + ", eps " + eps);
            }
            if (intraOpThreads < 0 || interOpThreads < 0) {
                throw new IllegalArgumentException("thread counts must be >= 0 (0 = default), got intra_op "
                        + intraOpThreads + ", inter_op " + interOpThreads);
            }
            if (towers < 1) {
                throw new IllegalArgumentException("towers must be >= 1, got " + towers);
            }
            if (!TOWER_DEVICES.contains(towerDevices)) {
                throw new IllegalArgumentException("tower devices '" + towerDevices + "' is not supported, expected one of "
                        + TOWER_DEVICES);
            }
            if (target == null) {
                throw new IllegalArgumentException("target must be given (PredictionTarget.features() for the reference's)");
            }
            if (init == null) {
                throw new IllegalArgumentException("init must be given (InitScheme.reference() for the reference's)");
            }
        }

        /** smooth-L1, seed 0, TensorFlow's thread defaults, torch AdamW's betas (0.9, 0.999) and eps 1e-8, one tower. */
        public static TrainingGraphOptions defaults() {
            return new TrainingGraphOptions("smooth_l1", 0L, 0, 0, 0.9, 0.999, 1e-8, 1);
        }

        public TrainingGraphOptions withLoss(String newLoss) {
            return new TrainingGraphOptions(newLoss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers, towerDevices, target, init);
        }

        public TrainingGraphOptions withSeed(long newSeed) {
            return new TrainingGraphOptions(loss, newSeed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers, towerDevices, target, init);
        }

        public TrainingGraphOptions withThreads(int intraOp, int interOp) {
            return new TrainingGraphOptions(loss, seed, intraOp, interOp, beta1, beta2, eps, towers, towerDevices, target, init);
        }

        /** The towers placed on {@code devices} ({@code none}, {@code cpu} or {@code gpu}). */
        public TrainingGraphOptions withTowerDevices(String devices) {
            return new TrainingGraphOptions(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers, devices, target, init);
        }

        public TrainingGraphOptions withTowers(int newTowers) {
            return new TrainingGraphOptions(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, newTowers, towerDevices, target, init);
        }

        public TrainingGraphOptions withTarget(PredictionTarget newTarget) {
            return new TrainingGraphOptions(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers,
                    towerDevices, newTarget, init);
        }

        /** These options with another initialisation scheme. */
        public TrainingGraphOptions withInit(InitScheme newInit) {
            return new TrainingGraphOptions(loss, seed, intraOpThreads, interOpThreads, beta1, beta2, eps, towers,
                    towerDevices, target, newInit);
        }
    }

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

    private final ModelSpec spec;
    private final TrainingGraphOptions options;
    private final Graph graph;
    private final Session session;
    private final GraphVariables variables;
    private final List<String> parameterNames;
    private final List<String> trainedNames;
    private final List<String> stateNames;
    private final Placeholder<TFloat32> images;
    private final Placeholder<TInt32> contextIdx;
    private final Placeholder<TInt32> targetIdx;
    private final Placeholder<TFloat32> adamLr;
    private final Placeholder<TFloat32> beta1Power;
    private final Placeholder<TFloat32> beta2Power;
    private final Placeholder<TFloat32> epsHat;
    private final Placeholder<TFloat32> decayFactor;
    private final Placeholder<TFloat32> momentum;
    private final Placeholder<TFloat32> momentumComplement;
    private final Operand<TFloat32> lossOut;
    private final Operand<TFloat32> predictionsOut;
    private final Operand<TFloat32> targetTokensOut;
    private final Operand<TFloat32> localLossOut;
    private final List<Operand<TFloat32>> gradientOuts;
    private final Op trainOp;
    private final String device;
    private final Replication replication;
    private final Placeholder<TFloat32> globalBatch;
    private final Placeholder<TFloat32> syncIn;
    private final Placeholder<TInt32> syncKey;
    private final Operand<TFloat32> syncOut;
    private final Placeholder<TFloat32> stopVote;
    private final Operand<TFloat32> stopVotesOut;

    private TrainingGraph(ModelSpec spec, TrainingGraphOptions options, Replication replication) {
        this.spec = spec;
        this.options = options;
        this.replication = replication;
        this.graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            Layers layers = new Layers(tf);
            variables = new GraphVariables(tf);
            boolean pixels = options.target().isPixels();
            Map<String, long[]> shapes = new LinkedHashMap<>(ParameterNames.all(spec));
            if (pixels) {
                shapes.putAll(ParameterNames.pixelHead(spec));
            }
            shapes.forEach(variables::create);
            parameterNames = List.copyOf(shapes.keySet());
            trainedNames = new ArrayList<>();
            for (String n : parameterNames) {
                if (!n.startsWith(ParameterNames.TARGET_ENCODER) && !ParameterNames.isFrozen(n)) {
                    trainedNames.add(n);
                }
            }
            List<String> state = new ArrayList<>(parameterNames);
            for (String n : trainedNames) {
                variables.create(EXP_AVG + n, shapes.get(n));
            }
            for (String n : trainedNames) {
                variables.create(EXP_AVG_SQ + n, shapes.get(n));
            }
            trainedNames.forEach(n -> state.add(EXP_AVG + n));
            trainedNames.forEach(n -> state.add(EXP_AVG_SQ + n));
            stateNames = List.copyOf(state);

            EncoderSpec e = spec.encoder();
            images = tf.withName("images").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, e.channels(), e.imageSize(), e.imageSize())));
            contextIdx = tf.withName("context_idx").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1, -1)));
            targetIdx = tf.withName("target_idx").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1, -1)));
            adamLr = scalarPlaceholder(tf, "lr");
            beta1Power = scalarPlaceholder(tf, "beta1_power");
            beta2Power = scalarPlaceholder(tf, "beta2_power");
            epsHat = scalarPlaceholder(tf, "eps_hat");
            decayFactor = scalarPlaceholder(tf, "decay_factor");
            momentum = scalarPlaceholder(tf, "ema_momentum");
            momentumComplement = scalarPlaceholder(tf, "ema_momentum_complement");

            VisionTransformer target = new VisionTransformer(layers, e, variables.part(ParameterNames.TARGET_ENCODER));
            VisionTransformer encoder = new VisionTransformer(layers, e, variables.part(ParameterNames.ENCODER));
            Predictor predictor = new Predictor(layers, spec, variables.part(ParameterNames.PREDICTOR));
            BatchSlices slices = BatchSlices.of(tf, images, contextIdx, targetIdx, options.towers());
            List<Operand<TFloat32>> targetTokens = new ArrayList<>();
            List<Operand<TFloat32>> predictions = new ArrayList<>();
            List<Operand<TFloat32>> lossSums = new ArrayList<>();
            List<Operand<TFloat32>> lossCounts = new ArrayList<>();
            boolean placed = !options.towerDevices().equals("none");
            for (int i = 0; i < options.towers(); i++) {
                int mark = placed ? TowerPlacement.mark(graph) : 0;
                Operand<TFloat32> x = slices.images().get(i);
                Operand<TInt32> ctx = slices.context().get(i);
                Operand<TInt32> tgt = slices.targets().get(i);
                // §4: targets from the target encoder on all tokens, normalised without affine, no gradient;
                // with pixel targets the encoder's output is only fetched by targetTokens(), never by a step
                Operand<TFloat32> tokens = target.forward(x, null).tokens();
                targetTokens.add(tokens);
                Operand<TFloat32> h = pixels ? pixelTargets(tf, x, e) : layers.normalize(tf.stopGradient(tokens), TARGET_NORM_EPS);
                Operand<TFloat32> targetsAtBlocks = VisionTransformer.gatherTokens(tf, h, tgt,
                        VisionTransformer.dim(tf, x, 0), e.numPatches());
                Operand<TFloat32> context = encoder.forward(x, ctx).tokens();
                Operand<TFloat32> predicted = predictor.forward(context, ctx, tgt);
                if (pixels) {
                    predicted = layers.linear(predicted, variables.get(ParameterNames.PREDICTOR + "pixel_head.weight"),
                            variables.get(ParameterNames.PREDICTOR + "pixel_head.bias"));
                }
                predictions.add(predicted);
                Operand<TFloat32> perElement = lossPerElement(tf, predicted, targetsAtBlocks,
                        VisionTransformer.dim(tf, tgt, 0), options.loss());
                lossSums.add(tf.sum(perElement, tf.constant(0)));
                lossCounts.add(tf.dtypes.cast(tf.size(perElement, TInt32.class), TFloat32.class));
                if (placed) {
                    TowerPlacement.placeSince(graph, mark, towerDevice(i));
                }
            }
            targetTokensOut = tf.withName("target_tokens").identity(slices.joinRows(targetTokens));
            predictionsOut = tf.withName("predictions").identity(slices.joinPredictions(predictions,
                    VisionTransformer.dim(tf, targetIdx, 0), VisionTransformer.dim(tf, contextIdx, 0),
                    predictionWidth()));
            List<Operand<?>> trained = new ArrayList<>();
            trainedNames.forEach(n -> trained.add(variables.get(n)));
            Operand<TFloat32> lossSum = sumOf(tf, lossSums);
            Operand<TFloat32> lossCount = sumOf(tf, lossCounts);
            if (replication == null) {
                // the mean over all elements of the batch: every tower's sum over the total count
                lossOut = tf.withName("loss").identity(tf.math.div(lossSum, lossCount));
                localLossOut = lossOut;
                gradientOuts = gradients(tf, lossOut, lossSums, lossCount, trained);
                globalBatch = null;
                syncIn = null;
                syncKey = null;
                syncOut = null;
                stopVote = null;
                stopVotesOut = null;
            } else {
                // this replica's share of the global loss: its per-element sum over the element count
                // of the whole global batch (per-image count x B, exact integers in float), so the
                // all-reduced sum is the global loss and its gradients exactly as towers have them
                globalBatch = scalarPlaceholder(tf, "global_batch");
                Operand<TFloat32> perImage = tf.math.div(lossCount,
                        tf.dtypes.cast(VisionTransformer.dim(tf, images, 0), TFloat32.class));
                Operand<TFloat32> globalCount = tf.math.mul(perImage, globalBatch);
                localLossOut = tf.withName("local_loss").identity(tf.math.div(lossSum, globalCount));
                List<Operand<TFloat32>> local = gradients(tf, localLossOut, lossSums, globalCount, trained);
                // a stop request rides along, so every replica stops after the same step
                stopVote = scalarPlaceholder(tf, "stop_vote");
                List<Operand<TFloat32>> reduced = allReduced(tf, local, List.of(localLossOut, stopVote), shapes);
                gradientOuts = reduced.subList(0, local.size());
                lossOut = tf.withName("loss").identity(reduced.get(local.size()));
                stopVotesOut = tf.withName("stop_votes").identity(reduced.get(local.size() + 1));
                syncIn = tf.withName("sync_in").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
                syncKey = tf.withName("sync_key").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
                syncOut = replication.allReduce().sum(tf, syncIn, syncKey, "sync_all_reduce");
            }
            trainOp = buildUpdate(tf, shapes);
        } catch (RuntimeException ex) {
            graph.close();
            throw ex;
        }
        ConfigProto config = Tensors.sessionConfig(options.intraOpThreads(), options.interOpThreads());
        if (options.towerDevices().equals("cpu")) {
            // one CPU device per tower (they share the process's threads)
            config = config.toBuilder().putDeviceCount("CPU", options.towers()).build();
        }
        Session s;
        try {
            s = replication == null ? new Session(graph, config) : replication.openSession(graph);
        } catch (RuntimeException ex) {
            graph.close();
            throw ex;
        }
        this.session = s;
        String placed;
        try {
            // a session on a server target returns no parseable run metadata to trace placement with
            NamedTensors initial = Initializer.initialize(spec, options.seed(), options.init());
            if (options.target().isPixels()) {
                initial = initial.merge(Initializer.initializePixelHead(spec, options.seed()));
            }
            List<String> devices = loadAll(initial, replication == null);
            placed = replication == null ? Tensors.shortDevice(devices)
                    : "CPU of " + replication.server().cluster().self().deviceName();
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
        this.device = placed;
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
        return new TrainingGraph(spec, options, java.util.Objects.requireNonNull(replication, "replication"));
    }

    /** Instance key of the per-step gradient all-reduce. */
    static final int GRADIENT_INSTANCE = 1;
    /** First instance key of the start-up broadcast's chunks. */
    static final int SYNC_INSTANCE = 1000;
    /** Values per chunk of the start-up broadcast (64 MiB of float32). */
    static final int SYNC_CHUNK = 1 << 24;

    /** The device of tower {@code i} ({@code towerDevices} cpu or gpu). */
    private String towerDevice(int i) {
        return "/device:" + options.towerDevices().toUpperCase(Locale.ROOT) + ":" + i;
    }

    /**
     * The gradients of {@code loss} (the towers' sums over {@code count}). Towers on devices of their
     * own: each tower's backward pass built apart (its sum over the same count) and placed on its
     * device, the towers' gradients then summed, as the one gradient call sums them.
     */
    private List<Operand<TFloat32>> gradients(Ops tf, Operand<TFloat32> loss, List<Operand<TFloat32>> towerSums,
                                              Operand<TFloat32> count, List<Operand<?>> trained) {
        if (options.towerDevices().equals("none")) {
            return gradientsOf(tf.gradients(loss, trained));
        }
        List<List<Operand<TFloat32>>> perTower = new ArrayList<>();
        for (int i = 0; i < towerSums.size(); i++) {
            Operand<TFloat32> towerLoss = tf.math.div(towerSums.get(i), tf.stopGradient(count));
            int mark = TowerPlacement.mark(graph);
            perTower.add(gradientsOf(tf.gradients(towerLoss, trained)));
            TowerPlacement.placeSince(graph, mark, towerDevice(i));
        }
        List<Operand<TFloat32>> out = new ArrayList<>();
        for (int v = 0; v < trained.size(); v++) {
            List<Operand<TFloat32>> parts = new ArrayList<>();
            for (List<Operand<TFloat32>> g : perTower) {
                parts.add(g.get(v));
            }
            out.add(parts.size() == 1 ? parts.get(0) : tf.math.addN(parts));
        }
        return out;
    }

    private List<Operand<TFloat32>> gradientsOf(Gradients grads) {
        List<Operand<TFloat32>> out = new ArrayList<>();
        for (int i = 0; i < trainedNames.size(); i++) {
            Output<?> g = grads.dy(i);
            if (g == null) {
                throw new IllegalStateException("no gradient reaches " + trainedNames.get(i));
            }
            out.add(castFloat(g));
        }
        return out;
    }

    /**
     * Every gradient and the loss share flattened into one vector, summed over the replicas by one
     * collective (one fixed cost per step instead of one per tensor), and cut back into shapes.
     */
    private List<Operand<TFloat32>> allReduced(Ops tf, List<Operand<TFloat32>> grads, List<Operand<TFloat32>> scalars,
                                               Map<String, long[]> shapes) {
        List<Operand<TFloat32>> flat = new ArrayList<>();
        long[] sizes = new long[grads.size() + scalars.size()];
        for (int i = 0; i < grads.size(); i++) {
            flat.add(tf.reshape(grads.get(i), tf.constant(new int[] {-1})));
            sizes[i] = FloatTensor.elementCount(shapes.get(trainedNames.get(i)));
        }
        for (int i = 0; i < scalars.size(); i++) {
            flat.add(tf.reshape(scalars.get(i), tf.constant(new int[] {1})));
            sizes[grads.size() + i] = 1;
        }
        Operand<TFloat32> packed = tf.concat(flat, tf.constant(0));
        Operand<TFloat32> summed = replication.allReduce().sum(tf, packed, GRADIENT_INSTANCE, "gradient_all_reduce");
        List<Output<TFloat32>> parts = tf.splitV(summed, tf.constant(sizes), tf.constant(0), (long) sizes.length).output();
        List<Operand<TFloat32>> out = new ArrayList<>();
        for (int i = 0; i < grads.size(); i++) {
            out.add(tf.reshape(parts.get(i), tf.constant(shapes.get(trainedNames.get(i)))));
        }
        for (int i = 0; i < scalars.size(); i++) {
            out.add(tf.reshape(parts.get(grads.size() + i), tf.constant(new long[0])));
        }
        return out;
    }

    /**
     * Makes every replica's state (parameters, target encoder, AdamW moments) equal to rank 0's:
     * each chunk is summed over the replicas with rank 0 contributing its values and every other
     * rank zeros, which is rank 0's values exactly. A no-op without replication. Every replica
     * must call it, after loading its initial or resumed state.
     */
    public void broadcastFromRankZero() {
        if (replication == null) {
            return;
        }
        boolean source = replication.rank() == 0;
        NamedTensors mine = state();
        List<float[]> arrays = new ArrayList<>();
        long total = 0;
        for (String n : stateNames) {
            float[] a = source ? mine.get(n).data().clone() : new float[mine.get(n).data().length];
            arrays.add(a);
            total += a.length;
        }
        int key = SYNC_INSTANCE;
        int tensor = 0;
        int offset = 0;
        for (long done = 0; done < total; key++) {
            int n = (int) Math.min(SYNC_CHUNK, total - done);
            float[] chunk = new float[n];
            // gather [done, done + n) from the concatenation of every state tensor, then scatter the sum back
            int t = tensor;
            int o = offset;
            for (int filled = 0; filled < n; ) {
                int take = Math.min(n - filled, arrays.get(t).length - o);
                System.arraycopy(arrays.get(t), o, chunk, filled, take);
                filled += take;
                o += take;
                if (o == arrays.get(t).length) {
                    t++;
                    o = 0;
                }
            }
            float[] summed;
            try (TFloat32 in = Tensors.floats(new long[] {n}, chunk);
                 TInt32 k = TInt32.scalarOf(key);
                 Result res = session.runner().feed(syncIn, in).feed(syncKey, k).fetch(syncOut).run()) {
                summed = Tensors.readFloats((TFloat32) res.get(0));
            }
            for (int filled = 0; filled < n; ) {
                int take = Math.min(n - filled, arrays.get(tensor).length - offset);
                System.arraycopy(summed, filled, arrays.get(tensor), offset, take);
                filled += take;
                offset += take;
                if (offset == arrays.get(tensor).length) {
                    tensor++;
                    offset = 0;
                }
            }
            done += n;
        }
        NamedTensors.Builder b = NamedTensors.builder();
        for (int i = 0; i < stateNames.size(); i++) {
            b.put(stateNames.get(i), new FloatTensor(variables.shape(stateNames.get(i)), arrays.get(i)));
        }
        load(b.build());
    }

    /** Instance key of {@link #broadcastFromRankZero(float[])}. */
    static final int VALUES_INSTANCE = 998;

    /**
     * Rank 0's {@code values} on every replica (the values of the others are ignored), exactly:
     * summed with zeros from the other ranks by the start-up broadcast's collective. Every replica
     * must call it with an array of the same length.
     */
    public float[] broadcastFromRankZero(float[] values) {
        if (replication == null) {
            return values.clone();
        }
        float[] mine = replication.rank() == 0 ? values : new float[values.length];
        try (TFloat32 in = Tensors.floats(new long[] {mine.length}, mine);
             TInt32 k = TInt32.scalarOf(VALUES_INSTANCE);
             Result res = session.runner().feed(syncIn, in).feed(syncKey, k).fetch(syncOut).run()) {
            return Tensors.readFloats((TFloat32) res.get(0));
        }
    }

    /** Instance key of {@link #allReduceMillis}'s timed collectives. */
    static final int TIMING_INSTANCE = 999;

    /**
     * The median wall time of {@code runs} all-reduces of one step's packed gradient (every trained
     * value and the two scalars, as each step sums them), fed and fetched as a vector: the
     * communication part of a step, for benchmarks. Every replica must call it with the same
     * {@code runs}.
     */
    public double allReduceMillis(int runs) {
        if (replication == null) {
            throw new IllegalStateException("allReduceMillis: a one-process graph has no all-reduce");
        }
        int n = Math.toIntExact(trainedParameterCount() + 2);
        double[] ms = new double[runs];
        try (TFloat32 in = Tensors.floats(new long[] {n}, new float[n]); TInt32 k = TInt32.scalarOf(TIMING_INSTANCE)) {
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                try (Result res = session.runner().feed(syncIn, in).feed(syncKey, k).fetch(syncOut).run()) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        java.util.Arrays.sort(ms);
        return ms[runs / 2];
    }

    /** The replication this graph is a replica of, or null for a one-process graph. */
    public Replication replication() {
        return replication;
    }

    /**
     * Pixel targets {@code [B·N, C·p·p]} of {@code x}: every patch's pixels, normalised per patch
     * when the target asks for it. Constants of the fed images, so no gradient flows into them.
     */
    private Operand<TFloat32> pixelTargets(Ops tf, Operand<TFloat32> x, EncoderSpec e) {
        Operand<TFloat32> patches = PixelTargets.patchify(tf, x, e);
        return options.target().normalizePixels()
                ? PixelTargets.normalizeRows(tf, patches, predictionWidth(), PredictionTarget.PIXEL_NORM_EPS)
                : patches;
    }

    /** Width of a predicted row: the encoder width for features, {@code C·p·p} for pixels. */
    private int predictionWidth() {
        EncoderSpec e = spec.encoder();
        return options.target().isPixels() ? e.channels() * e.patchSize() * e.patchSize() : e.width();
    }

    private static Placeholder<TFloat32> scalarPlaceholder(Ops tf, String name) {
        return tf.withName(name).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    }

    /**
     * The per-element loss, flattened, between predictions {@code [npred·nenc·B·Kt, D]} and the
     * targets {@code [npred·B·Kt, D]}, which are shared by the nenc context masks (broadcast
     * instead of repeated, §4). The step's loss is its mean.
     */
    private static Operand<TFloat32> lossPerElement(Ops tf, Operand<TFloat32> predictions, Operand<TFloat32> targets,
                                                    Operand<TInt32> npred, String kind) {
        // predictions rows are (m·nenc + i)·B + b and target rows m·B + b: group both per target block m
        Operand<TInt32> perBlock = tf.math.floorDiv(tf.size(targets, TInt32.class), npred);
        Operand<TFloat32> z = tf.reshape(predictions, tf.stack(List.of(npred, tf.constant(-1), perBlock)));
        Operand<TFloat32> t = tf.reshape(targets, tf.stack(List.of(npred, tf.constant(1), perBlock)));
        Operand<TFloat32> diff = tf.math.sub(z, t);
        Operand<TFloat32> perElement;
        if (kind.equals("l2")) {
            perElement = tf.math.square(diff);
        } else {
            // smooth-L1, beta 1: 0.5·q² + (|d| − q) with q = min(|d|, 1)
            Operand<TFloat32> abs = tf.math.abs(diff);
            Operand<TFloat32> q = tf.math.minimum(abs, tf.constant(1f));
            perElement = tf.math.add(tf.math.mul(tf.constant(0.5f), tf.math.square(q)), tf.math.sub(abs, q));
        }
        return tf.reshape(perElement, tf.constant(new int[] {-1}));
    }

    private static Operand<TFloat32> sumOf(Ops tf, List<Operand<TFloat32>> parts) {
        return parts.size() == 1 ? parts.get(0) : tf.math.addN(parts);
    }

    /**
     * AdamW (torch order: {@code p ← p·(1 − lr·wd)} on the decayed group, then the Adam step) on
     * every trained parameter after all gradients exist, then the EMA of the target encoder after
     * the encoder's update (§5).
     */
    private Op buildUpdate(Ops tf, Map<String, long[]> shapes) {
        List<Op> gradientDone = new ArrayList<>();
        for (Operand<TFloat32> g : gradientOuts) {
            gradientDone.add(tf.identity(g));
        }
        gradientDone.add(tf.identity(lossOut));
        Op ready = tf.withControlDependencies(gradientDone).noOp();
        Operand<TFloat32> beta1 = tf.constant((float) options.beta1());
        Operand<TFloat32> beta2 = tf.constant((float) options.beta2());
        Map<String, Op> adam = new LinkedHashMap<>();
        for (int i = 0; i < trainedNames.size(); i++) {
            String n = trainedNames.get(i);
            Variable<TFloat32> p = variables.get(n);
            Op before = ready;
            if (ParameterNames.isWeightDecayed(n, shapes.get(n))) {
                Ops after = tf.withControlDependencies(List.of(ready));
                before = after.assign(p, after.math.mul(p, decayFactor));
            }
            Ops after = tf.withControlDependencies(List.of(before));
            adam.put(n, after.train.applyAdam(p, variables.get(EXP_AVG + n), variables.get(EXP_AVG_SQ + n),
                    beta1Power, beta2Power, adamLr, beta1, beta2, epsHat, gradientOuts.get(i)));
        }
        List<Op> all = new ArrayList<>(adam.values());
        for (String n : trainedNames) {
            if (!n.startsWith(ParameterNames.ENCODER)) {
                continue;
            }
            String t = ParameterNames.TARGET_ENCODER + n.substring(ParameterNames.ENCODER.length());
            Ops after = tf.withControlDependencies(List.of(adam.get(n)));
            Variable<TFloat32> tv = variables.get(t);
            if (options.target().isPixels()) {
                // no EMA: the target encoder's tensors follow the context encoder (what export reads)
                all.add(after.assign(tv, after.identity(variables.get(n))));
            } else {
                all.add(after.assign(tv, after.math.add(after.math.mul(tv, momentum),
                        after.math.mul(variables.get(n), momentumComplement))));
            }
        }
        return tf.withName("train").withControlDependencies(all).noOp();
    }

    @SuppressWarnings("unchecked")
    private static Operand<TFloat32> castFloat(Output<?> o) {
        return (Output<TFloat32>) o;
    }

    /** One training step: forward, gradients, AdamW and EMA in one session run. Returns the forward's loss. */
    public StepResult step(Batch batch, StepHyperparameters h) {
        return step(batch, h, false, null);
    }

    /**
     * One training step of a replica that may ask every replica to stop after it: the result
     * counts the replicas that asked ({@code voteStop} is ignored by a one-process graph).
     */
    public StepResult step(Batch batch, StepHyperparameters h, boolean voteStop) {
        return step(batch, h, voteStop, null);
    }

    /**
     * One traced training step: the time spent per TensorFlow op type (summed over nodes, in
     * microseconds), largest first. For benchmarks.
     */
    Map<String, Long> profileStep(Batch batch, StepHyperparameters h) {
        Map<String, Long> perType = new LinkedHashMap<>();
        step(batch, h, false, perType);
        return perType;
    }

    /**
     * The devices whose ops ran in one traced training step (e.g. {@code /job:localhost/.../device:CPU:1}),
     * and each device that ran backward ops once more with {@code " backward"} appended.
     */
    java.util.Set<String> stepDevices(Batch batch, StepHyperparameters h) {
        Map<String, Long> perDevice = new LinkedHashMap<>();
        step(batch, h, false, perDevice, true);
        return perDevice.keySet();
    }

    private StepResult step(Batch batch, StepHyperparameters h, boolean voteStop, Map<String, Long> profile) {
        return step(batch, h, voteStop, profile, false);
    }

    private StepResult step(Batch batch, StepHyperparameters h, boolean voteStop, Map<String, Long> profile,
                            boolean byDevice) {
        double b1t = Math.pow(options.beta1(), h.adamStep());
        double b2t = Math.pow(options.beta2(), h.adamStep());
        List<Tensor> feeds = new ArrayList<>();
        try {
            Session.Runner r = feedBatch(session.runner(), batch, feeds);
            feed(r, adamLr, h.lr(), feeds);
            feed(r, beta1Power, b1t, feeds);
            feed(r, beta2Power, b2t, feeds);
            // torch divides √v by √(1−β2^t) before adding eps; TF's ApplyAdam adds eps to √v:
            // equal when TF's epsilon is eps·√(1−β2^t) (docs/reference.md §5)
            feed(r, epsHat, options.eps() * Math.sqrt(1.0 - b2t), feeds);
            feed(r, decayFactor, 1.0 - h.lr() * h.weightDecay(), feeds);
            feed(r, momentum, h.emaMomentum(), feeds);
            feed(r, momentumComplement, 1.0 - h.emaMomentum(), feeds);
            if (globalBatch != null) {
                feed(r, globalBatch, replication.globalBatch(), feeds);
                feed(r, stopVote, voteStop ? 1 : 0, feeds);
                r.fetch(stopVotesOut);
            }
            r.fetch(lossOut).addTarget(trainOp);
            if (profile == null) {
                try (Result res = r.run()) {
                    int votes = globalBatch == null ? 0 : Math.round(((TFloat32) res.get(0)).getFloat());
                    return new StepResult(((TFloat32) res.get(globalBatch == null ? 0 : 1)).getFloat(), votes);
                }
            }
            r.setOptions(org.tensorflow.proto.RunOptions.newBuilder()
                    .setTraceLevel(org.tensorflow.proto.RunOptions.TraceLevel.FULL_TRACE).build());
            try (Result res = r.runAndFetchMetadata()) {
                Map<String, Long> perType = new java.util.HashMap<>();
                res.getMetadata().ifPresent(md -> md.getStepStats().getDevStatsList().forEach(d ->
                        d.getNodeStatsList().forEach(n -> {
                            if (byDevice) {
                                perType.merge(d.getDevice(), 1L, Long::sum);
                                if (n.getNodeName().startsWith("Gradients")) {
                                    perType.merge(d.getDevice() + " backward", 1L, Long::sum);
                                }
                                return;
                            }
                            String label = n.getTimelineLabel();
                            int eq = label.indexOf(" = ");
                            String type = eq >= 0 ? label.substring(eq + 3).split("[(\\s]")[0] : n.getNodeName();
                            perType.merge(type, n.getAllEndRelMicros(), Long::sum);
                        })));
                perType.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .forEach(en -> profile.put(en.getKey(), en.getValue()));
                int votes = globalBatch == null ? 0 : Math.round(((TFloat32) res.get(0)).getFloat());
                return new StepResult(((TFloat32) res.get(globalBatch == null ? 0 : 1)).getFloat(), votes);
            }
        } finally {
            feeds.forEach(Tensor::close);
        }
    }

    /** The loss of a batch without any update (a replica: of the fed batch alone, without the others). */
    public double loss(Batch batch) {
        List<Tensor> feeds = new ArrayList<>();
        Session.Runner r = feedBatch(session.runner(), batch, feeds);
        if (globalBatch != null) {
            feed(r, globalBatch, batch.size(), feeds);
        }
        try (Result res = r.fetch(localLossOut).run()) {
            return ((TFloat32) res.get(0)).getFloat();
        } finally {
            feeds.forEach(Tensor::close);
        }
    }

    /** Predictor output {@code [npred·nenc·B, Kt, D]}, rows ordered target-major, context-minor, image-inner (§3). */
    public float[] predictions(Batch batch) {
        List<Tensor> feeds = new ArrayList<>();
        try (Result res = feedBatch(session.runner(), batch, feeds).fetch(predictionsOut).run()) {
            return Tensors.readFloats((TFloat32) res.get(0));
        } finally {
            feeds.forEach(Tensor::close);
        }
    }

    /** Target encoder output {@code [B, N, D]} after its final LayerNorm, for {@code pixels [B, C, H, W]}. */
    public float[] targetTokens(float[] pixels, int batchSize) {
        try (TFloat32 x = Tensors.floats(imageShape(pixels, batchSize), pixels);
             Result res = session.runner().feed(images, x).fetch(targetTokensOut).run()) {
            return Tensors.readFloats((TFloat32) res.get(0));
        }
    }

    /**
     * Gradients of the loss with respect to every trained parameter (names with part prefix),
     * without applying them. For tests and diagnostics.
     */
    NamedTensors gradients(Batch batch) {
        List<Tensor> feeds = new ArrayList<>();
        Session.Runner r = feedBatch(session.runner(), batch, feeds);
        if (globalBatch != null) {
            feed(r, globalBatch, replication.globalBatch(), feeds);
        }
        gradientOuts.forEach(r::fetch);
        NamedTensors.Builder out = NamedTensors.builder();
        try (Result res = r.run()) {
            for (int i = 0; i < trainedNames.size(); i++) {
                String n = trainedNames.get(i);
                out.put(n, new FloatTensor(variables.shape(n), Tensors.readFloats((TFloat32) res.get(i))));
            }
        } finally {
            feeds.forEach(Tensor::close);
        }
        return out.build();
    }

    /**
     * Every parameter ({@code encoder.}, {@code predictor.}, {@code target_encoder.}, names and shapes
     * of {@link ParameterNames#all}) followed by the AdamW moments {@code optimizer.exp_avg.<param>}
     * and {@code optimizer.exp_avg_sq.<param>} of each trained parameter.
     */
    public NamedTensors state() {
        return variables.read(session, stateNames);
    }

    /**
     * Loads parameters and, when present, AdamW moments (absent moments become zeros).
     *
     * @throws IllegalArgumentException naming a missing parameter, or a tensor with its shape and the
     *                                  expected shape
     */
    public void load(NamedTensors state) {
        loadAll(state, false);
    }

    private List<String> loadAll(NamedTensors state, boolean trace) {
        Map<String, FloatTensor> values = new LinkedHashMap<>();
        for (String n : parameterNames) {
            if (!state.contains(n)) {
                throw new IllegalArgumentException("state has no tensor '" + n + "' (model parameters are required; "
                        + "expected names like " + parameterNames.get(0) + ")");
            }
            values.put(n, state.get(n));
        }
        for (String n : stateNames) {
            if (!values.containsKey(n)) {
                long[] shape = variables.shape(n);
                values.put(n, state.contains(n) ? state.get(n) : FloatTensor.zeros(shape));
            }
        }
        return variables.assign(session, values, trace);
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
        long n = 0;
        for (String t : trainedNames) {
            n += FloatTensor.elementCount(variables.shape(t));
        }
        return n;
    }

    private Session.Runner feedBatch(Session.Runner r, Batch batch, List<Tensor> feeds) {
        MaskBatch masks = batch.masks();
        if (masks == null) {
            throw new IllegalArgumentException("batch of step " + batch.step() + " has no masks; the training graph needs "
                    + "context and target masks");
        }
        checkMasks(masks, batch.size());
        TFloat32 x = Tensors.floats(imageShape(batch.pixels(), batch.size()), batch.pixels());
        feeds.add(x);
        TInt32 c = Tensors.indices(masks.context());
        feeds.add(c);
        TInt32 t = Tensors.indices(masks.targets());
        feeds.add(t);
        return r.feed(images, x).feed(contextIdx, c).feed(targetIdx, t);
    }

    private static void feed(Session.Runner r, Placeholder<TFloat32> p, double value, List<Tensor> feeds) {
        TFloat32 t = Tensors.scalar(value);
        feeds.add(t);
        r.feed(p, t);
    }

    private long[] imageShape(float[] pixels, int batchSize) {
        EncoderSpec e = spec.encoder();
        long per = (long) e.channels() * e.imageSize() * e.imageSize();
        if (batchSize <= 0 || pixels.length != per * batchSize) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " values, expected " + batchSize + " images of "
                    + e.channels() + "x" + e.imageSize() + "x" + e.imageSize());
        }
        return new long[] {batchSize, e.channels(), e.imageSize(), e.imageSize()};
    }

    private void checkMasks(MaskBatch masks, int batchSize) {
        int n = spec.encoder().numPatches();
        checkIndexLists("context", masks.context(), batchSize, n);
        checkIndexLists("targets", masks.targets(), batchSize, n);
    }

    static void checkIndexLists(String what, int[][][] idx, int batchSize, int numPatches) {
        if (idx.length == 0) {
            throw new IllegalArgumentException("masks." + what + " is empty: at least one mask is needed");
        }
        int k = idx[0].length == 0 ? 0 : idx[0][0].length;
        for (int m = 0; m < idx.length; m++) {
            if (idx[m].length != batchSize) {
                throw new IllegalArgumentException("masks." + what + "[" + m + "] has " + idx[m].length
                        + " images but the batch has " + batchSize);
            }
            for (int b = 0; b < batchSize; b++) {
                if (idx[m][b].length != k || k == 0) {
                    throw new IllegalArgumentException("masks." + what + "[" + m + "][" + b + "] has " + idx[m][b].length
                            + " indices, expected " + k + " (> 0) like every other list of the batch");
                }
                for (int v : idx[m][b]) {
                    if (v < 0 || v >= numPatches) {
                        throw new IllegalArgumentException("masks." + what + "[" + m + "][" + b + "] holds patch index " + v
                                + ", expected 0.." + (numPatches - 1));
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        if (session != null) {
            session.close();
        }
        graph.close();
    }
}
