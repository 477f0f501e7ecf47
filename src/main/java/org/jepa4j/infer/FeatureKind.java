package org.jepa4j.infer;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which feature an extractor returns; each is one output of a jepa4j ONNX export (see
 * {@code export.EncoderOnnxGraph}).
 */
public enum FeatureKind {
    /** Mean over tokens of the last hidden state, {@code [D]}: the paper's evaluation feature (default). */
    POOLED("pooled"),
    /** Concatenated token means of the last four blocks after the final LayerNorm, {@code [4·D]}. */
    POOLED_LAST4("pooled_last4"),
    /** All tokens after the final LayerNorm, flattened {@code [N·D]} (token-major). */
    LAST_HIDDEN_STATE("last_hidden_state");

    private final String outputName;

    FeatureKind(String outputName) {
        this.outputName = outputName;
    }

    /** The ONNX output that holds this feature. */
    public String outputName() {
        return outputName;
    }

    /** Parses {@code pooled}, {@code pooled_last4} or {@code last_hidden_state} (case-insensitive). */
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
