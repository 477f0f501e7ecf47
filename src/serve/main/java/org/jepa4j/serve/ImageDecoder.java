package org.jepa4j.serve;

import org.jepa4j.data.Image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes request images with ImageIO (PNG, JPEG, BMP, GIF, WBMP), refusing, from the header
 * alone and before any pixel is decoded, images that declare more than {@code maxPixels} pixels:
 * a few bytes of PNG header can otherwise ask for gigabytes. Failures are {@link RequestError}s
 * (400 undecodable, 413 too many pixels) whose message names the input.
 */
public final class ImageDecoder {
    private final long maxPixels;

    /** @param maxPixels largest {@code width·height} accepted */
    public ImageDecoder(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /**
     * Decodes one encoded image.
     *
     * @param encoded      the bytes
     * @param what         the input's name in messages ({@code body}, {@code images[3]})
     * @param declaredType the content type the client declared, or null (only reported)
     * @throws RequestError 400 {@code not_an_image} or 413 {@code too_many_pixels}
     */
    public Image decode(byte[] encoded, String what, String declaredType) {
        String label = what + " is not a decodable image" + (declaredType == null ? "" : " (" + declaredType + ")");
        if (encoded.length == 0) {
            throw new RequestError(400, "empty_image", what + " is empty: expected an encoded image");
        }
        // MemoryCacheImageInputStream: ImageIO.createImageInputStream may cache to a temp file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new RequestError(400, "not_an_image", label + ": no PNG, JPEG, BMP, GIF or WBMP reader recognises "
                        + "its first bytes (" + firstBytes(encoded) + ", " + encoded.length + " bytes)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new RequestError(400, "not_an_image", label + ": its header declares " + width + "x" + height
                            + " pixels");
                }
                if (width * height > maxPixels) {
                    throw new RequestError(413, "too_many_pixels", what + " declares " + width + "x" + height + " = "
                            + width * height + " pixels, more than the server accepts (--max-pixels " + maxPixels
                            + "); it was not decoded");
                }
                BufferedImage img = reader.read(0);
                return Image.fromBufferedImage(img);
            } finally {
                reader.dispose();
            }
        } catch (RequestError e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // broken files surface as IIOException, but also as IndexOutOfBounds, IllegalArgument, ...
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new RequestError(400, "not_an_image", label + ": " + m, e);
        }
    }

    private static String firstBytes(byte[] b) {
        int n = Math.min(8, b.length);
        return HexFormat.ofDelimiter(" ").formatHex(b, 0, n);
    }
}
