package org.jepa4j.data;

import java.util.Arrays;

/**
 * The evaluation transform's constants, recorded in exported models so serving builds exactly
 * the transform training used: resize the shorter side to {@code resizeSize}, centre-crop
 * {@code imageSize x imageSize}, convert to {@code channels}, normalise with {@code mean}/{@code std}.
 *
 * @param imageSize  model input height and width
 * @param resizeSize shorter side after resizing, before the centre crop ({@code >= imageSize})
 * @param channels   model input channels (1 or 3)
 * @param mean       per-channel mean ({@code channels} values)
 * @param std        per-channel standard deviation ({@code channels} values, positive)
 */
public record Preprocessing(int imageSize, int resizeSize, int channels, double[] mean, double[] std) {

    public Preprocessing {
        if (imageSize <= 0 || resizeSize < imageSize) {
            throw new IllegalArgumentException("preprocessing needs 0 < imageSize (" + imageSize
                    + ") <= resizeSize (" + resizeSize + ")");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean " + Arrays.toString(mean) + " and std " + Arrays.toString(std)
                    + " need " + channels + " values each");
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std values must be positive: " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && imageSize == p.imageSize && resizeSize == p.resizeSize
                && channels == p.channels && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * imageSize + resizeSize) + channels + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Preprocessing[size " + imageSize + ", resize " + resizeSize + ", channels " + channels + ", mean "
                + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
    }
}
