package org.jepa4j.infer;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar of feature extraction on a stream (standard error): done/total, images/s,
 * ETA. Used by the evaluation protocol and the {@code embed} command.
 */
public final class ProgressBar {
    /** Seconds between lines when standard error is not a terminal (a log file under nohup). */
    public static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
    private final int total;
    private final PrintStream err;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long lastPrint;

    /**
     * A bar redrawn in place on a terminal, a line every 10 s otherwise.
     *
     * @param total images to process
     * @param err   where the bar goes
     */
    public ProgressBar(int total, PrintStream err) {
        this(total, err, System.console() != null);
    }

    /**
     * @param total       images to process
     * @param err         where the bar goes
     * @param interactive redraw in place (a terminal) rather than a line every 10 s
     */
    public ProgressBar(int total, PrintStream err, boolean interactive) {
        this.total = total;
        this.err = err;
        this.interactive = interactive;
        this.lastPrint = interactive ? 0 : start;
    }

    /** @param done images processed so far; prints when the interval has passed or all are done */
    public void update(int done) {
        long now = System.nanoTime();
        long interval = interactive ? 200_000_000L : LOG_INTERVAL_NANOS;
        if (now - lastPrint < interval && done < total) {
            return;
        }
        lastPrint = now;
        double secs = (now - start) / 1e9;
        double rate = done / Math.max(secs, 1e-9);
        long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        err.printf(Locale.ROOT, "%s[%s%s] %d/%d %.0f img/s ETA %d:%02d%s", interactive ? "\r" : "",
                "#".repeat(filled), ".".repeat(width - filled), done, total, rate, eta / 60, eta % 60,
                interactive ? "" : System.lineSeparator());
    }

    /** Ends the bar's line on a terminal. */
    public void finish() {
        if (interactive) {
            err.println();
        }
    }
}
