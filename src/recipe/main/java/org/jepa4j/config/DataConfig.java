package org.jepa4j.config;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.DataSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code data} section. Official keys first (docs/reference.md §7.1), then jepa4j's own. Built
 * with {@link #builder()}; read from a run file by {@link #parse} and written back by
 * {@link #yamlValues} (a new key: its name in {@link ConfigKeys}, the rest here).
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
    /** Most batches the loader prepares ahead of the step. */
    static final int MAX_PREFETCH = 64;


    public static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    public static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);

    public DataConfig {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    /** The decoder that enforces {@link #maxPixels()} for this data, naming {@code data.max_pixels}. */
    @Override
    public BoundedImageDecoder decoder() {
        return new BoundedImageDecoder(maxPixels, "data.max_pixels");
    }

    /** Values of the official in1k_vith14_ep300 config, plus jepa4j defaults for the extra keys. */
    public static DataConfig defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this section's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }


    /** Reads the section's keys (absent keys keep their defaults), recording each problem in {@code s}. */
    static DataConfig parse(Section s) {
        DataConfig d = defaults();
        Builder b = d.toBuilder();
        int batchSize = s.integer("batch_size", d.batchSize());
        if (batchSize < 1) {
            s.problem("batch_size", batchSize + " is not allowed, expected at least 1");
        }
        s.atMost("batch_size", batchSize, org.jepa4j.io.Bounds.MAX_BATCH,
                "images per step (the reference's largest is 2048 over 16 GPUs)");
        b.batchSize(batchSize);
        b.colorJitterStrength(s.number("color_jitter_strength", d.colorJitterStrength()));
        b.cropScale(s.fraction("crop_scale", s.range("crop_scale", d.cropScale())));
        int cropSize = s.integer("crop_size", d.cropSize());
        if (cropSize < 1) {
            s.problem("crop_size", cropSize + " is not allowed, expected a positive image size in pixels");
        }
        b.cropSize(cropSize);
        b.imageFolder(s.string("image_folder", d.imageFolder(), false));
        b.numWorkers(s.atMost("num_workers", s.nonNegative("num_workers", s.integer("num_workers", d.numWorkers())),
                org.jepa4j.io.Bounds.MAX_THREADS, "loader threads"));
        b.pinMem(s.bool("pin_mem", d.pinMem()));
        b.rootPath(s.string("root_path", d.rootPath(), false));
        boolean colour = s.bool("use_color_distortion", d.useColorDistortion());
        if (colour) {
            s.problem("use_color_distortion", "true is not supported: colour distortion is not implemented in jepa4j "
                    + "(it is off in every reference config, docs/reference.md §6), expected false");
        }
        b.useColorDistortion(colour);
        boolean blur = s.bool("use_gaussian_blur", d.useGaussianBlur());
        if (blur) {
            s.problem("use_gaussian_blur", "true is not supported: Gaussian blur is not implemented in jepa4j "
                    + "(it is off in every reference config, docs/reference.md §6), expected false");
        }
        b.useGaussianBlur(blur);
        b.useHorizontalFlip(s.bool("use_horizontal_flip", d.useHorizontalFlip()));
        b.source(s.string("source", d.source(), true));
        b.evalSource(s.string("eval_source", d.evalSource(), true));
        int channels = s.integer("channels", d.channels());
        if (channels != 1 && channels != 3) {
            s.problem("channels", channels + " is not allowed, expected 1 (grey) or 3 (RGB)");
        }
        b.channels(channels);
        b.mean(s.numbers("mean", d.mean()));
        List<Double> std = s.numbers("std", d.std());
        for (double x : std) {
            if (!(x > 0)) {
                s.problem("std", Section.show(std) + " contains " + x + ", expected every std > 0");
                break;
            }
        }
        b.std(std);
        // the loader needs room for one batch ahead; each batch held ahead is a whole batch of pixels
        b.prefetch(s.atMost("prefetch", s.positive("prefetch", s.integer("prefetch", d.prefetch())), MAX_PREFETCH,
                "batches held ahead"));
        b.limit(s.nonNegative("limit", s.integer("limit", d.limit())));
        b.maxPixels(s.positive("max_pixels", s.longInteger("max_pixels", d.maxPixels())));
        return b.build();
    }

    /** Every key's value as the writer emits it. */
    Map<String, Object> yamlValues() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("batch_size", batchSize);
        data.put("color_jitter_strength", colorJitterStrength);
        data.put("crop_scale", cropScale);
        data.put("crop_size", cropSize);
        data.put("image_folder", imageFolder);
        data.put("num_workers", numWorkers);
        data.put("pin_mem", pinMem);
        data.put("root_path", rootPath);
        data.put("use_color_distortion", useColorDistortion);
        data.put("use_gaussian_blur", useGaussianBlur);
        data.put("use_horizontal_flip", useHorizontalFlip);
        data.put("channels", channels);
        data.put("eval_source", evalSource);
        data.put("limit", limit);
        data.put("max_pixels", maxPixels);
        data.put("mean", mean);
        data.put("prefetch", prefetch);
        data.put("source", source);
        data.put("std", std);
        return data;
    }

    /** Builds a {@code data} section; starts from {@link #defaults()}, each setter names its key. */
    public static final class Builder {
        private int batchSize = 128;
        private double colorJitterStrength = 0.0;
        private Range cropScale = Range.of(0.3, 1.0);
        private int cropSize = 224;
        private String imageFolder = "imagenet_full_size/061417/";
        private int numWorkers = 10;
        private boolean pinMem = true;
        private String rootPath = "$replace_this_with_absolute_path_to_your_datasets_directory";
        private boolean useColorDistortion = false;
        private boolean useGaussianBlur = false;
        private boolean useHorizontalFlip = false;
        private String source = null;
        private String evalSource = null;
        private int channels = 3;
        private List<Double> mean = IMAGENET_MEAN;
        private List<Double> std = IMAGENET_STD;
        private int prefetch = 4;
        private int limit = 0;
        private long maxPixels = BoundedImageDecoder.DEFAULT_MAX_PIXELS;

        private Builder() {
        }

        private Builder(DataConfig c) {
            batchSize = c.batchSize;
            colorJitterStrength = c.colorJitterStrength;
            cropScale = c.cropScale;
            cropSize = c.cropSize;
            imageFolder = c.imageFolder;
            numWorkers = c.numWorkers;
            pinMem = c.pinMem;
            rootPath = c.rootPath;
            useColorDistortion = c.useColorDistortion;
            useGaussianBlur = c.useGaussianBlur;
            useHorizontalFlip = c.useHorizontalFlip;
            source = c.source;
            evalSource = c.evalSource;
            channels = c.channels;
            mean = c.mean;
            std = c.std;
            prefetch = c.prefetch;
            limit = c.limit;
            maxPixels = c.maxPixels;
        }

        /** @param v {@code batch_size} @return this builder */
        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v {@code color_jitter_strength} @return this builder */
        public Builder colorJitterStrength(double v) {
            colorJitterStrength = v;
            return this;
        }

        /** @param v {@code crop_scale} @return this builder */
        public Builder cropScale(Range v) {
            cropScale = v;
            return this;
        }

        /** @param v {@code crop_size} @return this builder */
        public Builder cropSize(int v) {
            cropSize = v;
            return this;
        }

        /** @param v {@code image_folder} @return this builder */
        public Builder imageFolder(String v) {
            imageFolder = v;
            return this;
        }

        /** @param v {@code num_workers} @return this builder */
        public Builder numWorkers(int v) {
            numWorkers = v;
            return this;
        }

        /** @param v {@code pin_mem} @return this builder */
        public Builder pinMem(boolean v) {
            pinMem = v;
            return this;
        }

        /** @param v {@code root_path} @return this builder */
        public Builder rootPath(String v) {
            rootPath = v;
            return this;
        }

        /** @param v {@code use_color_distortion} @return this builder */
        public Builder useColorDistortion(boolean v) {
            useColorDistortion = v;
            return this;
        }

        /** @param v {@code use_gaussian_blur} @return this builder */
        public Builder useGaussianBlur(boolean v) {
            useGaussianBlur = v;
            return this;
        }

        /** @param v {@code use_horizontal_flip} @return this builder */
        public Builder useHorizontalFlip(boolean v) {
            useHorizontalFlip = v;
            return this;
        }

        /** @param v {@code source} @return this builder */
        public Builder source(String v) {
            source = v;
            return this;
        }

        /** @param v {@code eval_source} @return this builder */
        public Builder evalSource(String v) {
            evalSource = v;
            return this;
        }

        /** @param v {@code channels} @return this builder */
        public Builder channels(int v) {
            channels = v;
            return this;
        }

        /** @param v {@code mean} @return this builder */
        public Builder mean(List<Double> v) {
            mean = v;
            return this;
        }

        /** @param v {@code std} @return this builder */
        public Builder std(List<Double> v) {
            std = v;
            return this;
        }

        /** @param v {@code prefetch} @return this builder */
        public Builder prefetch(int v) {
            prefetch = v;
            return this;
        }

        /** @param v {@code limit} @return this builder */
        public Builder limit(int v) {
            limit = v;
            return this;
        }

        /** @param v {@code max_pixels} @return this builder */
        public Builder maxPixels(long v) {
            maxPixels = v;
            return this;
        }

        /** @return the section */
        public DataConfig build() {
            return new DataConfig(batchSize, colorJitterStrength, cropScale, cropSize, imageFolder, numWorkers,
                    pinMem, rootPath, useColorDistortion, useGaussianBlur, useHorizontalFlip, source,
                    evalSource, channels, mean, std, prefetch, limit, maxPixels);
        }
    }
}
