package org.jepa4j.onnx;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import org.jepa4j.tensor.FloatTensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of {@code onnx.proto} that jepa4j writes, as small records that know their
 * serialized size and write themselves in the protobuf wire format. Field numbers are those of
 * {@code onnx/onnx.proto} (proto2): every field that is set is written, so zero values (an
 * attribute {@code axis = 0}) are kept. Sizes are computed as {@code long} first, then the message
 * is streamed, so a caller can decide on external data before a byte is written.
 */
public final class OnnxProto {
    private OnnxProto() {
    }

    /** {@code TensorProto.DataType} values used here. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;

    /** {@code AttributeProto.AttributeType} values used here. */
    public static final int ATTR_FLOAT = 1;
    public static final int ATTR_INT = 2;
    public static final int ATTR_STRING = 3;
    public static final int ATTR_INTS = 7;

    /** A message that can report its size and write its fields (without its own tag and length). */
    public interface Message {
        long serializedSize();

        void writeTo(CodedOutputStream out) throws IOException;
    }

    /** {@code OperatorSetIdProto}: domain = 1, version = 2. */
    public record OperatorSetId(String domain, long version) implements Message {
        @Override
        public long serializedSize() {
            return stringSize(1, domain) + int64Size(2, version);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, domain);
            out.writeInt64(2, version);
        }
    }

    /** {@code StringStringEntryProto}: key = 1, value = 2. */
    public record StringStringEntry(String key, String value) implements Message {
        @Override
        public long serializedSize() {
            return stringSize(1, key) + stringSize(2, value);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, key);
            writeString(out, 2, value);
        }
    }

    /**
     * The values of a tensor, stored as {@code raw_data} (little-endian, fixed width) or in an
     * external file.
     */
    public sealed interface TensorData permits FloatData, Int64Data {
        long byteLength();

        /** Writes the little-endian bytes. */
        void writeRaw(CodedOutputStream out) throws IOException;

        /** Writes the little-endian bytes to a plain stream (external data files). */
        void writeRaw(OutputStream out) throws IOException;
    }

    /** float32 values (not copied). */
    public record FloatData(float[] values) implements TensorData {
        @Override
        public long byteLength() {
            return 4L * values.length;
        }

        @Override
        public void writeRaw(CodedOutputStream out) throws IOException {
            for (float v : values) {
                out.writeFixed32NoTag(Float.floatToRawIntBits(v));
            }
        }

        @Override
        public void writeRaw(OutputStream out) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                if (!b.hasRemaining()) {
                    out.write(b.array(), 0, b.position());
                    b.clear();
                }
                b.putFloat(v);
            }
            out.write(b.array(), 0, b.position());
        }
    }

    /** int64 values (shapes, indices). */
    public record Int64Data(long[] values) implements TensorData {
        @Override
        public long byteLength() {
            return 8L * values.length;
        }

        @Override
        public void writeRaw(CodedOutputStream out) throws IOException {
            for (long v : values) {
                out.writeFixed64NoTag(v);
            }
        }

        @Override
        public void writeRaw(OutputStream out) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                b.putLong(v);
            }
            out.write(b.array());
        }
    }

    /**
     * {@code TensorProto}: dims = 1, data_type = 2, name = 8, raw_data = 9, external_data = 13,
     * data_location = 14 (EXTERNAL = 1). Exactly one of {@code data} (inline) and
     * {@code externalData} (location/offset/length entries) is used.
     *
     * @param data         inline values, or null when the values live in an external file
     * @param externalData entries {@code location}, {@code offset}, {@code length}; empty when inline
     */
    public record TensorProto(String name, long[] dims, int dataType, TensorData data,
                              List<StringStringEntry> externalData) implements Message {
        public TensorProto {
            externalData = List.copyOf(externalData);
            if ((data == null) == externalData.isEmpty()) {
                throw new IllegalArgumentException("tensor '" + name + "' needs either inline data or external data entries");
            }
        }

        /** A float32 tensor from a jepa4j tensor (data not copied). */
        public static TensorProto of(String name, FloatTensor t) {
            return new TensorProto(name, t.shape().clone(), FLOAT, new FloatData(t.data()), List.of());
        }

        /** An int64 tensor. */
        public static TensorProto ofInt64(String name, long[] dims, long... values) {
            return new TensorProto(name, dims, INT64, new Int64Data(values), List.of());
        }

        public boolean isExternal() {
            return data == null;
        }

        /** The same tensor with its values moved to {@code location} at {@code offset}. */
        public TensorProto withExternalData(String location, long offset) {
            long length = data.byteLength();
            return new TensorProto(name, dims, dataType, null, List.of(
                    new StringStringEntry("location", location),
                    new StringStringEntry("offset", Long.toString(offset)),
                    new StringStringEntry("length", Long.toString(length))));
        }

        @Override
        public long serializedSize() {
            long n = 0;
            for (long d : dims) {
                n += int64Size(1, d);
            }
            n += int64Size(2, dataType) + stringSize(8, name);
            if (data != null) {
                n += lengthDelimitedSize(9, data.byteLength());
            }
            for (StringStringEntry e : externalData) {
                n += messageSize(13, e);
            }
            if (data == null) {
                n += int64Size(14, 1);
            }
            return n;
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            for (long d : dims) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, dataType);
            writeString(out, 8, name);
            if (data != null) {
                out.writeTag(9, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt64NoTag(data.byteLength());
                data.writeRaw(out);
            }
            for (StringStringEntry e : externalData) {
                writeMessage(out, 13, e);
            }
            if (data == null) {
                out.writeEnum(14, 1);
            }
        }
    }

    /**
     * {@code AttributeProto}: name = 1, type = 20, and one of f = 2, i = 3, s = 4, ints = 8
     * (unpacked, as proto2 declares it). Build with the factories.
     */
    public record AttributeProto(String name, int type, float f, long i, String s, long[] ints) implements Message {
        public static AttributeProto ofInt(String name, long value) {
            return new AttributeProto(name, ATTR_INT, 0f, value, null, null);
        }

        public static AttributeProto ofFloat(String name, float value) {
            return new AttributeProto(name, ATTR_FLOAT, value, 0, null, null);
        }

        public static AttributeProto ofString(String name, String value) {
            return new AttributeProto(name, ATTR_STRING, 0f, 0, value, null);
        }

        public static AttributeProto ofInts(String name, long... values) {
            return new AttributeProto(name, ATTR_INTS, 0f, 0, null, values.clone());
        }

        @Override
        public long serializedSize() {
            long n = stringSize(1, name) + int64Size(20, type);
            return n + switch (type) {
                case ATTR_FLOAT -> CodedOutputStream.computeFloatSize(2, f);
                case ATTR_INT -> int64Size(3, i);
                case ATTR_STRING -> stringSize(4, s);
                case ATTR_INTS -> {
                    long m = 0;
                    for (long v : ints) {
                        m += int64Size(8, v);
                    }
                    yield m;
                }
                default -> throw new IllegalStateException("attribute type " + type);
            };
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, name);
            switch (type) {
                case ATTR_FLOAT -> out.writeFloat(2, f);
                case ATTR_INT -> out.writeInt64(3, i);
                case ATTR_STRING -> writeString(out, 4, s);
                case ATTR_INTS -> {
                    for (long v : ints) {
                        out.writeInt64(8, v);
                    }
                }
                default -> throw new IllegalStateException("attribute type " + type);
            }
            out.writeEnum(20, type);
        }
    }

    /** One dimension of a {@code TensorShapeProto}: a fixed size (dim_value = 1) or a symbol (dim_param = 2). */
    public record Dim(long value, String param) implements Message {
        public static Dim of(long value) {
            return new Dim(value, null);
        }

        public static Dim symbol(String param) {
            return new Dim(0, param);
        }

        @Override
        public long serializedSize() {
            return param != null ? stringSize(2, param) : int64Size(1, value);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            if (param != null) {
                writeString(out, 2, param);
            } else {
                out.writeInt64(1, value);
            }
        }
    }

    /**
     * {@code ValueInfoProto} of a tensor: name = 1, type = 2 ({@code TypeProto.tensor_type = 1}
     * holding elem_type = 1 and shape = 2, whose dim = 1).
     */
    public record ValueInfoProto(String name, int elemType, List<Dim> dims) implements Message {
        public ValueInfoProto {
            dims = List.copyOf(dims);
        }

        private long shapeSize() {
            long n = 0;
            for (Dim d : dims) {
                n += messageSize(1, d);
            }
            return n;
        }

        private long tensorTypeSize() {
            return int64Size(1, elemType) + lengthDelimitedSize(2, shapeSize());
        }

        private long typeSize() {
            return lengthDelimitedSize(1, tensorTypeSize());
        }

        @Override
        public long serializedSize() {
            return stringSize(1, name) + lengthDelimitedSize(2, typeSize());
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, name);
            out.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(typeSize());
            out.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(tensorTypeSize());
            out.writeInt32(1, elemType);
            out.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt64NoTag(shapeSize());
            for (Dim d : dims) {
                writeMessage(out, 1, d);
            }
        }
    }

    /** {@code NodeProto}: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7. */
    public record NodeProto(List<String> inputs, List<String> outputs, String name, String opType, String domain,
                            List<AttributeProto> attributes) implements Message {
        public NodeProto {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = List.copyOf(attributes);
        }

        @Override
        public long serializedSize() {
            long n = 0;
            for (String s : inputs) {
                n += stringSize(1, s);
            }
            for (String s : outputs) {
                n += stringSize(2, s);
            }
            n += stringSize(3, name) + stringSize(4, opType);
            for (AttributeProto a : attributes) {
                n += messageSize(5, a);
            }
            if (domain != null && !domain.isEmpty()) {
                n += stringSize(7, domain);
            }
            return n;
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            for (String s : inputs) {
                writeString(out, 1, s);
            }
            for (String s : outputs) {
                writeString(out, 2, s);
            }
            writeString(out, 3, name);
            writeString(out, 4, opType);
            for (AttributeProto a : attributes) {
                writeMessage(out, 5, a);
            }
            if (domain != null && !domain.isEmpty()) {
                writeString(out, 7, domain);
            }
        }
    }

    /**
     * {@code GraphProto}: node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12.
     */
    public record GraphProto(List<NodeProto> nodes, String name, List<TensorProto> initializers, String docString,
                             List<ValueInfoProto> inputs, List<ValueInfoProto> outputs) implements Message {
        public GraphProto {
            nodes = List.copyOf(nodes);
            initializers = List.copyOf(initializers);
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }

        /** The same graph with other initializers (for moving data to an external file). */
        public GraphProto withInitializers(List<TensorProto> replaced) {
            return new GraphProto(nodes, name, replaced, docString, inputs, outputs);
        }

        @Override
        public long serializedSize() {
            long n = 0;
            for (NodeProto x : nodes) {
                n += messageSize(1, x);
            }
            n += stringSize(2, name);
            for (TensorProto t : initializers) {
                n += messageSize(5, t);
            }
            n += stringSize(10, docString);
            for (ValueInfoProto v : inputs) {
                n += messageSize(11, v);
            }
            for (ValueInfoProto v : outputs) {
                n += messageSize(12, v);
            }
            return n;
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            for (NodeProto x : nodes) {
                writeMessage(out, 1, x);
            }
            writeString(out, 2, name);
            for (TensorProto t : initializers) {
                writeMessage(out, 5, t);
            }
            writeString(out, 10, docString);
            for (ValueInfoProto v : inputs) {
                writeMessage(out, 11, v);
            }
            for (ValueInfoProto v : outputs) {
                writeMessage(out, 12, v);
            }
        }
    }

    /**
     * {@code ModelProto}: ir_version = 1, producer_name = 2, producer_version = 3, domain = 4,
     * model_version = 5, doc_string = 6, graph = 7, opset_import = 8, metadata_props = 14.
     */
    public record ModelProto(long irVersion, List<OperatorSetId> opsetImports, String producerName,
                             String producerVersion, String domain, long modelVersion, String docString,
                             GraphProto graph, List<StringStringEntry> metadataProps) implements Message {
        public ModelProto {
            opsetImports = List.copyOf(opsetImports);
            metadataProps = List.copyOf(metadataProps);
        }

        public ModelProto withGraph(GraphProto g) {
            return new ModelProto(irVersion, opsetImports, producerName, producerVersion, domain, modelVersion,
                    docString, g, metadataProps);
        }

        @Override
        public long serializedSize() {
            long n = int64Size(1, irVersion) + stringSize(2, producerName) + stringSize(3, producerVersion)
                    + stringSize(4, domain) + int64Size(5, modelVersion) + stringSize(6, docString)
                    + messageSize(7, graph);
            for (OperatorSetId o : opsetImports) {
                n += messageSize(8, o);
            }
            for (StringStringEntry e : metadataProps) {
                n += messageSize(14, e);
            }
            return n;
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            out.writeInt64(1, irVersion);
            writeString(out, 2, producerName);
            writeString(out, 3, producerVersion);
            writeString(out, 4, domain);
            out.writeInt64(5, modelVersion);
            writeString(out, 6, docString);
            writeMessage(out, 7, graph);
            for (OperatorSetId o : opsetImports) {
                writeMessage(out, 8, o);
            }
            for (StringStringEntry e : metadataProps) {
                writeMessage(out, 14, e);
            }
        }
    }

    /** Metadata entries in insertion order. */
    public static List<StringStringEntry> entries(java.util.Map<String, String> map) {
        List<StringStringEntry> out = new ArrayList<>();
        map.forEach((k, v) -> out.add(new StringStringEntry(k, v)));
        return out;
    }

    // ---- wire-format helpers (sizes as long: a whole model may pass 2 GB before we decide on external data)

    static long tagSize(int field) {
        return CodedOutputStream.computeTagSize(field);
    }

    static long int64Size(int field, long value) {
        return tagSize(field) + CodedOutputStream.computeInt64SizeNoTag(value);
    }

    static long lengthDelimitedSize(int field, long length) {
        return tagSize(field) + CodedOutputStream.computeUInt64SizeNoTag(length) + length;
    }

    static long stringSize(int field, String s) {
        if (s == null) {
            return 0;
        }
        return lengthDelimitedSize(field, s.getBytes(StandardCharsets.UTF_8).length);
    }

    static long messageSize(int field, Message m) {
        return lengthDelimitedSize(field, m.serializedSize());
    }

    static void writeString(CodedOutputStream out, int field, String s) throws IOException {
        if (s != null) {
            out.writeByteArray(field, s.getBytes(StandardCharsets.UTF_8));
        }
    }

    static void writeMessage(CodedOutputStream out, int field, Message m) throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt64NoTag(m.serializedSize());
        m.writeTo(out);
    }
}
