package org.jepa4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Everything {@code train} rejects for a reason the file alone shows, {@code config} rejects too,
 * with the same message, and {@code train} refuses it before writing any file.
 */
class ConfigAndTrainAgreeTest {
    @TempDir
    Path dir;

    private record Result(int code, String err) {
    }

    private static Result run(String... args) {
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return new Result(cl.execute(args), err.toString());
    }

    @Test
    void configAndTrainRefuseTheSameFilesWithTheSameMessageAndTrainWritesNothing() throws Exception {
        record Case(String yaml, String expected) {
        }
        List<Case> cases = List.of(
                new Case("", "empty"),
                new Case("# nothing but a comment\n", "empty"),
                new Case("data:\n  prefetch: 0\n", "data.prefetch"),
                new Case("data:\n  max_pixels: 0\n", "data.max_pixels"),
                new Case("data:\n  crop_size: 2000000000\n", "data.crop_size"),
                new Case("data:\n  crop_size: 4096\nmask:\n  patch_size: 1\n", "data.crop_size"),
                new Case("data:\n  crop_size: 4096\n  batch_size: 4096\nmask:\n  patch_size: 16\n", "data.batch_size"),
                new Case("logging:\n  write_tag: ../escape\n", "logging.write_tag"),
                new Case("logging:\n  write_tag: runs/a\n", "logging.write_tag"),
                new Case("logging:\n  checkpoint_freq: -1\n", "logging.checkpoint_freq"));
        int i = 0;
        for (Case c : cases) {
            Path file = Files.writeString(dir.resolve("case-" + i++ + ".yaml"), c.yaml());
            Result config = run("config", "--config", file.toString());
            assertEquals(2, config.code(), c.yaml() + " -> " + config.err());
            assertTrue(config.err().contains(c.expected()) && config.err().contains(file.toString()),
                    c.yaml() + " -> " + config.err());

            Path runFolder = dir.resolve("run");
            Result train = run("train", "--config", file.toString(), "--out", runFolder.toString());
            assertEquals(2, train.code(), c.yaml() + " -> " + train.err());
            assertEquals(config.err(), train.err(), "the same refusal from both: " + c.yaml());
            assertFalse(Files.exists(runFolder), "train wrote nothing for " + c.yaml());
        }
    }

    @Test
    void checkpointFreqZeroIsAcceptedAndMeansNoNumberedCheckpoints() throws Exception {
        Path file = Files.writeString(dir.resolve("zero.yaml"), "logging:\n  checkpoint_freq: 0\n");
        Path out = dir.resolve("resolved.yaml");
        Result config = run("config", "--config", file.toString(), "--out", out.toString());
        assertEquals(0, config.code(), config.err());
        assertTrue(Files.readString(out).contains("checkpoint_freq: 0"), Files.readString(out));
    }
}
