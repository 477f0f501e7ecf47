package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.onnx.OnnxWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library call on {@code local[2]}: a few hundred generated PNGs in class folders, some unreadable. */
class SparkEmbeddingTest {
    @TempDir
    static Path dir;
    static SparkTestImages data;
    static SparkSession spark;
    static FeatureExtractor reference;

    @BeforeAll
    static void start() throws Exception {
        data = SparkTestImages.write(dir, 100, OnnxWriter.ExternalData.NEVER);
        spark = SparkSessions.start("local[2]", data.model(), new SparkConf());
        reference = FeatureExtractor.open(data.model());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (reference != null) {
            reference.close();
        }
    }

    static EmbedOptions options() {
        return EmbedOptions.of("encoder.onnx", reference.info().modelId());
    }

    static Dataset<Row> binaryFiles() {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(data.root().toString());
    }

    @Test
    void everyVectorEqualsFeatureExtractorEmbedOfTheSameFile() throws Exception {
        EmbedCounters counters = EmbedCounters.register(spark.sparkContext());
        List<Row> rows = SparkEmbedding.embed(spark, binaryFiles(),
                options().withLabelRoot(SparkTestImages.uri(data.root())), counters).collectAsList();
        Map<String, Path> byUri = new HashMap<>();
        for (Path p : data.allFiles()) {
            // Spark's file sources drop empty files when they split the input; spark-embed's own listing keeps them
            if (Files.size(p) > 0) {
                byUri.put(SparkTestImages.uri(p), p);
            }
        }
        assertEquals(byUri.size(), rows.size(), "one row per non-empty file (hidden files skipped by Spark's source)");
        int embedded = 0;
        for (Row r : rows) {
            Path file = byUri.get(r.getString(0));
            assertTrue(file != null, "unexpected path " + r.getString(0));
            assertEquals("pooled", r.getString(2));
            assertEquals(reference.info().modelId(), r.getString(4));
            if (data.labels().containsKey(file)) {
                assertEquals(data.labels().get(file), r.getString(1), file + ": label is the class folder");
                assertNull(r.get(5), file + ": no error");
                VectorMatch.assertMatches(reference.embed(file), VectorMatch.floats(r.getList(3)), file.toString());
                embedded++;
            } else {
                assertNull(r.get(3), file + ": no embedding");
                String error = r.getString(5);
                assertTrue(error != null && error.contains(data.unreadable().get(file)), file + ": error " + error);
            }
        }
        assertEquals(data.labels().size(), embedded);
        assertEquals(data.labels().size(), counters.embedded().value());
        assertEquals(data.unreadable().size() - 1, counters.failed().value());
        assertEquals(data.unreadable().size() - 1, counters.failureList().size());
    }

    @Test
    void pathsAloneAreReadOnTheExecutorsAndGiveTheSameVectors() throws Exception {
        List<Path> some = data.labels().keySet().stream().limit(40).toList();
        Dataset<Row> paths = spark.createDataset(some.stream().map(SparkTestImages::uri).toList(),
                org.apache.spark.sql.Encoders.STRING()).toDF(SparkEmbedding.PATH).repartition(3);
        List<Row> rows = SparkEmbedding.embed(spark, paths, options().withFeature(FeatureKind.POOLED_GRID).withBatch(7))
                .collectAsList();
        assertEquals(some.size(), rows.size());
        try (FeatureExtractor grid = FeatureExtractor.open(data.model(),
                org.jepa4j.infer.ExtractorOptions.defaults().withFeature(FeatureKind.POOLED_GRID))) {
            for (Row r : rows) {
                Path file = Path.of(java.net.URI.create(r.getString(0)));
                assertEquals("pooled_grid", r.getString(2));
                assertNull(r.get(1), "no label root, no label");
                VectorMatch.assertMatches(grid.embed(file), VectorMatch.floats(r.getList(3)), file.toString());
            }
        }
    }

    @Test
    void tasksOfOneExecutorShareOneExtractorPerModelWhateverTheFeature() {
        SparkEmbedding.embed(spark, binaryFiles().repartition(6), options()).count();
        int open = ExecutorExtractors.openCount();
        // local mode: the executor is this JVM; six tasks, another feature, a second job: still the same session
        SparkEmbedding.embed(spark, binaryFiles().repartition(6), options().withFeature(FeatureKind.POOLED_LAST4)).count();
        SparkEmbedding.embed(spark, binaryFiles().repartition(6), options()).count();
        assertEquals(open, ExecutorExtractors.openCount(), "extractors opened after the first job");
    }

    @Test
    @Tag("slow") // waits on live Spark tasks
    void liveCountsAddRunningTasksPartialCountsToFinishedOnesUntilTheyEnd() {
        EmbedCounters counters = EmbedCounters.register(spark.sparkContext());
        SparkEmbedding.embed(spark, binaryFiles(), options(), counters).count();
        long finished = counters.embedded().value() + counters.failed().value();
        LiveCounts live = new LiveCounts(counters);
        assertEquals(finished, live.done());
        live.partial(7, 0, 20);
        live.partial(7, 1, 1);
        live.partial(8, 0, 5);
        live.partial(7, 0, 30); // a later heartbeat replaces the earlier partial count
        assertEquals(finished + 36, live.done());
        live.ended(7);
        assertEquals(finished + 5, live.done());
    }

    @Test
    void anInputWithoutAPathColumnIsRefusedByName() {
        Dataset<Row> noPath = binaryFiles().withColumnRenamed("path", "file");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkEmbedding.embed(spark, noPath, options()));
        assertTrue(e.getMessage().contains("'path'"), e.getMessage());
    }

    @Test
    void labelsAreTheFirstFolderBelowTheRoot() {
        EmbedOptions o = options().withLabelRoot("file:/data/train/");
        assertEquals("cat", o.labelOf("file:/data/train/cat/1.png"));
        assertEquals("cat", o.labelOf("file:/data/train/cat/more/1.png"));
        assertNull(o.labelOf("file:/data/train/1.png"));
        assertNull(o.labelOf("file:/data/training/cat/1.png"));
        assertNull(options().labelOf("file:/data/train/cat/1.png"));
    }
}
