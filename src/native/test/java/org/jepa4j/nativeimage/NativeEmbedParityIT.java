package org.jepa4j.nativeimage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native {@code jepa4j embed} against the same command on the JVM: the same feature bits for
 * every feature kind and image format, at batch size 1 and several, the same files, messages and
 * exit codes for bad input, and a binary that runs from another folder.
 */
class NativeEmbedParityIT {
    @TempDir
    static Path dir;
    static Path model;
    static Path images;

    @BeforeAll
    static void fixtures() throws IOException {
        model = Fixtures.model(dir);
        images = Fixtures.imageFolder(dir);
    }

    private static Runs.Result nativeRun(String... args) throws Exception {
        return Runs.run(Runs.nativeCommand(Runs.executable(), args), dir);
    }

    private static Runs.Result jvmRun(String... args) throws Exception {
        return Runs.run(Runs.jvmCommand(args), dir);
    }

    @ParameterizedTest(name = "{0}, batch size {1}")
    @CsvSource({"pooled,1", "pooled,5", "pooled_last4,1", "pooled_last4,5", "last_hidden_state,1",
            "last_hidden_state,5", "pooled_grid,1", "pooled_grid,5"})
    void everyFeatureOfEveryImageFormatHasTheJvmsBits(String feature, int batchSize) throws Exception {
        String name = feature + "-b" + batchSize;
        String[] common = {"embed", "--model", model.toString(), "--data", "folder:" + images, "--feature", feature,
                "--batch-size", Integer.toString(batchSize), "--threads", "1"};
        Runs.Result n = nativeRun(concat(common, "--out", dir.resolve(name + ".native.npy").toString()));
        assertEquals(0, n.code(), n.err());
        Runs.Result j = jvmRun(concat(common, "--out", dir.resolve(name + ".jvm.npy").toString()));
        assertEquals(0, j.code(), j.err());
        byte[] nativeBytes = Files.readAllBytes(dir.resolve(name + ".native.npy"));
        byte[] jvmBytes = Files.readAllBytes(dir.resolve(name + ".jvm.npy"));
        // 16 images (4 formats x 2 x 2 classes) in rows of the feature's width: header and every float bit equal
        assertTrue(jvmBytes.length > 16 * 32 * 4, "features of all 16 images: " + jvmBytes.length + " bytes");
        assertArrayEquals(jvmBytes, nativeBytes, feature + " at batch size " + batchSize);
        assertArrayEquals(Files.readAllBytes(dir.resolve(name + ".jvm.labels.npy")),
                Files.readAllBytes(dir.resolve(name + ".native.labels.npy")), "labels");
        assertEquals(withoutRates(j.err().replace(".jvm.", ".native.")), withoutRates(n.err()),
                "the same report on standard error");
    }

    @Test
    void batchSizeDoesNotChangeTheNativeFeatures() throws Exception {
        // the oracle here is the native binary itself at batch size 1 against a batch of all 16 images
        for (int b : new int[] {1, 16}) {
            Runs.Result r = nativeRun("embed", "--model", model.toString(), "--data", "folder:" + images,
                    "--batch-size", Integer.toString(b), "--out", dir.resolve("batch" + b + ".npy").toString());
            assertEquals(0, r.code(), r.err());
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("batch1.npy")), Files.readAllBytes(dir.resolve("batch16.npy")));
    }

    @Test
    void csvOfASyntheticSourceIsTheJvmsText() throws Exception {
        String[] common = {"embed", "--model", model.toString(), "--data", "synthetic:count=12,size=16,seed=3",
                "--split", "test", "--batch-size", "4"};
        Runs.Result n = nativeRun(concat(common, "--out", dir.resolve("syn.native.csv").toString()));
        Runs.Result j = jvmRun(concat(common, "--out", dir.resolve("syn.jvm.csv").toString()));
        assertEquals(0, n.code(), n.err());
        assertEquals(0, j.code(), j.err());
        String csv = Files.readString(dir.resolve("syn.jvm.csv"));
        assertTrue(csv.lines().count() > 1, csv);
        assertEquals(csv, Files.readString(dir.resolve("syn.native.csv")));
    }

    @Test
    void badInputGetsTheJvmsMessageAndExitCode() throws Exception {
        Path out = dir.resolve("bad.npy");
        List<String[]> cases = List.of(
                new String[] {"embed", "--data", "folder:" + images, "--out", out.toString()},
                new String[] {"embed", "--model", dir.resolve("missing.onnx").toString(), "--data", "folder:" + images,
                        "--out", out.toString()},
                new String[] {"embed", "--model", model.toString(), "--data", "folder:" + dir.resolve("nowhere"),
                        "--out", out.toString()},
                new String[] {"embed", "--model", model.toString(), "--data", "folder:" + images, "--out",
                        dir.resolve("bad.txt").toString()},
                new String[] {"embed", "--model", model.toString(), "--data", "folder:" + images, "--out", model.toString(),
                        "--force"},
                new String[] {"embed", "--model", model.toString(), "--data", "folder:" + images, "--feature", "mean",
                        "--out", out.toString()},
                new String[] {"embed", "--model", model.toString(), "--data", "folder:" + images, "--split", "val",
                        "--out", out.toString()},
                new String[] {"embed", "--model", model.toString(), "--data", "folder:" + images, "--batch-size", "0",
                        "--out", out.toString()},
                new String[] {"embed", "--model", dir.resolve("c.safetensors").toString(), "--data", "folder:" + images,
                        "--out", out.toString()},
                new String[] {"embed", "--model", model.toString(), "--data", "mnist", "--out", out.toString()},
                new String[] {"serve", "--model", model.toString(), "--max-body-bytes", "lots"},
                new String[] {"serve", "--model", model.toString(), "--feature", "pooled,pooled"},
                new String[] {"embed", "--no-such-option"},
                new String[] {"no-such-command"});
        for (String[] args : cases) {
            Runs.Result n = nativeRun(args);
            Runs.Result j = jvmRun(args);
            String what = String.join(" ", args);
            assertNotEquals(0, j.code(), what + ": " + j.err());
            assertEquals(j.code(), n.code(), what + "\nJVM: " + j.err() + "\nnative: " + n.err());
            assertEquals(j.err(), n.err(), what);
            assertEquals(j.out(), n.out(), what);
        }
        assertTrue(Files.notExists(out), "no output from failed commands");
    }

    @Test
    void helpIsTheJvmsAndVersionNamesTheSameRelease() throws Exception {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"embed", "--help"},
                new String[] {"serve", "--help"}, new String[] {"help", "embed"}, new String[0])) {
            Runs.Result n = nativeRun(args);
            Runs.Result j = jvmRun(args);
            assertEquals(0, n.code(), n.err());
            assertEquals(j.out(), n.out(), String.join(" ", args));
        }
        Runs.Result n = nativeRun("--version");
        Runs.Result j = jvmRun("--version");
        assertEquals(0, n.code(), n.err());
        // the first line is jepa4j's version; the second names the Java runtime, which differs
        assertEquals(j.out().lines().findFirst(), n.out().lines().findFirst());
        assertTrue(n.out().startsWith("jepa4j "), n.out());
    }

    @Test
    void theBinaryRunsFromAnotherFolderWithItsLibraries() throws Exception {
        Path exe = Runs.executable();
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere/bin"));
        Path copy = elsewhere.resolve(exe.getFileName());
        Files.copy(exe, copy, StandardCopyOption.COPY_ATTRIBUTES);
        Path libs = exe.resolveSibling(exe.getFileName() + ".lib");
        if (Files.isDirectory(libs)) { // GraalVM stand-in builds: the JDK libraries live beside the binary
            try (Stream<Path> files = Files.walk(libs)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path target = elsewhere.resolve(libs.getFileName()).resolve(libs.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
        Runs.Result r = Runs.run(Runs.nativeCommand(copy, "embed", "--model", model.toString(), "--data",
                "folder:" + images, "--out", dir.resolve("moved.npy").toString()), elsewhere);
        assertEquals(0, r.code(), r.err());
        Runs.Result j = jvmRun("embed", "--model", model.toString(), "--data", "folder:" + images, "--out",
                dir.resolve("moved.jvm.npy").toString());
        assertEquals(0, j.code(), j.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("moved.jvm.npy")), Files.readAllBytes(dir.resolve("moved.npy")));
    }

    @Test
    void theBinaryHoldsOnnxRuntimeForItsOwnPlatformOnly() throws Exception {
        // resource names live in the image heap as Latin-1 strings; the other platform's libraries
        // (18-22 MB) are left out by the build (src/native/pom.xml, -H:ExcludeResources)
        String image = new String(Files.readAllBytes(Runs.executable()), java.nio.charset.StandardCharsets.ISO_8859_1);
        boolean arm = System.getProperty("os.arch").equals("aarch64");
        String own = "ai/onnxruntime/native/" + (arm ? "linux-aarch64" : "linux-x64") + "/libonnxruntime.so";
        String other = "ai/onnxruntime/native/" + (arm ? "linux-x64" : "linux-aarch64") + "/libonnxruntime.so";
        assertTrue(image.contains(own), "the executable holds " + own);
        assertTrue(!image.contains(other), "the executable holds no " + other);
    }

    /** The report without what depends on speed (the progress line's images/s). */
    private static String withoutRates(String report) {
        return report.replaceAll("\\d+ img/s", "N img/s");
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }
}
