package org.jepa4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jepa4j train} usage errors: exit code 2 and a message naming the key (no TensorFlow needed). */
class TrainCommandTest {
    @TempDir
    Path tmp;

    private int run(StringWriter err, String... args) {
        CommandLine cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void placeholderLoggingFolderWithoutOutIsAUsageError() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "train", "--config", "official/in1k_vith14_ep300"));
        assertTrue(err.toString().contains("logging.folder"), err.toString());
        assertTrue(err.toString().contains("--out"), err.toString());
    }

    @Test
    void resumeWithoutACheckpointIsAUsageError() {
        StringWriter err = new StringWriter();
        Path out = tmp.resolve("nothing-here");
        assertEquals(2, run(err, "train", "--config", "fashion_mnist", "--out", out.toString(), "--resume"));
        assertTrue(err.toString().contains("cannot resume"), err.toString());
        assertFalse(Files.exists(out.resolve("checkpoints")), "no run folder is created for a failed resume");
    }

    @Test
    void invalidOverrideIsAUsageError() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "train", "--config", "fashion_mnist", "--out", tmp.toString(),
                "--set", "optimization.epochs=zero"));
        assertTrue(err.toString().contains("optimization.epochs"), err.toString());
    }
}
