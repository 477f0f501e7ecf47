package org.jepa4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How close a Spark vector must be to {@code FeatureExtractor.embed} of the same file. ONNX Runtime
 * is not yet batch-invariant (a batch of 32 and a batch of one may round differently), so the bound
 * is 1e-6; once it is, set {@link #TOLERANCE} to 0 and every comparison becomes bit for bit.
 */
final class VectorMatch {
    static final double TOLERANCE = 1e-6;

    private VectorMatch() {
    }

    static void assertMatches(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (TOLERANCE == 0) {
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]), what + "[" + i + "] bits");
            } else {
                assertEquals(expected[i], actual[i], TOLERANCE, what + "[" + i + "]");
            }
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
