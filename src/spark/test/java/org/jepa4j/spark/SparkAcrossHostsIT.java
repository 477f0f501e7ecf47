package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.testing.Hosts;
import org.jepa4j.testing.Required;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tools/spark-hosts}: a standalone Spark Master, two Workers and the driver, each on a
 * separate network host with a disk of its own ({@code tools/hosts}), embed an image folder on a
 * folder every host sees, while the model sits only on the driver's disk. Once with
 * {@code tools/jepa4j spark-embed --master spark://...}, once with {@code spark-submit} of the
 * shaded job jar (which is why this is an integration test: the job jar exists after
 * {@code package}) while one worker host's link is cut mid-job. Every vector equals
 * {@code FeatureExtractor.embed}'s bit for bit, and every image is in the output exactly once.
 */
@Tag("slow")
class SparkAcrossHostsIT {
    @TempDir
    Path dir;

    @Test
    void executorsOnOtherHostsGetTheModelOnlyByShippingAndACutWorkerLinkLosesNoImage() throws Exception {
        Hosts.requireRoot();
        Path jobJar = Path.of(System.getProperty("jepa4j.sparkJobJar", "src/spark/target/jepa4j-spark-job.jar"));
        Required.assume(Files.isRegularFile(jobJar), "the shaded job jar " + jobJar + " (mvn package)");
        // a few hundred small images (and 4 unreadable files) on the shared folder; the model with external data
        SparkTestImages data = SparkTestImages.write(dir.resolve("shared"), 70, OnnxWriter.ExternalData.ALWAYS);
        Path model = dir.resolve("model").resolve("encoder.onnx");
        Files.createDirectories(model.getParent());
        Files.move(data.model(), model);
        Files.move(data.model().resolveSibling("encoder.onnx.data"), model.resolveSibling("encoder.onnx.data"));
        int good = data.labels().size();
        int bad = data.unreadable().size();

        String plain = sparkHosts("embed", dir.resolve("out-embed"), model, data.root());
        assertTrue(plain.contains("-> " + dir.resolve("out-embed")), plain);
        assertTrue(plain.contains(good + " images embedded, " + bad + " failed"), plain);
        assertEveryImageOnceMatchingEmbed(dir.resolve("out-embed"), data, model);

        String cut = sparkHosts("submit", dir.resolve("out-submit"), model, data.root(), "--submit", "--cut-worker");
        assertTrue(cut.contains("host 2's link is down"), cut);
        assertTrue(cut.contains("Lost executor"), "Spark lost the cut worker's executor: " + cut);
        assertTrue(cut.contains(good + " images embedded, " + bad + " failed"), "the counts: " + cut);
        assertEveryImageOnceMatchingEmbed(dir.resolve("out-submit"), data, model);
    }

    /** Runs tools/spark-hosts to its end, expecting exit code 0; its output. */
    private String sparkHosts(String name, Path out, Path model, Path input, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Hosts.repositoryRoot().resolve("tools/spark-hosts").toString(),
                "--model", model.toString(), "--input", input.toString(), "--out", out.toString(),
                "--images-per-partition", "8"));
        cmd.addAll(List.of(more));
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JEPA4J_NO_BUILD", "1");
        pb.environment().put("SPARK_HOSTS_WORK", dir.resolve(name + "-work").toString());
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.destroy(); // SIGTERM: the tool's exit trap removes the hosts
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String text = Files.readString(log);
        assertTrue(done, "tools/spark-hosts did not end in 10 minutes:\n" + text);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    /** Every listed file is one row (none twice); every good image's vector is embed's, bit for bit. */
    private static void assertEveryImageOnceMatchingEmbed(Path out, SparkTestImages data, Path model) throws Exception {
        assertTrue(Files.exists(out.resolve("_SUCCESS")), "no _SUCCESS in " + out);
        SparkSession spark = SparkSessions.start("local[1]", model, new SparkConf());
        try (FeatureExtractor reference = FeatureExtractor.open(model)) {
            List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
            Map<String, Long> perPath = rows.stream().collect(Collectors.groupingBy(
                    r -> r.getString(r.fieldIndex(SparkEmbedding.PATH)), Collectors.counting()));
            Map<String, Path> byUri = new HashMap<>();
            data.allFiles().forEach(f -> byUri.put(SparkTestImages.uri(f), f));
            assertEquals(byUri.keySet(), perPath.keySet(), "every listed file, and nothing else");
            perPath.forEach((path, n) -> assertEquals(1L, n, path + " rows"));
            assertEquals(data.allFiles().size(), rows.size());
            for (Row r : rows) {
                Path file = byUri.get(r.getString(r.fieldIndex(SparkEmbedding.PATH)));
                if (data.unreadable().containsKey(file)) {
                    assertTrue(r.isNullAt(r.fieldIndex("embedding")), file + " has no embedding");
                    continue;
                }
                assertFalse(r.isNullAt(r.fieldIndex("embedding")), file + " has an embedding");
                VectorMatch.assertMatches(reference.embed(file), VectorMatch.floats(r.getList(r.fieldIndex("embedding"))),
                        file.toString());
            }
        } finally {
            spark.stop();
        }
    }
}
