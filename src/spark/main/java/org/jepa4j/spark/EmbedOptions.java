package org.jepa4j.spark;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.infer.FeatureKind;

import java.io.Serializable;

/**
 * How {@link SparkEmbedding#embed} runs: which model file (by the name it was shipped under), which
 * feature, how many images per ONNX Runtime call, the pixel limit, and the folder that labels are
 * read from.
 *
 * @param modelFile  the model's file name as shipped with {@code spark.files} (see {@link ModelShipping}),
 *                   e.g. {@code encoder.onnx}; executors open {@code SparkFiles.get(modelFile)}
 * @param modelId    the model identity the driver read ({@code FeatureExtractor.info().modelId()});
 *                   an executor refuses a shipped file with another identity
 * @param feature    the feature to compute
 * @param batch      images per ONNX Runtime call inside a partition
 * @param maxPixels  largest {@code width·height} decoded; larger images are refused from their header
 *                   (the server's limit, {@link BoundedImageDecoder#DEFAULT_MAX_PIXELS}, by default)
 * @param labelRoot  qualified folder URI ({@code file:/data/train}) of an ImageFolder layout: an image's
 *                   label is its first folder below it; {@code null}: no labels
 */
public record EmbedOptions(String modelFile, String modelId, FeatureKind feature, int batch, long maxPixels,
                           String labelRoot) implements Serializable {
    /** Images per ONNX Runtime call unless told otherwise. */
    public static final int DEFAULT_BATCH = 32;

    public EmbedOptions {
        if (modelFile == null || modelFile.isBlank() || modelFile.contains("/")) {
            throw new IllegalArgumentException("model file '" + modelFile + "': expected the bare file name it was shipped under");
        }
        if (modelId == null || modelId.isBlank()) {
            throw new IllegalArgumentException("model id of " + modelFile + " is missing: expected FeatureExtractor.info().modelId()");
        }
        if (feature == null) {
            throw new IllegalArgumentException("feature is missing: expected one of pooled, pooled_last4, pooled_grid, last_hidden_state");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch " + batch + ": expected a positive number of images");
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException("--max-pixels " + maxPixels + ": expected a positive number of pixels");
        }
        if (labelRoot != null && labelRoot.endsWith("/")) {
            labelRoot = labelRoot.substring(0, labelRoot.length() - 1);
        }
    }

    /** Options for {@code modelFile} with identity {@code modelId}: feature pooled, batch 32, the server's pixel limit, no labels. */
    public static EmbedOptions of(String modelFile, String modelId) {
        return new EmbedOptions(modelFile, modelId, FeatureKind.POOLED, DEFAULT_BATCH, BoundedImageDecoder.DEFAULT_MAX_PIXELS, null);
    }

    public EmbedOptions withFeature(FeatureKind f) {
        return new EmbedOptions(modelFile, modelId, f, batch, maxPixels, labelRoot);
    }

    public EmbedOptions withBatch(int b) {
        return new EmbedOptions(modelFile, modelId, feature, b, maxPixels, labelRoot);
    }

    public EmbedOptions withMaxPixels(long m) {
        return new EmbedOptions(modelFile, modelId, feature, batch, m, labelRoot);
    }

    public EmbedOptions withLabelRoot(String root) {
        return new EmbedOptions(modelFile, modelId, feature, batch, maxPixels, root);
    }

    /**
     * The label of the image at {@code path} (a qualified URI string): its first folder below
     * {@link #labelRoot}, or {@code null} when there is no root or the image lies directly in it or outside it.
     */
    public String labelOf(String path) {
        if (labelRoot == null || !path.startsWith(labelRoot + "/")) {
            return null;
        }
        String rest = path.substring(labelRoot.length() + 1);
        int slash = rest.indexOf('/');
        return slash > 0 ? rest.substring(0, slash) : null;
    }
}
