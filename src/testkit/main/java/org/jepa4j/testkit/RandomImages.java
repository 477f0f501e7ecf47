package org.jepa4j.testkit;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/** Seeded random RGB images and their PNG bytes, for tests that decode, embed or serve images. */
public final class RandomImages {
    private RandomImages() {
    }

    /**
     * A {@code w x h} RGB image of uniformly random pixels from {@code seed}.
     *
     * @param w    width
     * @param h    height
     * @param seed the pixels' seed
     * @return the image
     */
    public static BufferedImage rgb(int w, int h, long seed) {
        return rgb(w, h, new Random(seed));
    }

    /**
     * A {@code w x h} RGB image of uniformly random pixels drawn from {@code random} (row by row).
     *
     * @param w      width
     * @param h      height
     * @param random the source of the pixels (advanced by {@code w * h} ints)
     * @return the image
     */
    public static BufferedImage rgb(int w, int h, Random random) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return img;
    }

    /**
     * The image encoded as PNG.
     *
     * @param img the image
     * @return the PNG file's bytes
     */
    public static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
