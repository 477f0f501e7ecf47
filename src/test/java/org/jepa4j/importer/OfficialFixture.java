package org.jepa4j.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.Npy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The official-tiny parity fixture ({@code shared/fixtures/official-tiny}, made by the official
 * code): located from {@code -Djepa4j.fixtures=DIR}, else {@code ../shared/fixtures} beside the
 * repository, else the first {@code shared/fixtures} found walking up from the working folder.
 * Sizes come from its config.json, never from constants here (another set has other sizes).
 */
final class OfficialFixture {
    static final String NAME = "official-tiny";
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final JsonNode config;

    private OfficialFixture(Path dir) throws IOException {
        this.dir = dir;
        this.config = JSON.readTree(dir.resolve("config.json").toFile());
    }

    /** The fixture, or a skipped test (assumption) when the folder is absent. */
    static OfficialFixture load() throws IOException {
        Optional<Path> dir = locate();
        assumeTrue(dir.isPresent(), "fixture folder shared/fixtures/" + NAME + " not found; parity tests skipped");
        return new OfficialFixture(dir.get());
    }

    /** Imports the fixture's checkpoint into {@code runDir} (heads from config.json) and reads it back. */
    org.jepa4j.checkpoint.Checkpoint importInto(Path runDir) throws IOException, ImportException {
        ImportOptions options = new ImportOptions(null, 0, 0, encoderHeads(), 0, 0, 0, predictorHeads(), false);
        try (WeightSource src = CheckpointImporter.open(checkpoint(), false)) {
            CheckpointImporter.importInto(src, options, runDir, new java.io.PrintWriter(new java.io.StringWriter()));
        }
        return org.jepa4j.checkpoint.Checkpoint.read(runDir);
    }

    static Optional<Path> locate() {
        String prop = System.getProperty("jepa4j.fixtures");
        List<Path> candidates = new ArrayList<>();
        if (prop != null) {
            candidates.add(Path.of(prop).resolve(NAME));
        }
        candidates.add(Path.of("..", "shared", "fixtures", NAME));
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            candidates.add(p.resolve("shared").resolve("fixtures").resolve(NAME));
        }
        return candidates.stream().filter(p -> Files.isRegularFile(p.resolve("config.json"))).findFirst();
    }

    Path checkpoint() {
        return dir.resolve("checkpoint.pth.tar");
    }

    FloatTensor array(String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy")).toTensor();
    }

    long[] longs(String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy")).toLongs();
    }

    Npy.Array raw(String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy"));
    }

    double loss() throws IOException {
        return Double.parseDouble(Files.readString(dir.resolve("loss.txt")).trim());
    }

    /** masks_enc.npy [B, Kc] as the context masks [nenc = 1][B][Kc]. */
    int[][][] contextMasks() throws IOException {
        var a = raw("masks_enc"); // [B, Kc]
        long[] v = a.toLongs();
        int b = (int) a.shape()[0];
        int k = (int) a.shape()[1];
        int[][][] out = new int[1][b][k];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < k; j++) {
                out[0][i][j] = (int) v[i * k + j];
            }
        }
        return out;
    }

    /** masks_pred.npy [npred, B, Kt] as the target masks [npred][B][Kt]. */
    int[][][] targetMasks() throws IOException {
        var a = raw("masks_pred"); // [npred, B, Kt]
        long[] v = a.toLongs();
        int m = (int) a.shape()[0];
        int b = (int) a.shape()[1];
        int k = (int) a.shape()[2];
        int[][][] out = new int[m][b][k];
        for (int x = 0; x < m; x++) {
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < k; j++) {
                    out[x][i][j] = (int) v[(x * b + i) * k + j];
                }
            }
        }
        return out;
    }

    int encoderHeads() {
        return config.path("encoder").path("num_heads").asInt();
    }

    int predictorHeads() {
        return config.path("predictor").path("num_heads").asInt();
    }

    /** keys.txt: part → (name as stored, with module. → shape). */
    Map<String, Map<String, long[]>> keys() throws IOException {
        Map<String, Map<String, long[]>> parts = new LinkedHashMap<>();
        Map<String, long[]> current = null;
        for (String line : Files.readAllLines(dir.resolve("keys.txt"))) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String part = line.substring(1).trim().split("\\s+")[0];
                current = new LinkedHashMap<>();
                parts.put(part, current);
                continue;
            }
            int sp = line.indexOf(' ');
            String shape = line.substring(sp + 1).trim();
            String inner = shape.substring(1, shape.length() - 1).trim();
            long[] dims = inner.isEmpty() ? new long[0]
                    : java.util.Arrays.stream(inner.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
            current.put(line.substring(0, sp), dims);
        }
        return parts;
    }

    /** Largest absolute difference between two arrays of equal length. */
    static double maxAbs(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    static double maxAbs(double[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
