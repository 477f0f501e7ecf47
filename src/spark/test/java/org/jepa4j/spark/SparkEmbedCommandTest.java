package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.onnx.OnnxWriter;
import org.jepa4j.net.LoopbackPorts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code spark-embed} end to end on {@code local[2]}, and its refusals of bad input. */
class SparkEmbedCommandTest {
    @TempDir
    static Path dir;
    static SparkTestImages data;

    @BeforeAll
    static void write() throws Exception {
        data = SparkTestImages.write(dir, 100, OnnxWriter.ExternalData.NEVER);
    }

    /** Exit code and stderr of one run. */
    record Run(int code, String err) {
        List<String> errorLines() {
            return err.lines().filter(l -> l.startsWith("error:")).toList();
        }
    }

    static Run run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = SparkEmbedCommand.execute(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        return new Run(code, buf.toString(StandardCharsets.UTF_8));
    }

    static String[] args(Path model, String input, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("--model", model.toString(), "--input", input, "--out", out.toString(),
                "--master", "local[2]"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    @Tag("slow") // several Spark jobs in a row
    void writesEveryImageWithLabelsFailuresAndCountsThenRefusesOrReplacesAnExistingOutput() throws Exception {
        Path parquet = dir.resolve("out-parquet");
        Run a = run(args(data.model(), data.root().toString(), parquet, "--images-per-partition", "100"));
        assertEquals(0, a.code(), a.err());
        int n = data.allFiles().size();
        assertTrue(a.err().contains(data.labels().size() + " images embedded, " + data.unreadable().size() + " failed, "
                + SparkEmbedCommand.partitionsFor(n, 100, 2) + " partitions"), a.err());
        assertTrue(a.err().contains("failed: " + SparkTestImages.uri(data.root().resolve("shirt/bomb.png"))), a.err());
        assertTrue(Files.exists(parquet.resolve("_SUCCESS")));

        Path csv = dir.resolve("out-csv");
        Run b = run(args(data.model(), data.root().resolve("coat").toString() + "/*.png", csv, "--format", "csv"));
        assertEquals(0, b.code(), b.err());
        List<String> headers = new ArrayList<>();
        long csvRows = 0;
        try (Stream<Path> parts = Files.list(csv)) {
            for (Path p : parts.filter(p -> p.getFileName().toString().endsWith(".csv")).toList()) {
                List<String> lines = Files.readAllLines(p);
                headers.add(lines.get(0)); // Spark's CSV writer heads every part file
                csvRows += lines.size() - 1;
            }
        }
        for (String header : headers) {
            assertTrue(header.startsWith("path,label,feature,model_id,error,f0,") && header.endsWith(",f31"), header);
        }
        // a glob has no ImageFolder root: no labels; 90 coat images directly in coat/ plus notes.png
        assertEquals(90 + 1, csvRows);

        byte[] before = Files.readAllBytes(parquet.resolve("_SUCCESS"));
        Run refused = run(args(data.model(), data.root().toString(), parquet));
        assertEquals(2, refused.code(), refused.err());
        assertEquals(1, refused.errorLines().size(), refused.err());
        assertTrue(refused.errorLines().get(0).contains("exists"), refused.err());

        Run replaced = run(args(data.model(), data.root().toString(), csv, "--mode", "overwrite", "--format", "json"));
        assertEquals(0, replaced.code(), replaced.err());
        try (Stream<Path> files = Files.list(csv); Stream<Path> siblings = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.contains("_SUCCESS"), names.toString());
            assertTrue(names.stream().noneMatch(s -> s.endsWith(".csv")), "the csv output is gone: " + names);
            assertTrue(names.stream().anyMatch(s -> s.endsWith(".json")), names.toString());
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith(".out-csv")),
                    "no temporary folder is left beside the output");
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(parquet.resolve("_SUCCESS"))));

        SparkSession spark = SparkSessions.start("local[2]", data.model(), new SparkConf());
        try (FeatureExtractor reference = FeatureExtractor.open(data.model())) {
            List<Row> rows = spark.read().parquet(parquet.toString()).collectAsList();
            assertEquals(n, rows.size(), "one row per listed file, the empty one included");
            Map<String, Path> byUri = new HashMap<>();
            data.allFiles().forEach(p -> byUri.put(SparkTestImages.uri(p), p));
            for (Row r : rows) {
                Path file = byUri.get(r.getString(r.fieldIndex("path")));
                String label = r.getString(r.fieldIndex("label"));
                String error = r.getString(r.fieldIndex("error"));
                assertEquals(reference.info().modelId(), r.getString(r.fieldIndex("model_id")));
                if (data.labels().containsKey(file)) {
                    assertEquals(data.labels().get(file), label);
                    assertNull(error);
                    VectorMatch.assertMatches(reference.embed(file),
                            VectorMatch.floats(r.getList(r.fieldIndex("embedding"))), file.toString());
                } else {
                    assertTrue(error.contains(data.unreadable().get(file)), file + ": " + error);
                    assertTrue(r.isNullAt(r.fieldIndex("embedding")));
                }
            }
            assertEquals(n, spark.read().json(csv.toString()).count());
            try (Stream<Path> parts = Files.list(csv)) {
                Path part = parts.filter(p -> p.getFileName().toString().endsWith(".json")).findFirst().orElseThrow();
                String first = Files.readAllLines(part).get(0);
                assertTrue(first.contains("\"label\":") && first.contains("\"error\":"), "every row names every column: " + first);
            }
        } finally {
            spark.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"missing model", "non-ONNX model", "empty input", "input that does not exist",
            "output that exists", "list file with no paths"})
    void badInputIsOneErrorLineExitCode2AndNothingWritten(String problem) throws Exception {
        Path model = data.model();
        String input = data.root().toString();
        Path out = dir.resolve("bad-" + problem.replace(' ', '-'));
        String expect;
        switch (problem) {
            case "missing model" -> {
                model = dir.resolve("missing.onnx");
                expect = "no such file";
            }
            case "non-ONNX model" -> {
                model = Files.writeString(dir.resolve("notes.onnx"), "not a model");
                expect = "not an ONNX model";
            }
            case "empty input" -> {
                input = Files.createDirectories(dir.resolve("empty")).toString();
                expect = "no image files found";
            }
            case "input that does not exist" -> {
                input = dir.resolve("nowhere").toString();
                expect = "no such file or folder";
            }
            case "output that exists" -> {
                Files.createDirectories(out);
                Files.writeString(out.resolve("keep.txt"), "old");
                expect = "exists";
            }
            case "list file with no paths" -> {
                input = Files.writeString(dir.resolve("list.txt"), "# nothing yet\n\n").toString();
                expect = "no image files found";
            }
            default -> throw new IllegalStateException(problem);
        }
        Run r = run(args(model, input, out));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errorLines().size(), r.err());
        assertEquals(r.err().strip(), r.errorLines().get(0), "nothing else is printed");
        assertTrue(r.errorLines().get(0).contains(expect), r.err());
        if (problem.equals("output that exists")) {
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(out.resolve("keep.txt")), s.toList());
            }
        } else {
            assertFalse(Files.exists(out), "nothing written");
        }
    }

    @Test
    void aListFileNamesImagesRelativeToItselfOrAbsoluteAndAMissingEntryIsAFailureRow() throws Exception {
        List<Path> good = data.labels().keySet().stream().limit(5).toList();
        Path list = data.root().resolveSibling("images.txt");
        List<String> lines = new ArrayList<>(List.of("# five images, one missing", ""));
        lines.add(data.root().getFileName() + "/" + data.root().relativize(good.get(0)).toString());
        good.subList(1, 5).forEach(p -> lines.add(p.toString()));
        lines.add("images/missing.png");
        Files.write(list, lines);
        Path out = dir.resolve("out-list");
        Run r = run(args(data.model(), list.toString(), out, "--format", "json"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("5 images embedded, 1 failed"), r.err());
        SparkSession spark = SparkSessions.start("local[1]", data.model(), new SparkConf());
        try (FeatureExtractor reference = FeatureExtractor.open(data.model())) {
            List<Row> rows = spark.read().schema(SparkEmbedding.SCHEMA).json(out.toString()).orderBy("path").collectAsList();
            assertEquals(6, rows.size());
            for (Row row : rows) {
                assertTrue(row.isNullAt(1), "a list has no ImageFolder root, so no labels");
                if (row.getString(0).endsWith("missing.png")) {
                    assertTrue(row.getString(5).contains("no such file"), row.getString(5));
                } else {
                    Path file = Path.of(java.net.URI.create(row.getString(0)));
                    assertTrue(good.contains(file), file.toString());
                    // JSON holds the floats as decimal text; Spark reads them back as the same floats
                    VectorMatch.assertMatches(reference.embed(file), VectorMatch.floats(row.getList(3)), file.toString());
                }
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void aMalformedOrUnreachableMasterIsRefusedInOneLineBeforeAnyJobOrFile() throws Exception {
        int closed = LoopbackPorts.free(); // nothing listens there
        List<String[]> cases = List.of(
                new String[] {"spark://", "is not HOST:PORT"},
                new String[] {"spark://127.0.0.1", "is not HOST:PORT"},
                new String[] {"spark://127.0.0.1:99999", "is not HOST:PORT"},
                new String[] {"spark://127.0.0.1:7077,", "is not HOST:PORT"},
                new String[] {"local[0]", "not a master Spark accepts"},
                new String[] {"local[x]", "not a master Spark accepts"},
                new String[] {"http://127.0.0.1:7077", "not a master Spark accepts"},
                new String[] {"k8s://", "needs the API server's URL"},
                new String[] {"spark://127.0.0.1:" + closed, "no Spark master answers (127.0.0.1:" + closed + " refused"},
                new String[] {"spark://no-such-host.invalid:7077", "is an unknown host"});
        int i = 0;
        for (String[] c : cases) {
            Path out = dir.resolve("out-master-" + i++);
            List<String> a = new ArrayList<>(List.of(args(data.model(), data.root().toString(), out)));
            a.set(a.indexOf("local[2]"), c[0]);
            Run r = run(a.toArray(String[]::new));
            assertEquals(2, r.code(), c[0] + ": " + r.err());
            assertEquals(1, r.errorLines().size(), c[0] + ": " + r.err());
            assertTrue(r.errorLines().get(0).contains("--master") && r.errorLines().get(0).contains(c[1]),
                    c[0] + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertFalse(Files.exists(out), c[0] + ": nothing written");
        }
        try (java.net.ServerSocket live = new java.net.ServerSocket(0)) {
            SparkMaster.check("spark://127.0.0.1:" + closed + ",127.0.0.1:" + live.getLocalPort()); // a standby answers
        }
        for (String ok : List.of("local", "local[*]", "local[4]", "local[2,3]", "yarn", "k8s://https://10.0.0.1:443")) {
            SparkMaster.check(ok);
        }
    }

    @Test
    void theProgressLineGivesImagesDoneRateAndEta() {
        SparkEmbedCommand.Progress p = new SparkEmbedCommand.Progress(10_000, null, null, System.err);
        assertEquals("spark-embed: 2500/10000 images, 250 images/s, ETA 0:30", p.line(2500, 10));
        assertEquals("spark-embed: 100/10000 images, 1 images/s, ETA 2:45:00", p.line(100, 100));
        assertEquals("spark-embed: 0/10000 images, 0 images/s, ETA -", p.line(0, 2));
    }

    @Test
    void partitionsAreSizedByImageCountWithAtLeastOnePerCore() {
        assertEquals(1954, SparkEmbedCommand.partitionsFor(1_000_000, 512, 16));
        assertEquals(16, SparkEmbedCommand.partitionsFor(1000, 512, 16));
        assertEquals(3, SparkEmbedCommand.partitionsFor(3, 512, 16));
        assertEquals(1, SparkEmbedCommand.partitionsFor(0, 512, 16));
    }
}
