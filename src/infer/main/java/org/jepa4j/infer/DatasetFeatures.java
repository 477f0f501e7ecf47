<<<<<<<< HEAD:src/commands/main/java/org/jepa4j/commands/DatasetFeatures.java
package org.jepa4j.commands;
========
package org.jepa4j.infer;
>>>>>>>> eval-tests:src/eval/main/java/org/jepa4j/eval/protocol/DatasetFeatures.java

import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Features of a batch of dataset images for the commands that write or evaluate them: a feature
 * that is not finite stops the command, naming the dataset image it came from (its file for
 * folder sources), so no NaN reaches an output file or a score.
 */
public final class DatasetFeatures {
    private DatasetFeatures() {
    }

    /**
     * The extractor's feature of each of {@code images}, which are {@code indices} of {@code dataset}.
     *
     * @param fx      the extractor
<<<<<<<< HEAD:src/commands/main/java/org/jepa4j/commands/DatasetFeatures.java
     * @param dataset where the images come from (for messages)
     * @param images  the batch
     * @param indices each image's index in {@code dataset}
     * @return one feature row per image, in order
========
     * @param dataset the dataset the images come from (for the error message)
     * @param images  the decoded images
     * @param indices each image's index in {@code dataset}
     * @return one feature row per image
>>>>>>>> eval-tests:src/eval/main/java/org/jepa4j/eval/protocol/DatasetFeatures.java
     *
     * @throws NonFiniteFeatureException naming the dataset image, the model and the value
     */
    public static float[][] embed(FeatureExtractor fx, ImageDataset dataset, List<Image> images, List<Integer> indices) {
        try {
            return fx.embedBatch(images);
        } catch (NonFiniteFeatureException e) {
            throw named(dataset, indices, e);
        }
    }

    /**
     * Features {@code kinds} of each of {@code images} (which are {@code indices} of {@code dataset})
     * from one session run per slice.
     *
     * @param fx      the extractor
<<<<<<<< HEAD:src/commands/main/java/org/jepa4j/commands/DatasetFeatures.java
     * @param dataset where the images come from (for messages)
     * @param images  the batch
     * @param indices each image's index in {@code dataset}
     * @param kinds   the features wanted
     * @return for each kind, one feature row per image, in order
========
     * @param dataset the dataset the images come from (for the error message)
     * @param images  the decoded images
     * @param indices each image's index in {@code dataset}
     * @param kinds   the features wanted
     * @return per kind, one feature row per image
>>>>>>>> eval-tests:src/eval/main/java/org/jepa4j/eval/protocol/DatasetFeatures.java
     *
     * @throws NonFiniteFeatureException naming the dataset image, the model and the value
     */
    public static Map<FeatureKind, float[][]> embed(FeatureExtractor fx, ImageDataset dataset, List<Image> images,
                                             List<Integer> indices, Set<FeatureKind> kinds) {
        try {
            return fx.embedFeatures(images, kinds);
        } catch (NonFiniteFeatureException e) {
            throw named(dataset, indices, e);
        }
    }

    private static NonFiniteFeatureException named(ImageDataset dataset, List<Integer> indices,
                                                   NonFiniteFeatureException e) {
        return new NonFiniteFeatureException("the " + e.kind() + " feature of " + dataset.source(indices.get(e.image()))
                + " is not finite, nothing is written: " + e.getMessage(), e.image(), e.kind());
    }
}
