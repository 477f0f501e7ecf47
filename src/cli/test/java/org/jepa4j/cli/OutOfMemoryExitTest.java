package org.jepa4j.cli;

import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A job larger than the heap ends the process with exit code 1 and one line, instead of leaving the JVM hanging. */
class OutOfMemoryExitTest {

    @Test
    void aJobLargerThanTheHeapExitsWithOneLineNamingTheHeap(@TempDir Path dir) throws Exception {
        Path model = ExportedEncoders.export(dir, TinyEncoders.GREY_ONE_LAYER, 5).model();
        Path out = dir.resolve("f.npy");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // 40 million features of 32 values: 5 GB, against a heap of 64 MB (ONNX Runtime's threads are running)
        Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Jepa4j.class.getName(), "embed", "--model", model.toString(), "--data",
                "synthetic:count=40000000,size=16,channels=1", "--out", out.toString())
                .redirectErrorStream(true).start();
        try {
            boolean ended = p.waitFor(2, TimeUnit.MINUTES);
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(ended, "the process still runs after the out-of-memory error");
            assertEquals(1, p.exitValue(), output);
            assertTrue(output.contains("error: out of memory (Java heap space): this job needs more than the JVM's"
                    + " maximum heap of ") && output.contains("JEPA4J_JAVA_OPTS=-Xmx"), output);
            assertFalse(output.contains("\tat "), "no stack trace: " + output);
            assertFalse(Files.exists(out));
        } finally {
            p.destroyForcibly();
        }
    }
}
