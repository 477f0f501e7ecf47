package org.jepa4j.export;

/**
 * How closely features computed at a lower precision follow exact ones: their cosine and the
 * relative L2 error {@code |actual - exact| / |exact|}, both summed in double precision.
 *
 * @param cosine     cosine of the angle between the two vectors (1: same direction)
 * @param relativeL2 L2 norm of the difference over the exact vector's L2 norm
 */
public record Agreement(double cosine, double relativeL2) {
    /**
     * Measures {@code actual} against {@code exact}.
     *
     * @param exact  the reference values
     * @param actual the values to judge, as many
     * @return their agreement
     * @throws IllegalArgumentException when the lengths differ
     */
    public static Agreement of(float[] exact, float[] actual) {
        if (exact.length != actual.length) {
            throw new IllegalArgumentException("length " + actual.length + ", expected " + exact.length);
        }
        double dot = 0;
        double ee = 0;
        double aa = 0;
        double diff = 0;
        for (int i = 0; i < exact.length; i++) {
            dot += (double) exact[i] * actual[i];
            ee += (double) exact[i] * exact[i];
            aa += (double) actual[i] * actual[i];
            diff += ((double) exact[i] - actual[i]) * ((double) exact[i] - actual[i]);
        }
        return new Agreement(dot / Math.sqrt(ee * aa), Math.sqrt(diff / ee));
    }
}
