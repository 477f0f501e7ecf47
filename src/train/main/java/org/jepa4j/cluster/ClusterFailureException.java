package org.jepa4j.cluster;

/**
 * A multi-worker step that failed because the cluster broke (a task died, a collective timed
 * out). The message names the tasks that no longer listen ({@link Absentees}); the process must
 * exit and the cluster be restarted with {@code --resume} (TensorFlow's collectives cannot recover
 * in-process).
 */
public final class ClusterFailureException extends RuntimeException {
    public ClusterFailureException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Further probes of the other tasks when all still listen at first, {@link #PROBE_INTERVAL_MILLIS} apart. */
    static final int PROBE_ATTEMPTS = 20;
    static final long PROBE_INTERVAL_MILLIS = 100;

    /** The failure of {@code step} in one line: which tasks no longer listen, and TensorFlow's first line. */
    public static ClusterFailureException of(ClusterSpec cluster, long step, RuntimeException cause) {
        Absentees gone = Absentees.probe(cluster);
        // a worker killed mid-step can fail our step while its process is still being torn down and
        // its server still accepts: look again for a short while before saying no task is gone
        for (int attempt = 0; gone.isEmpty() && attempt < PROBE_ATTEMPTS; attempt++) {
            try {
                Thread.sleep(PROBE_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            gone = Absentees.probe(cluster);
        }
        String tf = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().strip();
        int nl = tf.indexOf('\n');
        if (nl >= 0) {
            tf = tf.substring(0, nl);
        }
        return new ClusterFailureException("cluster " + cluster.self().name() + ": step " + step + " failed: "
                + gone.describe("every other task still listens") + " (TensorFlow: " + tf + "); restart the cluster with"
                + " --resume", cause);
    }
}
