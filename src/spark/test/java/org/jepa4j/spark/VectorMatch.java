package org.jepa4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A Spark vector against {@code FeatureExtractor.embed} of the same file: bit for bit, since every
 * feature of an image is a function of the image and the model alone, whatever the batch it ran in.
 */
final class VectorMatch {
    private VectorMatch() {
    }

    static void assertMatches(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    what + "[" + i + "] bits (" + expected[i] + " expected, " + actual[i] + " found)");
        }
    }

    /** A Spark {@code array<float>} cell as a float array. */
    static float[] floats(java.util.List<Float> cell) {
        float[] f = new float[cell.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = cell.get(i);
        }
        return f;
    }
}
