package org.jepa4j.serve;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One accepted embedding request, answered exactly once from whichever thread finishes it (a decode
 * thread, a batch's completion), on the event loop that received it. While it exists it counts in
 * the server's in-flight requests, which the drain waits for.
 */
final class Exchange {
    private static final System.Logger LOG = System.getLogger(Exchange.class.getName());

    private final RoutingContext ctx;
    private final Context context;
    private final Routes routes;
    private final AtomicInteger inFlight;
    private final AtomicBoolean answered = new AtomicBoolean();

    /** Counts itself in {@code inFlight} until answered. */
    Exchange(RoutingContext ctx, Context context, Routes routes, AtomicInteger inFlight) {
        this.ctx = ctx;
        this.context = context;
        this.routes = routes;
        this.inFlight = inFlight;
    }

    /** Answers {@code status} with a JSON body. */
    void answer(int status, byte[] json) {
        if (answered.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                try {
                    routes.answerJson(ctx, status, Buffer.buffer(json));
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        }
    }

    /** Answers the error {@code t} stands for: its {@link RequestError}, else 500 {@code model_failed}. */
    void fail(Throwable t) {
        RequestError e = asRequestError(t);
        if (answered.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                try {
                    routes.answerError(ctx, e);
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        }
    }

    private static RequestError asRequestError(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RequestError r) {
            return r;
        }
        LOG.log(System.Logger.Level.ERROR, "embedding failed: " + t, t);
        return new RequestError(500, "model_failed", "the model failed: " + t.getMessage(), t);
    }
}
