package org.jepa4j.cli;

import org.jepa4j.testkit.RandomImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every writing command refuses an output that is, contains or lies inside its input data or its
 * model, and replaces an existing output only when it is its own earlier output; every count has
 * a bound and a one-line error. The oracle: the bytes of what was there before, unchanged.
 */
class OutputSafetyAndBoundsTest {
    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private Path model() throws Exception {
        return CommandRun.exportedGreyEncoder(dir.resolve("ckpt/c.safetensors"), dir.resolve("models/m.onnx"));
    }

    private Path images() throws Exception {
        return RandomImages.greyFolders(dir.resolve("images"), List.of("a", "b"), 3, 16, 16, 1);
    }

    /** Every file under {@code root} with its bytes, as text for a before/after comparison. */
    private static List<String> snapshot(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.sorted().map(p -> {
                try {
                    return p + (Files.isRegularFile(p) ? " " + java.util.Arrays.hashCode(Files.readAllBytes(p)) : "/");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static void refused(CommandRun r, String... expected) {
        assertEquals(2, r.code(), r.err());
        for (String x : expected) {
            assertTrue(r.err().contains(x), "expected '" + x + "' in: " + r.err());
        }
        assertTrue(r.err().lines().filter(l -> l.startsWith("error")).count() == 1, r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void embedAndEvalNeverWriteIntoTheirDataOrOverTheFolderHoldingTheModel() throws Exception {
        Path model = model();
        Path images = images();
        List<String> before = snapshot(dir);
        refused(run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out",
                images.resolve("a/features.npy").toString()), "lies inside the input --data");
        Path link = Files.createSymbolicLink(dir.resolve("shortcut"), images.resolve("b"));
        refused(run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out",
                link.resolve("../f.npy").toString()), "the input --data");
        Files.delete(link);
        refused(run("eval", "--model", model.toString(), "--data", "folder:" + images, "--validation", "2", "--out",
                model.getParent().toString()), "contains the input --model");
        refused(run("eval", "--model", model.toString(), "--data", "folder:" + images, "--validation", "2", "--out",
                dir.toString()), "contains the input");
        assertEquals(before, snapshot(dir), "nothing written, nothing removed");
    }

    @Test
    void anExistingFileIsReplacedOnlyWhenItIsTheCommandsOwnEarlierOutput() throws Exception {
        Path model = model();
        Path images = images();
        Path out = Files.createDirectories(dir.resolve("out"));
        Path notes = Files.writeString(out.resolve("notes.csv"), "name,phone\nann,123\n");
        refused(run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", notes.toString()),
                "notes.csv exists and is not a feature CSV");
        assertEquals("name,phone\nann,123\n", Files.readString(notes));
        Path npy = out.resolve("f.npy");
        assertEquals(0, run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", npy.toString()).code());
        assertEquals(0, run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", npy.toString()).code(),
                "its own earlier output is replaced");
        Path csv = out.resolve("f.csv");
        assertEquals(0, run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", csv.toString()).code());
        assertEquals(0, run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", csv.toString()).code());

        byte[] foreign = {1, 2, 3, 4};
        Path onnx = Files.write(out.resolve("other.onnx"), foreign);
        Path ckpt = dir.resolve("ckpt/c.safetensors");
        refused(run("export", "--checkpoint", ckpt.toString(), "--out", onnx.toString()), "not an ONNX model written by");
        assertArrayEquals(foreign, Files.readAllBytes(onnx));
        assertEquals(0, run("export", "--checkpoint", ckpt.toString(), "--out", model.toString()).code(),
                "an earlier export is replaced");

        Path png = Files.write(out.resolve("masks.png"), foreign);
        refused(run("masks", "--config", "fashion_mnist", "--batches", "1", "--png", png.toString()), "not a PNG");
        assertArrayEquals(foreign, Files.readAllBytes(png));

        Path yaml = Files.writeString(out.resolve("mine.yaml"), "my: notes\n");
        refused(run("config", "--config", "fashion_mnist", "--out", yaml.toString()), "not a run config");
        assertEquals("my: notes\n", Files.readString(yaml));
    }

    @Test
    void configImportAndTrainRefuseOutputsOnTheirInputs() throws Exception {
        Path images = images();
        Path cfg = dir.resolve("run.yaml");
        assertEquals(0, run("config", "--config", "fashion_mnist", "--set", "data.source=folder:" + images, "--out",
                cfg.toString()).code());
        byte[] before = Files.readAllBytes(cfg);
        refused(run("config", "--config", cfg.toString(), "--out", cfg.toString()), "is the input --config");
        assertArrayEquals(before, Files.readAllBytes(cfg));

        Path weights = Files.write(Files.createDirectories(dir.resolve("downloads")).resolve("ijepa.pth"), new byte[] {1});
        refused(run("import", "--from", weights.toString(), "--out", weights.getParent().toString()),
                "contains the input --from");
        refused(run("train", "--config", cfg.toString(), "--out", images.resolve("run").toString()),
                "lies inside the input data.source");
        assertTrue(!Files.exists(images.resolve("run")), "no run folder in the data");
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("provenance.json"), "{\"my\": \"records\"}");
        refused(run("train", "--config", cfg.toString(), "--out", mine.toString()), "provenance.json exists and is not");
        assertEquals("{\"my\": \"records\"}", Files.readString(mine.resolve("provenance.json")));
    }

    @Test
    void countsBeyondTheirBoundsGiveOneLineAndNoTrace() throws Exception {
        Path model = model();
        Path images = images();
        String[] embed = {"embed", "--model", model.toString(), "--data", "folder:" + images, "--out",
                dir.resolve("f.npy").toString()};
        refused(run(concat(embed, "--batch-size", "2147483647")), "--batch-size 2147483647", "limit");
        refused(run(concat(embed, "--threads", "100000")), "--threads 100000");
        refused(run(concat(embed, "--lanes", "2147483647")), "--lanes 2147483647");
        refused(run("masks", "--config", "fashion_mnist", "--batches", "2147483647"), "--batches 2147483647");
        refused(run("masks", "--config", "fashion_mnist", "--batch-size", "2147483647"), "--batch-size 2147483647");
        refused(run("ablation", "--seeds", "2147483647", "--out", dir.resolve("abl").toString()), "--seeds 2147483647");
        refused(run("eval", "--model", model.toString(), "--data", "folder:" + images, "--epochs", "2147483647", "--out",
                dir.resolve("e").toString()), "--epochs 2147483647");
        refused(run("data", "--config", "fashion_mnist", "--set", "data.source=synthetic:size=2000000"), "size = 2000000");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
