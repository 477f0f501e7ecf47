package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.cluster.ClusterFailureException;
import org.jepa4j.cluster.ClusterRun;
import org.jepa4j.cluster.StartPoint;
import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.cluster.RunAgreement;
import org.jepa4j.cluster.Watchdog;
import org.jepa4j.config.RunConfig;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.pipeline.LoaderOptions;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.train.step.TrainingGraphOptions;

/**
 * Runs the training steps of one process: alone, or as one worker of a multi-worker cluster
 * (docs/distributed.md). For a worker it starts the TensorFlow server, builds the graph as a
 * replica, hands every replica rank 0's state before the first step, runs each step under the
 * watchdog (a failed step names the cluster and the step), and turns stop requests into votes so
 * that every worker ends after the same step. Alone, a stop request ends the run before the next
 * step.
 */
final class StepRunner implements AutoCloseable {
    private final ClusterSpec cluster;
    private final ClusterRun clusterRun;

    private StepRunner(ClusterSpec cluster, ClusterRun clusterRun) {
        this.cluster = cluster;
        this.clusterRun = clusterRun;
    }

    /**
     * @param cluster the cluster this process is one task of, or null for one process
     * @param config  the run's config (thread pools, collective timeout, global batch)
     * @return the runner; for a cluster task its server and watchdog are started
     */
    static StepRunner start(ClusterSpec cluster, RunConfig config) {
        return new StepRunner(cluster, cluster == null ? null : ClusterRun.start(cluster, config));
    }

    /** The training graph: one process's, or this worker's replica. */
    TrainingGraph createGraph(ModelSpec spec, TrainingGraphOptions options) {
        return clusterRun == null ? TrainingGraph.create(spec, options)
                : TrainingGraph.create(spec, options, clusterRun.replication());
    }

    /**
     * Before the first step: every worker waits for the others and takes rank 0's state; a run
     * resumed with another number of workers says so.
     */
    StartPoint startReplicas(TrainingGraph graph, long start, Checkpoint resumedFrom, boolean resume, RunPlan plan,
                             Progress progress) {
        if (clusterRun != null) {
            // every worker takes the chief's start point, then checks that all describe the same run
            // (RunAgreement), then takes the chief's state
            return clusterRun.startReplicas(graph::broadcastFromRankZero, graph::broadcastFromRankZero, start,
                    resumedFrom, resume, step -> RunAgreement.Description.of(plan.yaml(), plan.trainSet(), step, cluster,
                            graph.options().precision().label()),
                    progress::println);
        }
        if (resumedFrom != null && ClusterRun.workerCountChange(resumedFrom, 1) != null) {
            progress.println(ClusterRun.workerCountChange(resumedFrom, 1));
        }
        return resumedFrom == null ? StartPoint.fresh() : new StartPoint(true, start, 1);
    }

    /** The run's provenance, with the number of workers of a cluster run. */
    Provenance provenance(Provenance p) {
        return cluster == null ? p : p.with(ClusterRun.PROVENANCE_CLUSTER_SIZE, cluster.size());
    }

    /** The loader's options, for a worker its slice of each global batch. */
    LoaderOptions loading(LoaderOptions o) {
        return cluster == null ? o : o.withReplica(cluster.rank(), cluster.size());
    }

    /** Whether one process stops before {@code step} on a stop request (a worker votes instead). */
    boolean stopsBefore(long step, long endStep, boolean stopRequested, Progress progress) {
        if (stopRequested && cluster == null) {
            progress.println("stop requested: finishing at step " + step + " of " + endStep);
            return true;
        }
        return false;
    }

    /**
     * One step; a worker's under the watchdog, carrying its stop vote. After a worker's last step
     * (the run's end, or a stop vote) the watchdog stops: that was every worker's last collective,
     * so the others may exit while this one logs, runs its monitors and writes its checkpoint.
     *
     * @param endStep the step the run ends before
     * @throws ClusterFailureException when a worker's step fails (a task died or the link broke)
     */
    TrainingGraph.StepResult step(TrainingGraph graph, Batch batch, TrainingGraph.StepHyperparameters hyper, long step,
                                  long endStep, boolean stopRequested, Progress progress) {
        if (clusterRun == null) {
            return graph.step(batch, hyper);
        }
        Watchdog watchdog = clusterRun.watchdog();
        watchdog.stepStarted(step);
        TrainingGraph.StepResult result;
        try {
            // a stop request (Ctrl-C, SIGTERM) is voted on, so every worker ends after this step
            result = graph.step(batch, hyper, stopRequested);
        } catch (RuntimeException e) {
            watchdog.close(); // this failure is reported once, here
            progress.endLine();
            throw ClusterFailureException.of(cluster, step, e);
        }
        watchdog.stepFinished();
        if (step + 1 >= endStep || result.stopVotes() > 0) {
            close();
        }
        return result;
    }

    /** Whether every worker stops after {@code step} because a worker voted to. */
    boolean stopsAfter(TrainingGraph.StepResult result, long step, long endStep, Progress progress) {
        if (result.stopVotes() > 0 && step + 1 < endStep) {
            progress.endLine();
            progress.println("stop requested by " + result.stopVotes() + " of " + cluster.size()
                    + " workers: every worker finishes at step " + (step + 1) + " of " + endStep);
            return true;
        }
        return false;
    }

    /** The steps are over: tasks may now exit one by one. Idempotent. */
    @Override
    public void close() {
        if (clusterRun != null) {
            clusterRun.watchdog().close();
        }
    }
}
