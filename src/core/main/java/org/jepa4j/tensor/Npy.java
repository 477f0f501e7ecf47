package org.jepa4j.tensor;

import org.jepa4j.io.AtomicFiles;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format 1.0/2.0, little-endian, C order): float32/float64/int32/int64
 * read as float or long arrays; float32 and int64 written.
 */
public final class Npy {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** A loaded array: its shape, dtype descriptor and raw little-endian data. */
    public record Array(long[] shape, String dtype, ByteBuffer data) {
        /** Values converted to float32. */
        public float[] toFloats() {
            int n = Math.toIntExact(FloatTensor.elementCount(shape));
            float[] out = new float[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out[i] = switch (dtype) {
                    case "<f4" -> b.getFloat();
                    case "<f8" -> (float) b.getDouble();
                    case "<i4" -> b.getInt();
                    case "<i8" -> b.getLong();
                    case "|u1" -> b.get() & 0xff;
                    default -> throw new IllegalStateException("unsupported dtype " + dtype);
                };
            }
            return out;
        }

        /** Values converted to long (integer dtypes only). */
        public long[] toLongs() {
            int n = Math.toIntExact(FloatTensor.elementCount(shape));
            long[] out = new long[n];
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out[i] = switch (dtype) {
                    case "<i4" -> b.getInt();
                    case "<i8" -> b.getLong();
                    case "|u1" -> b.get() & 0xff;
                    default -> throw new IllegalStateException("dtype " + dtype + " is not an integer type");
                };
            }
            return out;
        }

        public FloatTensor toTensor() {
            return new FloatTensor(shape.clone(), toFloats());
        }
    }

    /**
     * Reads an .npy file.
     *
     * @throws IOException naming the file when the header is malformed or the dtype unsupported
     */
    public static Array read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(file + ": " + size + " bytes; .npy files over 2 GiB cannot be read into one array");
        }
        byte[] all = Files.readAllBytes(file);
        if (all.length < 10 || (all[0] & 0xff) != 0x93 || all[1] != 'N' || all[2] != 'U') {
            throw new IOException(file + ": not a .npy file (bad magic)");
        }
        int major = all[6];
        if (major < 1 || major > 3) {
            throw new IOException(file + ": .npy format version " + major + "." + all[7] + " is not supported (expected 1.0,"
                    + " 2.0 or 3.0)");
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xffff;
            start = 10;
        } else {
            if (all.length < 12) {
                throw new IOException(file + ": .npy header cut short (" + all.length + " bytes)");
            }
            headerLen = b.getInt(8) & 0xffffffffL;
            start = 12;
        }
        if (start + headerLen > all.length) {
            throw new IOException(file + ": .npy header claims " + headerLen + " bytes but the file holds only "
                    + (all.length - start) + " after its start: the file is truncated or not a .npy file");
        }
        String header = new String(all, start, (int) headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new IOException(file + ": malformed .npy header: " + header.trim());
        }
        if (o.group(1).equals("True")) {
            throw new IOException(file + ": Fortran-order arrays are not supported");
        }
        String dtype = d.group(1);
        if (!dtype.matches("<f4|<f8|<i4|<i8|\\|u1")) {
            throw new IOException(file + ": unsupported dtype '" + dtype + "' (expected <f4, <f8, <i4, <i8 or |u1)");
        }
        String[] dims = s.group(1).split(",");
        long[] shape;
        try {
            shape = java.util.Arrays.stream(dims).map(String::trim).filter(x -> !x.isEmpty())
                    .mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new IOException(file + ": .npy shape (" + s.group(1) + ") is not a tuple of whole numbers");
        }
        int width = dtype.equals("|u1") ? 1 : Integer.parseInt(dtype.substring(2));
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IOException(file + ": .npy shape " + java.util.Arrays.toString(shape) + " has a negative size");
            }
            if (dim != 0 && count > (Integer.MAX_VALUE - 8) / dim) {
                throw new IOException(file + ": .npy shape " + java.util.Arrays.toString(shape)
                        + " holds more values than one array can (" + (Integer.MAX_VALUE - 8) + ")");
            }
            count *= dim;
        }
        long dataStart = start + headerLen;
        long available = all.length - dataStart;
        if (count * width > available) {
            String rows = shape.length == 0 ? "" : " (" + shape[0] + " rows; the data holds " + (count == 0 ? 0
                    : available / Math.max(1, count * width / Math.max(1, shape[0]))) + ")";
            throw new IOException(file + ": .npy header claims shape " + java.util.Arrays.toString(shape) + " of " + dtype
                    + ", " + count * width + " bytes, but the file holds " + available + " bytes of data" + rows
                    + ": the file is truncated");
        }
        return new Array(shape, dtype, ByteBuffer.wrap(all, (int) dataStart, (int) available).slice());
    }

    /** Bytes encoded per write: large arrays are streamed, never copied whole into one buffer. */
    static final int CHUNK_BYTES = 1 << 16;

    /** Writes float32 values of the given shape atomically. */
    public static void writeFloats(Path file, long[] shape, float[] values) throws IOException {
        checkCount(file, shape, values.length);
        write(file, "<f4", shape, out -> streamElements(out, values.length, Float.BYTES,
                (chunk, i) -> chunk.putFloat(values[i])));
    }

    /** Writes int64 values of the given shape atomically. */
    public static void writeLongs(Path file, long[] shape, long[] values) throws IOException {
        checkCount(file, shape, values.length);
        write(file, "<i8", shape, out -> streamElements(out, values.length, Long.BYTES,
                (chunk, i) -> chunk.putLong(values[i])));
    }

    private static void checkCount(Path file, long[] shape, int count) {
        if (FloatTensor.elementCount(shape) != count) {
            throw new IllegalArgumentException(file + ": shape " + java.util.Arrays.toString(shape) + " holds "
                    + FloatTensor.elementCount(shape) + " values, got " + count);
        }
    }

    /** Puts element {@code i} into a little-endian chunk. */
    @FunctionalInterface
    private interface ElementWriter {
        void put(ByteBuffer chunk, int i);
    }

    /** Encodes {@code count} elements of {@code bytes} bytes each through one reused chunk. */
    private static void streamElements(OutputStream out, int count, int bytes, ElementWriter element)
            throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            if (chunk.remaining() < bytes) {
                out.write(chunk.array(), 0, chunk.position());
                chunk.clear();
            }
            element.put(chunk, i);
        }
        out.write(chunk.array(), 0, chunk.position());
    }

    /** Writes the array's bytes after the header. */
    @FunctionalInterface
    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private static void write(Path file, String dtype, long[] shape, Body body) throws IOException {
        StringBuilder sh = new StringBuilder();
        for (long d : shape) {
            sh.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + (sh.length() > 0 ? sh.substring(0, sh.length() - 2) : "") + ")";
        String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        AtomicFiles.write(file, out -> {
            out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            out.write(header.length() & 0xff);
            out.write(header.length() >>> 8);
            out.write(header.getBytes(StandardCharsets.ISO_8859_1));
            body.writeTo(out);
        });
    }
}
