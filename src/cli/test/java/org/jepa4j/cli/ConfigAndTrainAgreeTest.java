package org.jepa4j.cli;

import org.jepa4j.config.ConfigRefusals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        List<ConfigRefusals.Case> cases = new ArrayList<>(List.of(
                new ConfigRefusals.Case("", "empty"),
                new ConfigRefusals.Case("# nothing but a comment\n", "empty"),
                new ConfigRefusals.Case("logging:\n  checkpoint_freq: -1\n", "logging.checkpoint_freq")));
        cases.addAll(ConfigRefusals.ONLY_AT_RUN_TIME);
        int i = 0;
        for (ConfigRefusals.Case c : cases) {
            Path file = Files.writeString(dir.resolve("case-" + i++ + ".yaml"), c.yaml());
            Result config = run("config", "--config", file.toString());
            assertEquals(2, config.code(), c.yaml() + " -> " + config.err());
            assertTrue(config.err().contains(c.key()) && config.err().contains(file.toString()),
                    c.yaml() + " -> " + config.err());

            Path runFolder = dir.resolve("run");
            Result train = run("train", "--config", file.toString(), "--out", runFolder.toString());
            assertEquals(2, train.code(), c.yaml() + " -> " + train.err());
            assertEquals(config.err(), train.err(), "the same refusal from both: " + c.yaml());
            assertFalse(Files.exists(runFolder), "train wrote nothing for " + c.yaml());
        }
    }

    @Test
    void aDataSourceOfTheWrongFormIsRefusedByConfigAndTrainAlikeBeforeAnyFile() throws Exception {
        List<String> specs = List.of("bogus:x", "synthetic:count=abc", "synthetic:nokey=3", "synthetic:count=0",
                "synthetic:count", "idx:", "idx:a,b,c", "folder:", "folder", "synthetic:count=1,,size=4");
        int i = 0;
        for (String spec : specs) {
            for (String key : List.of("source", "eval_source")) {
                Path file = Files.writeString(dir.resolve("spec-" + i++ + ".yaml"), "data:\n  " + key + ": '" + spec + "'\n");
                Result config = run("config", "--config", file.toString());
                assertEquals(2, config.code(), spec + " -> " + config.err());
                assertTrue(config.err().contains("data." + key) && config.err().contains(spec)
                        && config.err().contains(file.toString()), spec + " -> " + config.err());
                Path runFolder = dir.resolve("run");
                Result train = run("train", "--config", file.toString(), "--out", runFolder.toString());
                assertEquals(config.err(), train.err(), "the same refusal from both: " + spec);
                assertFalse(Files.exists(runFolder), "train wrote nothing for " + spec);
            }
        }
    }

    @Test
    void aTrainingRunThatFailsBeforeItsFirstStepLeavesNoRunFolderButKeepsAnExistingOne() throws Exception {
        // a well-formed source whose data is not there: found only when train opens it, after the
        // run folder and its lock were made
        Path missing = dir.resolve("no-such-images");
        Path runFolder = dir.resolve("run");
        Result train = run("train", "--config", "fashion_mnist", "--set", "data.source=folder:" + missing,
                "--out", runFolder.toString());
        assertEquals(2, train.code(), train.err());
        assertTrue(train.err().contains(missing.toString()), train.err());
        assertEquals(1, train.err().lines().filter(l -> l.startsWith("error")).count(), "one line: " + train.err());
        assertFalse(train.err().contains("\tat "), train.err());
        assertFalse(Files.exists(runFolder), "no run folder is left behind");

        Path existing = Files.createDirectories(dir.resolve("existing"));
        Files.writeString(existing.resolve("notes.txt"), "mine");
        Result again = run("train", "--config", "fashion_mnist", "--set", "data.source=folder:" + missing,
                "--out", existing.toString());
        assertEquals(2, again.code(), again.err());
        assertEquals("mine", Files.readString(existing.resolve("notes.txt")), "a folder the run did not make is kept");
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
