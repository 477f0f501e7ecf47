package org.jepa4j.pipeline;

import org.jepa4j.config.DataConfig;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageOps;
import org.jepa4j.data.ImageTransform;
import org.jepa4j.data.Preprocessing;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The training transform of docs/reference.md §6: {@link RandomResizedCrop}, then (only when
 * {@code data.use_horizontal_flip}) a horizontal flip with probability 0.5, then conversion to
 * {@code data.channels} and {@code Normalize(mean, std)}. Colour distortion and Gaussian blur are
 * off in every reference config and not implemented.
 *
 * @param crop           the random resized crop
 * @param horizontalFlip flip with probability 0.5
 * @param normalisation  channels, mean and std (its sizes equal {@code crop.size()})
 */
public record TrainTransform(RandomResizedCrop crop, boolean horizontalFlip, Preprocessing normalisation)
        implements ImageTransform {

    public TrainTransform {
        if (normalisation.imageSize() != crop.size()) {
            throw new IllegalArgumentException("normalisation size " + normalisation.imageSize()
                    + " differs from the crop size " + crop.size());
        }
    }

    /** The transform a run's {@code data} section describes. */
    public static TrainTransform of(DataConfig data) {
        if (data.useColorDistortion() || data.useGaussianBlur()) {
            throw new IllegalArgumentException("config data.use_color_distortion / data.use_gaussian_blur: not"
                    + " implemented (off in every reference config, docs/reference.md §6); set them to false");
        }
        int c = data.channels();
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("config data.channels: " + c + " (expected 1 or 3)");
        }
        Preprocessing p = Preprocessing.of(data);
        return new TrainTransform(RandomResizedCrop.of(data.cropSize(), data.cropScale()), data.useHorizontalFlip(), p);
    }


    @Override
    public int outputChannels() {
        return normalisation.channels();
    }

    @Override
    public int outputSize() {
        return crop.size();
    }

    @Override
    public void applyInto(Image image, SplittableRandom random, float[] dest, int offset) {
        Image x = crop.apply(image, random);
        if (horizontalFlip && random.nextBoolean()) {
            x = ImageOps.flipHorizontal(x);
        }
        // crop and resize are per-channel linear maps, so converting channels last gives the same
        // values as torchvision's RGB-first order for less work on grey images
        EvalTransform.normalizeInto(x.withChannels(normalisation.channels()), normalisation, dest, offset);
    }

    @Override
    public String describe() {
        return "RandomResizedCrop(size " + crop.size() + ", scale " + crop.scale() + ", ratio [" + fmt(crop.minRatio())
                + ", " + fmt(crop.maxRatio()) + "], bilinear)" + (horizontalFlip ? " -> HorizontalFlip(p 0.5)" : "")
                + " -> " + normalisation.channels() + " channel" + (normalisation.channels() == 1 ? "" : "s")
                + " -> Normalize(mean " + java.util.Arrays.toString(normalisation.mean()) + ", std "
                + java.util.Arrays.toString(normalisation.std()) + ")";
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4g", v);
    }
}
