package org.jepa4j.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jepa4j.tensor.FloatTensor;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes a float32 safetensors file (the layout {@link org.jepa4j.tensor.Safetensors} reads)
 * one tensor at a time: the header needs only the shapes, then each tensor is fetched, written
 * and dropped, so importing a ViT-H checkpoint never holds more than one tensor of it.
 * Atomic: a temporary file in the same folder renamed at the end.
 */
final class StreamingSafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Supplies one tensor's values by name. */
    interface TensorSupplier {
        FloatTensor get(String name) throws IOException;
    }

    private StreamingSafetensorsWriter() {
    }

    /**
     * Writes {@code shapes.keySet()} in order, asking {@code supplier} for each tensor.
     *
     * @param progress called after each tensor with (tensors done, bytes done)
     * @throws IOException naming the tensor when the supplied shape differs from the announced one
     */
    static void write(Path file, Map<String, long[]> shapes, TensorSupplier supplier, Map<String, String> metadata,
                      java.util.function.BiConsumer<Integer, Long> progress) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
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
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                out.write(headerBytes);
                for (int i = headerBytes.length; i < padded; i++) {
                    out.write(' ');
                }
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                int done = 0;
                long bytesDone = 0;
                for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                    FloatTensor t = supplier.get(e.getKey());
                    if (!Arrays.equals(t.shape(), e.getValue())) {
                        throw new IOException("tensor '" + e.getKey() + "' has shape " + t.shapeString() + " but "
                                + Arrays.toString(e.getValue()) + " was announced");
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
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
