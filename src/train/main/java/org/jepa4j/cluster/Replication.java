package org.jepa4j.cluster;

import org.tensorflow.Graph;
import org.tensorflow.Session;

/**
 * What a training graph needs to be one replica of a synchronous data-parallel run: the server
 * its session runs on, the all-reduce that sums the replicas' gradients, and the global batch
 * size, of which this replica is fed its slice ({@link #sliceOf}).
 *
 * @param server      this task's TensorFlow server
 * @param allReduce   the cross-task sum (group size = cluster size)
 * @param globalBatch {@code data.batch_size}: images of one step over all replicas
 */
public record Replication(ClusterServer server, AllReduce allReduce, int globalBatch) {

    public Replication {
        if (allReduce.groupSize() != server.cluster().size()) {
            throw new IllegalArgumentException("all-reduce group of " + allReduce.groupSize() + " tasks for a cluster of "
                    + server.cluster().size());
        }
        if (globalBatch < server.cluster().size()) {
            throw new IllegalArgumentException("config data.batch_size: " + globalBatch + " is smaller than the "
                    + server.cluster().size() + " tasks of the cluster, expected at least one image per task");
        }
    }

    /** This replica's rank (0 = chief). */
    public int rank() {
        return server.cluster().rank();
    }

    /** Replicas in the run. */
    public int size() {
        return server.cluster().size();
    }

    /** A session for {@code graph} on this task's server. */
    public Session openSession(Graph graph) {
        return server.openSession(graph);
    }

    /** The images {@code [from, to)} of a global batch of {@code batch} that rank {@code rank} of {@code replicas} trains on. */
    public static int[] sliceOf(int batch, int rank, int replicas) {
        return org.jepa4j.pipeline.LoaderOptions.slice(batch, rank, replicas);
    }
}
