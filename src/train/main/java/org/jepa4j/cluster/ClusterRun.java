package org.jepa4j.cluster;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.graph.Tensors;
import org.jepa4j.provenance.Provenance;

/**
 * The cluster side of one worker of a multi-worker training run: its TensorFlow server, the
 * replication its training graph is built with, the watchdog, and the start-up that makes every
 * replica equal.
 *
 * @param cluster     the cluster and this task
 * @param replication what the training graph needs to be a replica
 * @param watchdog    ends the process when the cluster breaks
 */
public record ClusterRun(ClusterSpec cluster, Replication replication, Watchdog watchdog) {
    /** The provenance entry (and checkpoint provenance) holding the number of workers of a run. */
    public static final String PROVENANCE_CLUSTER_SIZE = "cluster_size";

    /**
     * Starts this task's server (thread pools from {@code meta}, the collective timeout from
     * {@code meta.collective_timeout_s}) and its watchdog.
     *
     * @throws ClusterConfigException when the port is taken or the batch is smaller than the cluster
     */
    public static ClusterRun start(ClusterSpec cluster, RunConfig config) {
        if (config.data().batchSize() < cluster.size()) {
            throw new ClusterConfigException("config data.batch_size: " + config.data().batchSize()
                    + " is smaller than the " + cluster.size() + " workers of the cluster, expected at least one image"
                    + " per worker");
        }
        double timeout = config.meta().collectiveTimeoutS();
        org.tensorflow.proto.ConfigProto base = Tensors.sessionConfig(config.meta().intraOpThreads(),
                config.meta().interOpThreads());
        if (config.meta().towerDevices().equals("cpu")) {
            // the server's devices are made when it starts: one CPU device per tower (meta.tower_devices)
            base = base.toBuilder().putDeviceCount("CPU", config.meta().towers()).build();
        }
        ClusterServer server = ClusterServer.start(cluster, base);
        Replication replication = new Replication(server, new AllReduce(cluster.size(), timeout, "auto"),
                config.data().batchSize());
        return new ClusterRun(cluster, replication, Watchdog.forTraining(cluster, timeout));
    }

    /**
     * Waits for every worker and gives each replica rank 0's weights (its initial ones or those of
     * the checkpoint it resumed), then lets the watchdog treat a task that stops listening as dead.
     */
    public void startReplicas(Runnable broadcastFromRankZero, long start, Checkpoint resumedFrom,
                              java.util.function.Consumer<String> log) {
        log.accept("cluster: " + cluster.describe() + "; waiting for every worker (meta.collective_timeout_s "
                + Math.round(replication.allReduce().timeoutSeconds()) + ")");
        String change = resumedFrom == null ? null : workerCountChange(resumedFrom, cluster.size());
        if (change != null) {
            log.accept(change);
        }
        watchdog.stepStarted(start);
        try {
            broadcastFromRankZero.run();
        } catch (RuntimeException e) {
            watchdog.close(); // this failure is reported once, by the exception
            throw ClusterFailureException.of(cluster, start, e);
        }
        watchdog.stepFinished();
        watchdog.clusterUp();
        int[] slice = Replication.sliceOf(replication.globalBatch(), cluster.rank(), cluster.size());
        log.accept("cluster: every worker is up; this worker trains images [" + slice[0] + ", " + slice[1]
                + ") of each global batch of " + replication.globalBatch()
                + (cluster.isChief() ? "; it writes the run folder" : "; the chief writes the run folder"));
    }

    /**
     * The log line of a run resumed with another number of workers than wrote {@code checkpoint},
     * or null when the number is the same.
     */
    public static String workerCountChange(Checkpoint checkpoint, int workers) {
        int before = workersOf(checkpoint);
        return before == workers ? null : "resuming with " + workers + " worker" + (workers == 1 ? "" : "s")
                + " a run that had " + before + ": the global batch is unchanged, so is the run (up to float rounding)";
    }

    /** The number of workers that wrote a checkpoint (1 when its provenance records none). */
    public static int workersOf(Checkpoint checkpoint) {
        String json = checkpoint.meta(Checkpoint.PROVENANCE);
        if (json == null) {
            return 1;
        }
        Object n = Provenance.parse(json).details().get(PROVENANCE_CLUSTER_SIZE);
        return n instanceof Number v ? v.intValue() : 1;
    }
}
