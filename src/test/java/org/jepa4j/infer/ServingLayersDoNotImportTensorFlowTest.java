package org.jepa4j.infer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infer}, {@code eval} and {@code serve} read ONNX only: they must never import org.tensorflow. */
class ServingLayersDoNotImportTensorFlowTest {
    @Test
    void inferEvalAndServeNeverImportTensorFlow() throws IOException {
        Path root = Path.of("src", "main", "java", "org", "jepa4j");
        assertTrue(Files.isDirectory(root.resolve("infer")), "run from the repository root: " + root.toAbsolutePath());
        List<String> offenders = new ArrayList<>();
        for (String pkg : List.of("infer", "eval", "serve")) {
            Path dir = root.resolve(pkg);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        String l = lines.get(i).trim();
                        if (l.matches("import\\s+(static\\s+)?org\\.tensorflow\\b.*")) {
                            offenders.add(f + ":" + (i + 1) + ": " + l);
                        }
                    }
                }
            }
        }
        assertTrue(offenders.isEmpty(), "TensorFlow imported in a serving layer:\n" + String.join("\n", offenders));
    }
}
