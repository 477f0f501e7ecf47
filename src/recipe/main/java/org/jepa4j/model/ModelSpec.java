package org.jepa4j.model;

import java.util.List;
import java.util.Locale;

/**
 * Context encoder (and its EMA copy, the target encoder) plus predictor: everything needed to
 * build the I-JEPA graphs or to read a checkpoint's tensors.
 */
public record ModelSpec(EncoderSpec encoder, PredictorSpec predictor) {

    /** Reference model names (docs/reference.md §2): width / depth / heads. */
    public static final List<String> NAMES =
            List.of("vit_tiny", "vit_small", "vit_base", "vit_large", "vit_huge", "vit_giant");

    /**
     * An encoder of a reference size by name.
     *
     * @throws IllegalArgumentException naming the accepted names when {@code name} is unknown
     */
    public static EncoderSpec namedEncoder(String name, int imageSize, int patchSize, int channels) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "vit_tiny" -> new EncoderSpec(imageSize, patchSize, channels, 192, 12, 3, 4 * 192);
            case "vit_small" -> new EncoderSpec(imageSize, patchSize, channels, 384, 12, 6, 4 * 384);
            case "vit_base" -> new EncoderSpec(imageSize, patchSize, channels, 768, 12, 12, 4 * 768);
            case "vit_large" -> new EncoderSpec(imageSize, patchSize, channels, 1024, 24, 16, 4 * 1024);
            case "vit_huge" -> new EncoderSpec(imageSize, patchSize, channels, 1280, 32, 16, 4 * 1280);
            // ViT-g uses mlp_ratio 48/11, i.e. 6144 hidden units (§2)
            case "vit_giant" -> new EncoderSpec(imageSize, patchSize, channels, 1408, 40, 16, 6144);
            default -> throw new IllegalArgumentException(
                    "unknown model name '" + name + "', expected one of " + NAMES);
        };
    }

    /** The reference predictor: width {@code predWidth}, {@code predDepth} blocks, the encoder's heads, MLP 4x. */
    public static PredictorSpec referencePredictor(EncoderSpec encoder, int predWidth, int predDepth) {
        return new PredictorSpec(predWidth, predDepth, encoder.heads(), 4 * predWidth);
    }
}
