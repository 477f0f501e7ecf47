package org.jepa4j.eval.protocol;

import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;

/**
 * A labelled split held as its labels plus the dataset to read the images from.
 *
 * @param images the images (read lazily)
 * @param labels {@code [n]} class index of each image
 */
public record LabelledSplit(ImageDataset images, int[] labels) {

    /** The two splits an evaluation fits on and scores on. */
    public record Pair(LabelledSplit train, LabelledSplit test) {
    }

    /**
     * The fit and score splits of {@code data}: the training and test splits, each cut to its first
     * {@code limitTrain} / {@code limitTest} images (0 = all); or, when {@code validation > 0}, the
     * training split's last {@code validation} images as the scored part and the images before them
     * as the fitted part (the limits then apply to those two parts).
     *
     * @param data       a labelled data source ({@link ImageSources#FORMS})
     * @param limitTrain first N fitted images, 0 = all
     * @param limitTest  first N scored images, 0 = all
     * @param validation held-out training images to score on instead of the test split, 0 = none
     * @return the two splits
     * @throws IllegalArgumentException when a split has no labels or validation leaves nothing to fit on
     */
    public static Pair open(String data, int limitTrain, int limitTest, int validation) {
        if (validation > 0) {
            ImageDataset all = ImageSources.open(data, Split.TRAIN);
            if (validation >= all.size()) {
                throw new IllegalArgumentException("--validation " + validation + ": the training split of --data "
                        + data + " has " + all.size() + " images, expected fewer held out so that some remain to fit on");
            }
            return new Pair(of(data, all.range(0, all.size() - validation).limit(limitTrain), Split.TRAIN),
                    of(data, all.range(all.size() - validation, all.size()).limit(limitTest), Split.TRAIN));
        }
        return new Pair(of(data, ImageSources.open(data, Split.TRAIN).limit(limitTrain), Split.TRAIN),
                of(data, ImageSources.open(data, Split.TEST).limit(limitTest), Split.TEST));
    }

    /**
     * The labels of every image of {@code ds}.
     *
     * @param data  the data source's spec (for the error message)
     * @param ds    the split's images
     * @param which which split it is (for the error message)
     * @return the split
     * @throws IllegalArgumentException when {@code ds} has no class labels
     */
    public static LabelledSplit of(String data, ImageDataset ds, Split which) {
        if (!ds.labelled()) {
            throw new IllegalArgumentException("--data " + data + ": the " + which.label()
                    + " split has no class labels; evaluation needs labelled images");
        }
        int[] labels = new int[ds.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = ds.label(i);
        }
        return new LabelledSplit(ds, labels);
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /**
     * The images at {@code keep}, as a split of their own (this split when all are kept).
     *
     * @param keep ascending indices of the images to keep
     * @return the subset
     */
    public LabelledSplit subset(int[] keep) {
        if (keep.length == labels.length) {
            return this;
        }
        int[] kept = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            kept[i] = labels[keep[i]];
        }
        return new LabelledSplit(images.select(keep, keep.length + " readable"), kept);
    }
}
