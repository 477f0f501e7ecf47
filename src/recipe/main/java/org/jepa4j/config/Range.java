package org.jepa4j.config;

/** A closed interval {@code [min, max]} written in YAML as a two-element list. */
public record Range(double min, double max) {
    public Range {
        if (Double.isNaN(min) || Double.isNaN(max) || min > max) {
            throw new IllegalArgumentException("range [" + min + ", " + max + "] must have min <= max");
        }
    }

    public static Range of(double min, double max) {
        return new Range(min, max);
    }

    /** {@code min + u·(max − min)}. */
    public double lerp(double u) {
        return min + u * (max - min);
    }

    @Override
    public String toString() {
        return "[" + min + ", " + max + "]";
    }
}
