package org.jepa4j.cluster;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * The other tasks of a cluster whose servers do not accept a connection, in two kinds that call
 * for different action: a <em>silent</em> task did not answer within a second (its host is down,
 * or the link to it is cut), a <em>refusing</em> task's host answered that nothing listens (its
 * process has ended, often because it saw another task fail first). A worker that stops because of
 * a cut link makes the others' probes find it refusing, so the silent tasks are the likely cause
 * and are named first.
 *
 * @param silent   {@code name (address)} of each task that did not answer
 * @param refusing {@code name (address)} of each task whose host refused the connection
 */
public record Absentees(List<String> silent, List<String> refusing) {
    /** Milliseconds a probe waits for a task's server to accept. */
    static final int CONNECT_TIMEOUT_MILLIS = 1000;

    public Absentees {
        silent = List.copyOf(silent);
        refusing = List.copyOf(refusing);
    }

    /** What one connection attempt to a task's server found. */
    enum Answer {
        LISTENS, REFUSED, SILENT
    }

    /** Probes every task of {@code cluster} other than this process's own. */
    static Absentees probe(ClusterSpec cluster) {
        return of(cluster, answers(cluster));
    }

    /** One probe of each task of {@code cluster}, by rank; this process's own counts as listening. */
    static Answer[] answers(ClusterSpec cluster) {
        Answer[] answers = new Answer[cluster.size()];
        for (int r = 0; r < cluster.size(); r++) {
            answers[r] = r == cluster.rank() ? Answer.LISTENS : answer(cluster.task(r));
        }
        return answers;
    }

    /** The tasks that did not listen in {@code answers} (by rank). */
    static Absentees of(ClusterSpec cluster, Answer[] answers) {
        List<String> silent = new ArrayList<>();
        List<String> refusing = new ArrayList<>();
        for (int r = 0; r < cluster.size(); r++) {
            String name = cluster.task(r).name() + " (" + cluster.task(r).address() + ")";
            switch (answers[r]) {
                case SILENT -> silent.add(name);
                case REFUSED -> refusing.add(name);
                case LISTENS -> { }
            }
        }
        return new Absentees(silent, refusing);
    }

    /** Connects to the task's server, waiting at most {@link #CONNECT_TIMEOUT_MILLIS}. */
    static Answer answer(ClusterSpec.Task task) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(task.host(), task.port()), CONNECT_TIMEOUT_MILLIS);
            return Answer.LISTENS;
        } catch (ConnectException e) {
            // the host answered with a reset: nothing listens on the port any more
            return Answer.REFUSED;
        } catch (IOException e) {
            // a time-out, no route to the host, an unknown name: the host itself is out of reach
            return Answer.SILENT;
        }
    }

    /** Whether every other task listens. */
    public boolean isEmpty() {
        return silent.isEmpty() && refusing.isEmpty();
    }

    /**
     * The absent tasks in words, silent ones first, for example {@code worker 2 (10.0.0.12:2222) is
     * unreachable (no answer within a second: its host or the link to it is down); worker 0
     * (10.0.0.10:2222) has stopped (its host refuses connections to it)}; {@code fallback} when
     * every task listens.
     */
    public String describe(String fallback) {
        List<String> parts = new ArrayList<>();
        if (!silent.isEmpty()) {
            parts.add(String.join(", ", silent) + (silent.size() == 1
                    ? " is unreachable (no answer within a second: its host or the link to it is down)"
                    : " are unreachable (no answer within a second: their hosts or the links to them are down)"));
        }
        if (!refusing.isEmpty()) {
            parts.add(String.join(", ", refusing) + (refusing.size() == 1
                    ? " has stopped (its host refuses connections to it)"
                    : " have stopped (their hosts refuse connections to them)"));
        }
        return parts.isEmpty() ? fallback : String.join("; ", parts);
    }
}
