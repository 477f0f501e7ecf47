package org.jepa4j.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import org.jepa4j.onnx.OnnxProto.AttributeProto;
import org.jepa4j.onnx.OnnxProto.Dim;
import org.jepa4j.onnx.OnnxProto.GraphProto;
import org.jepa4j.onnx.OnnxProto.Message;
import org.jepa4j.onnx.OnnxProto.ModelProto;
import org.jepa4j.onnx.OnnxProto.NodeProto;
import org.jepa4j.onnx.OnnxProto.OperatorSetId;
import org.jepa4j.onnx.OnnxProto.StringStringEntry;
import org.jepa4j.onnx.OnnxProto.TensorProto;
import org.jepa4j.onnx.OnnxProto.ValueInfoProto;
import org.jepa4j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The ONNX writer announces each message's length before writing it, from a size it computes by
 * hand ({@code serializedSize}) apart from the bytes {@code writeTo} produces. For every message
 * type of {@link OnnxProto}, with values that reach every varint width, the announced size equals
 * the byte count written, and protobuf's own parser reads the bytes back as well-formed messages
 * (every nested length prefix consistent) holding the values written.
 */
class OnnxProtoSizeTest {

    /** Strings whose UTF-8 lengths need a one-, two- and three-byte length prefix, with non-ASCII text. */
    private static final List<String> STRINGS = List.of("", "x", "Größe ÿ 中文", "a".repeat(127), "b".repeat(128),
            "ü".repeat(9000));
    /** int64 values needing one to ten varint bytes (negative ones take ten). */
    private static final long[] LONGS = {0, 1, 127, 128, 16_383, 16_384, 1L << 35, Long.MAX_VALUE, -1, Long.MIN_VALUE};

    private static byte[] bytes(Message m) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(buf);
        m.writeTo(out);
        out.flush();
        return buf.toByteArray();
    }

    /**
     * Asserts size equals bytes and that protobuf parses them; returns the parsed fields. Protobuf's
     * re-serialisation of what it parsed must give back the same bytes (fields are written in
     * ascending field order, as protobuf writes an unknown-field set).
     */
    private static UnknownFieldSet check(Message m) throws IOException {
        byte[] b = bytes(m);
        assertEquals(b.length, m.serializedSize(), () -> m.getClass().getSimpleName() + ": serializedSize");
        UnknownFieldSet parsed = UnknownFieldSet.parseFrom(b);
        assertArrayEquals(b, parsed.toByteArray(), () -> m.getClass().getSimpleName() + ": protobuf's reading");
        return parsed;
    }

    /** The nested message at {@code field} (index {@code i} of a repeated field), parsed by protobuf. */
    private static UnknownFieldSet nested(UnknownFieldSet set, int field, int i) throws IOException {
        ByteString bs = set.getField(field).getLengthDelimitedList().get(i);
        UnknownFieldSet inner = UnknownFieldSet.parseFrom(bs);
        assertArrayEquals(bs.toByteArray(), inner.toByteArray(), "nested field " + field);
        return inner;
    }

    private static String string(UnknownFieldSet set, int field, int i) {
        return set.getField(field).getLengthDelimitedList().get(i).toString(StandardCharsets.UTF_8);
    }

    private static long varint(UnknownFieldSet set, int field, int i) {
        return set.getField(field).getVarintList().get(i);
    }

    @Test
    void operatorSetIdAndStringEntriesAtEveryLengthAndVarintWidth() throws IOException {
        for (String s : STRINGS) {
            for (long v : LONGS) {
                UnknownFieldSet op = check(new OperatorSetId(s, v));
                assertEquals(v, varint(op, 2, 0));
                assertEquals(s.isEmpty() ? s : s, op.hasField(1) ? string(op, 1, 0) : "");
            }
            UnknownFieldSet e = check(new StringStringEntry(s, s + "=" + s));
            assertEquals(s + "=" + s, string(e, 2, 0));
        }
        check(new OperatorSetId(null, 18)); // the default domain: no field 1
    }

    @Test
    void tensorsInlineFloatInlineInt64AndExternal() throws IOException {
        for (int n : new int[] {0, 1, 31, 32, 4096, 5000}) { // raw_data of 0 B to 20 KB: 1- to 3-byte lengths
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) Math.sin(i) * 1e3f;
            }
            TensorProto t = TensorProto.of("w." + n, new FloatTensor(new long[] {n == 0 ? 0 : 1, n}, values));
            UnknownFieldSet p = check(t);
            assertEquals(4L * n, p.getField(9).getLengthDelimitedList().get(0).size());
            assertEquals(OnnxProto.FLOAT, varint(p, 2, 0));
            UnknownFieldSet ext = check(t.withExternalData("weights.bin", (long) n << 33));
            assertEquals(3, ext.getField(13).getLengthDelimitedList().size());
            assertEquals("offset", string(nested(ext, 13, 1), 1, 0));
            assertEquals(Long.toString((long) n << 33), string(nested(ext, 13, 1), 2, 0));
            assertEquals(1, varint(ext, 14, 0), "data_location EXTERNAL");
        }
        UnknownFieldSet i64 = check(TensorProto.ofInt64("shape", new long[] {LONGS.length}, LONGS));
        assertEquals(8L * LONGS.length, i64.getField(9).getLengthDelimitedList().get(0).size());
        check(TensorProto.ofInt64("scalar", new long[] {}, -5));
    }

    @Test
    void attributesOfEveryKind() throws IOException {
        for (String name : STRINGS) {
            check(AttributeProto.ofFloat(name, -0.0f));
            check(AttributeProto.ofFloat(name, Float.MAX_VALUE));
            for (long v : LONGS) {
                assertEquals(v, varint(check(AttributeProto.ofInt(name, v)), 3, 0));
            }
            assertEquals(name, string(check(AttributeProto.ofString(name, name)), 4, 0));
            UnknownFieldSet ints = check(AttributeProto.ofInts(name, LONGS));
            assertEquals(LONGS.length, ints.getField(8).getVarintList().size());
            check(AttributeProto.ofInts(name));
        }
    }

    @Test
    void dimsAndValueInfosWithFixedAndSymbolicDims() throws IOException {
        for (long v : LONGS) {
            check(Dim.of(v));
        }
        for (String s : STRINGS) {
            check(Dim.symbol(s));
        }
        List<Dim> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(i % 3 == 0 ? Dim.symbol("batch_" + i) : Dim.of(LONGS[i % LONGS.length]));
        }
        for (List<Dim> dims : List.of(List.<Dim>of(), List.of(Dim.of(3)), many)) {
            UnknownFieldSet vi = check(new ValueInfoProto("pixel_values", OnnxProto.FLOAT, dims));
            UnknownFieldSet shape = nested(nested(nested(vi, 2, 0), 1, 0), 2, 0);
            assertEquals(dims.size(), shape.hasField(1) ? shape.getField(1).getLengthDelimitedList().size() : 0);
        }
    }

    @Test
    void nodesGraphsAndModelsNestedAtEveryLengthWidth() throws IOException {
        List<NodeProto> nodes = new ArrayList<>();
        for (int k = 0; k < 30; k++) {
            List<AttributeProto> attrs = List.of(AttributeProto.ofInt("axis", -1), AttributeProto.ofInts("perm", 0, 2, 1, 3),
                    AttributeProto.ofFloat("epsilon", 1e-6f), AttributeProto.ofString("mode", "x".repeat(k * 10)));
            NodeProto node = new NodeProto(List.of("in_" + k, "w_" + k), List.of("out_" + k), "n" + k,
                    k % 2 == 0 ? "MatMul" : "LayerNormalization", k % 5 == 0 ? "com.microsoft" : null, attrs);
            UnknownFieldSet p = check(node);
            assertEquals(4, p.getField(5).getLengthDelimitedList().size());
            nodes.add(node);
        }
        check(new NodeProto(List.of(), List.of(), "", "Identity", "", List.of()));
        List<TensorProto> inits = List.of(TensorProto.of("a", new FloatTensor(new long[] {64, 64}, new float[64 * 64])),
                TensorProto.ofInt64("s", new long[] {2}, -1, 7),
                TensorProto.of("b", new FloatTensor(new long[] {3}, new float[3])).withExternalData("x.data", 128));
        List<ValueInfoProto> io = List.of(new ValueInfoProto("x", OnnxProto.FLOAT, List.of(Dim.symbol("batch"), Dim.of(3))));
        for (List<NodeProto> ns : List.of(List.<NodeProto>of(), nodes.subList(0, 1), nodes)) {
            GraphProto g = new GraphProto(ns, "encoder", inits, "doc ".repeat(40), io, io);
            UnknownFieldSet gp = check(g);
            for (int i = 0; i < ns.size(); i++) {
                nested(gp, 1, i);
            }
            for (int i = 0; i < inits.size(); i++) {
                nested(gp, 5, i);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("jepa4j.provenance", "{\"k\":\"" + "v".repeat(300) + "\"}");
            meta.put("", "");
            ModelProto m = new ModelProto(9, List.of(new OperatorSetId("", 17), new OperatorSetId("com.microsoft", 1)),
                    "jepa4j", "0.1.0", "org.jepa4j", Long.MAX_VALUE, "a model", g, OnnxProto.entries(meta));
            UnknownFieldSet mp = check(m);
            assertEquals(9, varint(mp, 1, 0));
            UnknownFieldSet graph = nested(mp, 7, 0);
            assertEquals("encoder", string(graph, 2, 0));
            assertEquals(2, mp.getField(8).getLengthDelimitedList().size());
            assertEquals("jepa4j.provenance", string(nested(mp, 14, 0), 1, 0));
        }
    }
}
