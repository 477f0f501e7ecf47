package org.jepa4j.train.step;

import org.jepa4j.cluster.Replication;
import org.jepa4j.graph.Tensors;
import org.jepa4j.graph.VisionTransformer;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What makes a training graph one replica of a synchronous data-parallel run
 * (docs/distributed.md): each replica's loss share over the global batch, one all-reduce per step
 * of every gradient and the loss share packed into one vector (one fixed cost per step instead of
 * one per tensor), the stop votes riding along so that every replica stops after the same step, and
 * the broadcast of rank 0's state at start-up. The role of upstream's DDP and
 * {@code AllReduce.apply(loss)} ({@code src/train.py:312}).
 *
 * <p>Every collective sums over the replicas ({@link org.jepa4j.cluster.AllReduce}); a broadcast
 * from rank 0 is a sum to which every other rank contributes zeros ({@link #broadcastFromRankZero}),
 * the one path for any state the chief hands to the workers.
 */
public final class ReplicaSync {
    /** Instance key of the per-step gradient all-reduce. */
    public static final int GRADIENT_INSTANCE = 1;
    /** First instance key of the start-up broadcast's chunks. */
    public static final int SYNC_INSTANCE = 1000;
    /** Values per chunk of the start-up broadcast (64 MiB of float32). */
    public static final int SYNC_CHUNK = 1 << 24;
    /** Instance key of the broadcast of a few values ({@link #broadcastFromRankZero(Session, float[])}). */
    public static final int VALUES_INSTANCE = 998;

    private final Replication replication;
    private final Placeholder<TFloat32> globalBatch;
    private Placeholder<TFloat32> stopVote;
    private Operand<TFloat32> stopVotesOut;
    private Placeholder<TFloat32> syncIn;
    private Placeholder<TInt32> syncKey;
    private Operand<TFloat32> syncOut;

    /**
     * The step's global batch size input.
     *
     * @param tf          where the ops are built
     * @param replication this replica's server, all-reduce and global batch
     */
    public ReplicaSync(Ops tf, Replication replication) {
        this.replication = replication;
        globalBatch = AdamW.scalar(tf, "global_batch");
    }

    /** @return the replication this graph is a replica of */
    public Replication replication() {
        return replication;
    }

    /**
     * This replica's share of the global loss: its per-element sum over the element count of the
     * whole global batch (per-image count × global B, exact integers in float), so the all-reduced
     * sum is the global loss and its gradients exactly as towers have them.
     *
     * @param tf        where the ops are built
     * @param lossCount this replica's element count
     * @param images    the fed images {@code [B, C, H, W]}
     * @return the element count of the global batch, the divisor of the share
     */
    public Operand<TFloat32> globalCount(Ops tf, Operand<TFloat32> lossCount, Operand<TFloat32> images) {
        Operand<TFloat32> perImage = tf.math.div(lossCount, tf.dtypes.cast(VisionTransformer.dim(tf, images, 0), TFloat32.class));
        return tf.math.mul(perImage, globalBatch);
    }

    /**
     * The sums over every replica of this replica's gradients, loss share and stop vote, by one
     * all-reduce; also builds the start-up broadcast's collective.
     *
     * @param tf        where the ops are built
     * @param gradients this replica's gradients of its loss share, in the order of {@code names}
     * @param lossShare this replica's loss share
     * @param names     the trained parameters' names
     * @param shapes    their shapes
     * @return the summed gradients and the global loss ({@code loss}); the stop votes are fetched by {@link #feedStep}
     */
    public Summed sumOverReplicas(Ops tf, List<Operand<TFloat32>> gradients, Operand<TFloat32> lossShare,
                                  List<String> names, Map<String, long[]> shapes) {
        // a stop request rides along, so every replica stops after the same step
        stopVote = AdamW.scalar(tf, "stop_vote");
        List<Operand<TFloat32>> reduced = allReduced(tf, gradients, List.of(lossShare, stopVote), names, shapes);
        Summed out = new Summed(reduced.subList(0, gradients.size()),
                tf.withName("loss").identity(reduced.get(gradients.size())));
        stopVotesOut = tf.withName("stop_votes").identity(reduced.get(gradients.size() + 1));
        syncIn = tf.withName("sync_in").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
        syncKey = tf.withName("sync_key").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
        syncOut = replication.allReduce().sum(tf, syncIn, syncKey, "sync_all_reduce");
        return out;
    }

    /**
     * @param gradients the gradients summed over the replicas
     * @param loss      the global loss
     */
    public record Summed(List<Operand<TFloat32>> gradients, Operand<TFloat32> loss) {
    }

    /**
     * Feeds a step's global batch size and stop vote and fetches the stop votes: call before the
     * step's other fetches, so the votes are the run's first result.
     *
     * @param r        the step's runner
     * @param feeds    owns the fed tensors
     * @param voteStop whether this replica asks every replica to stop after the step
     */
    public void feedStep(Session.Runner r, Feeds feeds, boolean voteStop) {
        feeds.scalar(r, globalBatch, replication.globalBatch());
        feeds.scalar(r, stopVote, voteStop ? 1 : 0);
        r.fetch(stopVotesOut);
    }

    /**
     * Feeds the global batch size of a run without an update (gradients, loss).
     *
     * @param r         the runner
     * @param feeds     owns the fed tensors
     * @param batchSize the global batch size to divide by
     */
    public void feedGlobalBatch(Session.Runner r, Feeds feeds, int batchSize) {
        feeds.scalar(r, globalBatch, batchSize);
    }

    /**
     * Sums {@code values} over every replica with one collective run of {@code key}; every replica
     * must call it with the same length and key.
     *
     * @param session the replica's session
     * @param values  this replica's contribution
     * @param key     the collective's instance key
     * @return the run's result, whose first output is the sum (the caller closes it)
     */
    public Result sum(Session session, TFloat32 values, TInt32 key) {
        return session.runner().feed(syncIn, values).feed(syncKey, key).fetch(syncOut).run();
    }

    /**
     * Rank 0's {@code values} on every replica: summed over the replicas with rank 0 contributing
     * its values and every other rank zeros, which is rank 0's values exactly (a few values, e.g.
     * where the run starts). Every replica must call it with the same length.
     *
     * @param session the replica's session
     * @param values  this replica's values (ignored except on rank 0)
     * @return rank 0's values
     */
    public float[] broadcastFromRankZero(Session session, float[] values) {
        float[] mine = replication.rank() == 0 ? values : new float[values.length];
        try (TFloat32 in = Tensors.floats(new long[] {mine.length}, mine);
             TInt32 k = TInt32.scalarOf(VALUES_INSTANCE);
             Result res = sum(session, in, k)) {
            return Tensors.readFloats((TFloat32) res.get(0));
        }
    }

    /**
     * Rank 0's state on every replica (the same sum, chunk by chunk, over every state tensor).
     *
     * @param session the replica's session
     * @param mine    this replica's state, in the order to send it
     * @return rank 0's state
     */
    public NamedTensors broadcastFromRankZero(Session session, NamedTensors mine) {
        boolean source = replication.rank() == 0;
        List<String> names = List.copyOf(mine.names());
        List<float[]> arrays = new ArrayList<>();
        long total = 0;
        for (String n : names) {
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
                 Result res = sum(session, in, k)) {
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
        for (int i = 0; i < names.size(); i++) {
            b.put(names.get(i), new FloatTensor(mine.get(names.get(i)).shape().clone(), arrays.get(i)));
        }
        return b.build();
    }

    /**
     * Every gradient and the scalars flattened into one vector, summed over the replicas by one
     * collective, and cut back into shapes.
     */
    private List<Operand<TFloat32>> allReduced(Ops tf, List<Operand<TFloat32>> grads, List<Operand<TFloat32>> scalars,
                                               List<String> names, Map<String, long[]> shapes) {
        List<Operand<TFloat32>> flat = new ArrayList<>();
        long[] sizes = new long[grads.size() + scalars.size()];
        for (int i = 0; i < grads.size(); i++) {
            flat.add(tf.reshape(grads.get(i), tf.constant(new int[] {-1})));
            sizes[i] = FloatTensor.elementCount(shapes.get(names.get(i)));
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
            out.add(tf.reshape(parts.get(i), tf.constant(shapes.get(names.get(i)))));
        }
        for (int i = 0; i < scalars.size(); i++) {
            out.add(tf.reshape(parts.get(grads.size() + i), tf.constant(new long[0])));
        }
        return out;
    }
}
