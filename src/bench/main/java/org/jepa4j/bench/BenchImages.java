package org.jepa4j.bench;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/** Request bodies of the serving benchmarks: PNG images and JSON batches of them. */
final class BenchImages {
    private BenchImages() {
    }

    /** A {@code size}x{@code size} RGB PNG of random pixels (incompressible: the largest PNG of that size). */
    static byte[] randomPng(long seed, int size) throws IOException {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return png(img);
    }

    /** A {@code size}x{@code size} RGB gradient: many pixels, a small PNG (legal under the body limit). */
    static byte[] smoothPng(int size) throws IOException {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, ((x * 255 / size) << 16) | ((y * 255 / size) << 8) | ((x + y) & 0xff));
            }
        }
        return png(img);
    }

    /** {@code {"images": [base64, ...]}} of {@code count} images from {@code first} on (cycling). */
    static byte[] jsonBatch(List<byte[]> pngs, int first, int count) {
        StringBuilder sb = new StringBuilder("{\"images\":[");
        for (int k = 0; k < count; k++) {
            sb.append(k == 0 ? "\"" : ",\"")
                    .append(Base64.getEncoder().encodeToString(pngs.get((first + k) % pngs.size()))).append('"');
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bos);
        return bos.toByteArray();
    }
}
