package org.jepa4j.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * The run's CSV log, named as the reference's {@code <write_tag>_r0.csv}. The first six columns
 * are the reference's ({@code epoch} 1-based, {@code itr} within the epoch, {@code loss},
 * {@code mask-A} context length Kc, {@code mask-B} target length Kt, {@code time (ms)} of the
 * step); then jepa4j's: global {@code step}, {@code lr}, {@code wd}, {@code momentum},
 * {@code images_per_s}, and the monitors {@code feature_std}, {@code rankme}, {@code knn_top1},
 * left empty on rows where they were not computed. A resumed run appends to the same file.
 */
public final class TrainingLog implements AutoCloseable {
    /** Column names, in order. */
    public static final List<String> COLUMNS = List.of("epoch", "itr", "loss", "mask-A", "mask-B", "time (ms)",
            "step", "lr", "wd", "momentum", "images_per_s", "feature_std", "rankme", "knn_top1");

    private final Path file;
    private final BufferedWriter out;

    /**
     * One row.
     *
     * @param epoch       1-based epoch
     * @param itr         step within the epoch (0-based)
     * @param step        global step (0-based)
     * @param featureStd  collapse monitor, NaN when not computed
     * @param rankMe      collapse monitor, NaN when not computed
     * @param knnTop1     kNN top-1 accuracy, NaN when not computed
     */
    public record Row(long epoch, long itr, double loss, int contextLength, int targetLength, double timeMs,
                      long step, double lr, double wd, double momentum, double imagesPerSecond,
                      double featureStd, double rankMe, double knnTop1) {
    }

    private TrainingLog(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** The log's file name for a write tag: {@code <tag>_r0.csv}. */
    public static String fileName(String writeTag) {
        return writeTag + "_r0.csv";
    }

    /** Opens the log for appending; writes the header when the file is new or empty. */
    public static TrainingLog open(Path file) throws IOException {
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (fresh) {
            w.write(String.join(",", COLUMNS));
            w.newLine();
            w.flush();
        }
        return new TrainingLog(file, w);
    }

    public Path file() {
        return file;
    }

    /** Appends a row and flushes it, so the log is complete up to the last step even after a crash. */
    public void log(Row r) throws IOException {
        out.write(String.format(Locale.ROOT, "%d,%d,%.5f,%d,%d,%.0f,%d,%.6e,%.6e,%.8f,%.1f,%s,%s,%s",
                r.epoch(), r.itr(), r.loss(), r.contextLength(), r.targetLength(), r.timeMs(), r.step(), r.lr(),
                r.wd(), r.momentum(), r.imagesPerSecond(), cell(r.featureStd(), "%.6f"), cell(r.rankMe(), "%.4f"),
                cell(r.knnTop1(), "%.4f")));
        out.newLine();
        out.flush();
    }

    private static String cell(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
