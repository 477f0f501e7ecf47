package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.eval.InnerProductSearch;
import org.jepa4j.metrics.Knn;
import org.jepa4j.tensor.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jepa4j knn} reads spark-embed's Parquet and JSON outputs as it reads embed's .npy files. */
class KnnCommandTest {
    @TempDir
    static Path dir;
    static float[][] trainX;
    static int[] trainY;
    static float[][] testX;
    static int[] testY;

    /** Three noisy clusters in 6 dimensions; test points are harder (more noise) so accuracy is below 1. */
    @BeforeAll
    static void write() throws Exception {
        Random r = new Random(3);
        float[][] centres = new float[3][6];
        for (float[] c : centres) {
            for (int j = 0; j < c.length; j++) {
                c[j] = (float) r.nextGaussian();
            }
        }
        trainY = new int[90];
        trainX = points(centres, trainY, 0.6, r);
        testY = new int[45];
        testX = points(centres, testY, 1.2, r);
        SparkSession spark = SparkSessions.start("local[1]", dirModel(), new SparkConf());
        try {
            rows(spark, trainX, trainY, "m.onnx@aaaaaaaaaaaa", true).write().parquet(dir.resolve("train").toString());
            rows(spark, testX, testY, "m.onnx@aaaaaaaaaaaa", false).write().json(dir.resolve("test-json").toString());
            rows(spark, testX, testY, "other.onnx@bbbbbbbbbbbb", false).write().parquet(dir.resolve("test-other").toString());
        } finally {
            spark.stop();
        }
        Npy.writeFloats(dir.resolve("test.npy"), new long[] {testX.length, 6}, flat(testX));
        long[] labels = new long[testY.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = testY[i];
        }
        Npy.writeLongs(dir.resolve("test.labels.npy"), new long[] {labels.length}, labels);
    }

    /** SparkSessions ships a model file; any small file serves, since nothing is embedded here. */
    static Path dirModel() throws Exception {
        Path m = dir.resolve("encoder.onnx");
        if (!Files.exists(m)) {
            Files.writeString(m, "unused");
        }
        return m;
    }

    static float[][] points(float[][] centres, int[] labels, double noise, Random r) {
        float[][] x = new float[labels.length][];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % centres.length;
            x[i] = new float[centres[0].length];
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] = centres[labels[i]][j] + (float) (noise * r.nextGaussian());
            }
        }
        return x;
    }

    static float[] flat(float[][] x) {
        float[] f = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, f, i * x[0].length, x[0].length);
        }
        return f;
    }

    /** spark-embed's schema; paths sort in row order; the train side has a failed image too. */
    static org.apache.spark.sql.Dataset<Row> rows(SparkSession spark, float[][] x, int[] y, String model, boolean withFailure) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            Float[] v = new Float[x[i].length];
            for (int j = 0; j < v.length; j++) {
                v[j] = x[i][j];
            }
            rows.add(RowFactory.create(String.format("file:/d/%d/%05d.png", y[i], i), Integer.toString(y[i]), "pooled",
                    v, model, null));
        }
        if (withFailure) {
            rows.add(RowFactory.create("file:/d/0/broken.png", "0", "pooled", null, model, "not a decodable image"));
        }
        return spark.createDataFrame(rows, SparkEmbedding.SCHEMA);
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KnnCommand.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @Tag("slow") // three Spark reads and probes
    void parquetJsonAndNpyEmbeddingsGiveTheAccuracyOfKnnOnTheSameVectors() {
        double expected = Knn.evaluate(trainX, trainY, testX, testY, Knn.DEFAULT_K, Knn.DEFAULT_TEMPERATURE,
                InnerProductSearch.FACTORY);
        assertTrue(expected > 0.4 && expected < 1, "a task that is neither trivial nor hopeless: " + expected);
        String line = String.format(java.util.Locale.ROOT, "| kNN (k 20, T 0.07) | %.4f |", expected);
        Run json = run("--train", dir.resolve("train").toString(), "--test", dir.resolve("test-json").toString(), "--probe",
                "--epochs", "3");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().contains(line), json.out());
        assertTrue(json.out().contains("90 train and 45 test embeddings, 3 classes"), "the failed image is left out: " + json.out());
        assertTrue(json.out().contains("| linear probe (3 epochs) | "), json.out());
        Run npy = run("--train", dir.resolve("train").toString(), "--test", dir.resolve("test.npy").toString());
        assertEquals(0, npy.code(), npy.err());
        assertTrue(npy.out().contains(line), npy.out());
    }

    @Test
    void embeddingsOfTwoModelsOrAnIncompleteOutputAreRefusedInOneLine() throws Exception {
        Run mixed = run("--train", dir.resolve("train").toString(), "--test", dir.resolve("test-other").toString());
        assertEquals(2, mixed.code(), mixed.err());
        assertTrue(mixed.err().strip().startsWith("error: ") && mixed.err().strip().lines().count() == 1, mixed.err());
        assertTrue(mixed.err().contains("m.onnx@aaaaaaaaaaaa") && mixed.err().contains("other.onnx@bbbbbbbbbbbb"), mixed.err());

        Path partial = Files.createDirectories(dir.resolve("partial"));
        Files.writeString(partial.resolve("part-00000.parquet"), "x");
        Run incomplete = run("--train", partial.toString(), "--test", dir.resolve("test.npy").toString());
        assertEquals(2, incomplete.code(), incomplete.err());
        assertTrue(incomplete.err().contains("no _SUCCESS"), incomplete.err());

        Path model = Files.writeString(dir.resolve("model.onnx"), "x");
        Run file = run("--train", model.toString(), "--test", dir.resolve("test.npy").toString());
        assertEquals(2, file.code(), file.err());
        assertTrue(file.err().contains(model + " is a file, neither a spark-embed output folder nor an .npy file"),
                file.err());
    }
}
