package org.jepa4j.onnx;

import com.google.protobuf.CodedOutputStream;
import org.jepa4j.onnx.OnnxProto.GraphProto;
import org.jepa4j.onnx.OnnxProto.ModelProto;
import org.jepa4j.onnx.OnnxProto.TensorProto;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a {@link ModelProto} to a {@code .onnx} file, moving large initializers to one side file
 * {@code <name>.onnx.data} (ONNX external data) when the model would not fit protobuf's 2 GB limit
 * or when asked to. Both files are written under temporary names in the target folder and renamed
 * at the end (side file first), so a crash never leaves a half-written model under its final name.
 */
public final class OnnxWriter {
    /** Protobuf messages cannot exceed 2 GiB - 1 bytes. */
    public static final long PROTOBUF_LIMIT = Integer.MAX_VALUE;
    /** Initializers smaller than this stay inside the model file even with external data (as onnx's default). */
    public static final long EXTERNAL_THRESHOLD = 1024;
    /** Offsets in the side file are multiples of this (onnx.proto: SHOULD be page aligned for mmap). */
    public static final long ALIGNMENT = 4096;

    private OnnxWriter() {
    }

    /** When to store initializers in a side file. */
    public enum ExternalData {
        /** Only when the model would exceed {@link #PROTOBUF_LIMIT}. */
        AUTO,
        /** Always (useful for tests and for memory-mapped loading). */
        ALWAYS,
        /** Never; fails for models over the limit. */
        NEVER;

        /** Parses {@code auto|always|never}. */
        public static ExternalData parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("external data mode '" + s + "': expected auto, always or never");
            }
        }
    }

    /**
     * What was written.
     *
     * @param model        the {@code .onnx} file
     * @param externalData the side file, or null when everything is inside the model file
     * @param modelBytes   size of the model file
     * @param dataBytes    size of the side file (0 without one)
     */
    public record Written(Path model, Path externalData, long modelBytes, long dataBytes) {
    }

    /** The side file name for a model file: {@code encoder.onnx -> encoder.onnx.data}. */
    public static Path externalDataPath(Path model) {
        return model.resolveSibling(model.getFileName() + ".data");
    }

    /**
     * Writes {@code model} to {@code file}.
     *
     * @throws IOException naming the file when the model is too large for {@code NEVER} or writing fails
     */
    public static Written write(ModelProto model, Path file, ExternalData mode) throws IOException {
        try {
            return writeFiles(model, file, mode);
        } catch (IOException e) {
            throw org.jepa4j.io.AtomicFiles.named(file, e); // file-system errors carry a bare path
        }
    }

    private static Written writeFiles(ModelProto model, Path file, ExternalData mode) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        long inlineSize = model.serializedSize();
        boolean external = mode == ExternalData.ALWAYS || (mode == ExternalData.AUTO && inlineSize > PROTOBUF_LIMIT);
        if (!external && inlineSize > PROTOBUF_LIMIT) {
            throw new IOException(file + ": the model needs " + inlineSize + " bytes, more than protobuf's limit of "
                    + PROTOBUF_LIMIT + "; use external data (--external-data auto or always)");
        }
        Path dataFile = externalDataPath(target);
        Path dataTmp = null;
        Path modelTmp = org.jepa4j.io.OutputGuard.createTemporary(target);
        try {
            ModelProto toWrite = model;
            long dataBytes = 0;
            if (external) {
                dataTmp = org.jepa4j.io.OutputGuard.createTemporary(dataFile);
                List<TensorProto> moved = new ArrayList<>();
                dataBytes = writeExternal(model.graph(), dataFile.getFileName().toString(), dataTmp, moved);
                toWrite = model.withGraph(model.graph().withInitializers(moved));
                if (toWrite.serializedSize() > PROTOBUF_LIMIT) {
                    throw new IOException(file + ": even with external data the model file needs "
                            + toWrite.serializedSize() + " bytes (limit " + PROTOBUF_LIMIT + ")");
                }
            }
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(modelTmp), 1 << 16)) {
                CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 16);
                toWrite.writeTo(cos);
                cos.flush();
            }
            if (dataTmp != null) {
                Files.move(dataTmp, dataFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                // a stale side file from an earlier export would not be referenced, but would mislead
                Files.deleteIfExists(dataFile);
            }
            Files.move(modelTmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Written(target, dataTmp != null ? dataFile : null, Files.size(target), dataBytes);
        } finally {
            org.jepa4j.io.OutputGuard.release(modelTmp);
            if (dataTmp != null) {
                org.jepa4j.io.OutputGuard.release(dataTmp);
            }
        }
    }

    /** Streams every initializer of at least {@link #EXTERNAL_THRESHOLD} bytes to {@code dataTmp}; returns its size. */
    private static long writeExternal(GraphProto graph, String location, Path dataTmp, List<TensorProto> moved)
            throws IOException {
        long offset = 0;
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(dataTmp), 1 << 16)) {
            for (TensorProto t : graph.initializers()) {
                if (t.isExternal() || t.data().byteLength() < EXTERNAL_THRESHOLD) {
                    moved.add(t);
                    continue;
                }
                long aligned = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
                os.write(new byte[(int) (aligned - offset)]);
                t.data().writeRaw(os);
                moved.add(t.withExternalData(location, aligned));
                offset = aligned + t.data().byteLength();
            }
        }
        return offset;
    }
}
