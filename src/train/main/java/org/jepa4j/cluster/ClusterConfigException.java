package org.jepa4j.cluster;

/**
 * A cluster description ({@code TF_CONFIG}, {@code --cluster}, {@code --task-index}) that cannot be
 * used, or a cluster that cannot start (its port is taken). A usage error: the command line
 * prints the one-line message and exits with code 2 before any training.
 */
public final class ClusterConfigException extends IllegalArgumentException {
    public ClusterConfigException(String message) {
        super(message);
    }

    public ClusterConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
