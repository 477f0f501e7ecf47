package org.jepa4j.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.Npy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The official-tiny parity fixture: a tiny model made and run by the official PyTorch code
 * (checkpoint, inputs, outputs, masks, loss), vendored in jepa4j-core's test resources under
 * {@code official-tiny/} and shipped to the other modules' tests in its test jar. Read from the
 * class path: from the folder when it is one, else copied once per JVM to a temporary folder.
 * Sizes come from its config.json, never from constants here. Importing its checkpoint is
 * {@code importer.FixtureImport} in jepa4j-modelio's test jar.
 */
public final class OfficialFixture {
    /** Resource folder of the fixture. */
    public static final String NAME = "official-tiny";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FILES = List.of("README.md", "checkpoint.pth.tar", "config.json",
            "encoder_tokens.npy", "images.npy", "keys.txt", "loss.txt", "masks_enc.npy", "masks_pred.npy",
            "predictor_out.npy", "target_pooled.npy", "target_tokens.npy", "target_tokens_ln.npy");

    /** The fixture's folder. */
    public final Path dir;
    /** Its config.json (encoder and predictor sizes, image size, batch). */
    public final JsonNode config;

    private OfficialFixture(Path dir) throws IOException {
        this.dir = dir;
        this.config = JSON.readTree(dir.resolve("config.json").toFile());
    }

    /** The fixture (always present: it is part of the repository). */
    public static OfficialFixture load() throws IOException {
        return new OfficialFixture(Located.DIR);
    }

    /** Lazily resolved folder of the fixture (class-path folder, or a one-time copy out of a jar). */
    private static final class Located {
        static final Path DIR = locate();

        private static Path locate() {
            URL config = OfficialFixture.class.getClassLoader().getResource(NAME + "/config.json");
            if (config == null) {
                throw new IllegalStateException("test resource " + NAME + "/config.json is not on the class path "
                        + "(jepa4j-core's test jar or test-classes)");
            }
            try {
                if ("file".equals(config.getProtocol())) {
                    return Path.of(config.toURI()).getParent();
                }
                Path tmp = Files.createTempDirectory("jepa4j-" + NAME + "-");
                tmp.toFile().deleteOnExit();
                for (String f : FILES) {
                    try (InputStream in = OfficialFixture.class.getClassLoader().getResourceAsStream(NAME + "/" + f)) {
                        if (in == null) {
                            throw new IllegalStateException("test resource " + NAME + "/" + f + " is missing");
                        }
                        Path target = tmp.resolve(f);
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        target.toFile().deleteOnExit();
                    }
                }
                return tmp;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public Path checkpoint() {
        return dir.resolve("checkpoint.pth.tar");
    }

    public FloatTensor array(String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy")).toTensor();
    }

    public long[] longs(String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy")).toLongs();
    }

    public Npy.Array raw(String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy"));
    }

    public double loss() throws IOException {
        return Double.parseDouble(Files.readString(dir.resolve("loss.txt")).trim());
    }

    /** masks_enc.npy [B, Kc] as the context masks [nenc = 1][B][Kc]. */
    public int[][][] contextMasks() throws IOException {
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
    public int[][][] targetMasks() throws IOException {
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

    public int encoderHeads() {
        return config.path("encoder").path("num_heads").asInt();
    }

    public int predictorHeads() {
        return config.path("predictor").path("num_heads").asInt();
    }

    /** keys.txt: part → (name as stored, with module. → shape). */
    public Map<String, Map<String, long[]>> keys() throws IOException {
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
    public static double maxAbs(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    public static double maxAbs(double[] a, float[] b) {
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
