package org.jepa4j.testkit;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Seeded random RGB and grey images, their PNG bytes and folders of them, for tests that decode,
 * embed or serve images.
 */
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
     * A {@code w x h} grey image of uniformly random pixels drawn from {@code random} (row by row).
     *
     * @param w      width
     * @param h      height
     * @param random the source of the pixels (advanced by {@code w * h} ints)
     * @return the image
     */
    public static BufferedImage grey(int w, int h, Random random) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        return img;
    }

    /**
     * An ImageFolder tree of random grey PNGs: {@code root/<class>/<i>.png} for {@code i} from 0 to
     * {@code perClass - 1}, the pixels drawn from one generator seeded {@code seed}, class after
     * class.
     *
     * @param root     the folder to fill (created)
     * @param classes  the class folders' names
     * @param perClass images per class
     * @param w        width
     * @param h        height
     * @param seed     the pixels' seed
     * @return {@code root}
     * @throws IOException when a file cannot be written
     */
    public static Path greyFolders(Path root, List<String> classes, int perClass, int w, int h, long seed)
            throws IOException {
        Random r = new Random(seed);
        for (String cls : classes) {
            Path folder = Files.createDirectories(root.resolve(cls));
            for (int i = 0; i < perClass; i++) {
                ImageIO.write(grey(w, h, r), "png", folder.resolve(i + ".png").toFile());
            }
        }
        return root;
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
