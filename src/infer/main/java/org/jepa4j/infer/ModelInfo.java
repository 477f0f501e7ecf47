package org.jepa4j.infer;

import org.jepa4j.data.Preprocessing;

import java.nio.file.Path;
import java.util.Map;

/**
 * What an opened model is and how it is run.
 *
 * @param modelId       file name plus the first 12 hex digits of the SHA-256 of the model (and its
 *                      external data file), e.g. {@code encoder.onnx@3f2a9c01d4e5}
 * @param path          the model file
 * @param featureLength values per image of each feature the model offers
 * @param feature       the feature this extractor returns
 * @param imageSize     model input height and width
 * @param channels      model input channels
 * @param preprocessing the evaluation transform's constants in use
 * @param metadata      the model's {@code metadata_props}
 * @param provider      the execution provider actually in use ({@code cpu}, {@code cuda}, {@code tensorrt})
 */
public record ModelInfo(String modelId, Path path, Map<FeatureKind, Integer> featureLength, FeatureKind feature,
                        int imageSize, int channels, Preprocessing preprocessing, Map<String, String> metadata,
                        String provider) {
    public ModelInfo {
        featureLength = Map.copyOf(featureLength);
        metadata = Map.copyOf(metadata);
    }

    /** Values per image of the selected feature. */
    public int dimension() {
        return featureLength.get(feature);
    }

    /** Values per image of {@code kind}. */
    public int dimension(FeatureKind kind) {
        Integer n = featureLength.get(kind);
        if (n == null) {
            throw new IllegalArgumentException(path + " has no '" + kind.outputName() + "' output; it offers "
                    + featureLength.keySet());
        }
        return n;
    }
}
