package org.jepa4j.infer;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which feature an extractor returns. All but {@link #POOLED_GRID} are outputs of a jepa4j ONNX
 * export (see {@code export.EncoderOnnxGraph}); {@link #POOLED_GRID} is computed in Java from the
 * {@code last_hidden_state} output, so it works with any export that has one.
 */
public enum FeatureKind {
    /** Mean over tokens of the last hidden state, {@code [D]}: the paper's evaluation feature (default). */
    POOLED("pooled"),
    /** Concatenated token means of the last four blocks after the final LayerNorm, {@code [4·D]}. */
    POOLED_LAST4("pooled_last4"),
    /** All tokens after the final LayerNorm, flattened {@code [N·D]} (token-major). */
    LAST_HIDDEN_STATE("last_hidden_state"),
    /**
     * Token means over a 3x3 grid of regions of the last hidden state, {@code [9·D]} (see
     * {@code GridPooling}): keeps the coarse layout that the plain mean discards.
     */
    POOLED_GRID("pooled_grid");

    private final String outputName;

    FeatureKind(String outputName) {
        this.outputName = outputName;
    }

    /** The feature's name: the ONNX output that holds it, except for {@link #POOLED_GRID}. */
    public String outputName() {
        return outputName;
    }

    /** The ONNX output this feature is read or computed from. */
    public FeatureKind source() {
        return this == POOLED_GRID ? LAST_HIDDEN_STATE : this;
    }

    /** Parses {@code pooled}, {@code pooled_last4}, {@code last_hidden_state} or {@code pooled_grid} (case-insensitive). */
    public static FeatureKind parse(String s) {
        for (FeatureKind k : values()) {
            if (k.outputName.equalsIgnoreCase(s.trim()) || k.name().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("feature '" + s + "': expected one of "
                + Arrays.stream(values()).map(FeatureKind::outputName).toList());
    }

    @Override
    public String toString() {
        return outputName.toLowerCase(Locale.ROOT);
    }
}
