package org.jepa4j.importer;

import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.checkpoint.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A NaN or infinite weight is refused where it enters, at import, not later at export. */
class NonFiniteImportTest {
    private static final EncoderSpec SPEC = new EncoderSpec(16, 4, 3, 32, 1, 2, 64);

    @Test
    void nonFiniteWeightsAreRefusedAtImportNamingTheTensorAndNothingIsWritten(@TempDir Path tmp) throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Map<String, FloatTensor> hf = new LinkedHashMap<>(HuggingFaceImportTest.toHuggingFace(
                    TestModels.randomEncoder(SPEC, 3)));
            String victim = "encoder.layer.0.attention.attention.query.weight";
            FloatTensor t = hf.get(victim);
            float[] d = t.data().clone();
            d[5] = bad;
            hf.put(victim, new FloatTensor(t.shape(), d));
            Path file = tmp.resolve("model-" + bad + ".safetensors");
            Safetensors.write(file, NamedTensors.of(hf), Map.of("format", "pt"));
            Path run = tmp.resolve("run-" + bad);
            ImportException e = assertThrows(ImportException.class, () -> {
                try (WeightSource src = CheckpointImporter.open(file, false)) {
                    CheckpointImporter.importInto(src, ImportOptions.inferAll().withHeads(SPEC.heads()), run,
                            new PrintWriter(new StringWriter()));
                }
            });
            String m = e.getMessage();
            assertTrue(m.contains(file.toString()) && m.contains("query") && m.contains("encoder.blocks.0.attn.qkv.weight")
                    && m.contains(String.valueOf(bad)) && m.contains("index 5"), m);
            try (Stream<Path> s = Files.exists(run) ? Files.walk(run) : Stream.empty()) {
                assertEquals(0, s.filter(Files::isRegularFile).count(), "no checkpoint, no config, no temporary");
            }
        }
    }
}
