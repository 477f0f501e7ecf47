package org.jepa4j.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** Hand-made image files for tests of hostile inputs. */
public final class CraftedImages {
    private CraftedImages() {
    }

    /**
     * A valid PNG header of a few dozen bytes whose IHDR declares {@code w x h} grey pixels, with no
     * pixel data: what a decompression bomb shows before its compressed stream.
     */
    public static byte[] pngHeader(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(w).putInt(h).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4 + 12);
        png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        png.putInt(13).put(ihdr.array()).putInt((int) crc.getValue());
        png.putInt(0).put("IEND".getBytes(StandardCharsets.US_ASCII)).putInt(0xAE426082);
        return png.array();
    }

    /**
     * A real 8x8 grey JPEG whose frame header (SOF0) is rewritten to declare {@code w x h} pixels
     * (at most 65535 each): a few hundred bytes that a decoder without a header check would try to
     * expand into {@code w * h} pixels.
     */
    public static byte[] jpegDeclaring(int w, int h) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            if (!javax.imageio.ImageIO.write(img, "jpeg", out)) {
                throw new IllegalStateException("no JPEG writer");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        byte[] jpeg = out.toByteArray();
        for (int i = 2; i + 8 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == 0xc0) { // SOF0: FF C0, length, precision, h, w
                ByteBuffer.wrap(jpeg, i + 5, 4).putShort((short) h).putShort((short) w);
                return jpeg;
            }
        }
        throw new IllegalStateException("the JPEG writer wrote no SOF0 frame header");
    }
}
