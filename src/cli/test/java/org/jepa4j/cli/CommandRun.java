package org.jepa4j.cli;

import org.jepa4j.export.TestModels;
import org.jepa4j.testkit.TinyEncoders;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One {@code jepa4j} command run in this JVM, with its exit code and everything it wrote to
 * standard error (picocli's error writer and {@code System.err}).
 *
 * @param code exit code
 * @param err  standard error
 */
record CommandRun(int code, String err) {

    /**
     * Writes the tiny grey encoder's checkpoint (seed 5) at {@code checkpoint} and exports it with
     * {@code jepa4j export} to {@code model}, asserting the export succeeds.
     *
     * @return {@code model}
     */
    static Path exportedGreyEncoder(Path checkpoint, Path model) throws Exception {
        TestModels.writeCheckpoint(checkpoint, TinyEncoders.GREY_ONE_LAYER, 5);
        CommandRun export = of("export", "--checkpoint", checkpoint.toString(), "--out", model.toString());
        assertEquals(0, export.code(), export.err());
        return model;
    }

    /** Runs {@code args} as {@code tools/jepa4j} would, capturing standard error. */
    static CommandRun of(String... args) {
        StringWriter err = new StringWriter();
        PrintStream oldErr = System.err;
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            var cl = Jepa4j.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new CommandRun(code, err + stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }
}
