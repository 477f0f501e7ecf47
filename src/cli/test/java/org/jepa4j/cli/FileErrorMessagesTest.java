package org.jepa4j.cli;

import org.jepa4j.export.TestModels;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file error is one line saying what was being done, the path, and the cause, never a bare path:
 * every writing command given an output under a regular file, and a folder or a path under a
 * regular file given as {@code --config}.
 */
class FileErrorMessagesTest {
    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    @Test
    void anOutputUnderARegularFileNamesWhatWasWrittenWhereAndTheFileInTheWay() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "not a folder");
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), TinyEncoders.GREY_ONE_LAYER, 5);
        Path model = dir.resolve("m.onnx");
        assertEquals(0, run("export", "--checkpoint", ckpt.toString(), "--out", model.toString()).code());
        record Case(String doing, Path target, List<String> args) {
        }
        Path sub = plain.resolve("sub");
        for (Case c : List.of(
                new Case("cannot write", sub.resolve("c.yaml"),
                        List.of("config", "--config", "fashion_mnist", "--out", sub.resolve("c.yaml").toString())),
                new Case("cannot write", sub.resolve("m.onnx"),
                        List.of("export", "--checkpoint", ckpt.toString(), "--out", sub.resolve("m.onnx").toString())),
                new Case("cannot write", sub.resolve("f.npy"),
                        List.of("embed", "--model", model.toString(), "--data", "synthetic:count=4,size=16,channels=1",
                                "--out", sub.resolve("f.npy").toString())),
                new Case("cannot create the report folder", sub.resolve("report"),
                        List.of("eval", "--model", model.toString(), "--data", "synthetic:count=8,size=16,channels=1,classes=2,test_count=4",
                                "--out", sub.resolve("report").toString())),
                new Case("cannot create the run folder", sub.resolve("run"),
                        List.of("train", "--config", "fashion_mnist", "--out", sub.resolve("run").toString())))) {
            CommandRun r = run(c.args().toArray(String[]::new));
            assertEquals(1, r.code(), c.args() + ": " + r.err());
            String line = r.err().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse(r.err());
            assertTrue(line.startsWith("error: " + c.doing() + " " + c.target() + ": a regular file is in the way of a"
                    + " folder (" + plain + ")"), c.args() + ": " + r.err());
        }
        assertEquals("not a folder", Files.readString(plain), "the file in the way is untouched");
    }

    @Test
    void aFolderOrAPathUnderARegularFileAsConfigIsNamedWithTheCauseByConfigAndTrain() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        for (String command : List.of("config", "train")) {
            CommandRun folder = run(command, "--config", dir.toString(), "--out", dir.resolve("run").toString());
            assertEquals(2, folder.code(), folder.err());
            assertTrue(folder.err().contains(dir + ": is a folder, expected a YAML run file"), folder.err());

            Path under = plain.resolve("run.yaml");
            CommandRun missing = run(command, "--config", under.toString(), "--out", dir.resolve("run").toString());
            assertEquals(2, missing.code(), missing.err());
            assertTrue(missing.err().contains(under + ": no such file (" + plain + " is a regular file, not a folder)"),
                    missing.err());
            assertFalse(missing.err().contains("graphs/"), "an absolute path is not looked up as a preset: "
                    + missing.err());
        }
        assertFalse(Files.exists(dir.resolve("run")), "no run folder for a config that does not load");
    }
}
