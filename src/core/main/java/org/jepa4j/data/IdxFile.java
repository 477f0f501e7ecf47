package org.jepa4j.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * One IDX array (the MNIST file format): magic {@code 00 00 TT RR} with type TT (only 0x08,
 * unsigned byte, is accepted) and rank RR, then RR big-endian int32 dimensions, then the values.
 * Gzip-compressed files are recognised by their own magic ({@code 1f 8b}), not by the name.
 *
 * @param file   the file it was read from (for messages)
 * @param dims   dimensions, outermost first
 * @param values {@code prod(dims)} unsigned bytes, row-major
 */
public record IdxFile(Path file, int[] dims, byte[] values) {

    private static final int UNSIGNED_BYTE = 0x08;

    /** Reads and validates {@code file}. */
    public static IdxFile read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            try (DataInputStream in = new DataInputStream(gzip
                    ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw)) {
                return parse(file, in, gzip ? -1 : Files.size(file));
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("IDX file " + file + " does not exist", e);
        } catch (EOFException e) {
            throw new IllegalArgumentException("IDX file " + file + " is truncated (" + e.getMessage() + ")", e);
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException("IDX file " + file + ": its gzip data is damaged (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Most dimensions of an array (images with channels have four). */
    private static final int MAX_RANK = 8;

    /** @param fileSize bytes of an uncompressed file, or -1 for gzip (then the data is read as it comes) */
    private static IdxFile parse(Path file, DataInputStream in, long fileSize) throws IOException {
        int magic = in.readInt();
        int zeros = magic >>> 16;
        int type = (magic >>> 8) & 0xff;
        int rank = magic & 0xff;
        if (zeros != 0 || rank == 0 || rank > MAX_RANK) {
            throw new IllegalArgumentException("IDX file " + file + ": bad magic 0x" + String.format("%08x", magic)
                    + " (expected 0x0000TTRR: two zero bytes, type, rank)");
        }
        if (type != UNSIGNED_BYTE) {
            throw new IllegalArgumentException("IDX file " + file + ": element type 0x" + String.format("%02x", type)
                    + " is not supported (only 0x08, unsigned byte)");
        }
        int[] dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readInt();
            if (dims[i] <= 0) {
                throw new IllegalArgumentException("IDX file " + file + ": dimension " + i + " is " + dims[i]
                        + " (must be positive)");
            }
            count *= dims[i];
            if (count > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("IDX file " + file + ": dimensions " + Arrays.toString(Arrays.copyOf(dims,
                        i + 1)) + "... hold more values than one Java array can");
            }
        }
        long header = 4L + 4L * rank;
        if (fileSize >= 0 && fileSize - header < count) {
            throw new IllegalArgumentException("IDX file " + file + " is truncated: header " + Arrays.toString(dims)
                    + " needs " + count + " values, the file holds " + (fileSize - header));
        }
        // read as it comes: a gzip header cannot make us allocate what the data does not hold
        byte[] values = in.readNBytes((int) count);
        int got = values.length;
        if (got != count) {
            throw new IllegalArgumentException("IDX file " + file + " is truncated: header " + Arrays.toString(dims)
                    + " needs " + count + " values, found " + got);
        }
        return new IdxFile(file, dims, values);
    }

    /** Rank (number of dimensions). */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i}. */
    public int dim(int i) {
        return dims[i];
    }
}
