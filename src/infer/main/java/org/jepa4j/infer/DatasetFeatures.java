package org.jepa4j.infer;

import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.UnreadableImageException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ObjIntConsumer;

/**
 * Features of a batch of dataset images for the commands that write or evaluate them: a feature
 * that is not finite stops the command, naming the dataset image it came from (its file for
 * folder sources), so no NaN reaches an output file or a score.
 */
public final class DatasetFeatures {
    private DatasetFeatures() {
    }

    /**
     * The readable images of a slice of a dataset and where each came from.
     *
     * @param images  the decoded images, in dataset order
     * @param indices each image's index in the dataset
     */
    public record Slice(List<Image> images, List<Integer> indices) {
        /** True when no image of the slice could be read. */
        public boolean isEmpty() {
            return images.isEmpty();
        }
    }

    /**
     * Decodes images {@code start} (inclusive) to {@code end} (exclusive) of {@code dataset}, leaving
     * out the unreadable ones, each of which is handed to {@code skipped} with its index.
     */
    public static Slice read(ImageDataset dataset, int start, int end,
                             ObjIntConsumer<UnreadableImageException> skipped) {
        List<Image> images = new ArrayList<>(end - start);
        List<Integer> indices = new ArrayList<>(end - start);
        for (int i = start; i < end; i++) {
            try {
                images.add(dataset.image(i));
                indices.add(i);
            } catch (UnreadableImageException e) {
                skipped.accept(e, i);
            }
        }
        return new Slice(images, indices);
    }

    /**
     * The extractor's feature of each of {@code images}, which are {@code indices} of {@code dataset}.
     *
     * @param fx      the extractor
     * @param dataset the dataset the images come from (for the error message)
     * @param images  the decoded images
     * @param indices each image's index in {@code dataset}
     * @return one feature row per image
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
     * @param dataset the dataset the images come from (for the error message)
     * @param images  the decoded images
     * @param indices each image's index in {@code dataset}
     * @param kinds   the features wanted
     * @return per kind, one feature row per image
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
