package org.jepa4j.eval;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalLayeringTest {

    /** Evaluation reads ONNX features only: no TensorFlow and no trainer classes in its sources. */
    @Test
    void evalSourcesImportNeitherTensorFlowNorTheTrainer() throws IOException {
        Path dir = Path.of("src", "main", "java", "org", "jepa4j", "eval");
        assertTrue(Files.isDirectory(dir), "run from the repository root: " + dir.toAbsolutePath());
        List<String> offenders;
        try (Stream<Path> files = Files.list(dir)) {
            offenders = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    String src = Files.readString(f);
                    return src.contains("org.tensorflow") || src.contains("org.jepa4j.train")
                            || src.contains("org.jepa4j.model.");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(f -> f.getFileName().toString()).toList();
        }
        assertEquals(List.of(), offenders);
    }
}
