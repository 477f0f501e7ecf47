package org.jepa4j.serve;

import sun.misc.Signal;

import java.util.List;

/**
 * Runs an {@link EmbeddingServer} until the process is told to stop, the way {@code jepa4j serve}
 * does: SIGTERM or SIGINT starts {@link EmbeddingServer#close()} (readiness 503, new work 503 with
 * {@code Connection: close} for the drain period, accepted requests finished and answered), and
 * {@link #serveUntilStopped} returns 0 once it has finished, for the process to exit with. Handling
 * the signals (rather than only a shutdown hook) is what lets the exit status be 0: the JVM's own
 * handling of SIGTERM exits with 143. A shutdown hook still closes the server when the JVM stops
 * for another reason.
 */
public final class ServerLifecycle {
    /** The signals that stop the server. */
    public static final List<String> SIGNALS = List.of("TERM", "INT");

    private ServerLifecycle() {
    }

    /**
     * Blocks until {@code server} has closed, on a signal of {@link #SIGNALS} or a call to
     * {@link EmbeddingServer#close()}.
     *
     * @param log where the shutdown is announced (one line when it starts, one when it is done)
     * @return 0, the exit status of a clean stop
     */
    public static int serveUntilStopped(EmbeddingServer server, java.io.PrintStream log) throws InterruptedException {
        Runnable stop = () -> {
            log.println("jepa4j serve: shutting down (readiness 503, finishing accepted requests) ...");
            server.close();
            log.println("jepa4j serve: stopped");
        };
        for (String name : SIGNALS) {
            try {
                Signal.handle(new Signal(name), s -> new Thread(stop, "jepa4j-serve-" + name.toLowerCase(java.util.Locale.ROOT)).start());
            } catch (IllegalArgumentException e) {
                // this platform has no such signal (or the JVM reserves it): the shutdown hook remains
            }
        }
        Thread hook = new Thread(server::close, "jepa4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.awaitClosed();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is what closed the server
        }
        return 0;
    }
}
