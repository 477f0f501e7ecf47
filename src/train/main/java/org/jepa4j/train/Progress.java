package org.jepa4j.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress for people: one line redrawn in place ({@code \r}) on a terminal, plain
 * lines every {@code log_every} steps otherwise (log files, CI).
 */
final class Progress {
    private final PrintStream out;
    private final boolean interactive;
    private final int logEvery;
    private boolean lineOpen;

    Progress(PrintStream out, boolean interactive, int logEvery) {
        this.out = out;
        this.interactive = interactive;
        this.logEvery = Math.max(1, logEvery);
    }

    /** One status update after {@code step} (0-based global) finished. */
    void step(long epoch, int epochs, long step, long ipe, long endStep, double loss, double lr, double wd,
              double momentum, double imagesPerSecond, double etaSeconds) {
        long itr = step % ipe;
        String line = String.format(Locale.ROOT,
                "epoch %d/%d  itr %d/%d  step %d/%d  loss %.5f  lr %.3e  wd %.3e  m %.6f  %.1f img/s  ETA %s",
                epoch, epochs, itr + 1, ipe, step + 1, endStep, loss, lr, wd, momentum, imagesPerSecond,
                formatDuration(etaSeconds));
        boolean last = step + 1 == endStep;
        if (interactive) {
            out.print("\r" + line + "   ");
            lineOpen = true;
            if (last) {
                endLine();
            }
            out.flush();
        } else if ((step + 1) % logEvery == 0 || last || step == 0) {
            out.println(line);
        }
    }

    /** A message on its own line (closes an in-place line first). */
    void println(String message) {
        endLine();
        out.println(message);
        out.flush();
    }

    /** Ends an in-place line so the next output starts on a fresh line. */
    void endLine() {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
    }

    static String formatDuration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
