package org.jepa4j.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.zip.CRC32C;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data).
 *
 * <p>Writing produces F32 tensors only; reading accepts F32, F64, F16, BF16 and the integer
 * types, converting to float32. String metadata ({@code __metadata__}) round-trips.
 * Writes go through {@link AtomicFiles} (temporary file in the same folder, fsync, rename, fsync
 * of the folder), so a crash never leaves a half-written file under the final name.
 *
 * <p>Every file written here carries, under the metadata key {@link #CHECKSUMS}, a JSON object of
 * CRC32C checksums: one per tensor (of its raw bytes, as stored) and one of the other metadata
 * entries under {@code "__metadata__"}. {@link #read} verifies them when present and names the
 * tensor whose bytes changed; files of other writers (no such key) are read unverified. CRC32C is
 * computed by the JVM's hardware intrinsic, so the check costs little next to the disk
 * (docs/reliability.md gives the figure for the Fashion-MNIST preset).
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Reads headers: a tensor named twice is an error, not the last one winning. */
    private static final ObjectMapper HEADER_JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    /** Metadata key of the checksums: a JSON object, tensor name (or {@code __metadata__}) to 8 hex digits of CRC32C. */
    public static final String CHECKSUMS = "jepa4j.crc32c";
    private static final String METADATA_ENTRY = "__metadata__";
    private static final String PLACEHOLDER = "00000000";

    private Safetensors() {
    }

    /**
     * Tensors plus string metadata as stored in one file.
     *
     * @param verified whether the file carried {@link #CHECKSUMS} and they matched (false: a file of
     *                 another writer, or one whose checksum entry was removed)
     */
    public record Contents(NamedTensors tensors, Map<String, String> metadata, boolean verified) {
    }

    /** Writes {@code tensors} and {@code metadata} to {@code file} atomically ({@link AtomicFiles}). */
    public static void write(Path file, NamedTensors tensors, Map<String, String> metadata) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.asMap().forEach((name, t) -> shapes.put(name, t.shape()));
        write(file, shapes, tensors::get, metadata, (done, bytes) -> { });
    }

    /** Supplies one tensor's values by name (for streaming writes). */
    @FunctionalInterface
    public interface TensorSupplier {
        FloatTensor get(String name) throws IOException;
    }

    /**
     * Writes the tensors named in {@code shapes}, in order, asking {@code supplier} for each one
     * only when it is written, so a file larger than the heap can be produced one tensor at a
     * time. Atomic and durable ({@link AtomicFiles}).
     *
     * @param progress called after each tensor with (tensors done, data bytes done)
     * @throws IOException naming the tensor when the supplied shape differs from the announced one
     */
    public static void write(Path file, Map<String, long[]> shapes, TensorSupplier supplier,
                             Map<String, String> metadata, BiConsumer<Integer, Long> progress) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.remove(CHECKSUMS);
        Map<String, String> checksums = new LinkedHashMap<>();
        checksums.put(METADATA_ENTRY, hex(metadataChecksum(meta)));
        shapes.keySet().forEach(name -> checksums.put(name, PLACEHOLDER));
        byte[] headerBytes = header(shapes, meta, checksums);
        int padded = (headerBytes.length + 7) / 8 * 8;
        AtomicFiles.writePath(file, tmp -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(headerBytes);
                for (int i = headerBytes.length; i < padded; i++) {
                    out.write(' ');
                }
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                CRC32C crc = new CRC32C();
                int done = 0;
                long bytesDone = 0;
                for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                    FloatTensor t = supplier.get(e.getKey());
                    if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                        throw new IOException("tensor '" + e.getKey() + "' has shape " + t.shapeString() + " but "
                                + java.util.Arrays.toString(e.getValue()) + " was announced");
                    }
                    crc.reset();
                    float[] data = t.data();
                    int chunk = buf.capacity() / 4;
                    for (int off = 0; off < data.length; off += chunk) {
                        int n = Math.min(chunk, data.length - off);
                        buf.clear();
                        buf.asFloatBuffer().put(data, off, n); // little-endian view: a bulk copy on x86
                        crc.update(buf.array(), 0, 4 * n);
                        out.write(buf.array(), 0, 4 * n);
                    }
                    checksums.put(e.getKey(), hex(crc.getValue()));
                    bytesDone += 4L * t.data().length;
                    progress.accept(++done, bytesDone);
                }
            }
            // the header was written with placeholders of the same width: only hex digits change
            byte[] finalHeader = header(shapes, meta, checksums);
            if (finalHeader.length != headerBytes.length) {
                throw new IllegalStateException("safetensors header changed length while filling in its checksums");
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer hb = ByteBuffer.wrap(finalHeader);
                long pos = 8;
                while (hb.hasRemaining()) {
                    pos += ch.write(hb, pos);
                }
            }
        });
    }

    private static byte[] header(Map<String, long[]> shapes, Map<String, String> metadata,
                                 Map<String, String> checksums) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        meta.put(CHECKSUMS, JSON.writeValueAsString(checksums));
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", "F32");
            var shape = node.putArray("shape");
            for (long d : e.getValue()) {
                shape.add(d);
            }
            long bytes = 4L * FloatTensor.elementCount(e.getValue());
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        return JSON.writeValueAsBytes(header);
    }

    /** CRC32C of the metadata entries in key order, each as {@code key NUL value NUL} in UTF-8. */
    private static long metadataChecksum(Map<String, String> metadata) {
        CRC32C crc = new CRC32C();
        new java.util.TreeMap<>(metadata).forEach((k, v) -> {
            crc.update((k + '\0' + v + '\0').getBytes(StandardCharsets.UTF_8));
        });
        return crc.getValue();
    }

    private static String hex(long crc) {
        return String.format(java.util.Locale.ROOT, "%08x", crc);
    }

    /**
     * Reads every tensor of {@code file} as float32, verifying the {@link #CHECKSUMS} when the file
     * has them (the key is not part of the returned metadata).
     *
     * @throws IOException naming the file when it is not valid safetensors, and the tensor when its
     *                     bytes do not match their checksum
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new IOException(file + ": not a safetensors file (only " + fileSize + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > fileSize) {
                throw new IOException(file + ": not a safetensors file (header length " + headerLen + ")");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = HEADER_JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IOException(file + ": safetensors header is not valid JSON (or names a tensor twice): "
                        + e.getMessage().lines().findFirst().orElse(""), e);
            }
            if (header == null || !header.isObject()) {
                throw new IOException(file + ": safetensors header is not a JSON object of tensors");
            }
            long dataStart = 8 + headerLen;
            List<Entry> entries = entries(file, header, fileSize - dataStart);
            Map<String, String> meta = new LinkedHashMap<>();
            header.path("__metadata__").fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
            Map<String, String> checksums = checksums(file, meta.remove(CHECKSUMS));
            if (checksums != null) {
                String stored = checksums.remove(METADATA_ENTRY);
                String actual = hex(metadataChecksum(meta));
                if (!actual.equals(stored)) {
                    throw corrupted(file, "its metadata", stored, actual);
                }
            }
            boolean verified = checksums != null;
            NamedTensors.Builder b = NamedTensors.builder();
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN); // a multiple of every width
            for (Entry e : entries) {
                CRC32C crc = new CRC32C();
                float[] values = decode(ch, dataStart + e.begin(), (int) e.count(), e.dtype(), crc, buf);
                b.put(e.name(), new FloatTensor(e.shape(), values));
                if (checksums != null) {
                    String stored = checksums.remove(e.name());
                    String actual = hex(crc.getValue());
                    if (!actual.equals(stored)) {
                        throw corrupted(file, "tensor '" + e.name() + "'", stored, actual);
                    }
                }
            }
            if (checksums != null && !checksums.isEmpty()) {
                throw new IOException(file + ": the checksums name tensors the file does not hold "
                        + checksums.keySet() + ": the file is corrupted or was edited");
            }
            return new Contents(b.build(), meta, verified);
        }
    }

    /** One tensor of a header, checked. */
    private record Entry(String name, String dtype, long[] shape, long count, long begin, long end) {
    }

    /**
     * Every tensor of {@code header}, validated before any data is read: a known dtype, a shape of
     * whole numbers >= 0 whose product fits one Java array, two offsets whose span is exactly
     * dtype width x shape, inside the data; and no two tensors sharing a byte, with no gap between
     * them (the safetensors rule: the data is the tensors packed end to end).
     *
     * @throws IOException naming the file, the tensor and what was expected
     */
    private static List<Entry> entries(Path file, JsonNode header, long dataLength) throws IOException {
        List<Entry> out = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!e.getValue().isObject()) {
                    throw new IOException(file + ": safetensors '__metadata__' is not a JSON object of strings");
                }
                continue;
            }
            JsonNode n = e.getValue();
            if (!n.isObject() || !n.path("dtype").isTextual() || !n.path("shape").isArray()
                    || !n.path("data_offsets").isArray()) {
                throw new IOException(file + ": tensor '" + name + "' is not {dtype, shape, data_offsets} in the header");
            }
            String dtype = n.path("dtype").asText();
            int width = dtypeWidth(file, name, dtype);
            JsonNode shapeNode = n.path("shape");
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode dim = shapeNode.get(i);
                if (!dim.canConvertToLong() || !dim.isIntegralNumber() || dim.asLong() < 0) {
                    throw new IOException(file + ": tensor '" + name + "' has shape " + shapeNode + ": expected whole"
                            + " numbers >= 0");
                }
                shape[i] = dim.asLong();
                if (shape[i] != 0 && count > (Integer.MAX_VALUE - 8) / shape[i]) {
                    throw new IOException(file + ": tensor '" + name + "' has shape " + shapeNode + ", more values than"
                            + " one array holds (" + (Integer.MAX_VALUE - 8) + ")");
                }
                count *= shape[i];
            }
            JsonNode offsets = n.path("data_offsets");
            if (offsets.size() != 2 || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                    || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
                throw new IOException(file + ": tensor '" + name + "' has data_offsets " + offsets + ": expected two whole"
                        + " numbers [begin, end]");
            }
            long begin = offsets.get(0).asLong();
            long end = offsets.get(1).asLong();
            if (begin < 0 || end < begin || end > dataLength) {
                throw new IOException(file + ": tensor '" + name + "' has byte range [" + begin + ", " + end + ") outside"
                        + " the data of " + dataLength + " bytes after the header: the file is truncated or its header is"
                        + " wrong");
            }
            if (end - begin != count * width) {
                throw new IOException(file + ": tensor '" + name + "' has byte range [" + begin + ", " + end + ") of "
                        + (end - begin) + " bytes, but its shape " + java.util.Arrays.toString(shape) + " of " + dtype
                        + " needs " + count * width + " bytes");
            }
            out.add(new Entry(name, dtype, shape, count, begin, end));
        }
        List<Entry> byOffset = new ArrayList<>(out);
        byOffset.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < at) {
                throw new IOException(file + ": tensors '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + ") and '" + e.name() + "' [" + e.begin() + ", " + e.end() + ") overlap:"
                        + " expected every tensor to own its bytes");
            }
            if (e.begin() > at) {
                throw new IOException(file + ": bytes [" + at + ", " + e.begin() + ") of the data belong to no tensor"
                        + " (before '" + e.name() + "'): expected tensors packed end to end");
            }
            if (e.end() > at) {
                at = e.end();
                previous = e;
            } else if (previous == null) {
                previous = e;
            }
        }
        if (at != dataLength) {
            throw new IOException(file + ": the data holds " + dataLength + " bytes after the header but its tensors"
                    + " cover " + at + ": expected tensors packed end to end to the end of the file");
        }
        return out;
    }

    private static int dtypeWidth(Path file, String name, String dtype) throws IOException {
        return switch (dtype) {
            case "F32", "I32", "U32" -> 4;
            case "F64", "I64", "U64" -> 8;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw new IOException(file + ": tensor '" + name + "' has unsupported dtype '" + dtype + "'");
        };
    }

    private static Map<String, String> checksums(Path file, String json) throws IOException {
        if (json == null) {
            return null;
        }
        try {
            Map<String, String> m = new LinkedHashMap<>();
            JSON.readTree(json).fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
            return m;
        } catch (IOException e) {
            throw new IOException(file + ": metadata '" + CHECKSUMS + "' is not a JSON object of checksums: the file"
                    + " is corrupted", e);
        }
    }

    private static IOException corrupted(Path file, String what, String stored, String actual) {
        return new IOException(file + ": " + what + " does not match its CRC32C checksum (stored "
                + (stored == null ? "none" : stored) + ", computed " + actual + "): the file is corrupted"
                + " (a changed byte on disk or in a copy); use an earlier checkpoint");
    }

    /** Decodes {@code count} values of {@code dtype} at {@code position} through {@code buf} (one per read). */
    private static float[] decode(FileChannel ch, long position, int count, String dtype, CRC32C crc, ByteBuffer buf)
            throws IOException {
        float[] out = new float[count];
        int width = dtypeWidth(null, "", dtype);
        int chunkElems = buf.capacity() / width;
        int done = 0;
        while (done < count) {
            int n = Math.min(chunkElems, count - done);
            buf.clear().limit(n * width);
            readFully(ch, buf, position + (long) done * width);
            crc.update(buf.array(), 0, n * width);
            buf.flip();
            if (dtype.equals("F32")) {
                buf.asFloatBuffer().get(out, done, n);
                done += n;
                continue;
            }
            for (int i = 0; i < n; i++) {
                out[done + i] = switch (dtype) {
                    case "F32" -> buf.getFloat();
                    case "F64" -> (float) buf.getDouble();
                    case "F16" -> halfToFloat(buf.getShort());
                    case "BF16" -> Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                    case "I64" -> buf.getLong();
                    case "U64" -> buf.getLong();
                    case "I32" -> buf.getInt();
                    case "U32" -> buf.getInt() & 0xffffffffL;
                    case "I16" -> buf.getShort();
                    case "U16" -> buf.getShort() & 0xffff;
                    case "I8" -> buf.get();
                    default -> buf.get() & 0xff;
                };
            }
            done += n;
        }
        return out;
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat needs Java 20). */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }
}
