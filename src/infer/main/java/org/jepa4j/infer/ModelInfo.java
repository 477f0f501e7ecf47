package org.jepa4j.infer;

import org.jepa4j.data.Preprocessing;

import java.nio.file.Path;
import java.util.Map;

/**
 * What an opened model is and how it is run.
 *
 * @param modelId       file name plus 12 hex digits identifying the export, e.g.
 *                      {@code encoder.onnx@3f2a9c01d4e5}: for a jepa4j export the SHA-256 of its
 *                      metadata (which names the source checkpoint by its SHA-256, the encoder and
 *                      the format), so opening never reads the weights twice; for other models the
 *                      SHA-256 of the file and its external data
 * @param path          the model file
 * @param featureLength values per image of each feature the model offers
 * @param feature       the feature this extractor returns
 * @param imageSize     model input height and width
 * @param channels      model input channels
 * @param preprocessing the evaluation transform's constants in use
 * @param metadata      the model's {@code metadata_props}
 * @param provider      the execution provider actually in use: {@link ExecutionProvider#CPU},
 *                      {@link ExecutionProvider#CUDA} or {@link ExecutionProvider#TENSORRT}, never {@code AUTO}
 */
public record ModelInfo(String modelId, Path path, Map<FeatureKind, Integer> featureLength, FeatureKind feature,
                        int imageSize, int channels, Preprocessing preprocessing, Map<String, String> metadata,
                        ExecutionProvider provider) {
    /** Copies the maps; refuses {@link ExecutionProvider#AUTO}, which is a request, not a provider in use. */
    public ModelInfo {
        if (provider == ExecutionProvider.AUTO) {
            throw new IllegalArgumentException("ModelInfo.provider is the provider in use, not AUTO");
        }
        featureLength = Map.copyOf(featureLength);
        metadata = Map.copyOf(metadata);
    }

    /**
     * @return the number format of the model's matrix products, {@code fp32} or {@code int8}
     *         ({@link org.jepa4j.metadata.OnnxMetadata#PRECISION}; fp32 for models that do not say)
     */
    public String precision() {
        return org.jepa4j.metadata.OnnxMetadata.precision(metadata);
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
