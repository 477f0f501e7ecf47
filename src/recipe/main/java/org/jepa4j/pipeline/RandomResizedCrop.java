package org.jepa4j.pipeline;

import org.jepa4j.config.Range;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageOps;

import java.util.SplittableRandom;

/**
 * torchvision's {@code RandomResizedCrop(size, scale, ratio)} as the reference uses it
 * (docs/reference.md §6: scale = data.crop_scale, ratio (3/4, 4/3), bilinear): a box is drawn by
 * {@link #sampleBox} (torchvision's {@code get_params}), cut out, and resampled to
 * {@code size x size} with the PIL-style bilinear filter of {@link ImageOps}.
 *
 * @param size     output height and width
 * @param scale    area of the box as a fraction of the image area
 * @param minRatio smallest box width/height
 * @param maxRatio largest box width/height
 */
public record RandomResizedCrop(int size, Range scale, double minRatio, double maxRatio) {

    /** torchvision's default aspect ratios, (3/4, 4/3). */
    public static final double DEFAULT_MIN_RATIO = 3.0 / 4.0;
    public static final double DEFAULT_MAX_RATIO = 4.0 / 3.0;
    private static final int ATTEMPTS = 10;

    public RandomResizedCrop {
        if (size <= 0) {
            throw new IllegalArgumentException("crop size must be positive, got " + size);
        }
        if (scale.min() <= 0 || scale.max() > 1) {
            throw new IllegalArgumentException("crop scale " + scale + " must lie in (0, 1]");
        }
        if (!(minRatio > 0) || minRatio > maxRatio) {
            throw new IllegalArgumentException("crop ratio [" + minRatio + ", " + maxRatio + "] must satisfy 0 < min <= max");
        }
    }

    /** The reference's crop: torchvision's default ratios. */
    public static RandomResizedCrop of(int size, Range scale) {
        return new RandomResizedCrop(size, scale, DEFAULT_MIN_RATIO, DEFAULT_MAX_RATIO);
    }

    /**
     * An integer box {@code [top, top+height) x [left, left+width)} inside the image.
     *
     * @param fallback true when all 10 attempts failed and the centre fallback was used
     */
    public record Box(int top, int left, int height, int width, boolean fallback) {
    }

    /**
     * torchvision {@code RandomResizedCrop.get_params}: up to 10 attempts, each drawing an area
     * fraction uniformly from {@code scale} and a log-uniform aspect ratio, rounding the sides
     * half-to-even (Python's {@code round}) and accepting the box when it fits; then a uniform
     * position. If none fits, the centred largest box whose ratio is clamped to the range.
     */
    public Box sampleBox(int height, int width, SplittableRandom random) {
        double area = (double) height * width;
        double logMin = Math.log(minRatio);
        double logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double targetArea = area * (scale.min() + random.nextDouble() * (scale.max() - scale.min()));
            double aspect = Math.exp(logMin + random.nextDouble() * (logMax - logMin));
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return new Box(top, left, h, w, false);
            }
        }
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < minRatio) {
            w = width;
            h = (int) Math.rint(w / minRatio);
        } else if (inRatio > maxRatio) {
            h = height;
            w = (int) Math.rint(h * maxRatio);
        } else {
            w = width;
            h = height;
        }
        return new Box((height - h) / 2, (width - w) / 2, h, w, true);
    }

    /** Draws a box and returns it resampled to {@code size x size}. */
    public Image apply(Image image, SplittableRandom random) {
        return resample(image, sampleBox(image.height(), image.width(), random));
    }

    /**
     * Cuts {@code box} out and resizes it to {@code size x size}. The cut comes first, as in
     * torchvision's {@code resized_crop}, so the filter never reads pixels outside the box.
     */
    public Image resample(Image image, Box box) {
        Image cut = box.top() == 0 && box.left() == 0 && box.height() == image.height() && box.width() == image.width()
                ? image : ImageOps.crop(image, box.top(), box.left(), box.height(), box.width());
        return ImageOps.resize(cut, size, size);
    }
}
