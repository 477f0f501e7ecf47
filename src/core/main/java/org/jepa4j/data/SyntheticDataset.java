package org.jepa4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generated images for benchmarks and smoke tests: each image is an oriented sine grating whose
 * orientation, frequency and per-channel amplitude depend on its class, with a random phase and
 * uniform pixel noise, so labels are learnable and images are cheap to compute. Image {@code i}
 * is a pure function of (seed, split, i): the same seed gives the same images.
 *
 * @param count    images in the split
 * @param size     height and width
 * @param channels channels per image
 * @param classes  number of classes (labels drawn uniformly)
 * @param seed     generator seed
 * @param split    TRAIN and TEST draw from independent streams
 */
public record SyntheticDataset(int count, int size, int channels, int classes, long seed, Split split)
        implements ImageDataset {

    private static final double NOISE = 0.15;

    public SyntheticDataset {
        if (count <= 0 || size <= 0 || channels <= 0 || classes <= 0 || classes > 1000) {
            throw new IllegalArgumentException("synthetic source needs count, size, channels > 0 and 1 <= classes <= 1000;"
                    + " got count=" + count + " size=" + size + " channels=" + channels + " classes=" + classes);
        }
    }

    @Override
    public Image image(int index) {
        java.util.Objects.checkIndex(index, count);
        SplittableRandom rng = random(index);
        int label = rng.nextInt(classes);
        double theta = Math.PI * label / classes;
        double cycles = 1.5 + (label % 3);
        double k = 2 * Math.PI * cycles / size;
        double kx = k * Math.cos(theta);
        double ky = k * Math.sin(theta);
        double phase = rng.nextDouble(2 * Math.PI);
        // separable evaluation: sin(kx·x + φ + ky·y) = sin(kx·x + φ)cos(ky·y) + cos(kx·x + φ)sin(ky·y)
        double[] sx = new double[size];
        double[] cx = new double[size];
        double[] sy = new double[size];
        double[] cy = new double[size];
        for (int i = 0; i < size; i++) {
            sx[i] = Math.sin(kx * i + phase);
            cx[i] = Math.cos(kx * i + phase);
            sy[i] = Math.sin(ky * i);
            cy[i] = Math.cos(ky * i);
        }
        int plane = size * size;
        float[] px = new float[channels * plane];
        for (int c = 0; c < channels; c++) {
            double amplitude = 0.15 + 0.25 * (((label + 1) * (c + 3) * 7919) % 101) / 100.0;
            int base = c * plane;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double v = 0.5 + amplitude * (sx[x] * cy[y] + cx[x] * sy[y]) + NOISE * (2 * rng.nextDouble() - 1);
                    px[base + y * size + x] = (float) Math.min(1.0, Math.max(0.0, v));
                }
            }
        }
        return new Image(channels, size, size, px);
    }

    @Override
    public int label(int index) {
        java.util.Objects.checkIndex(index, count);
        return random(index).nextInt(classes);
    }

    private SplittableRandom random(int index) {
        return new SplittableRandom(SeedMixer.mix(seed, split.ordinal(), index));
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public List<String> classNames() {
        List<String> names = new ArrayList<>(classes);
        for (int k = 0; k < classes; k++) {
            names.add("class" + k);
        }
        return names;
    }

    @Override
    public String description() {
        return "synthetic " + split.label() + " (" + count + " images, " + size + "x" + size + "x" + channels + ", "
                + classes + " classes, seed " + seed + ")";
    }
}
