package org.jepa4j.config;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.DataSettings;

import java.util.List;

/**
 * The {@code data} section. Official keys first (docs/reference.md §7.1), then jepa4j's own.
 *
 * @param batchSize               images per step ({@code batch_size})
 * @param colorJitterStrength     {@code color_jitter_strength}; accepted, colour distortion is not implemented
 * @param cropScale               RandomResizedCrop area scale ({@code crop_scale}, reference [0.3, 1.0])
 * @param cropSize                training/evaluation image size in pixels ({@code crop_size})
 * @param imageFolder             {@code image_folder}: folder under {@code root_path} (ImageFolder layout)
 * @param numWorkers              loader worker threads ({@code num_workers})
 * @param pinMem                  {@code pin_mem}; ignored on the JVM
 * @param rootPath                {@code root_path}
 * @param useColorDistortion      {@code use_color_distortion}; must be false (not implemented, off in every reference config)
 * @param useGaussianBlur         {@code use_gaussian_blur}; must be false (as above)
 * @param useHorizontalFlip       {@code use_horizontal_flip}; random horizontal flip when true
 * @param source                  jepa4j {@code source}: {@code fashion-mnist}, {@code idx:IMAGES[,LABELS]},
 *                                {@code folder:DIR}, {@code synthetic[:k=v,...]}; null means
 *                                {@code folder:<root_path>/<image_folder>/train} as the reference
 * @param evalSource              jepa4j {@code eval_source}: held-out split for monitors and evaluation;
 *                                null derives it from {@code source} (e.g. Fashion-MNIST's test split)
 * @param channels                jepa4j {@code channels}: 3 (grey images replicated) or 1 (kept as one channel)
 * @param mean                    jepa4j {@code mean}: per-channel normalisation mean (ImageNet by default)
 * @param std                     jepa4j {@code std}: per-channel normalisation std (ImageNet by default)
 * @param prefetch                jepa4j {@code prefetch}: batches the loader may prepare ahead
 * @param limit                   jepa4j {@code limit}: use only the first N images (0 = all)
 * @param maxPixels               jepa4j {@code max_pixels}: largest width·height an image file's header may
 *                                declare; larger files are refused before decoding and skipped like
 *                                unreadable ones (default {@link BoundedImageDecoder#DEFAULT_MAX_PIXELS})
 */
public record DataConfig(int batchSize, double colorJitterStrength, Range cropScale, int cropSize,
                         String imageFolder, int numWorkers, boolean pinMem, String rootPath,
                         boolean useColorDistortion, boolean useGaussianBlur, boolean useHorizontalFlip,
                         String source, String evalSource, int channels, List<Double> mean, List<Double> std,
                         int prefetch, int limit, long maxPixels) implements DataSettings {

    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);

    public DataConfig {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    /** A data section with the default {@code max_pixels}. */
    public DataConfig(int batchSize, double colorJitterStrength, Range cropScale, int cropSize,
                      String imageFolder, int numWorkers, boolean pinMem, String rootPath,
                      boolean useColorDistortion, boolean useGaussianBlur, boolean useHorizontalFlip,
                      String source, String evalSource, int channels, List<Double> mean, List<Double> std,
                      int prefetch, int limit) {
        this(batchSize, colorJitterStrength, cropScale, cropSize, imageFolder, numWorkers, pinMem, rootPath,
                useColorDistortion, useGaussianBlur, useHorizontalFlip, source, evalSource, channels, mean, std,
                prefetch, limit, BoundedImageDecoder.DEFAULT_MAX_PIXELS);
    }

    /** The decoder that enforces {@link #maxPixels()} for this data, naming {@code data.max_pixels}. */
    @Override
    public BoundedImageDecoder decoder() {
        return new BoundedImageDecoder(maxPixels, "data.max_pixels");
    }

    /** Values of the official in1k_vith14_ep300 config, plus jepa4j defaults for the extra keys. */
    public static DataConfig defaults() {
        return new DataConfig(128, 0.0, Range.of(0.3, 1.0), 224, "imagenet_full_size/061417/", 10, true,
                "$replace_this_with_absolute_path_to_your_datasets_directory", false, false, false,
                null, null, 3, IMAGENET_MEAN, IMAGENET_STD, 4, 0);
    }
}
