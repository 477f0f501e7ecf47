package org.jepa4j.cluster;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Ends this process when the cluster cannot go on, instead of letting it hang: TensorFlow's
 * collectives do not always notice a dead task (a worker whose group leader died retries for
 * minutes), and its server cannot be stopped, so the process has to exit.
 *
 * <p>Once every task has been seen ({@link #clusterUp}, after the start-up broadcast), a thread
 * connects to every other task's server each {@code probe} interval; a task that accepts no
 * connection {@link #MISSED_PROBES} times in a row is dead: a refused connection means its process
 * has ended, no answer within a second that its host or the link to it is down
 * ({@link Absentees}). A step that runs longer than the collective timeout plus
 * {@link #GRACE_SECONDS} is hung. Either way one line naming the absent tasks goes to
 * {@code err} and the process exits with code 1. The last checkpoint stays as it was: checkpoints
 * are written to a temporary file and renamed.
 */
public final class Watchdog implements AutoCloseable {
    /** Seconds past the collective timeout before a step in flight counts as hung. */
    public static final double GRACE_SECONDS = 5;
    /** Probes in a row without a connection (refused or unanswered) that make a task dead. */
    static final int MISSED_PROBES = 2;

    private final ClusterSpec cluster;
    private final double timeoutSeconds;
    private final long probeMillis;
    private final PrintStream err;
    private final IntConsumer exit;
    private final Thread thread;
    private final int[] missed;
    private volatile boolean up;
    private volatile long stepStartedNanos = -1;
    private volatile long stepStartedAt = -1;
    private volatile boolean closed;

    /**
     * @param timeoutSeconds {@code meta.collective_timeout_s}
     * @param exit           how to end the process ({@code Runtime.getRuntime()::halt} in a run)
     */
    public Watchdog(ClusterSpec cluster, double timeoutSeconds, long probeMillis, PrintStream err, IntConsumer exit) {
        this.cluster = cluster;
        this.timeoutSeconds = timeoutSeconds;
        this.probeMillis = probeMillis;
        this.err = err;
        this.exit = exit;
        this.missed = new int[cluster.size()];
        this.thread = new Thread(this::watch, "jepa4j-cluster-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /** A watchdog for a training process: probes every second, halts the JVM with code 1. */
    public static Watchdog forTraining(ClusterSpec cluster, double timeoutSeconds) {
        return new Watchdog(cluster, timeoutSeconds, 1000, System.err, code -> Runtime.getRuntime().halt(code));
    }

    /** Every task has answered a collective: from now on a task that stops listening is dead. */
    public void clusterUp() {
        up = true;
    }

    /** A step (or the start-up broadcast) of {@code step} begins. */
    public void stepStarted(long step) {
        stepStartedAt = step;
        stepStartedNanos = System.nanoTime();
    }

    /** The step in flight has finished. */
    public void stepFinished() {
        stepStartedNanos = -1;
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(probeMillis);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            if (up) {
                // every task is probed each round, and a failure names all that did not listen in it: a
                // worker that ended because it saw another fail first must not read as the only cause
                Absentees.Answer[] answers = Absentees.answers(cluster);
                boolean dead = false;
                for (int r = 0; r < cluster.size(); r++) {
                    missed[r] = answers[r] == Absentees.Answer.LISTENS ? 0 : missed[r] + 1;
                    dead |= missed[r] >= MISSED_PROBES;
                }
                if (dead) {
                    fail(Absentees.of(cluster, answers).describe("")
                            + ", so the run cannot go on; restart the cluster with --resume");
                    return;
                }
            }
            long started = stepStartedNanos;
            if (started >= 0 && (System.nanoTime() - started) / 1e9 > timeoutSeconds + GRACE_SECONDS) {
                Absentees gone = Absentees.probe(cluster);
                fail(String.format(Locale.ROOT, "step %d waited %.0f s for the other tasks (meta.collective_timeout_s"
                                + " %.0f): %s; restart the cluster with --resume", stepStartedAt,
                        (System.nanoTime() - started) / 1e9, timeoutSeconds,
                        gone.describe("every task still listens, so one of them hangs")));
                return;
            }
        }
    }

    // synchronized with close: either the step's own failure or the watchdog reports, never both
    private synchronized void fail(String message) {
        if (closed) {
            return;
        }
        err.println("error: cluster " + cluster.self().name() + ": " + message);
        err.flush();
        exit.accept(1);
    }

    /** Stops watching (the run is over: tasks may now exit one by one). */
    @Override
    public synchronized void close() {
        closed = true;
        thread.interrupt();
    }
}
