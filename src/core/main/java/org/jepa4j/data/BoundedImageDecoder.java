package org.jepa4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded images (any format ImageIO reads: PNG, JPEG, BMP, GIF, WBMP) after checking,
 * from the header alone and before any pixel is decoded, that the image declares at most
 * {@code maxPixels} pixels: a few bytes of PNG header can otherwise ask for gigabytes and minutes.
 * The one such check in jepa4j: the data loader, the feature extractor's own decoders and the
 * server all decode through it, so the limit and its message are the same everywhere.
 *
 * @param maxPixels largest {@code width·height} accepted
 * @param setting   what sets the limit, named in the refusal (e.g. {@code --max-pixels},
 *                  {@code data.max_pixels})
 */
public record BoundedImageDecoder(long maxPixels, String setting) {
    /** Default limit: 40 megapixels (a 7,000 x 5,700 photo), far above any training or serving size. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    public BoundedImageDecoder {
        if (maxPixels < 1) {
            throw new IllegalArgumentException(setting + " must be positive, got " + maxPixels);
        }
    }

    /** An image that could not be decoded: empty, not an image, broken, or declaring too many pixels. */
    public static class DecodeException extends IOException {
        /** @param message names the input and why */
        public DecodeException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The header declares more pixels than the limit; nothing was decoded. */
    public static final class TooManyPixelsException extends DecodeException {
        private final long width;
        private final long height;

        /** @param message names the input, its size and the limit */
        public TooManyPixelsException(String message, long width, long height) {
            super(message, null);
            this.width = width;
            this.height = height;
        }

        /** Declared width. */
        public long width() {
            return width;
        }

        /** Declared height. */
        public long height() {
            return height;
        }
    }

    /** Decodes the image file {@code file}; messages name it. */
    public BufferedImage decode(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return decode(in.readAllBytes(), file.toString());
        }
    }

    /**
     * The pixels ({@code width·height}) {@code encoded}'s header declares, without decoding any.
     *
     * @param what the input's name in messages
     * @throws TooManyPixelsException when they are more than {@link #maxPixels()}
     * @throws DecodeException        when it is empty or no reader recognises it
     */
    public long declaredPixels(byte[] encoded, String what) throws DecodeException {
        return read(encoded, what, false).pixels;
    }

    /**
     * Decodes {@code encoded}.
     *
     * @param what the input's name in messages (a path, {@code body}, {@code images[3]})
     * @throws TooManyPixelsException when the header declares more than {@link #maxPixels()} pixels
     * @throws DecodeException        when it is empty or not a decodable image
     */
    public BufferedImage decode(byte[] encoded, String what) throws DecodeException {
        return read(encoded, what, true).image;
    }

    /** What {@link #read} found: the declared pixels and, when asked for, the decoded image. */
    private record Read(long pixels, BufferedImage image) {
    }

    private Read read(byte[] encoded, String what, boolean decode) throws DecodeException {
        if (encoded.length == 0) {
            throw new DecodeException(what + " is empty: expected an encoded image", null);
        }
        String label = what + " is not a decodable image";
        // MemoryCacheImageInputStream: ImageIO.createImageInputStream may cache to a temporary file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DecodeException(label + ": no PNG, JPEG, BMP, GIF or WBMP reader recognises its first bytes ("
                        + firstBytes(encoded) + ", " + encoded.length + " bytes)", null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new DecodeException(label + ": its header declares " + width + "x" + height + " pixels", null);
                }
                if (width * height > maxPixels) {
                    throw new TooManyPixelsException(what + " declares " + width + "x" + height + " = " + width * height
                            + " pixels, more than the limit of " + maxPixels + " (" + setting + "); it was not decoded",
                            width, height);
                }
                if (!decode) {
                    return new Read(width * height, null);
                }
                BufferedImage img = reader.read(0);
                if (img == null) {
                    throw new DecodeException(label + ": the reader returned no image", null);
                }
                return new Read(width * height, img);
            } finally {
                reader.dispose();
            }
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // broken files surface as IIOException, but also as IndexOutOfBounds, IllegalArgument, ...
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new DecodeException(label + ": " + m, e);
        }
    }

    private static String firstBytes(byte[] b) {
        int n = Math.min(8, b.length);
        return HexFormat.ofDelimiter(" ").formatHex(b, 0, n);
    }
}
