package org.jepa4j.data;

import java.awt.image.BufferedImage;

/**
 * A decoded image as planar float values in [0, 1], channels first ({@code [C, H, W]}).
 *
 * @param channels 1 (grey) or 3 (RGB)
 * @param height   rows
 * @param width    columns
 * @param pixels   {@code channels * height * width} values, channel-major then row-major
 */
public record Image(int channels, int height, int width, float[] pixels) {

    public Image {
        if (channels <= 0 || height <= 0 || width <= 0 || pixels.length != channels * height * width) {
            throw new IllegalArgumentException("image of " + channels + "x" + height + "x" + width
                    + " needs " + ((long) channels * height * width) + " values, got " + pixels.length);
        }
    }

    /** Value of channel {@code c} at row {@code y}, column {@code x}. */
    public float at(int c, int y, int x) {
        return pixels[(c * height + y) * width + x];
    }

    /**
     * Converts a {@link BufferedImage}: grey images (TYPE_BYTE_GRAY, TYPE_USHORT_GRAY) keep one
     * channel, everything else becomes RGB (alpha dropped).
     */
    public static Image fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int type = img.getType();
        if (type == BufferedImage.TYPE_BYTE_GRAY || type == BufferedImage.TYPE_USHORT_GRAY) {
            var raster = img.getRaster();
            float scale = type == BufferedImage.TYPE_BYTE_GRAY ? 255f : 65535f;
            float[] px = new float[h * w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    px[y * w + x] = raster.getSample(x, y, 0) / scale;
                }
            }
            return new Image(1, h, w, px);
        }
        float[] px = new float[3 * h * w];
        int[] row = new int[w];
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int i = y * w + x;
                px[i] = ((argb >> 16) & 0xff) / 255f;
                px[plane + i] = ((argb >> 8) & 0xff) / 255f;
                px[2 * plane + i] = (argb & 0xff) / 255f;
            }
        }
        return new Image(3, h, w, px);
    }

    /**
     * This image with {@code target} channels: grey replicated to RGB, or RGB reduced to grey
     * with ITU-R 601 luma weights (as PIL's "L" conversion).
     */
    public Image withChannels(int target) {
        if (target == channels) {
            return this;
        }
        int plane = height * width;
        if (channels == 1 && target == 3) {
            float[] px = new float[3 * plane];
            System.arraycopy(pixels, 0, px, 0, plane);
            System.arraycopy(pixels, 0, px, plane, plane);
            System.arraycopy(pixels, 0, px, 2 * plane, plane);
            return new Image(3, height, width, px);
        }
        if (channels == 3 && target == 1) {
            float[] px = new float[plane];
            for (int i = 0; i < plane; i++) {
                px[i] = 0.299f * pixels[i] + 0.587f * pixels[plane + i] + 0.114f * pixels[2 * plane + i];
            }
            return new Image(1, height, width, px);
        }
        throw new IllegalArgumentException("cannot convert a " + channels + "-channel image to " + target + " channels");
    }
}
