package org.jepa4j.serve;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The slow-client timers, so that a client holds a connection only while it sends or waits for an
 * answer:
 * <ul>
 *   <li>idle: a connection with no request in progress (just opened, or answered) is closed after
 *       {@link ServeOptions.Timeouts#idle()}; a client trickling header bytes never completes a request
 *       head, so it is closed then too. A request accepted and waiting for its batch is never idle,
 *       however long the batch takes.</li>
 *   <li>read: a request must be read completely within {@link ServeOptions.Timeouts#read()} of its head
 *       arriving, otherwise it answers 408 and its connection closes.</li>
 * </ul>
 * Vert.x's own idle timeout is not used: it counts silence on the socket, which a request waiting
 * for its batch also is, and closed such requests without an answer.
 */
final class ConnectionTimers {
    private final Vertx vertx;
    private final ServeOptions.Timeouts timeouts;
    private final ServeMetrics metrics;
    /** Whether the server is shutting down (no idle timer is armed then: the drain closes connections). */
    private final BooleanSupplier closing;
    /** Per open connection with no request in progress: the timer that closes it. */
    private final Map<HttpConnection, Long> idleTimers = new ConcurrentHashMap<>();
    /** Per open connection: requests in progress (read, waiting or being answered). */
    private final Map<HttpConnection, Integer> active = new ConcurrentHashMap<>();

    ConnectionTimers(Vertx vertx, ServeOptions.Timeouts timeouts, ServeMetrics metrics, BooleanSupplier closing) {
        this.vertx = vertx;
        this.timeouts = timeouts;
        this.metrics = metrics;
        this.closing = closing;
    }

    /** A new connection: idle until its first request head arrives. */
    void opened(HttpConnection conn) {
        armIdle(conn);
    }

    /** Forgets a closed connection. */
    void closed(HttpConnection conn) {
        cancelIdle(conn);
        active.remove(conn);
    }

    /** Open connections with no request in progress. */
    int idleConnections() {
        return idleTimers.size();
    }

    private void armIdle(HttpConnection conn) {
        long ms = Math.max(1, timeouts.idle().toMillis());
        long id = vertx.setTimer(ms, t -> {
            if (idleTimers.remove(conn, t)) {
                metrics.error("idle_timeout");
                conn.close();
            }
        });
        Long old = idleTimers.put(conn, id);
        if (old != null) {
            vertx.cancelTimer(old);
        }
    }

    private void cancelIdle(HttpConnection conn) {
        Long t = idleTimers.remove(conn);
        if (t != null) {
            vertx.cancelTimer(t);
        }
    }

    /**
     * A route handler, first for every request: the connection is busy until the answer is written,
     * and the body must arrive within the read timeout.
     *
     * @param answerTimeout answers the 408 of a request whose body is still incomplete
     */
    void requestStarted(RoutingContext ctx, java.util.function.Consumer<RoutingContext> answerTimeout) {
        HttpConnection conn = ctx.request().connection();
        if (conn != null) {
            cancelIdle(conn);
            active.merge(conn, 1, Integer::sum);
            ctx.addEndHandler(v -> {
                Integer left = active.computeIfPresent(conn, (c, n) -> n > 1 ? n - 1 : null);
                if (left == null && !closing.getAsBoolean()) {
                    armIdle(conn);
                }
            });
        }
        if (!ctx.request().isEnded()) {
            long readMs = Math.max(1, timeouts.read().toMillis());
            long timer = vertx.setTimer(readMs, t -> {
                if (!ctx.request().isEnded() && !ctx.response().ended() && !ctx.response().closed()) {
                    answerTimeout.accept(ctx);
                }
            });
            ctx.addEndHandler(v -> vertx.cancelTimer(timer));
        }
        ctx.next();
    }
}
