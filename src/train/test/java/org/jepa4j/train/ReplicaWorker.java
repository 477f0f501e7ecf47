package org.jepa4j.train;

import org.jepa4j.train.step.TrainingGraphOptions;
import org.jepa4j.cluster.AllReduce;
import org.jepa4j.cluster.ClusterServer;
import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.cluster.Replication;
import org.jepa4j.graph.Tensors;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.tensor.NamedTensors;

import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * One replica of {@link DataParallelGraphTest} in its own JVM:
 * {@code ReplicaWorker host:port,host:port RANK STEPS OUT}. Trains STEPS tiny steps on
 * its slice of each {@link #globalBatch} and writes its losses, final state and the gradients of
 * the first global batch fed whole to it to OUT.
 */
public final class ReplicaWorker {
    static final int GLOBAL_BATCH = 6;

    private ReplicaWorker() {
    }

    /** The global batch of step t: the same for every replica and for the one-process run. */
    static Batch globalBatch(ModelSpec spec, int t) {
        return TinySetup.batch(spec, GLOBAL_BATCH, 2, 5, 2, 3, 100 + t);
    }

    static TrainingGraph.StepHyperparameters hyper(int t) {
        return new TrainingGraph.StepHyperparameters(1e-3, 0.04, 0.99, t + 1);
    }

    public static void main(String[] args) throws Exception {
        ClusterSpec cluster = ClusterSpec.ofWorkers(args[0], Integer.parseInt(args[1]));
        int steps = Integer.parseInt(args[2]);
        Path out = Path.of(args[3]);
        ModelSpec spec = TinySetup.spec();
        TrainingGraphOptions options = TrainingGraphOptions.builder().seed(7)
                .threads(1, 2).build();
        ClusterServer server = ClusterServer.start(cluster, Tensors.sessionConfig(1, 2));
        Replication replication = new Replication(server, new AllReduce(cluster.size(), 60, "auto"), GLOBAL_BATCH);
        double[] losses = new double[steps];
        NamedTensors state;
        LinkedHashMap<String, float[]> gradients;
        try (TrainingGraph g = TrainingGraph.create(spec, options, replication)) {
            if (cluster.rank() != 0) {
                // a different start on purpose: the broadcast must replace it with rank 0's weights
                g.load(TinySetup.randomized(g.state(), 0.5, 99));
            }
            g.broadcastFromRankZero();
            // the gradients of a whole global batch fed to one replica, before any step: no collective runs
            gradients = new LinkedHashMap<>();
            g.gradients(globalBatch(spec, 0)).asMap().forEach((n, v) -> gradients.put(n, v.data()));
            int[] slice = Replication.sliceOf(GLOBAL_BATCH, cluster.rank(), cluster.size());
            for (int t = 0; t < steps; t++) {
                losses[t] = g.step(globalBatch(spec, t).slice(slice[0], slice[1]), hyper(t)).loss();
            }
            state = g.state();
        }
        LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
        state.asMap().forEach((n, v) -> values.put(n, v.data()));
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); ObjectOutputStream o = new ObjectOutputStream(os)) {
            o.writeObject(losses);
            o.writeObject(values);
            o.writeObject(gradients);
        }
        Files.move(tmp, out);
        System.exit(0);
    }
}
