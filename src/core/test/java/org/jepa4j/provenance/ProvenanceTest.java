package org.jepa4j.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProvenanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyKindSharesTheCommonKeysInOneSpelling() throws Exception {
        List<Provenance> all = List.of(
                Provenance.training(Path.of("runs/a"), "data: {}\n", "synthetic", 16, 7, "/device:CPU:0"),
                Provenance.imported(Path.of("w.pth.tar"), "torch", "ab12", List.of("note")),
                Provenance.randomInit(Path.of("runs/a"), 7));
        for (Provenance p : all) {
            JsonNode n = JSON.readTree(p.toJson(-1));
            for (String key : List.of("kind", "created", "jepa4j_version", "host", "java")) {
                assertTrue(n.hasNonNull(key), p.kind() + " lacks " + key + ": " + n);
            }
            assertEquals(Version.current(), n.get("jepa4j_version").asText());
            assertFalse(n.has("step"));
        }
        assertEquals(List.of(Provenance.TRAINING, Provenance.IMPORT, Provenance.RANDOM_INIT),
                all.stream().map(Provenance::kind).toList());
    }

    @Test
    void toJsonWritesEachFieldUnderItsDocumentedKey() throws Exception {
        // read back by Jackson's tree, not by Provenance.parse; the digest by the JDK's MessageDigest
        Provenance p = Provenance.training(Path.of("runs/b"), "x: 1\n", "fashion-mnist train", 60000, 3, "cpu");
        JsonNode n = JSON.readTree(p.toJson(42));
        assertEquals("training", n.get("kind").asText());
        assertEquals(Version.current(), n.get("jepa4j_version").asText());
        assertEquals(System.getProperty("java.version"), n.get("java").asText());
        assertEquals(Path.of("runs/b").toAbsolutePath().normalize().toString(), n.get("run_folder").asText());
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest("x: 1\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(sha, n.get("config_sha256").asText());
        assertEquals("fashion-mnist train", n.get("data_source").asText());
        assertEquals(60000, n.get("data_size").asLong());
        assertEquals(3, n.get("seed").asLong());
        assertEquals("cpu", n.get("device").asText());
        assertEquals(42, n.get("step").asLong());
        assertFalse(JSON.readTree(p.toJson(-1)).has("step"));
    }

    @Test
    void parseReadsAHandWrittenRecord() {
        Provenance p = Provenance.parse("""
                {"kind": "import", "created": "2026-01-02T03:04:05Z", "jepa4j_version": "0.0.9",
                 "host": "h1", "java": "17.0.9", "source_file": "/w/a.pth.tar", "source_format": "torch",
                 "source_sha256": "ab12", "notes": ["one", "two"], "step": 5}
                """);
        assertEquals(Provenance.IMPORT, p.kind());
        assertEquals("2026-01-02T03:04:05Z", p.created());
        assertEquals("0.0.9", p.version());
        assertEquals("h1", p.host());
        assertEquals("17.0.9", p.java());
        assertEquals(List.of("source_file", "source_format", "source_sha256", "notes"), List.copyOf(p.details().keySet()));
        assertEquals("/w/a.pth.tar", p.details().get("source_file"));
        assertEquals(List.of("one", "two"), p.details().get("notes"));
        assertNull(p.runFolder());
        assertNull(p.configSha256());
    }

    @Test
    void recordsWrittenBeforeTheKindsWereUnifiedAreRead() {
        Provenance training = Provenance.parse("{\"run_folder\": \"/r\", \"created\": \"t\", \"config_sha256\": \"c\"}");
        assertEquals(Provenance.TRAINING, training.kind());
        assertEquals("/r", training.runFolder());
        Provenance baseline = Provenance.parse("{\"kind\": \"random_init\", \"run\": \"/r\", \"time\": \"t0\", \"seed\": 1}");
        assertEquals("/r", baseline.runFolder());
        assertEquals("t0", baseline.created());
        assertNull(baseline.configSha256());
        assertThrows(IllegalArgumentException.class, () -> Provenance.parse("[1, 2]"));
    }

    @Test
    void platformAndEnginesAreRecordedAsTheJvmReportsThem() throws Exception {
        Provenance p = Provenance.randomInit(Path.of("runs/c"), 1).withEngine("tensorflow", "2.18.0")
                .withEngine("onnxruntime", "1.24.2");
        JsonNode n = JSON.readTree(p.toJson(-1));
        assertEquals(System.getProperty("os.arch"), n.get("arch").asText());
        assertEquals(System.getProperty("os.name") + " " + System.getProperty("os.version"), n.get("os").asText());
        assertEquals("2.18.0", n.get("engines").get("tensorflow").asText());
        assertEquals("1.24.2", n.get("engines").get("onnxruntime").asText());
        assertEquals(List.of("tensorflow", "onnxruntime"), List.copyOf(p.engines().keySet()), "in the order added");
        assertFalse(JSON.readTree(Provenance.randomInit(Path.of("r"), 1).toJson(-1)).has("engines"),
                "no engines key when no engine ran");
        Provenance back = Provenance.parse(p.toJson(3));
        assertEquals(p.engines(), back.engines());
        assertEquals(System.getProperty("os.arch"), back.arch());
        Provenance older = Provenance.parse("{\"kind\": \"training\", \"created\": \"t\", \"java\": \"17\"}");
        assertNull(older.arch());
        assertTrue(older.engines().isEmpty());
    }
}
