package org.jepa4j.bench;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A benchmark's command line run in this JVM, with what it printed.
 *
 * @param code its exit code
 * @param out  standard output
 * @param err  standard error (picocli's usage errors go there)
 */
record BenchRun(int code, String out, String err) {

    /** Runs {@code bench} with {@code args}, capturing standard output and error. */
    static BenchRun of(Object bench, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = new CommandLine(bench).execute(args);
            return new BenchRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
