package org.jepa4j.onnx;

import org.jepa4j.onnx.OnnxProto.AttributeProto;
import org.jepa4j.onnx.OnnxProto.GraphProto;
import org.jepa4j.onnx.OnnxProto.NodeProto;
import org.jepa4j.onnx.OnnxProto.TensorProto;
import org.jepa4j.onnx.OnnxProto.ValueInfoProto;
import org.jepa4j.tensor.FloatTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects nodes, initializers, inputs and outputs of one ONNX graph in topological order and
 * hands out unique value names. Only a helper for writing graphs by hand; it does no shape inference.
 */
public final class OnnxGraphBuilder {
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final List<ValueInfoProto> inputs = new ArrayList<>();
    private final List<ValueInfoProto> outputs = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> constants = new HashMap<>();
    private int counter;

    /** Declares a graph input. */
    public String input(ValueInfoProto info) {
        claim(info.name());
        inputs.add(info);
        return info.name();
    }

    /** Declares a graph output (a value some node produces). */
    public void output(ValueInfoProto info) {
        outputs.add(info);
    }

    /** Adds a float initializer under {@code name}. */
    public String initializer(String name, FloatTensor value) {
        claim(name);
        initializers.add(TensorProto.of(name, value));
        return name;
    }

    /** An int64 initializer (shapes, axes, indices) of the given dims; equal constants are shared. */
    public String int64Constant(String hint, long[] dims, long... values) {
        return constants.computeIfAbsent("i64" + Arrays.toString(dims) + Arrays.toString(values), key -> {
            String name = fresh(hint);
            initializers.add(TensorProto.ofInt64(name, dims.clone(), values.clone()));
            return name;
        });
    }

    /** A 1-D int64 constant. */
    public String int64Vector(String hint, long... values) {
        return int64Constant(hint, new long[] {values.length}, values);
    }

    /** A float scalar constant; equal constants are shared. */
    public String floatScalar(String hint, float value) {
        return constants.computeIfAbsent("f32" + Float.floatToRawIntBits(value), key -> {
            String name = fresh(hint);
            initializers.add(TensorProto.of(name, new FloatTensor(new long[0], new float[] {value})));
            return name;
        });
    }

    /**
     * Adds a node with one output named after {@code outputHint} (made unique) and returns that name.
     */
    public String node(String opType, String outputHint, List<String> in, AttributeProto... attrs) {
        String out = fresh(outputHint);
        nodeWithOutputs(opType, in, List.of(out), attrs);
        return out;
    }

    /** Adds a node whose output names are fixed (graph outputs): unused names or ones taken with {@link #reserve}. */
    public void nodeWithOutputs(String opType, List<String> in, List<String> out, AttributeProto... attrs) {
        for (String o : out) {
            if (!names.contains(o)) {
                claim(o);
            }
        }
        nodes.add(new NodeProto(in, out, opType + "_" + nodes.size(), opType, "", List.of(attrs)));
    }

    /** A value name not used yet, based on {@code hint}. */
    public String fresh(String hint) {
        String name = hint;
        while (names.contains(name)) {
            name = hint + "_" + (++counter);
        }
        claim(name);
        return name;
    }

    /** Reserves {@code name} for a value produced later by {@link #nodeWithOutputs}. */
    public String reserve(String name) {
        claim(name);
        return name;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("value name '" + name + "' is used twice in the graph");
        }
    }

    public GraphProto build(String graphName, String docString) {
        return new GraphProto(nodes, graphName, initializers, docString, inputs, outputs);
    }
}
