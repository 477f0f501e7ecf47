package org.jepa4j.serve;

import java.util.Map;

/**
 * What a {@link BatchEmbedder} computes, as {@code GET /v1/model} reports it.
 *
 * @param modelId           identifier of the model file (e.g. {@code encoder.onnx@3f2a9c01d4e5})
 * @param feature           the feature this embedder returns ({@code pooled}, {@code pooled_last4},
 *                          {@code last_hidden_state}, {@code pooled_grid})
 * @param dimension         values per image of {@code feature}
 * @param provider          where the model runs ({@code cpu}, {@code cuda}, ...)
 * @param imageSize         model input height and width
 * @param channels          model input channels
 * @param featureDimensions values per image of every feature the model offers
 * @param preprocessing     the evaluation transform's constants, as a readable map
 *                          ({@code image_size}, {@code resize_size}, {@code mean}, {@code std})
 * @param metadata          the model's own metadata (ONNX {@code metadata_props})
 */
public record ModelDescription(String modelId, String feature, int dimension, String provider, int imageSize,
                               int channels, Map<String, Integer> featureDimensions, Map<String, Object> preprocessing,
                               Map<String, String> metadata) {
    public ModelDescription {
        if (dimension <= 0) {
            throw new IllegalArgumentException("model " + modelId + " feature " + feature + ": dimension must be positive, got "
                    + dimension);
        }
        featureDimensions = Map.copyOf(featureDimensions);
        preprocessing = Map.copyOf(preprocessing);
        metadata = Map.copyOf(metadata);
    }
}
