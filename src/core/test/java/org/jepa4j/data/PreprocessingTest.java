package org.jepa4j.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessingTest {

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
