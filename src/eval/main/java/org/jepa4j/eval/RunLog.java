package org.jepa4j.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training run's CSV log read by column name (the trainer writes {@code <write_tag>_r0.csv}
 * with {@code epoch, itr, loss, mask-A, mask-B, time, step, lr, wd, momentum, images_per_s} and
 * optional monitor columns such as {@code feature_std}, {@code rankme}, {@code knn_top1}).
 * Columns may be missing or reordered; empty or unparsable cells read as NaN (monitors are only
 * logged every few steps).
 *
 * @param file    the CSV file
 * @param columns column name to values, one per data row, in file order
 */
public record RunLog(Path file, Map<String, double[]> columns) {

    public RunLog {
        Map<String, double[]> copy = new LinkedHashMap<>();
        columns.forEach((k, v) -> copy.put(k, v.clone()));
        columns = Collections.unmodifiableMap(copy);
    }

    /** Number of data rows. */
    public int rows() {
        return columns.isEmpty() ? 0 : columns.values().iterator().next().length;
    }

    /** Whether the column exists and holds at least one number. */
    public boolean has(String name) {
        double[] v = columns.get(name);
        return v != null && Arrays.stream(v).anyMatch(Double::isFinite);
    }

    /** Values of a column (a copy), or null when absent. */
    public double[] column(String name) {
        double[] v = columns.get(name);
        return v == null ? null : v.clone();
    }

    /**
     * Reads a CSV log with a header row.
     *
     * @throws IOException naming the file when it is empty or a row has more cells than the header
     */
    public static RunLog read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        lines.removeIf(l -> l.isBlank());
        if (lines.isEmpty()) {
            throw new IOException(file + ": empty training log, expected a CSV header such as 'epoch,itr,loss,...'");
        }
        String[] header = split(lines.get(0));
        List<double[]> values = new ArrayList<>();
        for (int c = 0; c < header.length; c++) {
            values.add(new double[lines.size() - 1]);
        }
        for (int r = 1; r < lines.size(); r++) {
            String[] cells = split(lines.get(r));
            if (cells.length > header.length) {
                throw new IOException(file + ": line " + (r + 1) + " has " + cells.length + " cells, the header has "
                        + header.length);
            }
            for (int c = 0; c < header.length; c++) {
                values.get(c)[r - 1] = c < cells.length ? parse(cells[c]) : Double.NaN;
            }
        }
        Map<String, double[]> cols = new LinkedHashMap<>();
        for (int c = 0; c < header.length; c++) {
            cols.put(header[c], values.get(c));
        }
        return new RunLog(file, cols);
    }

    /**
     * The run folder's CSV log: {@code *_r0.csv} if there is one, otherwise the only {@code .csv}.
     *
     * @throws IOException naming the folder when no log or several candidates are found
     */
    public static Path find(Path runDir) throws IOException {
        List<Path> csv;
        try (Stream<Path> s = Files.list(runDir)) {
            csv = s.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList();
        }
        List<Path> ranked = csv.stream().filter(p -> p.getFileName().toString().endsWith("_r0.csv")).toList();
        if (ranked.size() == 1) {
            return ranked.get(0);
        }
        if (csv.size() == 1) {
            return csv.get(0);
        }
        throw new IOException(runDir + ": expected one training log '<write_tag>_r0.csv', found "
                + (csv.isEmpty() ? "no .csv file" : csv.stream().map(p -> p.getFileName().toString()).toList()));
    }

    private static String[] split(String line) {
        String[] cells = line.split(",", -1);
        for (int i = 0; i < cells.length; i++) {
            cells[i] = cells[i].trim();
        }
        return cells;
    }

    private static double parse(String cell) {
        if (cell.isEmpty()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
