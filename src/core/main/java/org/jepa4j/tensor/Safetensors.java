package org.jepa4j.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data).
 *
 * <p>Writing produces F32 tensors only; reading accepts F32, F64, F16, BF16 and the integer
 * types, converting to float32. String metadata ({@code __metadata__}) round-trips.
 * Writes go to a temporary file in the same folder that is renamed over the target at the end,
 * so a crash never leaves a half-written file under the final name.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private Safetensors() {
    }

    /** Tensors plus string metadata as stored in one file. */
    public record Contents(NamedTensors tensors, Map<String, String> metadata) {
    }

    /** Writes {@code tensors} and {@code metadata} to {@code file} atomically (temp file + rename). */
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
     * time. Atomic (temp file + rename).
     *
     * @param progress called after each tensor with (tensors done, data bytes done)
     * @throws IOException naming the tensor when the supplied shape differs from the announced one
     */
    public static void write(Path file, Map<String, long[]> shapes, TensorSupplier supplier,
                             Map<String, String> metadata, BiConsumer<Integer, Long> progress) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
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
        byte[] headerBytes = JSON.writeValueAsBytes(header);
        int padded = (headerBytes.length + 7) / 8 * 8;
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(headerBytes);
                for (int i = headerBytes.length; i < padded; i++) {
                    out.write(' ');
                }
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                int done = 0;
                long bytesDone = 0;
                for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                    FloatTensor t = supplier.get(e.getKey());
                    if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                        throw new IOException("tensor '" + e.getKey() + "' has shape " + t.shapeString() + " but "
                                + java.util.Arrays.toString(e.getValue()) + " was announced");
                    }
                    for (float v : t.data()) {
                        if (buf.remaining() < 4) {
                            out.write(buf.array(), 0, buf.position());
                            buf.clear();
                        }
                        buf.putFloat(v);
                    }
                    bytesDone += 4L * t.data().length;
                    progress.accept(++done, bytesDone);
                }
                out.write(buf.array(), 0, buf.position());
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads every tensor of {@code file} as float32.
     *
     * @throws IOException naming the file when it is not valid safetensors
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
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IOException(file + ": safetensors header is not valid JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLen;
            Map<String, String> meta = new LinkedHashMap<>();
            NamedTensors.Builder b = NamedTensors.builder();
            Iterator<Map.Entry<String, JsonNode>> it = header.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode n = e.getValue();
                String dtype = n.path("dtype").asText("");
                JsonNode shapeNode = n.path("shape");
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong();
                }
                long begin = n.path("data_offsets").path(0).asLong(-1);
                long end = n.path("data_offsets").path(1).asLong(-1);
                long count = FloatTensor.elementCount(shape);
                int width = dtypeWidth(file, e.getKey(), dtype);
                if (begin < 0 || end < begin || end - begin != count * width || dataStart + end > fileSize) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "' has byte range [" + begin + ", "
                            + end + ") that does not fit its shape " + java.util.Arrays.toString(shape)
                            + " of " + dtype + " or the file size " + fileSize);
                }
                b.put(e.getKey(), new FloatTensor(shape, decode(ch, dataStart + begin, (int) count, dtype)));
            }
            return new Contents(b.build(), meta);
        }
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

    private static float[] decode(FileChannel ch, long position, int count, String dtype) throws IOException {
        float[] out = new float[count];
        int width = dtypeWidth(null, "", dtype);
        int chunkElems = Math.max(1, (1 << 20) / width);
        ByteBuffer buf = ByteBuffer.allocate(chunkElems * width).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < count) {
            int n = Math.min(chunkElems, count - done);
            buf.clear().limit(n * width);
            readFully(ch, buf, position + (long) done * width);
            buf.flip();
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
