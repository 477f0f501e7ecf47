package org.jepa4j.serve;

import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.data.BoundedImageDecoder.DecodeException;
import org.jepa4j.data.BoundedImageDecoder.TooManyPixelsException;
import org.jepa4j.data.Image;

/**
 * Decodes request images through the shared {@link BoundedImageDecoder} (PNG, JPEG, BMP, GIF,
 * WBMP; images whose header declares more than {@code maxPixels} pixels are refused before any
 * pixel is decoded) and turns its refusals into {@link RequestError}s: 400 {@code empty_image} or
 * {@code not_an_image}, 413 {@code too_many_pixels}, each message naming the input.
 */
public final class ImageDecoder {
    private final BoundedImageDecoder decoder;

    /** @param maxPixels largest {@code width·height} accepted ({@code --max-pixels}) */
    public ImageDecoder(long maxPixels) {
        this.decoder = new BoundedImageDecoder(maxPixels, "--max-pixels");
    }

    /** Largest {@code width·height} accepted. */
    public long maxPixels() {
        return decoder.maxPixels();
    }

    /**
     * The pixels one encoded image's header declares, none decoded.
     *
     * @throws RequestError as {@link #decode}
     */
    public long declaredPixels(byte[] encoded, String what, String declaredType) {
        try {
            return decoder.declaredPixels(encoded, what);
        } catch (TooManyPixelsException e) {
            throw new RequestError(413, "too_many_pixels", e.getMessage(), e);
        } catch (DecodeException e) {
            throw refused(encoded, declaredType, e);
        }
    }

    /**
     * Decodes one encoded image.
     *
     * @param encoded      the bytes
     * @param what         the input's name in messages ({@code body}, {@code images[3]})
     * @param declaredType the content type the client declared, or null (only reported)
     * @throws RequestError 400 {@code empty_image} / {@code not_an_image} or 413 {@code too_many_pixels}
     */
    public Image decode(byte[] encoded, String what, String declaredType) {
        try {
            return Image.fromBufferedImage(decoder.decode(encoded, what));
        } catch (TooManyPixelsException e) {
            throw new RequestError(413, "too_many_pixels", e.getMessage(), e);
        } catch (DecodeException e) {
            throw refused(encoded, declaredType, e);
        }
    }

    private static RequestError refused(byte[] encoded, String declaredType, DecodeException e) {
        String declared = declaredType == null ? "" : " (declared as " + declaredType + ")";
        return new RequestError(400, encoded.length == 0 ? "empty_image" : "not_an_image", e.getMessage() + declared, e);
    }
}
