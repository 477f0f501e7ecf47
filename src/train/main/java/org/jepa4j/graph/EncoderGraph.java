package org.jepa4j.graph;

import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A forward-only TensorFlow graph of one encoder (context or target) with given weights, producing
 * the agreed features: {@code last_hidden_state [B, N, D]} (after the final LayerNorm),
 * {@code pooled [B, D]} (its mean over tokens) and {@code pooled_last4 [B, k·D]} (the final
 * LayerNorm applied to each of the last k = min(4, depth) blocks' outputs, mean over tokens,
 * concatenated in block order). Not thread-safe.
 */
public final class EncoderGraph implements AutoCloseable {
    private final EncoderSpec spec;
    private final Graph graph;
    private final Session session;
    private final Placeholder<TFloat32> images;
    private final Operand<TFloat32> lastHidden;
    private final Operand<TFloat32> pooled;
    private final Operand<TFloat32> pooledLast4;
    private final String device;

    /**
     * Features of one batch.
     *
     * @param lastHiddenState {@code [B, N, D]}
     * @param pooled          {@code [B, D]}
     * @param pooledLast4     {@code [B, k·D]}, k = min(4, depth)
     */
    public record EncoderOutputs(float[] lastHiddenState, float[] pooled, float[] pooledLast4) {
    }

    private EncoderGraph(EncoderSpec spec, NamedTensors weights, int intraOpThreads, int interOpThreads) {
        this.spec = spec;
        this.graph = new Graph();
        Map<String, FloatTensor> values = new LinkedHashMap<>();
        GraphVariables variables;
        try {
            Ops tf = Ops.create(graph);
            Layers layers = new Layers(tf);
            variables = new GraphVariables(tf);
            for (Map.Entry<String, long[]> e : ParameterNames.encoder(spec).entrySet()) {
                if (!weights.contains(e.getKey())) {
                    throw new IllegalArgumentException("encoder weights have no tensor '" + e.getKey()
                            + "' (names are expected without a part prefix such as 'target_encoder.')");
                }
                variables.create(e.getKey(), e.getValue());
                values.put(e.getKey(), weights.get(e.getKey()));
            }
            images = tf.withName("images").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, spec.channels(), spec.imageSize(), spec.imageSize())));
            VisionTransformer vit = new VisionTransformer(layers, spec, variables.part(""));
            VisionTransformer.Output out = vit.forward(images, null);
            Operand<TInt32> perImage = tf.constant(new int[] {-1, spec.numPatches(), spec.width()});
            lastHidden = tf.withName("last_hidden_state").reshape(out.tokens(), perImage);
            pooled = tf.withName("pooled").math.mean(lastHidden, tf.constant(1));
            int k = Math.min(4, spec.depth());
            List<Operand<TFloat32>> pools = new ArrayList<>();
            for (int i = spec.depth() - k; i < spec.depth(); i++) {
                Operand<TFloat32> normed = tf.reshape(vit.finalNorm(out.blockOutputs().get(i)), perImage);
                pools.add(tf.math.mean(normed, tf.constant(1)));
            }
            // Concat needs at least two inputs: a depth-1 encoder's pooled_last4 is its pooled feature
            pooledLast4 = pools.size() == 1 ? tf.withName("pooled_last4").identity(pools.get(0))
                    : tf.withName("pooled_last4").concat(pools, tf.constant(1));
        } catch (RuntimeException ex) {
            graph.close();
            throw ex;
        }
        this.session = new Session(graph, Tensors.sessionConfig(intraOpThreads, interOpThreads));
        try {
            this.device = Tensors.shortDevice(variables.assign(session, values, true));
        } catch (RuntimeException ex) {
            close();
            throw ex;
        }
    }

    /**
     * Builds the graph and loads the weights.
     *
     * @param encoderWeights {@link ParameterNames#encoder} names without a part prefix (extra names are ignored)
     * @param intraOpThreads TensorFlow intra-op threads, 0 = default
     * @param interOpThreads TensorFlow inter-op threads, 0 = default
     * @throws IllegalArgumentException naming a missing tensor or a tensor of the wrong shape
     */
    public static EncoderGraph create(EncoderSpec spec, NamedTensors encoderWeights, int intraOpThreads,
                                      int interOpThreads) {
        return new EncoderGraph(spec, encoderWeights, intraOpThreads, interOpThreads);
    }

    /** The features of {@code pixels [B, C, H, W]} (normalised like the training input). */
    public EncoderOutputs forward(float[] pixels, int batchSize) {
        long per = (long) spec.channels() * spec.imageSize() * spec.imageSize();
        if (batchSize <= 0 || pixels.length != per * batchSize) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " values, expected " + batchSize
                    + " images of " + spec.channels() + "x" + spec.imageSize() + "x" + spec.imageSize());
        }
        try (TFloat32 x = Tensors.floats(new long[] {batchSize, spec.channels(), spec.imageSize(), spec.imageSize()}, pixels);
             Result r = session.runner().feed(images, x).fetch(lastHidden).fetch(pooled).fetch(pooledLast4).run()) {
            return new EncoderOutputs(Tensors.readFloats((TFloat32) r.get(0)), Tensors.readFloats((TFloat32) r.get(1)),
                    Tensors.readFloats((TFloat32) r.get(2)));
        }
    }

    public EncoderSpec spec() {
        return spec;
    }

    /** Where TensorFlow placed the graph: {@code CPU} or a GPU name such as {@code GPU:0}. */
    public String device() {
        return device;
    }

    @Override
    public void close() {
        if (session != null) {
            session.close();
        }
        graph.close();
    }
}
