package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.testing.Required;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spark-embed} on {@code local-cluster[1,2,1024]}: a master, a worker and an executor JVM of
 * their own, started from a SPARK_HOME laid out from Spark's Maven jars. The executor has only
 * Spark's jars and what {@code spark.jars} ships, and finds the model only if {@code spark.files}
 * shipped it (a model added with {@code SparkContext.addFile} after the session starts fails here,
 * as on a real cluster, while {@code local[N]} hides it). The model has an external-data file,
 * which must travel with it. Runs in a child JVM, since SPARK_HOME is an environment variable.
 */
@Tag("slow") // a Spark local-cluster with separate executor JVMs
class SparkLocalClusterTest {
    @TempDir
    Path dir;

    @Test
    void modelAndExternalDataReachSeparateExecutorJvmsThroughSparkFiles() throws Exception {
        SparkTestImages data = SparkTestImages.write(dir, 10, OnnxWriter.ExternalData.ALWAYS);
        assertTrue(Files.exists(data.model().resolveSibling("encoder.onnx.data")), "the export has external data");
        Path sparkHome = sparkHome(dir.resolve("spark-home"));
        Path out = dir.resolve("out");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-D") || a.startsWith("-XX:+Ignore")).toList());
        cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), SparkEmbedCommand.class.getName(),
                "--model", data.model().toString(), "--input", data.root().toString(), "--out", out.toString(),
                "--master", "local-cluster[1,2,1024]", "--images-per-partition", "8",
                "--conf", "spark.jars=" + String.join(",", jobJars(dir.resolve("jars"))),
                "--conf", "spark.executor.memory=512m",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        boolean done = p.waitFor(4, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        String log = Files.readString(dir.resolve("child.log"));
        assertTrue(done, "spark-embed on local-cluster did not end in 4 minutes:\n" + log);
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains(data.labels().size() + " images embedded, " + data.unreadable().size() + " failed"), log);
        assertTrue(Files.exists(out.resolve("_SUCCESS")));

        SparkSession spark = SparkSessions.start("local[1]", data.model(), new SparkConf());
        try (FeatureExtractor reference = FeatureExtractor.open(data.model())) {
            Map<String, Path> byUri = new HashMap<>();
            data.labels().keySet().forEach(f -> byUri.put(SparkTestImages.uri(f), f));
            List<Row> rows = spark.read().parquet(out.toString()).where("error is null").collectAsList();
            assertEquals(data.labels().size(), rows.size());
            for (Row r : rows) {
                Path file = byUri.get(r.getString(r.fieldIndex("path")));
                assertEquals(data.labels().get(file), r.getString(r.fieldIndex("label")));
                VectorMatch.assertMatches(reference.embed(file), VectorMatch.floats(r.getList(r.fieldIndex("embedding"))),
                        file.toString());
            }
        } finally {
            spark.stop();
        }
    }

    /** A SPARK_HOME whose {@code jars/} links Spark's Maven jars (the build lists them in target/spark-classpath.txt). */
    static Path sparkHome(Path home) throws IOException {
        String listing = System.getProperty("jepa4j.sparkClasspath");
        Required.assume(listing != null && Files.isRegularFile(Path.of(listing)),
                "Spark's class path listing (target/spark-classpath.txt, written by the build)");
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (String entry : Files.readString(Path.of(listing)).strip().split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            Path link = jars.resolve(jar.getFileName());
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, jar);
            }
        }
        return home;
    }

    /**
     * What the job jar holds, as jars: jepa4j's own classes (folders in a reactor build are packed into
     * a jar, since {@code spark.jars} takes jars only), ONNX Runtime and picocli.
     */
    static List<String> jobJars(Path folder) throws IOException {
        Files.createDirectories(folder);
        List<String> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.toString();
            if (Files.isDirectory(p) && name.endsWith("classes") && !name.endsWith("test-classes")) {
                Path jar = folder.resolve("jepa4j-" + p.getParent().getParent().getFileName() + ".jar");
                pack(p, jar);
                jars.add(jar.toString());
            } else if (name.endsWith(".jar") && (p.getFileName().toString().startsWith("jepa4j-")
                    && !p.getFileName().toString().contains("tests") || name.contains("onnxruntime")
                    || name.contains("picocli"))) {
                jars.add(name);
            }
        }
        return jars;
    }

    private static void pack(Path classes, Path jar) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }
}
