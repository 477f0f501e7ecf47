package org.jepa4j.cli;

import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.NonFiniteFeatureException;

import java.util.List;

/**
 * Features of a batch of dataset images for the commands that write or evaluate them: a feature
 * that is not finite stops the command, naming the dataset image it came from (its file for
 * folder sources), so no NaN reaches an output file or a score.
 */
final class DatasetFeatures {
    private DatasetFeatures() {
    }

    /**
     * The extractor's feature of each of {@code images}, which are {@code indices} of {@code dataset}.
     *
     * @throws NonFiniteFeatureException naming the dataset image, the model and the value
     */
    static float[][] embed(FeatureExtractor fx, ImageDataset dataset, List<Image> images, List<Integer> indices) {
        try {
            return fx.embedBatch(images);
        } catch (NonFiniteFeatureException e) {
            throw new NonFiniteFeatureException("the " + e.kind() + " feature of " + dataset.source(indices.get(e.image()))
                    + " is not finite, nothing is written: " + e.getMessage(), e.image(), e.kind());
        }
    }
}
