package org.jepa4j.data;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessingTest {

    @Test
    void aRunsEvaluationTransformIsACentreCropOfCropSizeWithItsNormalisation() {
        RunConfig c = RunConfigLoader.parse("data:\n  crop_size: 28\n  channels: 1\n  mean: [0.25]\n  std: [0.5]\n"
                + "mask:\n  patch_size: 4\n  min_keep: 4\n", "test.yaml", List.of());
        DataConfig d = c.data();
        Preprocessing p = Preprocessing.of(d);
        assertEquals(28, p.imageSize());
        assertEquals(28, p.resizeSize());
        assertEquals(1, p.channels());
        assertArrayEquals(new double[] {0.25}, p.mean());
        assertArrayEquals(new double[] {0.5}, p.std());
        assertEquals(p, TrainTransform.of(d).normalisation());
    }

    @Test
    void jsonIsSnakeCaseAndRoundTrips() {
        Preprocessing p = new Preprocessing(16, 18, 3, new double[] {0.1, 0.2, 0.3}, new double[] {1, 2, 3});
        String json = p.toJson();
        assertTrue(json.contains("\"image_size\":16") && json.contains("\"resize_size\":18"), json);
        assertEquals(p, Preprocessing.fromJson(json));
    }

    @Test
    void camelCaseOfOlderCheckpointsIsRead() {
        Preprocessing p = Preprocessing.fromJson(
                "{\"imageSize\": 8, \"resizeSize\": 8, \"channels\": 1, \"mean\": [0], \"std\": [1]}");
        assertEquals(new Preprocessing(8, 8, 1, new double[] {0}, new double[] {1}), p);
    }

    @Test
    void malformedJsonNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.fromJson("{\"image_size\": 8, \"channels\": 1, \"mean\": [0], \"std\": [1]}"));
        assertTrue(e.getMessage().contains("resize_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.fromJson(
                "{\"image_size\": 8, \"resize_size\": 8, \"channels\": 1, \"mean\": [\"a\"], \"std\": [1]}"));
        assertTrue(e.getMessage().contains("array of numbers"), e.getMessage());
    }
}
