package org.jepa4j.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.tensor.Npy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.col;

/**
 * Precomputed embeddings with their class labels, read from a {@code spark-embed} output folder
 * (Parquet or JSON, {@link SparkEmbedding#SCHEMA}) or from {@code jepa4j embed}'s {@code .npy} pair
 * ({@code F.npy} float32 {@code [N, D]} and {@code F.labels.npy} beside it). Rows of a Spark output
 * whose image failed ({@code error} set) are left out and counted.
 *
 * @param features one row per image
 * @param labels   the class name of each row (the ImageFolder class folder, or the .npy label as text)
 * @param modelId  the {@code model_id} of a Spark output (null for .npy, which records none)
 * @param failed   rows of the source left out because their image failed
 * @param source   where the rows came from
 */
public record EmbeddingTable(float[][] features, List<String> labels, String modelId, long failed, String source) {
    public EmbeddingTable {
        labels = List.copyOf(labels);
        if (features.length != labels.size()) {
            throw new IllegalArgumentException(source + ": " + features.length + " embeddings but " + labels.size() + " labels");
        }
        for (int i = 0; i < features.length; i++) {
            requireUsable(source, "row " + i, features[i], features[0].length);
        }
    }

    /**
     * Refuses an embedding that is empty, of another length than the first row's, or holds NaN or
     * infinity: one such row drops kNN and the probe to chance without an error.
     *
     * @param row for the message: {@code row 12} or {@code row 12 (path)}
     * @throws IllegalArgumentException naming the source, the row, the position and the value
     */
    static void requireUsable(String source, String row, float[] v, int length) {
        if (v == null || v.length == 0) {
            throw new IllegalArgumentException(source + ": " + row + " has no embedding values");
        }
        if (v.length != length) {
            throw new IllegalArgumentException(source + ": " + row + " has " + v.length + " values, row 0 has " + length
                    + ": expected one length");
        }
        for (int j = 0; j < v.length; j++) {
            if (!Float.isFinite(v[j])) {
                throw new IllegalArgumentException(source + ": " + row + " holds " + v[j] + " at value " + j
                        + ": expected finite embeddings (a diverged model or a damaged file)");
            }
        }
    }

    /** Whether {@code source} names an {@code .npy} file (else a Spark output folder). */
    static boolean isNpy(String source) {
        return source.toLowerCase(Locale.ROOT).endsWith(".npy");
    }

    /**
     * Reads {@code source}: an {@code .npy} file, or a Spark output folder read with {@code spark}
     * (Parquet unless the folder holds {@code .json} part files).
     *
     * @throws IllegalArgumentException naming the source when it is missing, incomplete (no {@code _SUCCESS}),
     *                                  empty, unlabelled or of mixed models or features
     */
    public static EmbeddingTable read(String source, SparkSession spark) throws IOException {
        return isNpy(source) ? readNpy(Path.of(source)) : readSpark(source, spark);
    }

    static EmbeddingTable readNpy(Path file) throws IOException {
        String name = file.getFileName().toString();
        Path labelsFile = file.resolveSibling(name.substring(0, name.length() - 4) + ".labels.npy");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such .npy file (expected jepa4j embed's float32 [N, D] output)");
        }
        if (!Files.isRegularFile(labelsFile)) {
            throw new IllegalArgumentException(file + ": no labels beside it (expected " + labelsFile
                    + ", written by jepa4j embed for a labelled data set)");
        }
        Npy.Array x = Npy.read(file);
        if (x.shape().length != 2) {
            throw new IllegalArgumentException(file + ": shape " + Arrays.toString(x.shape()) + ", expected [N, D]");
        }
        if (x.shape()[0] < 1 || x.shape()[1] < 1) {
            throw new IllegalArgumentException(file + ": shape " + Arrays.toString(x.shape()) + ", expected at least one"
                    + " row of at least one value");
        }
        int n = Math.toIntExact(x.shape()[0]);
        int d = Math.toIntExact(x.shape()[1]);
        float[] flat = x.toFloats();
        long[] y = Npy.read(labelsFile).toLongs();
        if (y.length != n) {
            throw new IllegalArgumentException(labelsFile + ": " + y.length + " labels for " + n + " embeddings in " + file);
        }
        float[][] rows = new float[n][];
        List<String> labels = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
            labels.add(Long.toString(y[i]));
        }
        return new EmbeddingTable(rows, labels, null, 0, file.toString());
    }

    static EmbeddingTable readSpark(String folder, SparkSession spark) throws IOException {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(folder);
        org.apache.hadoop.fs.FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(dir)) {
            throw new IllegalArgumentException(folder + ": no such spark-embed output (expected a folder with _SUCCESS,"
                    + " or an .npy file)");
        }
        if (!fs.getFileStatus(dir).isDirectory()) {
            throw new IllegalArgumentException(folder + " is a file, neither a spark-embed output folder nor an .npy file"
                    + " (expected a folder with _SUCCESS, or jepa4j embed's F.npy beside F.labels.npy)");
        }
        if (!fs.exists(new org.apache.hadoop.fs.Path(dir, "_SUCCESS"))) {
            throw new IllegalArgumentException(folder + ": no _SUCCESS in it, so not a complete spark-embed output");
        }
        boolean json = Arrays.stream(fs.listStatus(dir)).anyMatch(s -> s.getPath().getName().endsWith(".json"));
        // JSON: with the schema, so a field a writer left out (null) reads as null
        Dataset<Row> all = json ? spark.read().schema(SparkEmbedding.SCHEMA).json(folder) : spark.read().parquet(folder);
        List<String> columns = Arrays.asList(all.columns());
        for (String c : List.of(SparkEmbedding.EMBEDDING, SparkEmbedding.LABEL, SparkEmbedding.ERROR, SparkEmbedding.MODEL_ID,
                SparkEmbedding.FEATURE)) {
            if (!columns.contains(c)) {
                throw new IllegalArgumentException(folder + ": no column '" + c + "' (found " + columns
                        + "); expected spark-embed's Parquet or JSON output (CSV spreads the vector over columns)");
            }
        }
        List<Row> models = all.select(SparkEmbedding.MODEL_ID, SparkEmbedding.FEATURE).distinct().collectAsList();
        if (models.size() > 1) {
            throw new IllegalArgumentException(folder + ": rows of several models or features " + models
                    + "; expected one spark-embed output");
        }
        long failed = all.where(col(SparkEmbedding.ERROR).isNotNull()).count();
        List<Row> rows = all.where(col(SparkEmbedding.ERROR).isNull())
                .select(SparkEmbedding.PATH, SparkEmbedding.LABEL, SparkEmbedding.EMBEDDING).orderBy(SparkEmbedding.PATH)
                .collectAsList();
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(folder + ": no embedded image (" + failed + " failed)");
        }
        float[][] features = new float[rows.size()][];
        List<String> labels = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.isNullAt(1)) {
                throw new IllegalArgumentException(folder + ": " + r.getString(0) + " has no label; kNN and the probe need"
                        + " an ImageFolder layout (--input DIR/<class>/...)");
            }
            String where = "row " + i + " (" + r.getString(0) + ")";
            if (r.isNullAt(2)) {
                throw new IllegalArgumentException(folder + ": " + where + " has no embedding");
            }
            List<?> cell = r.getList(2);
            float[] v = new float[cell.size()];
            for (int j = 0; j < v.length; j++) {
                Object x = cell.get(j);
                if (!(x instanceof Number num)) {
                    throw new IllegalArgumentException(folder + ": " + where + " holds " + x + " at value " + j
                            + ": expected a number");
                }
                v[j] = num.floatValue(); // JSON reads the floats back as doubles
            }
            requireUsable(folder, where, v, i == 0 ? v.length : features[0].length);
            features[i] = v;
            labels.add(r.getString(1));
        }
        return new EmbeddingTable(features, labels, models.get(0).getString(0), failed, folder);
    }

    /** Class indices of {@code labels} in {@code classes} (sorted class names of train and test together). */
    int[] indices(List<String> classes) {
        int[] out = new int[labels.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = java.util.Collections.binarySearch(classes, labels.get(i));
            if (out[i] < 0) {
                throw new IllegalStateException(labels.get(i) + " is not among " + classes);
            }
        }
        return out;
    }
}
