package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.tensor.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One NaN or infinity in an embedding file stops {@code knn} with exit 2 and one line naming the
 * file and the row, in every format it reads (.npy, Parquet, JSON), instead of an accuracy at chance.
 */
class NonFiniteEmbeddingsTest {
    @TempDir
    Path dir;

    private Path npy(String name, float[] flat, int rows) throws Exception {
        Path f = dir.resolve(name + ".npy");
        Npy.writeFloats(f, new long[] {rows, flat.length / rows}, flat);
        long[] labels = new long[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = i % 2;
        }
        Npy.writeLongs(dir.resolve(name + ".labels.npy"), new long[] {rows}, labels);
        return f;
    }

    private static float[] clean(int rows, int d) {
        float[] f = new float[rows * d];
        for (int i = 0; i < f.length; i++) {
            f[i] = (i % 7) * 0.25f + (i / d % 2);
        }
        return f;
    }

    private static void refusedNaming(KnnCommandTest.Run r, String... parts) {
        assertEquals(2, r.code(), r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "expected '" + p + "' in: " + r.err());
        }
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error:")).count(), r.err());
    }

    @Test
    void aNonFiniteValueInAnNpyFileIsRefusedNamingFileAndRow() throws Exception {
        Path train = npy("train", clean(8, 3), 8);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] f = clean(6, 3);
            f[4 * 3 + 1] = bad;
            Path test = npy("test", f, 6);
            refusedNaming(KnnCommandTest.run("--train", train.toString(), "--test", test.toString(), "--probe"),
                    test.toString(), "row 4", String.valueOf(bad));
        }
    }

    @Test
    void aNonFiniteValueInJsonOrParquetIsRefusedNamingTheFolderRowAndImage() throws Exception {
        Path train = npy("train", clean(8, 3), 8);
        Path json = Files.createDirectories(dir.resolve("json"));
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            String v = i == 2 ? "[0.5,NaN,1.0]" : "[0.5,0.25,1.0]";
            lines.append("{\"path\":\"file:/d/").append(i % 2).append("/").append(i).append(".png\",\"label\":\"")
                    .append(i % 2).append("\",\"feature\":\"pooled\",\"embedding\":").append(v)
                    .append(",\"model_id\":\"m.onnx@aaaaaaaaaaaa\",\"error\":null}\n");
        }
        Files.writeString(json.resolve("part-00000.json"), lines);
        Files.writeString(json.resolve("_SUCCESS"), "");
        // one Spark session for the Parquet file and the first knn run (knn's getOrCreate reuses it and stops it)
        Path model = Files.writeString(dir.resolve("unused.onnx"), "unused");
        SparkSession spark = SparkSessions.start("local[1]", model, new SparkConf());
        Path parquet = dir.resolve("parquet");
        try {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Float[] v = {0.5f, i == 3 ? Float.POSITIVE_INFINITY : 0.25f, 1f};
                rows.add(RowFactory.create("file:/d/" + (i % 2) + "/" + i + ".png", Integer.toString(i % 2), "pooled", v,
                        "m.onnx@aaaaaaaaaaaa", null));
            }
            spark.createDataFrame(rows, SparkEmbedding.SCHEMA).write().parquet(parquet.toString());
            // rows are named by their position in path order and by their image
            refusedNaming(KnnCommandTest.run("--train", json.toString(), "--test", json.toString()),
                    json.toString(), "row 1 (file:/d/0/2.png)", "NaN");
        } finally {
            spark.stop();
        }
        refusedNaming(KnnCommandTest.run("--train", parquet.toString(), "--test", parquet.toString()),
                parquet.toString(), "row 3 (file:/d/1/3.png)", "Infinity");
    }
}
