package org.jepa4j.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * A multi-worker step that failed because the cluster broke (a task died, a collective timed
 * out). The message names the unreachable tasks; the process must exit and the cluster be
 * restarted with {@code --resume} (TensorFlow's collectives cannot recover in-process).
 */
public final class ClusterFailureException extends RuntimeException {
    public ClusterFailureException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The failure of {@code step} in one line: which tasks no longer listen, and TensorFlow's first line. */
    public static ClusterFailureException of(ClusterSpec cluster, long step, RuntimeException cause) {
        List<String> gone = new ArrayList<>();
        for (int r = 0; r < cluster.size(); r++) {
            if (r != cluster.rank() && !Watchdog.reachable(cluster.task(r))) {
                gone.add(cluster.task(r).name() + " (" + cluster.task(r).address() + ")");
            }
        }
        String tf = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().strip();
        int nl = tf.indexOf('\n');
        if (nl >= 0) {
            tf = tf.substring(0, nl);
        }
        return new ClusterFailureException("cluster " + cluster.self().name() + ": step " + step + " failed: "
                + (gone.isEmpty() ? "no task is unreachable" : String.join(", ", gone) + (gone.size() == 1 ? " is" : " are")
                + " unreachable") + " (TensorFlow: " + tf + "); restart the cluster with --resume", cause);
    }
}
