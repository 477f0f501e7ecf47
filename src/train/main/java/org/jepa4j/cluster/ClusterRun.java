package org.jepa4j.cluster;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.graph.Tensors;
import org.jepa4j.provenance.Provenance;

import java.util.function.UnaryOperator;

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
     * Waits for every worker, agrees on where the run starts, checks that every worker describes the
     * same run ({@link RunAgreement}) and gives each replica rank 0's weights and optimizer state (its
     * initial ones or those of the checkpoint it resumed), then lets the watchdog treat a task that
     * stops listening as dead. Only rank 0 reads the run folder: the others learn the step from it,
     * so they need no copy of its checkpoint.
     *
     * @param broadcastValues rank 0's few values on every task (the replica's start-up collective)
     * @param broadcastState  makes every replica's weights and optimizer state rank 0's
     * @param start       the step this task would start at (rank 0: its checkpoint's; others: ignored)
     * @param resumedFrom the checkpoint rank 0 resumed, or null (always null on the other ranks)
     * @param resume      whether this task was asked to resume ({@code --resume})
     * @param run         what defines this worker's run, given the agreed start step
     * @param log         where the start-up lines go
     * @return the step every worker starts at, rank 0's
     * @throws ClusterConfigException on every worker when the workers disagree on the run
     */
    public StartPoint startReplicas(UnaryOperator<float[]> broadcastValues, Runnable broadcastState, long start,
                                    Checkpoint resumedFrom, boolean resume,
                                    java.util.function.LongFunction<RunAgreement.Description> run,
                                    java.util.function.Consumer<String> log) {
        log.accept("cluster: " + cluster.describe() + "; waiting for every worker (meta.collective_timeout_s "
                + Math.round(replication.allReduce().timeoutSeconds()) + ")");
        StartPoint mine = resumedFrom == null ? StartPoint.fresh()
                : new StartPoint(true, start, workersOf(resumedFrom));
        StartPoint point;
        watchdog.stepStarted(start);
        try {
            point = StartPoint.agree(broadcastValues, mine);
            if (!cluster.isChief() && resume != point.resumed()) {
                log.accept(point.resumed() ? "the chief resumes its run folder's checkpoint: this worker follows it"
                        : "the chief starts a new run (its run folder holds no checkpoint to resume): this worker follows it");
            }
            String change = point.resumed() && point.checkpointWorkers() != cluster.size()
                    ? workerCountChange(point.checkpointWorkers(), cluster.size()) : null;
            if (change != null) {
                log.accept(change);
            }
            RunAgreement.check(replication, run.apply(point.step()));
            broadcastState.run();
        } catch (ClusterConfigException e) {
            watchdog.close(); // every worker stops with this line, none is named absent
            throw e;
        } catch (RuntimeException e) {
            watchdog.close(); // this failure is reported once, by the exception
            throw ClusterFailureException.of(cluster, start, e);
        }
        watchdog.stepFinished();
        watchdog.clusterUp();
        int[] slice = Replication.sliceOf(replication.globalBatch(), cluster.rank(), cluster.size());
        log.accept("cluster: every worker is up; this worker trains images [" + slice[0] + ", " + slice[1]
                + ") of each global batch of " + replication.globalBatch()
                + (cluster.isChief() ? "; it writes the run folder" : "; the chief writes the run folder"
                + (point.resumed() ? " and sent its checkpoint's weights, optimizer state and step" : "")));
        return point;
    }

    /**
     * The log line of a run resumed with another number of workers than wrote {@code checkpoint},
     * or null when the number is the same.
     */
    public static String workerCountChange(Checkpoint checkpoint, int workers) {
        return workerCountChange(workersOf(checkpoint), workers);
    }

    /** The log line of a run resumed with {@code workers} workers that had {@code before}, or null when equal. */
    static String workerCountChange(int before, int workers) {
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
