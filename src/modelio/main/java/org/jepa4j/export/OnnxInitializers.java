package org.jepa4j.export;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import org.jepa4j.onnx.OnnxProto;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the float32 initializers of an ONNX model (ModelProto.graph = 7, GraphProto.initializer = 5;
 * inline {@code raw_data} or external data) back into an encoder state dict, undoing the export's
 * transposition of Linear weights ({@code <name>.weight.T [in, out] -> <name>.weight [out, in]}) and
 * its split of each {@code attn.qkv} Linear into {@code attn.q}, {@code attn.k} and {@code attn.v}
 * (files written before that split, with {@code attn.qkv} itself, read the same).
 * Used to run other back ends on the exact weights of an exported model.
 */
public final class OnnxInitializers {
    /** {@code <block>.attn.} + one of {@link EncoderOnnxGraph#QKV_PARTS} + {@code .weight|.bias}. */
    private static final Pattern QKV_PART = Pattern.compile(
            "(.*\\.attn\\.)(" + String.join("|", EncoderOnnxGraph.QKV_PARTS) + ")(\\.weight|\\.bias)");

    private OnnxInitializers() {
    }

    /**
     * The model's float initializers as an encoder state dict; non-float and scalar constants are skipped.
     *
     * @throws IOException naming the file when it is not a readable ONNX model, or when it is an int8
     *                     export (whose Linear weights are int8)
     */
    public static NamedTensors readEncoderWeights(Path model) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        List<Raw> raws = readRaw(model);
        for (Raw t : raws) {
            if (t.dataType == OnnxProto.INT8 && t.name.endsWith(Int8Linear.WEIGHT_SUFFIX)) {
                throw new IOException(model + ": its Linear weights are quantized to int8 (initializer '" + t.name
                        + "', an export --precision int8 file), so it holds no float32 weights to read; give the "
                        + "float32 export of the same checkpoint, or the checkpoint itself");
            }
        }
        for (Raw t : raws) {
            if (t.dataType != OnnxProto.FLOAT || t.dims.length == 0) {
                continue;
            }
            float[] v = t.floats(model);
            FloatTensor tensor = new FloatTensor(t.dims, v);
            if (t.name.endsWith(".weight.T")) {
                tensors.put(t.name.substring(0, t.name.length() - 2), EncoderOnnxGraph.transpose(tensor));
            } else {
                tensors.put(t.name, tensor);
            }
        }
        NamedTensors.Builder b = NamedTensors.builder();
        for (Map.Entry<String, FloatTensor> e : tensors.entrySet()) {
            Matcher m = QKV_PART.matcher(e.getKey());
            if (!m.matches()) {
                b.put(e.getKey(), e.getValue());
            } else if (m.group(2).equals(EncoderOnnxGraph.QKV_PARTS.get(0))) {
                b.put(m.group(1) + "qkv" + m.group(3), joinRows(model, tensors, m.group(1), m.group(3)));
            }
        }
        return b.build();
    }

    /**
     * {@code attn.qkv.weight [3D, D]} (or {@code .bias [3D]}) from the export's {@code attn.q},
     * {@code attn.k} and {@code attn.v} parts, stacked along the first axis in that order.
     */
    private static FloatTensor joinRows(Path model, Map<String, FloatTensor> tensors, String prefix, String suffix)
            throws IOException {
        List<FloatTensor> parts = new ArrayList<>();
        for (String p : EncoderOnnxGraph.QKV_PARTS) {
            FloatTensor t = tensors.get(prefix + p + suffix);
            if (t == null || (!parts.isEmpty() && !Arrays.equals(t.shape(), parts.get(0).shape()))) {
                throw new IOException(model + ": initializer '" + prefix + p + suffix + "' is missing or shaped unlike '"
                        + prefix + EncoderOnnxGraph.QKV_PARTS.get(0) + suffix + "'");
            }
            parts.add(t);
        }
        long[] shape = parts.get(0).shape().clone();
        shape[0] *= parts.size();
        float[] joined = new float[parts.get(0).data().length * parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            float[] d = parts.get(i).data();
            System.arraycopy(d, 0, joined, i * d.length, d.length);
        }
        return new FloatTensor(shape, joined);
    }

    private static final class Raw {
        String name = "";
        long[] dims = new long[0];
        int dataType;
        byte[] raw;
        String location;
        long offset;
        long length = -1;

        float[] floats(Path model) throws IOException {
            int n = Math.toIntExact(FloatTensor.elementCount(dims));
            ByteBuffer buf;
            if (location != null) {
                Path file = model.toAbsolutePath().resolveSibling(location);
                buf = ByteBuffer.allocate(4 * n);
                try (FileChannel ch = FileChannel.open(file)) {
                    long pos = offset;
                    while (buf.hasRemaining()) {
                        int r = ch.read(buf, pos);
                        if (r < 0) {
                            throw new IOException(file + ": ends before tensor '" + name + "' (offset " + offset + ")");
                        }
                        pos += r;
                    }
                }
                buf.flip();
            } else if (raw != null) {
                buf = ByteBuffer.wrap(raw);
            } else {
                throw new IOException(model + ": initializer '" + name + "' has no raw_data or external data");
            }
            if (buf.remaining() != 4 * n) {
                throw new IOException(model + ": initializer '" + name + "' has " + buf.remaining() + " bytes, expected " + 4 * n);
            }
            float[] out = new float[n];
            buf.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    private static List<Raw> readRaw(Path model) throws IOException {
        List<Raw> out = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(model), 1 << 16)) {
            CodedInputStream c = CodedInputStream.newInstance(in);
            c.setSizeLimit(Integer.MAX_VALUE);
            boolean sawGraph = false;
            int tag;
            while ((tag = c.readTag()) != 0) {
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    sawGraph = true;
                    int limit = c.pushLimit(c.readRawVarint32());
                    readGraph(c, out);
                    c.popLimit(limit);
                } else {
                    c.skipField(tag);
                }
            }
            if (!sawGraph) {
                throw new IOException(model + ": not an ONNX model (no graph)");
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(model + ": not an ONNX model: " + e.getMessage(), e);
        }
        return out;
    }

    private static void readGraph(CodedInputStream c, List<Raw> out) throws IOException {
        int tag;
        while ((tag = c.readTag()) != 0) {
            if (WireFormat.getTagFieldNumber(tag) == 5) {
                int limit = c.pushLimit(c.readRawVarint32());
                out.add(readTensor(c));
                c.popLimit(limit);
            } else {
                c.skipField(tag);
            }
        }
    }

    private static Raw readTensor(CodedInputStream c) throws IOException {
        Raw t = new Raw();
        List<Long> dims = new ArrayList<>();
        int tag;
        while ((tag = c.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> {
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = c.pushLimit(c.readRawVarint32());
                        while (c.getBytesUntilLimit() > 0) {
                            dims.add(c.readInt64());
                        }
                        c.popLimit(limit);
                    } else {
                        dims.add(c.readInt64());
                    }
                }
                case 2 -> t.dataType = c.readInt32();
                case 8 -> t.name = c.readString();
                case 9 -> t.raw = c.readByteArray();
                case 13 -> {
                    int limit = c.pushLimit(c.readRawVarint32());
                    String key = null;
                    String value = null;
                    int inner;
                    while ((inner = c.readTag()) != 0) {
                        if (WireFormat.getTagFieldNumber(inner) == 1) {
                            key = c.readString();
                        } else if (WireFormat.getTagFieldNumber(inner) == 2) {
                            value = c.readString();
                        } else {
                            c.skipField(inner);
                        }
                    }
                    c.popLimit(limit);
                    if ("location".equals(key)) {
                        t.location = value;
                    } else if ("offset".equals(key)) {
                        t.offset = Long.parseLong(value);
                    } else if ("length".equals(key)) {
                        t.length = Long.parseLong(value);
                    }
                }
                default -> c.skipField(tag);
            }
        }
        t.dims = dims.stream().mapToLong(Long::longValue).toArray();
        return t;
    }
}
