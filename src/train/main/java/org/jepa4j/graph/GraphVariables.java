package org.jepa4j.graph;

import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named float variables of one graph, each with a feed placeholder and an assign op, so that
 * weights of any size are loaded by feeding (no constants baked into the graph) and read back in
 * one session run. Variables are TensorFlow ref variables (VariableV2) updated in place.
 */
public final class GraphVariables {
    private final Ops tf;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private record Entry(Variable<TFloat32> variable, long[] shape, Placeholder<TFloat32> feed, Op assign) {
    }

    public GraphVariables(Ops tf) {
        this.tf = tf;
    }

    /** Creates the variable {@code name} of the given shape (uninitialised until assigned). */
    public Variable<TFloat32> create(String name, long[] shape) {
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("variable '" + name + "' created twice");
        }
        Variable<TFloat32> v = tf.withName(name).variable(Shape.of(shape), TFloat32.class);
        Placeholder<TFloat32> feed = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
        Op assign = tf.assign(v, feed);
        entries.put(name, new Entry(v, shape.clone(), feed, assign));
        return v;
    }

    /** The variable called {@code name}. */
    public Variable<TFloat32> get(String name) {
        return entry(name).variable();
    }

    /** Shape of the variable called {@code name}. */
    public long[] shape(String name) {
        return entry(name).shape().clone();
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Names in creation order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /** Parameters of one model part: {@code get(name)} is the variable {@code prefix + name}. */
    public ParameterLookup part(String prefix) {
        return name -> {
            Entry e = entries.get(prefix + name);
            if (e == null) {
                throw new IllegalArgumentException("graph has no variable '" + prefix + name + "'");
            }
            return e.variable();
        };
    }

    /**
     * Assigns every given tensor to the variable of the same name in one session run.
     *
     * @param trace when true the run is traced and the names of the devices that ran it are returned
     * @throws IllegalArgumentException naming the tensor, its shape and the expected shape on a mismatch,
     *                                  or an unknown name
     */
    public List<String> assign(Session session, Map<String, FloatTensor> values, boolean trace) {
        for (Map.Entry<String, FloatTensor> v : values.entrySet()) {
            Entry e = entries.get(v.getKey());
            if (e == null) {
                throw new IllegalArgumentException("tensor '" + v.getKey() + "' has no variable in this graph");
            }
            if (!v.getValue().hasShape(e.shape())) {
                throw new IllegalArgumentException("tensor '" + v.getKey() + "' has shape " + v.getValue().shapeString()
                        + " but " + Arrays.toString(e.shape()) + " was expected");
            }
        }
        List<Tensor> feeds = new ArrayList<>();
        try {
            Session.Runner runner = session.runner();
            for (Map.Entry<String, FloatTensor> v : values.entrySet()) {
                Entry e = entries.get(v.getKey());
                Tensor t = Tensors.floats(v.getValue().shape(), v.getValue().data());
                feeds.add(t);
                runner.feed(e.feed(), t).addTarget(e.assign());
            }
            if (!trace) {
                runner.run().close();
                return List.of();
            }
            runner.setOptions(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE).build());
            try (Result r = runner.runAndFetchMetadata()) {
                List<String> devices = new ArrayList<>();
                r.getMetadata().ifPresent(m -> m.getStepStats().getDevStatsList().forEach(d -> {
                    if (d.getNodeStatsCount() > 0) {
                        devices.add(d.getDevice());
                    }
                }));
                return devices;
            }
        } finally {
            feeds.forEach(Tensor::close);
        }
    }

    /** The current values of the named variables, in the given order. */
    public NamedTensors read(Session session, List<String> names) {
        Session.Runner runner = session.runner();
        for (String n : names) {
            runner.fetch(entry(n).variable());
        }
        NamedTensors.Builder out = NamedTensors.builder();
        try (Result r = runner.run()) {
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                out.put(n, new FloatTensor(entry(n).shape(), Tensors.readFloats((TFloat32) r.get(i))));
            }
        }
        return out.build();
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("graph has no variable '" + name + "'");
        }
        return e;
    }
}
