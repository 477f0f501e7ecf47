package org.jepa4j.cluster;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task whose process ended (its host refuses the connection) is told apart from one whose host
 * or link is down (no answer): the second is the cause when a worker stops because it saw it fail.
 * A "silent" task is made on loopback by a listener whose accept queue is full, which drops new
 * connection requests unanswered, as a cut link does.
 */
class AbsenteesTest {

    /** A loopback listener that answers no further connection request, and the connections that fill it. */
    record SilentListener(ServerSocket server, List<Socket> queued) implements AutoCloseable {
        static SilentListener open() throws IOException {
            ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            List<Socket> queued = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 300);
                    queued.add(s);
                } catch (SocketTimeoutException e) {
                    s.close();
                    return new SilentListener(server, queued);
                }
            }
            throw new IllegalStateException("the accept queue never filled (net.ipv4.tcp_abort_on_overflow set?)");
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            for (Socket s : queued) {
                s.close();
            }
            server.close();
        }
    }

    /** A loopback port nothing listens on. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static ClusterSpec workers(int self, int... ports) {
        List<String> addresses = new ArrayList<>();
        for (int p : ports) {
            addresses.add("127.0.0.1:" + p);
        }
        return ClusterSpec.ofWorkers(String.join(",", addresses), self);
    }

    @Test
    void aRefusedConnectionIsAStoppedTaskAndNoAnswerAnUnreachableOne() throws Exception {
        try (ServerSocket self = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             SilentListener silent = SilentListener.open()) {
            int refusing = closedPort();
            ClusterSpec cluster = workers(1, refusing, self.getLocalPort(), listening.getLocalPort(), silent.port());
            Absentees gone = Absentees.probe(cluster);
            assertEquals(List.of("worker 3 (127.0.0.1:" + silent.port() + ")"), gone.silent());
            assertEquals(List.of("worker 0 (127.0.0.1:" + refusing + ")"), gone.refusing());
            assertEquals("worker 3 (127.0.0.1:" + silent.port() + ") is unreachable (no answer within a second: its host"
                    + " or the link to it is down); worker 0 (127.0.0.1:" + refusing + ") has stopped (its host refuses"
                    + " connections to it)", gone.describe("none"));
        }
    }

    @Test
    void everyTaskListeningGivesTheFallbackAndSeveralAreNamedTogether() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Absentees none = Absentees.probe(workers(0, a.getLocalPort(), b.getLocalPort()));
            assertTrue(none.isEmpty());
            assertEquals("every task listens", none.describe("every task listens"));
        }
        int p = closedPort();
        int q = closedPort();
        Absentees two = Absentees.probe(workers(0, 1, p, q));
        assertFalse(two.isEmpty());
        assertEquals("worker 1 (127.0.0.1:" + p + "), worker 2 (127.0.0.1:" + q + ") have stopped (their hosts refuse"
                + " connections to them)", two.describe(""));
    }

    @Test
    void theWatchdogNamesTheUnreachableTaskBeforeOneThatStoppedAfterIt() throws Exception {
        // worker 0 stopped (as a chief does once it saw worker 2 go), worker 2's link is cut: the line this
        // worker prints must not make the chief read as the only, or the first, cause
        try (ServerSocket self = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             SilentListener silent = SilentListener.open()) {
            int stopped = closedPort();
            ClusterSpec cluster = workers(1, stopped, self.getLocalPort(), silent.port());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            try (Watchdog w = new Watchdog(cluster, 60, 10, new PrintStream(err, true, StandardCharsets.UTF_8),
                    exit::complete)) {
                w.clusterUp();
                assertEquals(1, exit.get(30, TimeUnit.SECONDS));
            }
            String line = err.toString(StandardCharsets.UTF_8).strip();
            assertTrue(line.startsWith("error: cluster worker 1: worker 2 (127.0.0.1:" + silent.port() + ") is unreachable"),
                    line);
            assertTrue(line.contains("; worker 0 (127.0.0.1:" + stopped + ") has stopped"), line);
            assertTrue(line.endsWith("restart the cluster with --resume"), line);
            assertEquals(1, line.lines().count(), line);
        }
    }
}
