package org.jepa4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writers for the small generated files the data tests read. */
public final class TestImages {
    private TestImages() {
    }

    /** Writes an unsigned-byte IDX file with {@code dims} and {@code values}, gzip-compressed when asked. */
    public static Path writeIdx(Path file, int[] dims, byte[] values, boolean gzip) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0x0800 | dims.length);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(values);
        }
        try (OutputStream os = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            os.write(bytes.toByteArray());
        }
        return file;
    }

    /** Pixel value of generated image {@code n} at (y, x, c): distinct per image, row, column, channel. */
    public static int pixel(int n, int y, int x, int c) {
        return (n * 37 + y * 11 + x * 5 + c * 83) & 0xff;
    }

    /** A grey PNG of {@code h x w} whose every pixel is {@code value} (0..255). */
    public static Path writeGreyPng(Path file, int h, int w, int value) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, value);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /** An RGB image of {@code h x w} in the given ImageIO format with colour (r, g, b). */
    public static Path writeRgb(Path file, String format, int h, int w, int r, int g, int b) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, format, file.toFile());
        return file;
    }

    /** A file with a PNG name and garbage contents. */
    public static Path writeCorrupt(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        return file;
    }
}
