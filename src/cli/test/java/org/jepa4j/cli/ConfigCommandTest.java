package org.jepa4j.cli;

import org.jepa4j.config.ConfigException;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigCommandTest {

    /** Exit code, standard output and standard error of one jepa4j invocation. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Jepa4j.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void printsTheResolvedYamlWhichReadsBackToTheSameConfig() {
        Run r = run("config", "--config", "official/in1k_vith14_ep300", "--set", "meta.seed=3");
        assertEquals(0, r.code(), r.err());
        RunConfig expected = RunConfigLoader.resolve("official/in1k_vith14_ep300", List.of("meta.seed=3"));
        assertEquals(expected, RunConfigLoader.parse(r.out(), "stdout", List.of()));
        List<String> ignoredLines = r.err().lines().filter(l -> l.startsWith("ignored")).toList();
        assertEquals(List.of("ignored on the JVM (no effect): data.pin_mem"), ignoredLines);
    }

    @Test
    void writesTheResolvedYamlToOut(@TempDir Path dir) {
        Path out = dir.resolve("config.yaml");
        Run r = run("config", "--config", "fashion_mnist", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(RunConfigLoader.resolve("fashion_mnist", List.of()), RunConfigLoader.load(out));
        assertTrue(r.err().contains("encoder width 192 depth 4 heads 3"), r.err());
    }

    @Test
    void aBadConfigExitsWith2AndOneLinePerProblem() {
        Run r = run("config", "--config", "fashion_mnist", "--set", "data.crop_size=30", "--set", "meta.loss=l1");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains("data.crop_size (--set): 30 is not a multiple of mask.patch_size 4"), r.err());
        assertTrue(r.err().contains("meta.loss (--set): 'l1' is not a loss"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without JEPA4J_DEBUG");
        assertEquals("", r.out());
    }

    @Test
    void missingConfigIsAUsageError() {
        Run r = run("config");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing required option: '--config=FILE|PRESET'"), r.err());
    }

    @Test
    void everyCommandHasHelpAndVersion() {
        Run v = run("config", "--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("jepa4j "), v.out());
        Run h = run("config", "--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("--set=SECTION.KEY=VALUE"), h.out());
        assertTrue(run("--version").out().startsWith("jepa4j "));
    }

    @Test
    void failuresPrintErrorAndAnExitCodeByKind() {
        StringWriter s = new StringWriter();
        assertEquals(2, Jepa4j.handle(new ConfigException("a.yaml", "meta.x: bad"), new PrintWriter(s), false));
        assertEquals("error: a.yaml: meta.x: bad\n", s.toString());
        s = new StringWriter();
        assertEquals(1, Jepa4j.handle(new IOException("disk full"), new PrintWriter(s), false));
        assertEquals("error: disk full\n", s.toString());
        s = new StringWriter();
        assertEquals(1, Jepa4j.handle(new IllegalStateException("boom"), new PrintWriter(s), true));
        assertTrue(s.toString().startsWith("error: java.lang.IllegalStateException: boom\n"), s.toString());
        assertTrue(s.toString().contains("\tat "), "stack trace in debug mode");
    }

    @Test
    void aFolderAsConfigAndAnOutOfMemoryErrorGiveOneClearLine(@TempDir Path dir) {
        java.io.StringWriter err = new java.io.StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        assertEquals(2, cl.execute("config", "--config", dir.toString()));
        assertTrue(err.toString().contains(dir + ": is a folder, expected a YAML run file"), err.toString());

        java.io.StringWriter oom = new java.io.StringWriter();
        assertEquals(1, Jepa4j.fatal(new OutOfMemoryError("Java heap space"), new java.io.PrintWriter(oom)));
        assertTrue(oom.toString().startsWith("error: out of memory (Java heap space)")
                && oom.toString().contains("-Xmx") && oom.toString().contains("MB"), oom.toString());
    }
}
