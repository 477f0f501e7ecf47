package org.jepa4j.data;

import java.util.List;

/**
 * What reading and preprocessing images needs from a run's {@code data} section: where the images
 * come from and how they are normalised. The run config's {@code DataConfig} (module jepa4j-recipe)
 * implements it, so this package never depends on the config package: the configuration points at
 * the data, not back. Accessor names are the section record's, and the key names in messages are
 * the run file's ({@code data.source}, {@code data.max_pixels}, ...).
 */
public interface DataSettings {

    /** {@code data.source}: {@code fashion-mnist}, {@code idx:IMAGES[,LABELS]}, {@code folder:DIR}, {@code synthetic[:k=v,...]}; null or blank for the reference's folder. */
    String source();

    /** {@code data.eval_source}: the held-out images; null or blank for the TEST split of {@link #source()}. */
    String evalSource();

    /** {@code data.root_path}: the folder that holds {@link #imageFolder()}. */
    String rootPath();

    /** {@code data.image_folder}: the ImageFolder-layout folder under {@link #rootPath()}. */
    String imageFolder();

    /** {@code data.limit}: use only the first N images of each split (0 = all). */
    int limit();

    /** {@code data.max_pixels}: the largest width·height an image file's header may declare. */
    long maxPixels();

    /** {@code data.crop_size}: model input height and width in pixels. */
    int cropSize();

    /** {@code data.channels}: 3 (grey replicated) or 1. */
    int channels();

    /** {@code data.mean}: per-channel normalisation mean. */
    List<Double> mean();

    /** {@code data.std}: per-channel normalisation std. */
    List<Double> std();

    /** The decoder that enforces {@link #maxPixels()}, naming {@code data.max_pixels} in its errors. */
    default BoundedImageDecoder decoder() {
        return new BoundedImageDecoder(maxPixels(), "data.max_pixels");
    }
}
