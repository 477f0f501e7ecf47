package org.jepa4j.eval.protocol;

import org.jepa4j.export.OnnxExporter;
import org.jepa4j.metadata.OnnxMetadata;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomInitBaselineTest {
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private OnnxExporter.Options like(Map<String, String> metadata) {
        return RandomInitBaseline.exportedLike(metadata, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @Test
    void theBaselineTakesTheEvaluatedModelsPrecisionAndActivationScale() {
        assertEquals("fp32", like(Map.of()).precision(), "a model that names no precision is float32");
        OnnxExporter.Options int8 = like(Map.of(OnnxMetadata.PRECISION, "int8", OnnxMetadata.INT8_ACTIVATION_SCALE, "image"));
        assertEquals("int8", int8.precision());
        assertEquals("image", int8.int8Scale());
        assertEquals("token", like(Map.of(OnnxMetadata.PRECISION, "int8")).int8Scale(), "the default scale");
        assertEquals("", log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aPrecisionJepa4jDoesNotExportGivesAFloat32BaselineWithANote() {
        OnnxExporter.Options fp16 = like(Map.of(OnnxMetadata.PRECISION, "fp16"));
        assertEquals("fp32", fp16.precision());
        String note = log.toString(StandardCharsets.UTF_8);
        assertTrue(note.contains("jepa4j.precision fp16") && note.contains("the baseline is float32"), note);
    }
}
