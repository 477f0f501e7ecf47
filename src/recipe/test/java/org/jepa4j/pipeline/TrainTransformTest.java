package org.jepa4j.pipeline;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.Range;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageOps;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainTransformTest {

    private static final double MIN_R = 3.0 / 4.0;
    private static final double MAX_R = 4.0 / 3.0;

    @Test
    void cropBoxesLieInsideTheImageWithAreaAndRatioInRange() {
        RandomResizedCrop rrc = RandomResizedCrop.of(16, Range.of(0.3, 1.0));
        SplittableRandom r = new SplittableRandom(1);
        int[][] shapes = {{28, 28}, {37, 91}, {200, 150}, {5, 5}};
        for (int[] hw : shapes) {
            int h = hw[0];
            int w = hw[1];
            for (int k = 0; k < 5000; k++) {
                RandomResizedCrop.Box b = rrc.sampleBox(h, w, r);
                assertTrue(b.top() >= 0 && b.left() >= 0 && b.height() > 0 && b.width() > 0
                        && b.top() + b.height() <= h && b.left() + b.width() <= w, () -> b + " outside " + h + "x" + w);
                if (!b.fallback()) {
                    // sides were rounded from sqrt(area·ratio) and sqrt(area/ratio): allow half a pixel each
                    double area = (double) h * w;
                    double hi = Math.pow(Math.sqrt(area) + 0.5 * Math.sqrt(MAX_R) + 0.5, 2);
                    assertTrue(b.width() * (double) b.height() >= Math.pow(Math.max(0, Math.sqrt(0.3 * area) - 1), 2),
                            () -> b + " area below the scale range");
                    assertTrue(b.width() * (double) b.height() <= hi, () -> b + " area above the scale range");
                    assertTrue((b.width() + 0.5) / (b.height() - 0.5) >= MIN_R, () -> b + " ratio below 3/4");
                    assertTrue((b.width() - 0.5) / (b.height() + 0.5) <= MAX_R, () -> b + " ratio above 4/3");
                }
            }
        }
    }

    @Test
    void largeImageAreaAndRatioBoundsHoldTightly() {
        RandomResizedCrop rrc = RandomResizedCrop.of(16, Range.of(0.3, 0.6));
        SplittableRandom r = new SplittableRandom(2);
        double area = 2000.0 * 2000.0;
        for (int k = 0; k < 5000; k++) {
            RandomResizedCrop.Box b = rrc.sampleBox(2000, 2000, r);
            assertFalse(b.fallback());
            double frac = b.width() * (double) b.height() / area;
            assertTrue(frac > 0.3 - 1e-3 && frac < 0.6 + 1e-3, () -> "area fraction " + frac);
            double ratio = (double) b.width() / b.height();
            assertTrue(ratio > MIN_R - 1e-3 && ratio < MAX_R + 1e-3, () -> "ratio " + ratio);
        }
    }

    /**
     * E[area fraction] for scale U[a,b] with b = 1, log-ratio U[-L, L] (L = log 4/3), on a square image:
     * a draw is kept iff s <= e^{-|log r|}, so the mean is E_t[∫_a^{e^-t} s ds] / E_t[e^-t - a]
     * (not (a+b)/2 = 0.65: large areas with skewed ratios do not fit and are redrawn).
     */
    private static double expectedAreaFraction(double a) {
        double l = Math.log(4.0 / 3.0);
        int n = 100_000;
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            double t = (i + 0.5) / n * l;
            double top = Math.exp(-t);
            num += (top * top - a * a) / 2;
            den += top - a;
        }
        return num / den;
    }

    @Test
    void meanAreaFractionMatchesTheClosedForm() {
        RandomResizedCrop rrc = RandomResizedCrop.of(16, Range.of(0.3, 1.0));
        SplittableRandom r = new SplittableRandom(3);
        int draws = 40_000;
        double sum = 0;
        int size = 1000;
        for (int k = 0; k < draws; k++) {
            RandomResizedCrop.Box b = rrc.sampleBox(size, size, r);
            sum += b.width() * (double) b.height() / (size * size);
        }
        double expected = expectedAreaFraction(0.3);
        assertEquals(0.590, expected, 0.002); // the integral itself, so a slip in it shows
        // standard deviation of one draw is < 0.21, so 40k draws give a standard error < 0.0011
        assertEquals(expected, sum / draws, 0.005);
    }

    @Test
    void fallbackIsTheCentredBoxClampedToTheRatioRange() {
        // scale (0.99, 1) on a very wide image never fits with ratio <= 4/3, so all 10 attempts fail
        RandomResizedCrop rrc = RandomResizedCrop.of(8, Range.of(0.99, 1.0));
        RandomResizedCrop.Box wide = rrc.sampleBox(10, 100, new SplittableRandom(4));
        assertTrue(wide.fallback());
        assertEquals(new RandomResizedCrop.Box(0, 43, 10, 13, true), wide); // w = round(10·4/3) = 13, left = 87/2
        RandomResizedCrop.Box tall = rrc.sampleBox(100, 10, new SplittableRandom(4));
        assertEquals(new RandomResizedCrop.Box(43, 0, 13, 10, true), tall); // h = round(10/(3/4)) = 13
    }

    @Test
    void resizeOfAConstantImageStaysConstant() {
        float[] px = new float[3 * 9 * 13];
        for (int c = 0; c < 3; c++) {
            java.util.Arrays.fill(px, c * 117, (c + 1) * 117, 0.1f + 0.3f * c);
        }
        Image img = new Image(3, 9, 13, px);
        for (int[] out : new int[][] {{4, 5}, {20, 31}, {9, 2}}) {
            Image r = ImageOps.resize(img, out[0], out[1]);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < out[0]; y++) {
                    for (int x = 0; x < out[1]; x++) {
                        assertEquals(0.1f + 0.3f * c, r.at(c, y, x), 1e-6f);
                    }
                }
            }
        }
    }

    @Test
    void upscaledRampMatchesClosedFormBilinear() {
        int w = 8;
        int outW = 20;
        float[] px = new float[2 * w];
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = x / 7f;
            }
        }
        Image r = ImageOps.resize(new Image(1, 2, w, px), 5, outW);
        for (int x = 0; x < outW; x++) {
            // half-pixel centres: output x samples source coordinate (x + 0.5)·w/outW − 0.5, edges clamped
            double src = Math.min(w - 1, Math.max(0, (x + 0.5) * w / outW - 0.5));
            for (int y = 0; y < 5; y++) {
                assertEquals(src / 7, r.at(0, y, x), 1e-6, "column " + x);
            }
        }
    }

    private static DataConfig config(int size, boolean flip, int channels, List<Double> mean, List<Double> std) {
        DataConfig d = DataConfig.defaults();
        return d.toBuilder().cropScale(Range.of(1.0, 1.0)).cropSize(size).useHorizontalFlip(flip).channels(channels)
                .mean(mean).std(std).build();
    }

    private static Image randomImage(int c, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] px = new float[c * h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextDouble();
        }
        return new Image(c, h, w, px);
    }

    @Test
    void fullScaleCropOfASquareImageIsNormalisedInClosedForm() {
        // scale (1, 1) on a square image: every attempt gives the whole image, so only normalisation acts
        TrainTransform t = TrainTransform.of(config(6, false, 3, List.of(0.5, 0.25, 0.0), List.of(0.5, 2.0, 0.1)));
        Image img = randomImage(3, 6, 6, 5);
        float[] out = new float[t.outputLength()];
        t.applyInto(img, new SplittableRandom(0), out, 0);
        double[] mean = {0.5, 0.25, 0.0};
        double[] std = {0.5, 2.0, 0.1};
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 6; x++) {
                    assertEquals((img.at(c, y, x) - mean[c]) / std[c], out[(c * 6 + y) * 6 + x], 1e-5);
                }
            }
        }
    }

    @Test
    void greyImagesAreReplicatedToThreeChannelsOrKept() {
        Image grey = randomImage(1, 6, 6, 6);
        TrainTransform rgb = TrainTransform.of(config(6, false, 3, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0)));
        float[] out = new float[rgb.outputLength()];
        rgb.applyInto(grey, new SplittableRandom(0), out, 0);
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(grey.pixels(), java.util.Arrays.copyOfRange(out, c * 36, (c + 1) * 36), 1e-6f);
        }
        TrainTransform one = TrainTransform.of(config(6, false, 1, List.of(0.0), List.of(1.0)));
        assertEquals(36, one.outputLength());
        float[] out1 = new float[36];
        one.applyInto(grey, new SplittableRandom(0), out1, 0);
        assertArrayEquals(grey.pixels(), out1, 1e-6f);
    }

    @Test
    void flipMirrorsColumnsAndHappensAboutHalfTheTime() {
        TrainTransform t = TrainTransform.of(config(6, true, 1, List.of(0.0), List.of(1.0)));
        Image img = randomImage(1, 6, 6, 7);
        int flips = 0;
        int draws = 2000;
        for (int k = 0; k < draws; k++) {
            float[] out = new float[36];
            t.applyInto(img, new SplittableRandom(k), out, 0);
            boolean same = true;
            boolean mirrored = true;
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 6; x++) {
                    same &= Math.abs(out[y * 6 + x] - img.at(0, y, x)) < 1e-6;
                    mirrored &= Math.abs(out[y * 6 + x] - img.at(0, y, 5 - x)) < 1e-6;
                }
            }
            assertTrue(same ^ mirrored, "output must be the image or its mirror");
            flips += mirrored ? 1 : 0;
        }
        assertEquals(0.5, flips / (double) draws, 0.05); // 4.5 standard errors
        Image twice = ImageOps.flipHorizontal(ImageOps.flipHorizontal(img));
        assertArrayEquals(img.pixels(), twice.pixels(), 0f);
    }

    @Test
    void sameGeneratorSeedGivesTheSameOutput() {
        TrainTransform t = TrainTransform.of(config(8, true, 3, DataConfig.IMAGENET_MEAN, DataConfig.IMAGENET_STD));
        TrainTransform r = new TrainTransform(RandomResizedCrop.of(8, Range.of(0.3, 1.0)), true, t.normalisation());
        Image img = randomImage(3, 20, 17, 8);
        float[] a = new float[r.outputLength()];
        float[] b = new float[r.outputLength()];
        r.applyInto(img, new SplittableRandom(42), a, 0);
        r.applyInto(img, new SplittableRandom(42), b, 0);
        assertArrayEquals(a, b, 0f);
    }

    @Test
    void meanStdSizeMismatchIsAConfigError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainTransform.of(config(8, false, 1, DataConfig.IMAGENET_MEAN, DataConfig.IMAGENET_STD)));
        assertTrue(e.getMessage().contains("data.mean") && e.getMessage().contains("data.channels"), e.getMessage());
    }
}
